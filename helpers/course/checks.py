"""Automatic feedback for the exercises at the end of each notebook.

Each `check_...` runs your code on small inputs ("probes") and prints either a tick or what was
expected, what came back and a hint. It never raises, so "Run All" keeps going while an exercise is
unfinished. The first error your code raises ends the check with a fail: a tick means every probe
ran. It returns a `Verdict`, true when every probe passed (`assert check_...(...)` works), which
Jupyter does not display: the printed message is the whole answer. Solutions are in
notebooks/solutions/.
"""

import functools
import math
from collections import Counter

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


# --- notebook 01 -------------------------------------------------------------------------------


def _encode_decode_probes(stoi):
    """Strings made only of the vocabulary's characters: the lecture's example and a line break
    where the vocabulary can write them, and the whole vocabulary backwards."""
    probes = [s for s in ("hii there", "All:\nSpeak, speak.") if set(s) <= stoi.keys()]
    chars = list(stoi)
    return probes + ["".join(chars[:3]) + chars[-1] * 2, "".join(reversed(chars))]


def _encode_problem(s, expected, got):
    if isinstance(got, str):
        return (f"{expected}, a list of ids (each character looked up in stoi)", repr(got))
    if not isinstance(got, (list, tuple)):
        return (f"{expected}, a list of ids", f"a {type(got).__name__}")
    if list(got) == list(s):
        return (f"{expected}, the ids of the characters (look each up in stoi)", list(got))
    if list(got) != expected:
        return (f"{expected}, the ids of {s!r}", list(got))
    return None


def _decode_problem(s, ids, got):
    if isinstance(got, (list, tuple)) and list(got) == list(s):
        return (f"{s!r}, one string: join the characters with ''.join(...)", got)
    if not isinstance(got, str):
        return (f"{s!r}, a string", f"a {type(got).__name__}")
    if got == " ".join(s) and len(s) > 1:
        return (f"{s!r}: characters joined with '', nothing between them", f"{got!r} (' '.join)")
    if got != s:
        return (f"{s!r} for decode({ids})", repr(got))
    return None


@_checker(
    "encode/decode",
    hint="encode: [stoi[c] for c in s]; decode: ''.join(...) of itos[i] for each id",
)
def check_encode_decode(encode, decode, stoi):
    """Your turn of notebook 01: encode(s) -> list of ids through stoi, decode(ids) -> string.
    `stoi` is the notebook's table; decode is probed with the right ids, so a mistake in encode
    does not hide one in decode."""
    problems = []
    for s in _encode_decode_probes(stoi):
        expected = [stoi[c] for c in s]
        problem = _encode_problem(s, expected, _call(f"encode({s!r})", encode, s))
        if problem:
            problems.append(problem)
        problem = _decode_problem(s, expected, _call(f"decode({expected})", decode, expected))
        if problem:
            problems.append(problem)
        if problems:
            return problems
    return problems


def _most_common_problem(text, n, got):
    """None if `got` is right. Characters with equal counts may come in any order."""
    counts = Counter(text)
    expected = counts.most_common(n)
    try:
        pairs = [(ch, count) for ch, count in got]
    except (TypeError, ValueError):  # not a sequence of pairs
        pairs = None
    right = (
        pairs is not None
        and len({ch for ch, _ in pairs}) == len(pairs)  # no character twice
        and all(counts.get(ch) == count for ch, count in pairs)  # each with its true count
        # the n largest counts, largest first (also checks that there are n pairs)
        and [count for _, count in pairs] == [count for _, count in expected]
    )
    return None if right else (f"{expected} (equal counts in any order)", got)


@_checker("most_common", hint="collections.Counter(text).most_common(n) does the counting")
def check_most_common(most_common):
    """Exercise 1 of notebook 01: most_common(text, n) -> the n most frequent (character, count)."""
    problems = []
    # "banana" has 3 distinct characters: asking for 5 gets all of them, as Counter does
    for text, n in [("abracadabra", 3), ("banana", 5)]:
        got = _call(f"most_common({text!r}, {n})", most_common, text, n)
        problem = _most_common_problem(text, n, got)
        if problem:
            problems.append(problem)
    return problems


@_checker("encode_lossy", hint="replace each ch not in tokenizer.stoi, then call tokenizer.encode")
def check_encode_lossy(encode_lossy, tokenizer):
    """Exercise 2 of notebook 01: encode_lossy(tokenizer, s, replacement) replaces unknown characters."""
    problems = []
    got = _call(
        "'Hi wörld!' (ö is not in the vocabulary)", encode_lossy, tokenizer, "Hi wörld!", " "
    )
    expected = tokenizer.encode("Hi w rld!")
    if list(got or []) != expected:
        problems.append((f"{expected} (the ids of 'Hi w rld!')", got))
    got = _call("'plain text' (every character known)", encode_lossy, tokenizer, "plain text", " ")
    if list(got or []) != tokenizer.encode("plain text"):
        problems.append(("known characters encoded as usual", got))
    return problems


# --- notebook 02 -------------------------------------------------------------------------------


def _sample_batch(get_batch, data, batch_size, context_length):
    """(x, y, None), or (None, None, problem) when a window ran past the end of `data`: its
    chunks come out shorter, and torch.stack refuses chunks of different lengths."""
    probe = f"data of length {len(data)}, batch_size={batch_size}, context_length={context_length}"
    try:
        got = _call(probe, get_batch, data, batch_size, context_length)
    except _LearnerError as raised:
        if "stack expects each tensor to be equal size" not in str(raised.error):
            raise
        return (
            None,
            None,
            (
                "every window inside data: starts from 0 to len(data) - context_length - 1, "
                "i.e. torch.randint(len(data) - context_length, ...)",
                f"a window ran past the end of data ({probe}): torch.stack got a shorter chunk",
            ),
        )
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None, None, ("two tensors, x and y", got)
    return got[0], got[1], None


def _batch_problem(x, y, data, batch_size, context_length):
    """None if x and y are a right batch of windows of `data` = torch.arange(first, ...)."""
    shape = (batch_size, context_length)
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, torch.Tensor):
            return (
                f"{name} as one tensor of shape {shape}: torch.stack the chunks",
                f"a {type(t).__name__}",
            )
        if tuple(t.shape) != shape:
            how = "another shape"
            if t.dim() == 1:
                how = "torch.cat joins the chunks into one long row"
            elif tuple(t.shape) == shape[::-1]:
                how = "one column per chunk: stack along dim=0"
            return (
                f"{name} of shape (batch_size, context_length) = {shape}, one row per chunk "
                f"(torch.stack)",
                f"{tuple(t.shape)} ({how})",
            )
    first = int(data[0])
    if int(x.min()) < first or int(x.max()) > int(data[-1]):
        return (
            f"windows of the `data` argument (ids {first}..{int(data[-1])} in this probe)",
            "other ids: did you use train_data instead of data?",
        )
    if not torch.equal(x[:, 1:], x[:, :-1] + 1):
        return ("each row one window, data[i : i + context_length]", x[0].tolist())
    if torch.equal(y, x):
        return ("y = data[i + 1 : i + context_length + 1], x shifted by one", "y equal to x")
    if torch.equal(y, x - 1):
        return ("y shifted one step later than x (the next ids)", "y one step earlier")
    if not torch.equal(y, x + 1):
        return ("y = data[i + 1 : i + context_length + 1], x shifted by one", y[0].tolist())
    return None


