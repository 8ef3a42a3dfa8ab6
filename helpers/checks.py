"""Automatic feedback for the exercises at the end of each notebook.

Each `check_...` runs your code on small inputs and prints either a tick or what was expected,
what came back and a hint. It returns True or False and never raises, so "Run All" keeps going
while an exercise is unfinished. Solutions are in notebooks/solutions/.
"""

import math

import torch


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


def _run(name, fn, *args, **kwargs):
    """Call the learner's function; (True, result) or (False, None) after printing why."""
    try:
        return True, fn(*args, **kwargs)
    except NotImplementedError:
        print(f"… {name}: not attempted yet (replace the `raise NotImplementedError` with your code)")
    except Exception as error:  # the learner's bug: show it, do not crash the notebook
        print(f"✗ {name}: your code raised {type(error).__name__}: {error}")
    return False, None


# --- notebook 01 -------------------------------------------------------------------------------


def check_most_common(most_common):
    """Exercise 1 of notebook 01: most_common(text, n) -> the n most frequent (character, count)."""
    name = "most_common"
    ok, got = _run(name, most_common, "abracadabra", 3)
    if not ok:
        return False
    expected = [("a", 5), ("b", 2), ("r", 2)]
    problems = [] if list(got or []) == expected else [(expected, got)]
    return _report(name, problems, "collections.Counter(text).most_common(n) does the counting")


def check_encode_lossy(encode_lossy, tokenizer):
    """Exercise 2 of notebook 01: encode_lossy(tokenizer, s, replacement) replaces unknown characters."""
    name = "encode_lossy"
    ok, got = _run(name, encode_lossy, tokenizer, "Hi wörld!", " ")
    if not ok:
        return False
    expected = tokenizer.encode("Hi w rld!")
    problems = [] if list(got or []) == expected else [(f"{expected} (the ids of 'Hi w rld!')", got)]
    ok, got = _run(name, encode_lossy, tokenizer, "plain text", " ")
    if ok and list(got or []) != tokenizer.encode("plain text"):
        problems.append(("known characters encoded as usual", got))
    return _report(name, problems, "replace each ch not in tokenizer.stoi, then call tokenizer.encode")


# --- notebook 02 -------------------------------------------------------------------------------


def check_examples_per_batch(examples_per_batch):
    """Exercise 2 of notebook 02: how many (context -> target) examples one batch holds."""
    name = "examples_per_batch"
    problems = []
    for b, t in [(32, 8), (4, 8), (1, 256)]:
        ok, got = _run(name, examples_per_batch, b, t)
        if not ok:
            return False
        if got != b * t:
            problems.append((f"{b * t} for batch_size={b}, context_length={t}", got))
    return _report(name, problems, "every row holds one example per position")


def check_iterate_batches(iterate_batches):
    """Exercise 3 of notebook 02: walk through data in order, in non-overlapping chunks."""
    name = "iterate_batches"
    data = torch.arange(50)
    ok, batches = _run(name, lambda: list(iterate_batches(data, 2, 4)))
    if not ok:
        return False
    problems = []
    if not batches:
        return _report(name, [("a list of (x, y) batches", "nothing")], "use yield inside a loop")
    xs = torch.cat([x.reshape(-1) for x, _ in batches])
    ys = torch.cat([y.reshape(-1) for _, y in batches])
    if any(x.shape[-1] != 4 for x, _ in batches):
        problems.append(("chunks of context_length=4", [tuple(x.shape) for x, _ in batches]))
    if not torch.equal(ys, xs + 1):
        problems.append(("y equal to x shifted by one", "a different y"))
    if not torch.equal(xs, torch.arange(len(xs))):
        problems.append(("the chunks in order, without overlap: 0, 1, 2, ...", xs[:12].tolist()))
    if len(xs) < 44:
        problems.append(("at least 44 of the 49 possible inputs covered", len(xs)))
    return _report(name, problems, "step the start index by context_length; stop when start + context_length + 1 > len(data)")


# --- notebook 03 -------------------------------------------------------------------------------


def check_bigram_nll(bigram_nll):
    """Exercise 3 of notebook 03: mean negative log-likelihood of data under a probability table."""
    name = "bigram_nll"
    g = torch.Generator().manual_seed(0)
    probs = torch.rand(5, 5, generator=g)
    probs = probs / probs.sum(1, keepdim=True)
    data = torch.randint(5, (200,), generator=g)
    ok, got = _run(name, bigram_nll, probs, data)
    if not ok:
        return False
    expected = -torch.log(probs[data[:-1], data[1:]]).mean().item()
    got_value = float(got) if isinstance(got, (int, float, torch.Tensor)) else got
    problems = []
    if not isinstance(got_value, float) or not math.isclose(got_value, expected, rel_tol=1e-4):
        problems.append((f"{expected:.4f}", got_value))
    uniform = torch.full((5, 5), 0.2)
    ok, got = _run(name, bigram_nll, uniform, data)
    if ok and not math.isclose(float(got), math.log(5), rel_tol=1e-4):
        problems.append((f"ln(5) = {math.log(5):.4f} for a uniform table", float(got)))
    return _report(name, problems, "pairs are (data[:-1], data[1:]); take -log of probs at those pairs, then the mean")


def check_sample_bigram(sample_bigram):
    """Exercise 2 of notebook 03: sample_bigram(probs, start, n, generator) -> list of n+1 ids."""
    name = "sample_bigram"
    cycle = torch.zeros(4, 4)
    for i in range(4):
        cycle[i, (i + 1) % 4] = 1.0  # 0 -> 1 -> 2 -> 3 -> 0: no randomness left
    ok, got = _run(name, sample_bigram, cycle, 2, 6, torch.Generator().manual_seed(0))
    if not ok:
        return False
    problems = []
    if list(got or []) != [2, 3, 0, 1, 2, 3, 0]:
        problems.append(("[2, 3, 0, 1, 2, 3, 0] (the start, then 6 draws)", got))
    uniform = torch.full((3, 3), 1 / 3)
    ok, a = _run(name, sample_bigram, uniform, 0, 50, torch.Generator().manual_seed(1))
    ok2, b = _run(name, sample_bigram, uniform, 0, 50, torch.Generator().manual_seed(1))
    if ok and ok2 and list(a) != list(b):
        problems.append(("the same ids for the same generator seed", "different ids: use the generator"))
    return _report(name, problems, "draw each id with torch.multinomial(probs[last], 1, generator=generator)")
