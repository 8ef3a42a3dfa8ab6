"""What every check is built on: the `Verdict` a check returns, `_checker`, which turns a
function listing (expected, got) problems into a check that prints its verdict and never raises,
`_call`, through which every probe runs the learner's code, and the small helpers that checks of
several notebooks share (comparing tensors, building and probing an attention module)."""

import functools

import torch


class Verdict:
    """What a check returns: true when every probe passed, false otherwise (failed, or not
    attempted yet). It compares equal to that bool. Jupyter shows nothing for it, since the check
    has already printed its message; plain Python shows e.g. `<check most_common: passed>`."""

    __slots__ = ("name", "status")

    def __init__(self, name, status):
        self.name, self.status = name, status  # status: "passed", "failed" or "not attempted"

    @property
    def passed(self):
        return self.status == "passed"

    def __bool__(self):
        return self.passed

    def __eq__(self, other):
        if isinstance(other, Verdict):
            return self.passed == other.passed
        if isinstance(other, bool):
            return self.passed == other
        return NotImplemented

    def __hash__(self):
        return hash(self.passed)

    def __repr__(self):
        return f"<check {self.name}: {self.status}>"

    def _ipython_display_(self):
        """Display nothing: the check printed its verdict already (a bare `False` would only
        puzzle a learner who has not started the exercise)."""


class _LearnerError(Exception):
    """The learner's code raised `error` while `probe` ran; `_checker` reports it."""

    def __init__(self, probe, error):
        super().__init__(probe)
        self.probe, self.error = probe, error


def _call(probe, fn, *args, **kwargs):
    """Run the learner's code for one probe. Every call of it goes through here, so that an error
    in a later probe cannot be overlooked: it ends the whole check (see `_checker`)."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise  # the exercise is not attempted yet: `_checker` says so
    except Exception as error:
        raise _LearnerError(probe, error) from error


def _report(name, problems, hint=""):
    if not problems:
        print(f"✓ {name}: all checks passed")
        return True
    print(f"✗ {name}:")
    for expected, got in problems:
        print(f"    expected: {expected}\n    got:      {got}")
    if hint:
        print(f"    hint: {hint}")
    return False


def _checker(name, hint):
    """Turn a function that returns a list of (expected, got) problems into a check that prints
    its verdict, returns it as a `Verdict` and never raises."""

    def decorate(find_problems):
        @functools.wraps(find_problems)
        def check(*args, **kwargs):
            return Verdict(name, _verdict(find_problems, args, kwargs))

        def _verdict(find_problems, args, kwargs):
            try:
                passed = _report(name, find_problems(*args, **kwargs), hint)
                return "passed" if passed else "failed"
            except NotImplementedError:
                print(
                    f"… {name}: not attempted yet "
                    "(replace the `raise NotImplementedError` with your code)"
                )
                return "not attempted"
            except _LearnerError as raised:  # the learner's bug: show it, do not crash the notebook
                error = raised.error
                print(f"✗ {name}: your code raised {type(error).__name__}: {error}")
                print(f"    while checking: {raised.probe}\n    hint: {hint}")
            except Exception as error:  # an answer of a type the check cannot even inspect
                print(f"✗ {name}: could not check what your code returned")
                print(f"    ({type(error).__name__}: {error})\n    hint: {hint}")
            return "failed"

        return check

    return decorate


def _as_float(value):
    return float(value) if isinstance(value, (int, float, torch.Tensor)) else value


def _same(a, b):
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def _causality_problem(module, x):
    """None if changing the last position leaves every earlier output unchanged."""
    changed = x.clone()
    changed[:, -1] += 1.0
    probe = "an input, then the same input with its last position changed"
    with torch.no_grad():
        before, after = _call(probe, module, x), _call(probe, module, changed)
    if not torch.allclose(before[:, :-1], after[:, :-1], atol=1e-6):
        return (
            "earlier positions unaffected by a change to the last one",
            "they changed: the future leaks in (is the mask applied?)",
        )
    return None


def _build_and_call(cls, args, channels, what):
    """Build the learner's module with `args` and run it on inputs of shape (2, T, 16).

    Returns (module, the (2, 8, 16) input, problems); problems is empty when the shapes are right.
    """
    torch.manual_seed(0)
    mine = _call(f"{cls.__name__}{args}", cls, *args)
    x = torch.randn(2, 8, 16)
    for T in (8, 5):  # T=5: shorter than context_length, as a prompt at the start of generation
        out = _call(f"an input of shape (2, {T}, 16)", mine, x[:, :T])
        shape = (2, T, channels)
        if getattr(out, "shape", None) != shape:
            return mine, x, [(f"output shape {shape} = {what}", getattr(out, "shape", out))]
    return mine, x, []