@_checker(
    "get_batch",
    hint="ix = torch.randint(len(data) - context_length, (batch_size,)), then torch.stack the "
    "windows data[i : i + context_length] (x) and the same one step later (y)",
)
def check_get_batch(get_batch):
    """Your turn of notebook 02: get_batch(data, batch_size, context_length) -> x, y of shape
    (batch_size, context_length), y the next ids, windows drawn anywhere inside data."""
    with torch.random.fork_rng(devices=[]):  # the notebook's own random numbers stay as they were
        torch.manual_seed(0)
        # 100 ids from 1000 (ids from anywhere else come from another tensor), B != T
        data = torch.arange(1000, 1100)
        x, y, problem = _sample_batch(get_batch, data, 3, 5)
        if problem or (problem := _batch_problem(x, y, data, 3, 5)):
            return [problem]
        if torch.equal(x, x[:1].expand_as(x)):
            return [("a new random start for every row", f"the same row {len(x)} times")]
        # 10 ids and windows of 8: only starts 0 and 1 fit, and 200 draws must find both
        data = torch.arange(1000, 1010)
        x, y, problem = _sample_batch(get_batch, data, 200, 8)
        if problem or (problem := _batch_problem(x, y, data, 200, 8)):
            return [problem]
        starts = set((x[:, 0] - 1000).tolist())
        if starts != {0, 1}:  # torch.randint(high, ...) draws 0 .. high - 1
            return [
                (
                    "starts 0 and 1 both drawn: the last window starts at "
                    "len(data) - context_length - 1, so torch.randint(len(data) - context_length, ...)",
                    f"only starts {sorted(starts)} in 200 rows",
                )
            ]
    return []


@_checker("examples_per_batch", hint="every row holds one example per position")
def check_examples_per_batch(examples_per_batch):
    """Exercise 1 of notebook 02: how many (context -> target) examples one batch holds."""
    problems = []
    for b, t in [(32, 8), (4, 8), (1, 256)]:
        got = _call(f"batch_size={b}, context_length={t}", examples_per_batch, b, t)
        if got != b * t:
            problems.append((f"{b * t} for batch_size={b}, context_length={t}", got))
    return problems


def _batches_problems(batches, context_length, at_least, length):
    if not batches:
        return [("a list of (x, y) batches (use yield inside a loop)", "nothing")]
    problems = []
    xs = torch.cat([x.reshape(-1) for x, _ in batches])
    ys = torch.cat([y.reshape(-1) for _, y in batches])
    if any(x.shape[-1] != context_length for x, _ in batches):
        problems.append(
            (f"chunks of context_length={context_length}", [tuple(x.shape) for x, _ in batches])
        )
    if not torch.equal(ys, xs + 1):
        problems.append(("y equal to x shifted by one", "a different y"))
    if not torch.equal(xs, torch.arange(len(xs))):
        problems.append(("the chunks in order, without overlap: 0, 1, 2, ...", xs[:12].tolist()))
    if len(xs) < at_least:
        problems.append(
            (f"at least {at_least} of the {length - 1} possible inputs covered", len(xs))
        )
    return problems


@_checker(
    "iterate_batches",
    hint="step the start index by context_length; stop when start + context_length + 1 > len(data)",
)
def check_iterate_batches(iterate_batches):
    """Exercise 2 of notebook 02: walk through data in order, in non-overlapping chunks."""

    def all_batches(data, batch_size, context_length):  # a generator runs only when consumed
        return list(iterate_batches(data, batch_size, context_length))

    # (len(data), batch_size, context_length, inputs covered at least); the second probe ends
    # with a smaller batch: 7 chunks of 4 make batches of 4 and 3
    for length, batch_size, context_length, at_least in [(50, 2, 4, 44), (30, 4, 4, 24)]:
        probe = f"data of length {length}, batch_size={batch_size}, context_length={context_length}"
        batches = _call(probe, all_batches, torch.arange(length), batch_size, context_length)
        problems = _batches_problems(batches, context_length, at_least, length)
        if problems:
            return problems
    return []


# --- notebook 03 -------------------------------------------------------------------------------


def _as_float(value):
    return float(value) if isinstance(value, (int, float, torch.Tensor)) else value


def _bigram_loss_mistakes(logits, targets):
    """(what went wrong, the loss it gives) for the usual wrong ways to write the bigram's loss."""
    F = torch.nn.functional
    B, T, C = logits.shape
    flat, flat_targets = logits.reshape(B * T, C), targets.reshape(B * T)
    mistakes = [
        (
            "softmax probabilities given to F.cross_entropy: it applies the softmax itself, so "
            "give it the raw logits",
            F.cross_entropy(F.softmax(flat, dim=-1), flat_targets),
        ),
        (
            "-log p averaged over all C characters of the vocabulary: take -log p of each "
            "target only, then the mean over the B*T predictions",
            -F.log_softmax(flat, dim=-1).mean(),
        ),
        (
            "the sum over the B*T predictions: the loss is their mean",
            F.cross_entropy(flat, flat_targets, reduction="sum"),
        ),
        (
            "F.nll_loss on logits: it wants log-probabilities (F.log_softmax first); "
            "F.cross_entropy does both",
            F.nll_loss(flat, flat_targets),
        ),
        ("log p without the minus sign", -F.cross_entropy(flat, flat_targets)),
    ]
    if T == C:  # only then does the unreshaped call run (with T != C it raises)
        mistakes.append(
            (
                "logits (B, T, C) not reshaped: F.cross_entropy read dimension 1, time, as the "
                "classes; reshape logits to (B*T, C) and targets to (B*T)",
                F.cross_entropy(logits, targets),
            )
        )
    return mistakes


@_checker(
    "bigram_loss",
    hint="B, T, C = logits.shape; F.cross_entropy(logits.view(B * T, C), targets.view(B * T))",
)
def check_bigram_loss(bigram_loss):
    """Notebook 03, before the model: bigram_loss(logits, targets) -> the mean cross-entropy of
    logits (B, T, C) against targets (B, T), a 0-d tensor that backward() can use."""
    g = torch.Generator().manual_seed(0)
    # (B, T, C): T differs from C first (an unreshaped call raises), then T equals C (it runs)
    for B, T, C in [(2, 3, 5), (2, 4, 4)]:
        probe = f"logits of shape ({B}, {T}, {C}), targets ({B}, {T})"
        logits = torch.randn(B, T, C, generator=g).mul(2).requires_grad_()
        targets = torch.randint(C, (B, T), generator=g)
        try:
            got = bigram_loss(logits, targets.clone())
        except NotImplementedError:
            raise
        except (RuntimeError, ValueError) as error:
            if not any(word in str(error) for word in ("size", "shape", "target", "dimension")):
                raise _LearnerError(probe, error) from error
            return [
                (
                    f"logits reshaped to (B*T, C) = ({B * T}, {C}) and targets to (B*T) = "
                    f"({B * T},) before F.cross_entropy ({probe})",
                    f"an error about the shapes: {error}",
                )
            ]
        except Exception as error:
            raise _LearnerError(probe, error) from error
        with torch.no_grad():
            expected = torch.nn.functional.cross_entropy(
                logits.view(B * T, C), targets.view(B * T)
            ).item()
            mistakes = _bigram_loss_mistakes(logits.detach(), targets)
        if not isinstance(got, torch.Tensor):
            return [
                (
                    f"a tensor holding one number, {expected:.4f}, that loss.backward() can use "
                    f"({probe})",
                    f"{f'{got:.4f}' if isinstance(got, float) else repr(got)} "
                    f"({type(got).__name__}: keep the tensor, do not call .item())",
                )
            ]
        if got.numel() != 1:
            return [
                (
                    f"one number, the mean over all B*T = {B * T} predictions ({probe})",
                    f"a tensor of shape {tuple(got.shape)}: the mean over the wrong axes",
                )
            ]
        value = got.detach().float().item()
        if math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-5):
            if not got.requires_grad:
                return [
                    (
                        "a loss that keeps its gradient (computed from logits with torch ops)",
                        "a tensor without a gradient: loss.backward() could not train the model",
                    )
                ]
            continue
        for mistake, wrong in mistakes:
            if math.isclose(value, wrong.item(), rel_tol=1e-4, abs_tol=1e-5):
                return [(f"{expected:.4f} ({probe})", f"{value:.4f}: {mistake}")]
        return [(f"{expected:.4f}, the mean of -log softmax(logits)[target] ({probe})", value)]
    return []


