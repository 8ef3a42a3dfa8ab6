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
        print(
            f"… {name}: not attempted yet (replace the `raise NotImplementedError` with your code)"
        )
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
    problems = (
        [] if list(got or []) == expected else [(f"{expected} (the ids of 'Hi w rld!')", got)]
    )
    ok, got = _run(name, encode_lossy, tokenizer, "plain text", " ")
    if ok and list(got or []) != tokenizer.encode("plain text"):
        problems.append(("known characters encoded as usual", got))
    return _report(
        name, problems, "replace each ch not in tokenizer.stoi, then call tokenizer.encode"
    )


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
    return _report(
        name,
        problems,
        "step the start index by context_length; stop when start + context_length + 1 > len(data)",
    )


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
    return _report(
        name,
        problems,
        "pairs are (data[:-1], data[1:]); take -log of probs at those pairs, then the mean",
    )


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
        problems.append(
            ("the same ids for the same generator seed", "different ids: use the generator")
        )
    return _report(
        name, problems, "draw each id with torch.multinomial(probs[last], 1, generator=generator)"
    )


# --- notebooks 04-07: attention and blocks --------------------------------------------------------


def _same(a, b):
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-5, rtol=1e-4)


def check_causal_average(causal_average):
    """Exercise of notebook 04: out[b, t] = mean of x[b, :t+1], for x of shape (B, T, C)."""
    name = "causal_average"
    x = torch.randn(2, 6, 3, generator=torch.Generator().manual_seed(0))
    ok, got = _run(name, causal_average, x.clone())
    if not ok:
        return False
    expected = torch.cumsum(x, dim=1) / torch.arange(1, 7).view(1, 6, 1)
    if not isinstance(got, torch.Tensor) or got.shape != x.shape:
        return _report(name, [(f"a tensor of shape {tuple(x.shape)}", getattr(got, "shape", got))])
    problems = []
    if not _same(got, expected):
        if torch.allclose(got, x.mean(1, keepdim=True).expand_as(x), atol=1e-5):
            problems.append(
                (
                    "each position averages only itself and the past",
                    "the average over all positions (the future leaks in)",
                )
            )
        else:
            problems.append(
                (
                    f"out[0, :, 0] = {[round(v, 3) for v in expected[0, :, 0].tolist()]}",
                    [round(v, 3) for v in got[0, :, 0].tolist()],
                )
            )
    return _report(
        name,
        problems,
        "wei = torch.tril(torch.ones(T, T)); wei = wei / wei.sum(1, keepdim=True); wei @ x",
    )


def _causality_problem(module, x):
    """None if changing the last position leaves every earlier output unchanged."""
    with torch.no_grad():
        before = module(x)
        changed = x.clone()
        changed[:, -1] += 1.0
        after = module(changed)
    if not torch.allclose(before[:, :-1], after[:, :-1], atol=1e-6):
        return (
            "earlier positions unaffected by a change to the last one",
            "they changed: the future leaks in (is the mask applied?)",
        )
    return None


def _build_and_call(name, cls, args, expected_shape, what, hint=""):
    """Build the learner's module with `args`, run it once on a (2, 8, 16) input.

    Returns (module, input), or None after printing what went wrong.
    """
    torch.manual_seed(0)
    ok, mine = _run(name, cls, *args)
    if not ok:
        return None
    x = torch.randn(2, 8, 16)
    ok, out = _run(name, lambda: mine(x))
    if not ok:
        return None
    if getattr(out, "shape", None) != expected_shape:
        _report(
            name, [(f"output shape {expected_shape} = {what}", getattr(out, "shape", out))], hint
        )
        return None
    return mine, x


def check_head(MyHead):
    """Exercise of notebook 05: a Head written from memory, same attribute names as the lecture."""
    from helpers.attention import Head

    name = "Head"
    built = _build_and_call(name, MyHead, (16, 8, 8), (2, 8, 8), "(B, T, head_size)")
    if built is None:
        return False
    mine, x = built
    problems = []
    reference = Head(16, 8, 8)
    try:
        for part in ("key", "query", "value"):
            getattr(mine, part).weight.data.copy_(getattr(reference, part).weight.data)
    except AttributeError as error:
        return _report(
            name, [("linear layers named key, query and value (bias=False)", str(error))]
        )
    causal = _causality_problem(mine, x)
    if causal:
        problems.append(causal)
    with torch.no_grad():
        expected, got = reference(x), mine(x)
    if not causal and not _same(got, expected):
        unscaled = torch.softmax(
            (mine.query(x) @ mine.key(x).transpose(-2, -1)).masked_fill(
                torch.ones(8, 8).tril() == 0, float("-inf")
            ),
            -1,
        ) @ mine.value(x)
        if _same(got, unscaled.detach()):
            problems.append(("scores scaled by head_size ** -0.5", "unscaled scores"))
        else:
            problems.append(
                ("the same output as helpers.Head with the same weights", "a different output")
            )
    return _report(
        name,
        problems,
        "wei = q @ k.transpose(-2, -1) * head_size ** -0.5, masked_fill with tril, softmax, @ v",
    )


