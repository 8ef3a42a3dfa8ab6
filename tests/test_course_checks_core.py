"""The framework of the exercise checks: an unattempted exercise or a crash is reported, not
raised; every check reports an unattempted exercise; a verdict is true or false and a notebook
shows only the message."""

from collections import Counter

import pytest
from checks_support import not_attempted
from torch import nn

from helpers import CharTokenizer
from helpers.course import checks as C


def test_unattempted_exercise_is_reported_not_raised(capsys):
    verdict = C.check_most_common(not_attempted)
    assert not verdict and verdict.status == "not attempted"
    assert "not attempted yet" in capsys.readouterr().out


def test_a_crash_in_the_learners_code_is_shown(capsys):
    assert not C.check_most_common(lambda text, n: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_an_answer_the_check_cannot_inspect_is_a_fail_not_a_crash(capsys):
    assert not C.check_bigram_nll(lambda p, d: "a string")
    assert not C.check_iterate_batches(lambda data, b, t: iter([1, 2, 3]))
    assert "could not check what your code returned" in capsys.readouterr().out


class NotAttemptedModule(nn.Module):  # the notebooks' stub: __init__ raises
    def __init__(self, *args):
        super().__init__()
        raise NotImplementedError


def _extra_args(name):
    """The arguments besides the learner's function that each check takes in its notebook."""
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("ROMEO To be or not First Citizen:\n")
    if name == "check_encode_lossy":
        return (tok,)
    if name == "check_encode_decode":  # encode is the stub; decode and stoi follow
        return not_attempted, tok.stoi
    if name in ("check_most_likely_next", "check_continuation_logprob"):
        config = GPTConfig(vocab_size=tok.vocab_size, context_length=32, n_embd=16, n_head=2)
        return GPT(config).eval(), tok
    return ()


CLASS_EXERCISES = {"check_head", "check_multi_head", "check_block", "check_post_ln_block"}


ALL_CHECKS = sorted(name for name in dir(C) if name.startswith("check_"))


def test_every_check_is_listed():
    assert len(ALL_CHECKS) == 33, ALL_CHECKS  # a new check gets tests in its notebook's file too


@pytest.mark.parametrize("name", ALL_CHECKS)
def test_every_check_reports_an_unattempted_exercise(name, capsys):
    stub = NotAttemptedModule if name in CLASS_EXERCISES else not_attempted
    verdict = getattr(C, name)(stub, *_extra_args(name))
    assert not verdict and verdict.status == "not attempted"
    out = capsys.readouterr().out
    assert "not attempted yet (replace the `raise NotImplementedError` with your code)" in out
    assert "✗" not in out and "✓" not in out


def test_a_verdict_is_true_or_false_and_jupyter_displays_nothing(capsys):
    from IPython.core.formatters import DisplayFormatter

    passed = C.check_most_common(lambda text, n: Counter(text).most_common(n))
    failed = C.check_most_common(lambda text, n: [])
    unattempted = C.check_most_common(not_attempted)
    capsys.readouterr()
    assert passed and not failed and not unattempted
    assert passed == True and failed == False and unattempted == False  # noqa: E712
    assert passed != False and failed != True  # noqa: E712
    assert repr(passed) == "<check most_common: passed>"
    assert repr(unattempted) == "<check most_common: not attempted>"
    # IPython shows a cell's value through its display formatter: a bool would show `False`
    formatter = DisplayFormatter()
    assert formatter.format(False)[0] == {"text/plain": "False"}
    assert formatter.format(unattempted) == ({}, {})
    assert formatter.format(passed) == ({}, {})


def test_a_notebook_cell_ending_with_a_check_shows_only_the_message():
    """Run a real kernel: the unattempted check's cell prints its message and has no value."""
    import nbformat
    from nbclient import NotebookClient

    source = (
        "from helpers.course.checks import check_most_common\n\n\n"
        "def most_common(text, n):\n    raise NotImplementedError\n\n\n"
        "check_most_common(most_common)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream"], outputs
    assert "most_common: not attempted yet" in outputs[0].text