@_checker(
    "bigram_nll",
    hint="pairs are (data[:-1], data[1:]); take -log of probs at those pairs, then the mean",
)
def check_bigram_nll(bigram_nll):
    """Exercise 1 of notebook 03: mean negative log-likelihood of data under a probability table."""
    g = torch.Generator().manual_seed(0)
    probs = torch.rand(5, 5, generator=g)
    probs = probs / probs.sum(1, keepdim=True)
    data = torch.randint(5, (200,), generator=g)
    problems = []
    got = _as_float(_call("a random 5 x 5 table", bigram_nll, probs, data))
    expected = -torch.log(probs[data[:-1], data[1:]]).mean().item()
    if not isinstance(got, float) or not math.isclose(got, expected, rel_tol=1e-4):
        problems.append((f"{expected:.4f}", got))
    # data % 4 never uses id 4, as a validation text may lack a rare character of the vocabulary
    uniform = torch.full((5, 5), 0.2)
    got = _as_float(_call("a uniform table, data without id 4", bigram_nll, uniform, data % 4))
    if not isinstance(got, float) or not math.isclose(got, math.log(5), rel_tol=1e-4):
        problems.append((f"ln(5) = {math.log(5):.4f} for a uniform table", got))
    return problems


@_checker(
    "sample_bigram",
    hint="draw each id with torch.multinomial(probs[last], 1, generator=generator)",
)
def check_sample_bigram(sample_bigram):
    """Exercise 2 of notebook 03: sample_bigram(probs, start, n, generator) -> list of n+1 ids."""
    cycle = torch.zeros(4, 4)
    for i in range(4):
        cycle[i, (i + 1) % 4] = 1.0  # 0 -> 1 -> 2 -> 3 -> 0: no randomness left
    seeded = torch.Generator().manual_seed
    got = _call("a table that cycles 0 -> 1 -> 2 -> 3", sample_bigram, cycle, 2, 6, seeded(0))
    problems = []
    if list(got or []) != [2, 3, 0, 1, 2, 3, 0]:
        problems.append(("[2, 3, 0, 1, 2, 3, 0] (the start, then 6 draws)", got))
    uniform = torch.full((3, 3), 1 / 3)
    probe = "a uniform table, twice with the same seed"
    a = _call(probe, sample_bigram, uniform, 0, 50, seeded(1))
    b = _call(probe, sample_bigram, uniform, 0, 50, seeded(1))
    if list(a) != list(b):
        problems.append(
            ("the same ids for the same generator seed", "different ids: use the generator")
        )
    return problems


def _trigram_reference(data, vocab_size, k):
    counts = torch.zeros(vocab_size, vocab_size, vocab_size)
    for a, b, c in zip(data[:-2].tolist(), data[1:-1].tolist(), data[2:].tolist(), strict=True):
        counts[a, b, c] += 1
    counts += k
    return counts / counts.sum(-1, keepdim=True)


@_checker(
    "trigram_probs",
    hint="number each triple (a * V + b) * V + c, torch.bincount(..., minlength=V ** 3), "
    ".view(V, V, V), add k, divide each [a, b] row by its sum",
)
def check_trigram_probs(trigram_probs):
    """Exercise 3 of notebook 03: trigram_probs(data, vocab_size, k) -> (V, V, V) table of
    P(next = c | a, b) with add-k smoothing."""
    g = torch.Generator().manual_seed(0)
    data = torch.cat([torch.randint(5, (300,), generator=g), torch.tensor([4, 4, 4])])
    # (what the probe is, data, k); data % 4 never uses id 4, as a validation text may lack a rare
    # character of the vocabulary: its rows must still be there, uniform
    probes = [
        ("300 random ids < 5, k=1", data, 1.0),
        ("the same ids, k=0.5", data, 0.5),
        ("ids that never use id 4 (vocab_size=5), k=1", data % 4, 1.0),
    ]
    for probe, ids, k in probes:
        got = _call(probe, trigram_probs, ids.clone(), 5, k)
        expected = _trigram_reference(ids, 5, k)
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != (5, 5, 5):
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else got
            return [(f"a tensor of shape (5, 5, 5) for {probe}", shape)]
        got = got.float()
        if _same(got, expected):
            continue
        if not torch.allclose(got.sum(-1), torch.ones(5, 5), atol=1e-4):
            return [
                (
                    "every row probs[a, b] sums to 1 over the next character c",
                    f"probs[0, 0].sum() = {got[0, 0].sum().item():.4f} ({probe})",
                )
            ]
        if k != 1.0 and _same(got, _trigram_reference(ids, 5, 1.0)):
            return [(f"counts + k with k={k}", "counts + 1: use the argument k")]
        a, b = divmod(int((got - expected).abs().sum(-1).argmax()), 5)
        rounded = [round(v, 3) for v in expected[a, b].tolist()]
        return [
            (
                f"probs[{a}, {b}] = {rounded} (the counts of the triples {a}, {b}, c plus k, "
                f"divided by their sum; {probe})",
                [round(v, 3) for v in got[a, b].tolist()],
            )
        ]
    return []


# --- notebooks 04-07: attention and blocks --------------------------------------------------------


def _same(a, b):
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def _causal_average_problem(x, got):
    """None if `got` is the running mean of x over time."""
    T = x.shape[1]
    expected = torch.cumsum(x, dim=1) / torch.arange(1, T + 1).view(1, T, 1)
    if not isinstance(got, torch.Tensor) or got.shape != x.shape:
        return (f"a tensor of shape {tuple(x.shape)}", getattr(got, "shape", got))
    if _same(got, expected):
        return None
    if torch.allclose(got, x.mean(1, keepdim=True).expand_as(x), atol=1e-5):
        return (
            "each position averages only itself and the past",
            "the average over all positions (the future leaks in)",
        )
    return (
        f"out[0, :, 0] = {[round(v, 3) for v in expected[0, :, 0].tolist()]}",
        [round(v, 3) for v in got[0, :, 0].tolist()],
    )


@_checker(
    "causal_average",
    hint="wei = torch.tril(torch.ones(T, T)); wei = wei / wei.sum(1, keepdim=True); wei @ x",
)
def check_causal_average(causal_average):
    """Exercise of notebook 04: out[b, t] = mean of x[b, :t+1], for x of shape (B, T, C)."""
    g = torch.Generator().manual_seed(0)
    for shape in [(2, 6, 3), (1, 3, 2)]:  # a second T: T must come from x, not from the notebook
        x = torch.randn(shape, generator=g)
        problem = _causal_average_problem(
            x, _call(f"x of shape {shape}", causal_average, x.clone())
        )
        if problem:
            return [problem]
    return []


def _window_average(x, w):
    T = x.shape[1]
    return torch.stack([x[:, max(0, t - w + 1) : t + 1].mean(1) for t in range(T)], dim=1)