def check_multi_head(MyMultiHeadAttention):
    """Exercise of notebook 06: MultiHeadAttention(n_embd, num_heads, head_size, context_length)."""
    from helpers.attention import MultiHeadAttention

    name = "MultiHeadAttention"
    hint = "concatenate the heads on the last dimension, then project with a Linear(num_heads * head_size, n_embd)"
    built = _build_and_call(
        name, MyMultiHeadAttention, (16, 4, 4, 8), (2, 8, 16), "(B, T, n_embd)", hint
    )
    if built is None:
        return False
    mine, x = built
    reference = MultiHeadAttention(16, 4, 4, 8)
    problems = []
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
    if not problems:
        with torch.no_grad():
            if not _same(mine(x), reference(x)):
                problems.append(
                    (
                        "the same output as helpers.MultiHeadAttention with the same weights",
                        "a different output",
                    )
                )
    return _report(
        name,
        problems,
        "nn.ModuleList of Heads, torch.cat([h(x) for h in self.heads], dim=-1), then self.proj",
    )


def check_block(MyBlock):
    """Exercise of notebook 07: a pre-LayerNorm Block(n_embd, n_head, context_length) with residuals."""
    from helpers.blocks import Block

    name = "Block"
    built = _build_and_call(name, MyBlock, (16, 4, 8), (2, 8, 16), "the shape of the input")
    if built is None:
        return False
    mine, x = built
    reference = Block(16, 4, 8)
    problems = []
    try:
        mine.load_state_dict(reference.state_dict())
    except RuntimeError as error:
        problems.append(
            ("parameters named like the lecture's: sa, ffwd, ln1, ln2", str(error).splitlines()[0])
        )
    causal = _causality_problem(mine, x)
    if causal:
        problems.append(causal)
    if not problems:
        with torch.no_grad():
            got, expected = mine(x), reference(x)
            post_ln = reference.ln2(
                reference.ffwd(reference.ln1(x + reference.sa(x)))
                + reference.ln1(x + reference.sa(x))
            )
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
    return _report(
        name,
        problems,
        "pre-LN: normalise the input of each sub-layer, add the sub-layer's output to x",
    )


# --- notebooks 08-09: the full model ---------------------------------------------------------------


def check_sample_next(my_sample_next):
    """Exercise of notebook 08: my_sample_next(logits, temperature, top_k) -> ids of shape (B, 1)."""
    name = "sample_next"
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.5], [0.0, 0.0, 5.0, 1.0]])
    problems = []
    try:
        got = my_sample_next(logits, 0.0, None)
    except NotImplementedError:
        return _run(name, my_sample_next, logits, 0.0, None)[0]
    except Exception as error:  # typically dividing by a temperature of 0
        got = f"{type(error).__name__}: {error}"
    if not isinstance(got, torch.Tensor) or got.shape != (2, 1) or got.flatten().tolist() != [1, 2]:
        problems.append(
            ("temperature 0: the likeliest ids [[1], [2]] (greedy, no division by zero)", got)
        )
    torch.manual_seed(0)
    draws = []
    for _ in range(200):
        ok, ids = _run(name, my_sample_next, logits, 1.0, 2)
        if not ok:
            return False
        draws.append(ids)
    drawn = torch.cat(draws, dim=1)
    if not set(drawn[0].tolist()) <= {1, 2}:
        problems.append(("top_k=2 keeps only ids {1, 2} in row 0", sorted(set(drawn[0].tolist()))))
    if len(set(drawn[0].tolist())) < 2:
        problems.append(
            (
                "both of the top 2 ids drawn sometimes at temperature 1",
                sorted(set(drawn[0].tolist())),
            )
        )
    ok, big = _run(name, my_sample_next, logits, 1.0, 100)
    if ok and (not isinstance(big, torch.Tensor) or big.shape != (2, 1)):
        problems.append(
            (
                "top_k larger than the vocabulary: clamp it, ids of shape (2, 1)",
                getattr(big, "shape", big),
            )
        )
    return _report(
        name,
        problems,
        "if temperature == 0: argmax; else logits / temperature, torch.topk(..., min(top_k, V)), softmax, multinomial",
    )


def check_most_likely_next(most_likely_next, model, tokenizer):
    """Exercise of notebook 09: the single most likely next character after a prompt."""
    from helpers.playground import next_char_probs

    name = "most_likely_next"
    problems = []
    for prompt in ("ROMEO", "To be or not to b", "First Citizen:\n"):
        ok, got = _run(name, most_likely_next, model, tokenizer, prompt)
        if not ok:
            return False
        probs, _ = next_char_probs(model, tokenizer, prompt)
        expected = tokenizer.itos[int(probs.argmax())]
        if got != expected:
            problems.append((f"{expected!r} after {prompt!r}", got))
    return _report(
        name, problems, "logits, _ = model(idx); take logits[0, -1].argmax() and decode it"
    )