@_checker(
    "window_average",
    hint="keep s <= t and s > t - w: torch.tril(ones) * torch.triu(ones, diagonal=-(w - 1)), "
    "each row divided by its sum, @ x",
)
def check_window_average(window_average):
    """Exercise 2 of notebook 04: out[b, t] = mean of x[b, t-w+1 .. t] (fewer at the start)."""
    g = torch.Generator().manual_seed(0)
    # a second T (T must come from x) and two edge cases: w=1 is x itself, w >= T the whole past
    for shape, w in [((2, 8, 3), 3), ((1, 5, 2), 1), ((2, 4, 2), 10)]:
        x = torch.randn(shape, generator=g)
        got = _call(f"x of shape {shape}, w={w}", window_average, x.clone(), w)
        expected = _window_average(x, w)
        if not isinstance(got, torch.Tensor) or got.shape != x.shape:
            return [(f"a tensor of shape {shape}", getattr(got, "shape", got))]
        if _same(got, expected):
            continue
        if w < shape[1] and _same(got, _window_average(x, shape[1])):
            return [(f"each position averages its last {w} positions", "the whole past")]
        if _same(got, _window_average(x, w + 1)):
            return [
                (f"each position averages {w} positions (itself and {w - 1} before)", f"{w + 1}")
            ]
        return [
            (
                f"out[0, :, 0] = {[round(v, 3) for v in expected[0, :, 0].tolist()]} "
                f"for x of shape {shape}, w={w}",
                [round(v, 3) for v in got[0, :, 0].tolist()],
            )
        ]
    return []


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


def _attend(head, x, scale):
    """What a head with `head`'s layers computes when its scores are scaled by `scale`."""
    T = x.shape[1]
    wei = head.query(x) @ head.key(x).transpose(-2, -1) * scale
    wei = wei.masked_fill(torch.ones(T, T).tril() == 0, float("-inf"))
    return torch.softmax(wei, -1) @ head.value(x)


@_checker(
    "Head",
    hint="wei = q @ k.transpose(-2, -1) * head_size ** -0.5, masked_fill with "
    "self.tril[:T, :T], softmax, @ v",
)
def check_head(MyHead):
    """Exercise of notebook 05: a Head written from memory, same attribute names as the lecture."""
    from helpers import Head

    n_embd, head_size, context_length = 16, 8, 8
    mine, x, problems = _build_and_call(
        MyHead, (n_embd, head_size, context_length), head_size, "(B, T, head_size)"
    )
    if problems:
        return problems
    reference = Head(n_embd, head_size, context_length)
    parts = ("key", "query", "value")
    try:
        for part in parts:
            getattr(mine, part).weight.data.copy_(getattr(reference, part).weight.data)
    except (AttributeError, RuntimeError) as error:
        return [("linear layers named key, query and value (bias=False)", str(error))]
    with_bias = [part for part in parts if getattr(getattr(mine, part), "bias", None) is not None]
    if with_bias:  # nn.Linear adds a bias unless told otherwise; the lecture's layers have none
        problems.append(
            (
                "key, query and value without bias (bias=False)",
                f"a bias in {', '.join(with_bias)} (nn.Linear's default is bias=True)",
            )
        )
    causal = _causality_problem(mine, x)
    if causal:
        problems.append(causal)
    if problems:
        return problems
    with torch.no_grad():
        got = _call("an input of shape (2, 8, 16)", mine, x)
        # the usual slips, recomputed with the same weights, to name them when they match
        unscaled = _attend(reference, x, 1.0)
        by_n_embd = _attend(reference, x, n_embd**-0.5)
        expected = reference(x)
    if _same(got, expected):
        return []
    if _same(got, unscaled):
        return [("scores scaled by head_size ** -0.5", "unscaled scores")]
    if _same(got, by_n_embd):
        return [
            (
                "scores scaled by head_size ** -0.5",
                "scores scaled by C ** -0.5 (n_embd, as shown in the video; the lecture's "
                "code fixed this to head_size ** -0.5)",
            )
        ]
    return [("the same output as helpers.Head with the same weights", "a different output")]


@_checker(
    "MultiHeadAttention",
    hint="nn.ModuleList of Heads, torch.cat([h(x) for h in self.heads], dim=-1), then "
    "self.proj = nn.Linear(num_heads * head_size, n_embd)",
)
def check_multi_head(MyMultiHeadAttention):
    """Exercise of notebook 06: MultiHeadAttention(n_embd, num_heads, head_size, context_length)."""
    from helpers import MultiHeadAttention

    mine, x, problems = _build_and_call(MyMultiHeadAttention, (16, 4, 4, 8), 16, "(B, T, n_embd)")
    if problems:
        return problems
    reference = MultiHeadAttention(16, 4, 4, 8)
    try:
        mine.load_state_dict(reference.state_dict())
    except RuntimeError as error:
        problems.append(
            (
                "parameters named like the lecture's: heads.N.key/query/value, proj",
                str(error).splitlines()[0],
            )
        )
    causal = _causality_problem(mine, x)
    if causal:
        problems.append(causal)
    if problems:
        return problems
    with torch.no_grad():
        if not _same(_call("an input of shape (2, 8, 16)", mine, x), reference(x)):
            problems.append(
                (
                    "the same output as helpers.MultiHeadAttention with the same weights",
                    "a different output",
                )
            )
    return problems


def _post_ln(block, x):
    x = block.ln1(x + block.sa(x))
    return block.ln2(x + block.ffwd(x))


def _block_with_blocks_weights(MyBlock):
    """The learner's block for (n_embd 16, 4 heads, context 8), holding the weights of a
    helpers.Block of that shape, and checked for causality: (mine, reference, x, problems)."""
    from helpers import Block

    mine, x, problems = _build_and_call(MyBlock, (16, 4, 8), 16, "the shape of the input")
    if problems:
        return mine, None, x, problems
    reference = Block(16, 4, 8)
    try:
        mine.load_state_dict(reference.state_dict())
    except RuntimeError as error:
        first_line = str(error).splitlines()[0]
        problems.append(("parameters named like Block's: sa, ffwd, ln1, ln2", first_line))
    causal = _causality_problem(mine, x)
    if causal:
        problems.append(causal)
    return mine, reference, x, problems


@_checker(
    "Block", hint="pre-LN: normalise the input of each sub-layer, add the sub-layer's output to x"
)
def check_block(MyBlock):
    """Exercise of notebook 07: a pre-LayerNorm Block(n_embd, n_head, context_length) with residuals."""
    mine, reference, x, problems = _block_with_blocks_weights(MyBlock)
    if problems:
        return problems
    with torch.no_grad():
        got, expected = _call("an input of shape (2, 8, 16)", mine, x), reference(x)
        post_ln = _post_ln(reference, x)
        no_residual = reference.ffwd(reference.ln2(reference.sa(reference.ln1(x))))
    if _same(got, no_residual):
        problems.append(
            (
                "x = x + self.sa(self.ln1(x)); x = x + self.ffwd(self.ln2(x))",
                "no residual connections",
            )
        )
    elif _same(got, post_ln):
        problems.append(
            (
                "LayerNorm before each sub-layer (pre-LN)",
                "LayerNorm after the residual sum (post-LN, as in the 2017 paper)",
            )
        )
    elif not _same(got, expected):
        problems.append(
            ("the same output as helpers.Block with the same weights", "a different output")
        )
    return problems


def _window_weights(head, x, window, scale=None):
    """The weights of `head` when position t reads only positions t - window + 1 .. t."""
    T = x.shape[1]
    q, k = head.query(x), head.key(x)
    scale = k.shape[-1] ** -0.5 if scale is None else scale
    t = torch.arange(T)
    allowed = (t[None, :] <= t[:, None]) & (t[None, :] > t[:, None] - window)
    wei = (q @ k.transpose(-2, -1) * scale).masked_fill(~allowed, float("-inf"))
    return torch.softmax(wei, dim=-1)


@_checker(
    "window_attention_weights",
    hint="allowed = (s <= t) & (s > t - window) with t = torch.arange(T)[:, None] and "
    "s = torch.arange(T)[None, :]; masked_fill(~allowed, -inf) before the softmax",
)
def check_window_attention_weights(window_attention_weights):
    """Exercise 2 of notebook 05: window_attention_weights(head, x, window) -> (B, T, T) weights
    in which position t reads only itself and the window - 1 positions before it."""
    from helpers import Head

    torch.manual_seed(0)
    head = Head(16, 8, 8)
    g = torch.Generator().manual_seed(1)
    # T=5: shorter than the head's context_length; window 8 >= T: the plain causal weights
    for shape, window in [((2, 8, 16), 3), ((1, 5, 16), 2), ((2, 6, 16), 8)]:
        x = torch.randn(shape, generator=g)
        probe = f"Head(16, 8, 8), x of shape {shape}, window={window}"
        with torch.no_grad():
            got = _call(probe, window_attention_weights, head, x.clone(), window)
            expected = _window_weights(head, x, window)
            wider = _window_weights(head, x, window + 1)
            unscaled = _window_weights(head, x, window, scale=1.0)
        B, T, _ = shape
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != (B, T, T):
            return [(f"weights of shape {(B, T, T)} for {probe}", getattr(got, "shape", got))]
        got = got.detach()
        if _same(got, expected):
            continue
        if not torch.allclose(got.sum(-1), torch.ones(B, T), atol=1e-4):
            return [
                (
                    "each row of weights sums to 1 (mask with -inf before the softmax)",
                    f"row sums {[round(v, 3) for v in got[0].sum(-1).tolist()]}",
                )
            ]
        if window < T and _same(got, _window_weights(head, x, T)):
            return [(f"position t reads only its last {window} positions", "the whole past")]
        if _same(got, wider):
            return [(f"{window} positions per row (itself and {window - 1} before)", window + 1)]
        if _same(got, unscaled):
            return [("scores scaled by head_size ** -0.5, as in Head", "unscaled scores")]
        return [
            (
                f"row {T - 1} = {[round(v, 3) for v in expected[0, -1].tolist()]} for {probe}",
                [round(v, 3) for v in got[0, -1].tolist()],
            )
        ]
    return []


@_checker(
    "mha_param_count",
    hint="each head: 3 matrices of n_embd x head_size (no bias); proj: a "
    "(num_heads * head_size) x n_embd matrix plus n_embd biases",
)
def check_mha_param_count(mha_param_count):
    """Exercise 2 of notebook 06: mha_param_count(n_embd, num_heads, head_size) -> the number of
    parameters of MultiHeadAttention(n_embd, num_heads, head_size, context_length)."""
    from helpers import MultiHeadAttention

    problems = []
    # (16, 3, 4): heads that do not fill n_embd (3 * 4 = 12 channels), which the class allows
    for n_embd, num_heads, head_size in [(32, 4, 8), (32, 1, 32), (16, 3, 4), (384, 6, 64)]:
        shape = f"n_embd={n_embd}, num_heads={num_heads}, head_size={head_size}"
        got = _call(shape, mha_param_count, n_embd, num_heads, head_size)
        module = MultiHeadAttention(n_embd, num_heads, head_size, 8)
        expected = sum(p.numel() for p in module.parameters())
        if got == expected:
            continue
        concat = num_heads * head_size
        known = {
            n_embd: "the n_embd biases of proj are missing",
            concat * n_embd + n_embd: "proj is missing",
            -3 * concat: "key, query and value have no bias (bias=False)",
            concat * n_embd - n_embd * n_embd: "proj maps num_heads * head_size channels, "
            "not n_embd, back to n_embd",
        }
        why = known.get(expected - got) if isinstance(got, int) else None
        problems.append((f"{expected:,} for {shape}", f"{got}" + (f" ({why})" if why else "")))
    return problems


@_checker(
    "PostLNBlock",
    hint="subclass Block and write only forward: x = self.ln1(x + self.sa(x)); "
    "return self.ln2(x + self.ffwd(x))",
)
def check_post_ln_block(MyPostLNBlock):
    """Exercise 2 of notebook 07: a post-LayerNorm Block(n_embd, n_head, context_length) with the
    parameter names of Block (sa, ffwd, ln1, ln2)."""
    mine, reference, x, problems = _block_with_blocks_weights(MyPostLNBlock)
    if problems:
        return problems
    with torch.no_grad():
        got = _call("an input of shape (2, 8, 16)", mine, x)
        expected, pre_ln = _post_ln(reference, x), reference(x)
        no_residual = reference.ln2(reference.ffwd(reference.ln1(reference.sa(x))))
    if _same(got, expected):
        return []
    if _same(got, pre_ln):
        return [
            (
                "LayerNorm after each residual sum (post-LN): x = ln1(x + sa(x))",
                "LayerNorm before each sub-layer (pre-LN): that is Block itself",
            )
        ]
    if _same(got, no_residual):
        return [("x + sa(x) inside ln1, x + ffwd(x) inside ln2", "no residual connections")]
    return [
        (
            "ln2(y + ffwd(y)) with y = ln1(x + sa(x)), same weights as helpers.Block",
            "a different output",
        )
    ]


# --- notebooks 08 and 10: the full model -----------------------------------------------------------


@_checker(
    "sample_next",
    hint="if temperature == 0: argmax; else logits / temperature, "
    "torch.topk(..., min(top_k, V)), softmax, multinomial",
)
def check_sample_next(my_sample_next):
    """Exercise of notebook 08: my_sample_next(logits, temperature, top_k) -> ids of shape (B, 1)."""
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.5], [0.0, 0.0, 5.0, 1.0]])
    problems = []
    try:
        got = _call("temperature 0", my_sample_next, logits, 0.0, None)
    except _LearnerError as raised:  # typically dividing by 0: shown as the answer, still a fail
        got = f"{type(raised.error).__name__}: {raised.error}"
    if not isinstance(got, torch.Tensor) or got.shape != (2, 1) or got.flatten().tolist() != [1, 2]:
        problems.append(
            ("temperature 0: the likeliest ids [[1], [2]] (greedy, no division by zero)", got)
        )
    torch.manual_seed(0)
    draws = [_call("temperature 1, top_k=2", my_sample_next, logits, 1.0, 2) for _ in range(200)]
    drawn = set(torch.cat(draws, dim=1)[0].tolist())
    if not drawn <= {1, 2}:
        problems.append(("top_k=2 keeps only ids {1, 2} in row 0", sorted(drawn)))
    if len(drawn) < 2:
        problems.append(("both of the top 2 ids drawn sometimes at temperature 1", sorted(drawn)))
    # the temperature must change the odds: logits [2, 0] give id 0 with probability 0.62 at
    # temperature 4 and 0.9997 at 0.25, but 0.88 to a sampler that ignores the temperature
    pair = torch.tensor([[2.0, 0.0]]).repeat(1000, 1)
    for temperature, low, high in ((4.0, 0.5, 0.75), (0.25, 0.97, 1.0)):
        torch.manual_seed(0)
        ids = _call(f"temperature {temperature}", my_sample_next, pair, temperature, None)
        share = (ids == 0).float().mean().item()
        if not low <= share <= high:
            problems.append(
                (
                    f"temperature {temperature}: id 0 of logits [2, 0] drawn "
                    f"{'less' if temperature > 1 else 'more'} often than at temperature 1 "
                    f"(share {low:.2f} to {high:.2f}): divide the logits by the temperature",
                    f"share {share:.2f}",
                )
            )
    big = _call("top_k=100, larger than the vocabulary of 4", my_sample_next, logits, 1.0, 100)
    if not isinstance(big, torch.Tensor) or big.shape != (2, 1):
        problems.append(
            (
                "top_k larger than the vocabulary: clamp it, ids of shape (2, 1)",
                getattr(big, "shape", big),
            )
        )
    return problems


def _writable(tokenizer, probes):
    """The probes (strings, or tuples of strings) written only with the model's characters; on a
    text where none can be written (your own text), probes made of its own characters instead."""
    vocab = set(tokenizer.chars)
    kept = [p for p in probes if set("".join(p) if isinstance(p, tuple) else p) <= vocab]
    if kept:
        return kept
    chars = "".join(tokenizer.chars)
    made = [chars[1:6], chars[-5:], chars[len(chars) // 2 :][:8]]
    return [(m[:-2], m[-2:]) for m in made] if isinstance(probes[0], tuple) else made


@_checker(
    "most_likely_next",
    hint="idx = torch.tensor([ids], device=next(model.parameters()).device) (the model's device: "
    "on a GPU a CPU tensor fails); logits, _ = model(idx); take logits[0, -1].argmax() and "
    "decode it",
)
def check_most_likely_next(most_likely_next, model, tokenizer):
    """Exercise of notebook 10: the single most likely next character after a prompt."""
    from helpers.course.playground import next_char_probs

    problems = []
    prompts = _writable(tokenizer, ("ROMEO", "To be or not to b", "First Citizen:\n"))
    for prompt in prompts:
        got = _call(f"the prompt {prompt!r}", most_likely_next, model, tokenizer, prompt)
        probs, _ = next_char_probs(model, tokenizer, prompt)
        expected = tokenizer.itos[int(probs.argmax())]
        if got != expected:
            problems.append((f"{expected!r} after {prompt!r}", got))
    return problems


def _gpt_params(config, tied):
    from helpers import GPT

    torch.manual_seed(0)
    model = GPT(config)
    if tied:
        model.lm_head.weight = model.token_embedding_table.weight
    return sum(p.numel() for p in model.parameters())  # a shared tensor counts once


@_checker(
    "gpt_param_count",
    hint="embeddings (vocab_size + context_length) * n_embd; per block 12 * n_embd**2 + "
    "10 * n_embd; ln_f 2 * n_embd; lm_head n_embd * vocab_size + vocab_size; tied: the "
    "lm_head's weight is the embedding's, its bias stays",
)
def check_gpt_param_count(gpt_param_count):
    """Exercise 2 of notebook 08: gpt_param_count(config, tied) -> the number of parameters of
    GPT(config), with the output head's weight tied to the token embedding when tied=True."""
    from helpers import GPTConfig

    problems = []
    for shape in [(65, 64, 64, 4, 2), (11, 8, 16, 2, 3), (100, 32, 48, 3, 1)]:
        config = GPTConfig(*shape, dropout=0.0)
        V, L, C, _, _ = shape
        for tied in (False, True):
            probe = f"{config}, tied={tied}"
            got = _call(probe, gpt_param_count, config, tied)
            expected = _gpt_params(config, tied)
            if got == expected:
                continue
            known = {
                V * C: "vocab_size * n_embd too few: is the lm_head's weight missing?",
                -V * C: "the shared weight counted twice: tied, lm_head's weight IS the "
                "token embedding's",
                V: "lm_head's bias missing (tying shares the weight only)",
                V * C + V: "lm_head missing",
                L * C: "the position embedding missing",
                2 * C: "ln_f missing",
            }
            why = known.get(expected - got) if isinstance(got, int) else None
            problems.append((f"{expected:,} for {probe}", f"{got}" + (f" ({why})" if why else "")))
        if problems:
            return problems
    return problems


def _top_p(logits, p):
    """The reference: logits outside the nucleus (the fewest likeliest ids whose probabilities
    add up to at least p) set to -inf, in the original order."""
    probs, order = torch.softmax(logits, dim=-1).sort(dim=-1, descending=True)
    before = probs.cumsum(dim=-1) - probs  # probability of the ids ranked above each one
    drop = (before >= p).scatter(-1, order, before >= p)
    return logits.masked_fill(drop, float("-inf"))


@_checker(
    "top_p_filter",
    hint="sort the probabilities (descending), cumsum; an id stays while the ids ranked above it "
    "add up to less than p (so the likeliest always stays); set the others' logits to -inf in "
    "the original order (scatter, or index with the sort order)",
)
def check_top_p(top_p_filter):
    """Exercise 3 of notebook 08: top_p_filter(logits, p) -> logits of shape (B, V) with every id
    outside the nucleus set to -inf."""
    probs = torch.tensor([[0.15, 0.5, 0.05, 0.3], [0.1, 0.2, 0.3, 0.4]])
    logits = probs.log()
    problems = []
    for p, what in [
        (0.6, "row 0: 0.5 is short of 0.6, 0.5 + 0.3 reaches it: ids 1 and 3 stay, in place"),
        (0.45, "row 0: 0.5 alone reaches 0.45: only id 1"),
        (0.01, "the likeliest id always stays"),
        (1.0, "p = 1 keeps every id"),
    ]:
        got = _call(f"p={p}", top_p_filter, logits.clone(), p)
        expected = _top_p(logits, p)
        if not isinstance(got, torch.Tensor) or got.shape != logits.shape:
            problems.append(
                (f"logits of shape {tuple(logits.shape)} for p={p}", getattr(got, "shape", got))
            )
        elif not torch.equal(torch.isinf(got), torch.isinf(expected)):
            kept = [torch.nonzero(~torch.isinf(row)).flatten().tolist() for row in got]
            want = [torch.nonzero(~torch.isinf(row)).flatten().tolist() for row in expected]
            problems.append((f"p={p}: ids kept per row {want} ({what})", f"ids kept {kept}"))
        elif not torch.allclose(got[~torch.isinf(got)], logits[~torch.isinf(expected)]):
            problems.append((f"p={p}: the kept logits unchanged", "the kept logits were changed"))
    return problems


def _continuation_logprob(model, tokenizer, prompt, continuation):
    ids = tokenizer.encode(prompt + continuation)
    device = next(model.parameters()).device
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids[:-1]], device=device))
    logprobs = torch.log_softmax(logits[0].float().cpu(), dim=-1)
    start = len(tokenizer.encode(prompt)) - 1  # the position that predicts the first new char
    targets = torch.tensor(ids[start + 1 :])
    per_char = logprobs[start:].gather(-1, targets[:, None])[:, 0]
    return per_char.sum().item(), per_char


@_checker(
    "continuation_logprob",
    hint="ids = encode(prompt + continuation); logits, _ = model(ids[:-1]); log_softmax; "
    "add up the log-probabilities of the continuation's ids at the positions that predict them",
)
def check_continuation_logprob(continuation_logprob, model, tokenizer):
    """Exercise 2 of notebook 10: continuation_logprob(model, tokenizer, prompt, continuation) ->
    ln P(continuation | prompt), a float: the sum over the continuation's characters."""
    probes = _writable(
        tokenizer, [("ROMEO", ":\n"), ("First", " Citizen"), ("To be or not to b", "e")]
    )
    if not all(ch in tokenizer.stoi for pair in probes for ch in "".join(pair)):
        # another text than tinyshakespeare: probes of the same lengths from its own characters
        text = "".join(tokenizer.itos[i % tokenizer.vocab_size] for i in range(18))
        probes = [(text[:5], text[5:7]), (text[:5], text[5:13]), (text[:17], text[17])]
    problems = []
    for prompt, continuation in probes:
        probe = f"prompt {prompt!r}, continuation {continuation!r}"
        got = _as_float(_call(probe, continuation_logprob, model, tokenizer, prompt, continuation))
        expected, per_char = _continuation_logprob(model, tokenizer, prompt, continuation)
        if isinstance(got, float) and math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-3):
            continue
        whole, _ = _continuation_logprob(model, tokenizer, prompt[:1], prompt[1:] + continuation)
        known = [
            (per_char.mean().item(), "the mean per character: add them up instead"),
            (whole, "the prompt's own characters scored too"),
            (-expected, "the sign flipped: a log-probability is at most 0"),
            (expected / math.log(2), "in bits: use the natural log (log_softmax)"),
        ]
        why = next(
            (
                text
                for value, text in known
                if isinstance(got, float) and math.isclose(got, value, rel_tol=1e-4, abs_tol=1e-3)
            ),
            None,
        )
        problems.append((f"{expected:.4f} for {probe}", f"{got}" + (f" ({why})" if why else "")))
    return problems


# --- notebook 09: training it well ------------------------------------------------------------


def _schedule(step, cfg):
    """notebook 09's lr_at without a time budget (progress = step / max_iters)."""
    if step < cfg.warmup_iters:
        return cfg.learning_rate * (step + 1) / cfg.warmup_iters
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(step / cfg.max_iters, 1.0)))
    return cfg.min_lr + cosine * (cfg.learning_rate - cfg.min_lr)


@_checker(
    "lr schedule",
    hint="warmup: learning_rate * (step + 1) / warmup_iters; then "
    "min_lr + 0.5 * (learning_rate - min_lr) * (1 + cos(pi * step / max_iters))",
)
def check_lr_schedule(my_lr_at):
    """Exercise 1 of notebook 09: my_lr_at(step, cfg) -> the learning rate at `step`."""
    from types import SimpleNamespace

    configs = [
        SimpleNamespace(learning_rate=3e-3, min_lr=3e-4, warmup_iters=100, max_iters=5000),
        SimpleNamespace(learning_rate=1e-3, min_lr=1e-4, warmup_iters=10, max_iters=200),
        SimpleNamespace(learning_rate=6e-4, min_lr=6e-5, warmup_iters=0, max_iters=1000),
    ]
    problems = []
    for cfg in configs:
        steps = sorted({0, max(cfg.warmup_iters - 1, 0), cfg.warmup_iters, cfg.max_iters // 2,
                        3 * cfg.max_iters // 4, cfg.max_iters - 1, cfg.max_iters})  # fmt: skip
        for step in steps:
            want = _schedule(step, cfg)
            got = _call(f"step {step} of {cfg}", my_lr_at, step, cfg)
            if not isinstance(got, (int, float)) or not math.isclose(got, want, rel_tol=1e-6):
                what = "the warmup" if step < cfg.warmup_iters else "the cosine decay"
                if step == cfg.max_iters:
                    what = "the end of the decay: min_lr, not 0"
                problems.append((f"{want:.4g} at step {step} ({what}; {cfg})", got))
                break  # one mistake per schedule is enough to show
    return problems


def _tiny_model_and_text():
    from helpers.gpt import GPT, GPTConfig

    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, context_length=8, n_embd=16, n_head=2, n_layer=1))
    data = torch.randint(11, (500,), generator=torch.Generator().manual_seed(1))
    return model.eval(), data


@_checker(
    "bits per character",
    hint="the mean loss over every window of data, as evaluate(model, data, context_length) "
    "gives it, divided by math.log(2)",
)
def check_bits_per_character(bits_per_character):
    """Exercise 2 of notebook 09: bits_per_character(model, data, context_length) -> a float."""
    from helpers.training import evaluate

    model, data = _tiny_model_and_text()
    nats = evaluate(model, data, 8)
    want = nats / math.log(2)
    got = _call("a tiny GPT on 500 ids", bits_per_character, model, data, 8)
    got = _as_float(got)
    if not isinstance(got, float) or not math.isclose(got, want, rel_tol=1e-4):
        if isinstance(got, float) and math.isclose(got, nats, rel_tol=1e-4):
            return [(f"{want:.4f} bits: the loss in nats is {nats:.4f}; divide by ln 2", got)]
        return [(f"{want:.4f} bits (every character of data once, in base 2)", got)]
    return []


# --- notebook 13 -------------------------------------------------------------------------------


@_checker(
    "batch_shares",
    hint="divmod(global_batch, world_size) gives the rows every rank takes and how many are left "
    "over; give the first `left over` ranks one row more",
)
def check_batch_shares(batch_shares):
    """Exercise 1 of notebook 13: batch_shares(global_batch, world_size) -> the rows each rank
    takes, as even as possible, the first ranks one more where it does not divide."""
    problems = []
    for global_batch, world_size in [(64, 2), (9, 2), (10, 4), (3, 3), (7, 1), (64, 3)]:
        base, extra = divmod(global_batch, world_size)
        expected = [base + (r < extra) for r in range(world_size)]
        probe = f"global_batch={global_batch}, world_size={world_size}"
        got = _call(probe, batch_shares, global_batch, world_size)
        if got == expected:
            continue
        got = list(got) if isinstance(got, (list, tuple)) else got
        why = ""
        if isinstance(got, list) and all(isinstance(n, int) for n in got):
            if len(got) != world_size:
                why = f" ({len(got)} shares for {world_size} ranks)"
            elif sum(got) != global_batch:
                why = f" ({sum(got)} rows in all: {global_batch - sum(got)} of the batch lost)"
            elif max(got) - min(got) > 1:
                why = " (as even as possible: shares differ by one row at most)"
            else:
                why = " (the first ranks take the extra rows)"
        problems.append((f"{expected} for {probe}", f"{got}{why}"))
    return problems


def _grads(model):
    return [p.grad.clone() if p.grad is not None else None for p in model.parameters()]


@_checker(
    "accumulated_grads",
    hint="split x and y with x.tensor_split(micro_batches); for each part, backward() on its "
    "loss * (its rows / all rows): the gradients add up in .grad",
)
def check_accumulated_grads(accumulated_grads):
    """Exercise 2 of notebook 13: accumulated_grads(model, x, y, micro_batches) leaves in every
    parameter's .grad the gradient of the mean loss over all rows of x, computed in
    `micro_batches` forward and backward passes (gradient accumulation)."""
    from helpers.gpt import GPT, GPTConfig

    torch.manual_seed(0)
    config = GPTConfig(vocab_size=11, context_length=8, n_embd=16, n_head=2, n_layer=1, dropout=0)
    model = GPT(config)
    x, y = torch.randint(11, (6, 8)), torch.randint(11, (6, 8))
    model.zero_grad(set_to_none=True)
    model(x, y)[1].backward()
    expected = _grads(model)
    problems = []
    for micro_batches in (1, 2, 3, 4):  # 6 rows in 4 micro-batches: 2, 2, 1, 1
        model.zero_grad(set_to_none=True)
        probe = f"6 rows in micro_batches={micro_batches}"
        _call(probe, accumulated_grads, model, x, y, micro_batches)
        got = _grads(model)
        if any(g is None for g in got):
            problems.append((f"every parameter's .grad set, for {probe}", "some .grad is None"))
            break
        if all(
            torch.allclose(g, e, atol=1e-6, rtol=1e-4) for g, e in zip(got, expected, strict=True)
        ):
            continue
        ratio = (got[0].norm() / expected[0].norm()).item()
        if abs(ratio - micro_batches) < 1e-3 * micro_batches and micro_batches > 1:
            why = f" ({ratio:.2f} times too large: each micro-batch's mean loss needs a weight)"
        elif micro_batches == 4:
            why = " (micro-batches of unequal size, 2, 2, 1, 1 rows: weight each by its rows / 6)"
        else:
            why = f" (its norm is {ratio:.3f} times the full batch's)"
        problems.append((f"the full batch's gradient, for {probe}", f"another gradient{why}"))
    return problems


# --- notebooks 11 and 12: the modern GPT and its training ----------------------------------


@_checker(
    "swiglu_width",
    hint="int(8 * n_embd / 3), then up to the next multiple: "
    "multiple_of * ((hidden + multiple_of - 1) // multiple_of)",
)
def check_swiglu_width(swiglu_width):
    """Exercise 1 of notebook 11: swiglu_width(n_embd, multiple_of) -> LLaMA's hidden width,
    int(8/3 n_embd) rounded up to a multiple of multiple_of."""
    problems = []
    # (4096, 256) and (5120, 256): LLaMA 7B's and 13B's published widths, 11008 and 13824
    for n_embd, multiple_of in [(4096, 256), (5120, 256), (96, 1), (100, 8), (384, 64), (100, 1)]:
        probe = f"n_embd={n_embd}, multiple_of={multiple_of}"
        got = _call(probe, swiglu_width, n_embd, multiple_of)
        hidden = int(8 * n_embd / 3)
        expected = multiple_of * ((hidden + multiple_of - 1) // multiple_of)
        if got == expected:
            continue
        known = {
            multiple_of * (hidden // multiple_of): "rounded down: then the MLP has fewer "
            "parameters than the ReLU one, not at least as many",
            4 * n_embd: "4 n_embd is the ReLU MLP's width; SwiGLU has three matrices, not two",
            hidden: "not rounded to a multiple of multiple_of",
            round(8 * n_embd / 3): "not rounded to a multiple of multiple_of",
        }
        why = known.get(got) if isinstance(got, int) and not isinstance(got, bool) else None
        problems.append((f"{expected} for {probe}", f"{got!r}" + (f" ({why})" if why else "")))
    return problems


def _interleaved(x, cos, sin):
    T = x.shape[-2]
    cos, sin = cos[:T], sin[:T]
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


@_checker(
    "rope_interleaved",
    hint="even, odd = x[..., 0::2], x[..., 1::2]; rotate each (even, odd) pair by cos[:T], "
    "sin[:T]; then torch.stack((new_even, new_odd), dim=-1).flatten(-2) puts each pair back",
)
def check_rope_interleaved(rope_interleaved):
    """Exercise 2 of notebook 11: rope_interleaved(x, cos, sin) -> RoPE with the pairs (2i, 2i+1),
    the original paper's layout, for x (..., T, head_size) and rope_tables' cos, sin."""
    from helpers.modern import apply_rope, rope_tables

    torch.manual_seed(0)
    problems = []
    cos, sin = rope_tables(8, 12)
    for shape in [(2, 3, 12, 8), (1, 1, 5, 8)]:  # the second is shorter than the tables
        x = torch.randn(shape)
        probe = f"x of shape {shape}, tables for 12 positions"
        got = _call(probe, rope_interleaved, x.clone(), cos, sin)
        expected = _interleaved(x, cos, sin)
        if isinstance(got, torch.Tensor) and _same(got, expected):
            continue
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            problems.append((f"a tensor of shape {shape}", getattr(got, "shape", got)))
            continue
        T = shape[-2]
        even, odd = x[..., 0::2], x[..., 1::2]
        c, s = cos[:T], sin[:T]
        if _same(got, apply_rope(x, cos, sin)):
            why = "that is apply_rope's layout, pairs (i, i + head_size/2), not (2i, 2i+1)"
        elif _same(got, _interleaved(x, cos, -sin)):
            why = "each pair turns the wrong way: the sines have the wrong sign"
        elif _same(got, torch.cat((even * c - odd * s, even * s + odd * c), dim=-1)):
            why = "the pairs are rotated right but not put back: channel 2i+1 must follow 2i"
        else:
            why = "another tensor"
        problems.append((f"pairs (2i, 2i+1) rotated, for {probe}", why))
    return problems


@_checker(
    "orthogonalize_svd",
    hint="U, S, Vh = torch.linalg.svd(G, full_matrices=False); return U @ Vh",
)
def check_orthogonalize_svd(orthogonalize_svd):
    """Exercise 1 of notebook 12: orthogonalize_svd(G) -> U V^T from G's singular value
    decomposition, what Muon's Newton-Schulz iteration approximates."""
    torch.manual_seed(0)
    problems = []
    for shape in [(4, 6), (6, 4), (5, 5)]:
        G = torch.randn(shape)
        probe = f"G of shape {shape}"
        got = _call(probe, orthogonalize_svd, G.clone())
        U, S, Vh = torch.linalg.svd(G, full_matrices=False)
        expected = U @ Vh
        if isinstance(got, torch.Tensor) and _same(got, expected):
            continue
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            why = (
                " (full_matrices=False keeps U and Vh to G's shape)"
                if isinstance(got, torch.Tensor)
                else ""
            )
            problems.append((f"a matrix of shape {shape}", f"{getattr(got, 'shape', got)}{why}"))
            continue
        if _same(got, G):
            why = "G itself: the singular values are still there, U S V^T"
        elif torch.allclose(got, -expected, atol=1e-5):
            why = "-U V^T: the sign is flipped"
        else:
            singular = torch.linalg.svdvals(got)
            why = f"singular values from {singular.min():.3f} to {singular.max():.3f}, not all 1"
        problems.append((f"U V^T, all singular values 1, for {probe}", why))
    return problems


def _sliding_cache_floats(config, n_tokens, batch_size):
    positions = min(n_tokens, config.context_length - 1)  # the new position makes the window
    return config.n_layer * 2 * batch_size * positions * config.n_embd  # keys and values


@_checker(
    "sliding_cache_floats",
    hint="every layer keeps keys and values, each batch_size x n_head x positions x head_size "
    "(n_head x head_size = n_embd), for min(n_tokens, context_length - 1) positions",
)
def check_sliding_cache_floats(sliding_cache_floats):
    """Exercise 2 of notebook 12: sliding_cache_floats(config, n_tokens, batch_size=1) -> how many
    numbers forward_sliding's cache holds after n_tokens ids."""
    from helpers.modern import ModernConfig

    problems = []
    small = ModernConfig(vocab_size=65, context_length=16, n_embd=24, n_head=4, n_layer=3)
    wide = ModernConfig(vocab_size=65, context_length=128, n_embd=96, n_head=4, n_layer=2)
    for config, n_tokens, batch_size in [
        (small, 5, 1),
        (small, 15, 2),
        (small, 40, 3),
        (wide, 1000, 1),
        (wide, 100, 4),
    ]:
        probe = (
            f"context_length={config.context_length}, n_embd={config.n_embd}, "
            f"n_head={config.n_head}, n_layer={config.n_layer}, n_tokens={n_tokens}, "
            f"batch_size={batch_size}"
        )
        got = _call(probe, sliding_cache_floats, config, n_tokens, batch_size=batch_size)
        expected = _sliding_cache_floats(config, n_tokens, batch_size)
        if got == expected:
            continue
        c, window = config, config.context_length
        per_position = c.n_layer * 2 * batch_size * c.n_embd
        known = {
            expected // 2: "half of it: the cache keeps the keys and the values",
            c.n_layer * 2 * batch_size * n_tokens * c.n_embd: "every position kept: the cache "
            "slides, keeping at most context_length - 1 past positions",
            per_position * min(n_tokens, window): "context_length positions: the cache keeps "
            "context_length - 1, the new position completes the window",
            expected // c.n_layer: "one layer's cache: every layer keeps its own",
            expected // batch_size: "batch_size left out: each row of the batch has its own cache",
            expected // c.n_head: "one head's share: n_head heads of head_size numbers are n_embd",
        }
        known.pop(expected, None)
        why = known.get(got) if isinstance(got, int) and not isinstance(got, bool) else None
        problems.append((f"{expected} for {probe}", f"{got!r}" + (f" ({why})" if why else "")))
    return problems
