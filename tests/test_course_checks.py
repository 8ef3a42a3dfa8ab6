"""Each exercise checker passes a right answer and fails a plausible wrong one with a useful message."""

import math
from collections import Counter

import pytest
import torch

from helpers import CharTokenizer
from helpers.course import checks as C


def not_attempted(*args, **kwargs):
    raise NotImplementedError


def test_unattempted_exercise_is_reported_not_raised(capsys):
    verdict = C.check_most_common(not_attempted)
    assert not verdict and verdict.status == "not attempted"
    assert "not attempted yet" in capsys.readouterr().out


def test_a_crash_in_the_learners_code_is_shown(capsys):
    assert not C.check_most_common(lambda text, n: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_most_common(capsys):
    assert C.check_most_common(lambda text, n: Counter(text).most_common(n))
    # plausible mistake: the least common instead of the most common
    assert not C.check_most_common(lambda text, n: Counter(text).most_common()[::-1][:n])
    out = capsys.readouterr().out
    assert "expected: [('a', 5), ('b', 2), ('r', 2)]" in out and "hint:" in out


def test_encode_lossy(capsys):
    tok = CharTokenizer.from_text("Hi world! plain text")
    right = lambda t, s, r=" ": t.encode("".join(c if c in t.stoi else r for c in s))  # noqa: E731
    assert C.check_encode_lossy(right, tok)
    # plausible mistake: dropping unknown characters instead of replacing them
    dropping = lambda t, s, r=" ": t.encode("".join(c for c in s if c in t.stoi))  # noqa: E731
    assert not C.check_encode_lossy(dropping, tok)
    assert "Hi w rld!" in capsys.readouterr().out


SHAKESPEARE_CHARS = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def tables():
    stoi = {ch: i for i, ch in enumerate(SHAKESPEARE_CHARS)}
    return stoi, {i: ch for ch, i in stoi.items()}


def test_encode_decode(capsys, tables):
    stoi, itos = tables
    encode = lambda s: [stoi[c] for c in s]  # noqa: E731 (the lecture's lambdas)
    decode = lambda ids: "".join([itos[i] for i in ids])  # noqa: E731
    assert C.check_encode_decode(encode, decode, stoi)
    # the usual slip: joining the characters with spaces
    assert not C.check_encode_decode(encode, lambda ids: " ".join(itos[i] for i in ids), stoi)
    out = capsys.readouterr().out
    assert "'hii there': characters joined with '', nothing between them" in out
    assert "'h i i   t h e r e' (' '.join)" in out
    # decode that forgets to join, encode that forgets to look up
    assert not C.check_encode_decode(encode, lambda ids: [itos[i] for i in ids], stoi)
    assert "one string: join the characters with ''.join(...)" in capsys.readouterr().out
    assert not C.check_encode_decode(lambda s: list(s), decode, stoi)
    assert "the ids of the characters (look each up in stoi)" in capsys.readouterr().out
    verdict = C.check_encode_decode(not_attempted, not_attempted, stoi)
    assert not verdict and verdict.status == "not attempted"


def test_encode_decode_on_a_vocabulary_without_the_lectures_letters(capsys):
    stoi = {ch: i for i, ch in enumerate("αβγδ ")}
    itos = {i: ch for ch, i in stoi.items()}
    assert C.check_encode_decode(
        lambda s: [stoi[c] for c in s], lambda ids: "".join(itos[i] for i in ids), stoi
    )


def get_batch_like(start_high=lambda n, t: n - t, shift=1, stack=torch.stack):
    """The lecture's get_batch, with one of its pieces swapped for a usual mistake."""

    def get_batch(data, batch_size, context_length):
        ix = torch.randint(start_high(len(data), context_length), (batch_size,))
        x = stack([data[i : i + context_length] for i in ix])
        y = stack([data[i + shift : i + context_length + shift] for i in ix])
        return x, y

    return get_batch


def test_get_batch(capsys):
    assert C.check_get_batch(get_batch_like())
    # targets not shifted
    assert not C.check_get_batch(get_batch_like(shift=0))
    out = capsys.readouterr().out
    assert "x shifted by one" in out and "y equal to x" in out
    # starts drawn up to len(data) - context_length: the last window runs one past the end
    assert not C.check_get_batch(get_batch_like(start_high=lambda n, t: n - t + 1))
    assert "a window ran past the end of data" in capsys.readouterr().out
    # starts that never reach the last window
    assert not C.check_get_batch(get_batch_like(start_high=lambda n, t: n - t - 1))
    assert "the last window starts at len(data) - context_length - 1" in capsys.readouterr().out
    # chunks joined with cat, or stacked as columns: not (B, T)
    assert not C.check_get_batch(get_batch_like(stack=torch.cat))
    assert "(15,) (torch.cat joins the chunks" in capsys.readouterr().out
    assert not C.check_get_batch(get_batch_like(stack=lambda rows: torch.stack(rows, dim=1)))
    assert "(5, 3) (one column per chunk" in capsys.readouterr().out
    verdict = C.check_get_batch(not_attempted)
    assert not verdict and verdict.status == "not attempted"


def test_get_batch_names_a_global_split_and_one_start_for_every_row(capsys):
    train_data = torch.arange(65).repeat(20)

    def global_split(data, batch_size, context_length):
        return get_batch_like()(train_data, batch_size, context_length)

    assert not C.check_get_batch(global_split)
    assert "did you use train_data instead of data?" in capsys.readouterr().out

    def one_start(data, batch_size, context_length):
        i = int(torch.randint(len(data) - context_length, ()))
        x = torch.stack([data[i : i + context_length]] * batch_size)
        return x, torch.stack([data[i + 1 : i + context_length + 1]] * batch_size)

    assert not C.check_get_batch(one_start)
    assert "a new random start for every row" in capsys.readouterr().out


def test_get_batch_check_leaves_the_notebooks_random_numbers_alone():
    torch.manual_seed(1337)
    C.check_get_batch(get_batch_like())
    after = torch.rand(1)
    torch.manual_seed(1337)
    assert torch.equal(after, torch.rand(1))


def test_examples_per_batch(capsys):
    assert C.check_examples_per_batch(lambda b, t: b * t)
    assert not C.check_examples_per_batch(lambda b, t: b)  # one example per row: the classic slip
    assert "expected: 256 for batch_size=32, context_length=8" in capsys.readouterr().out


def iterate_right(data, batch_size, context_length):
    starts = list(range(0, len(data) - context_length, context_length))
    for i in range(0, len(starts), batch_size):
        chunk = starts[i : i + batch_size]
        yield (
            torch.stack([data[s : s + context_length] for s in chunk]),
            torch.stack([data[s + 1 : s + context_length + 1] for s in chunk]),
        )


def test_iterate_batches(capsys):
    assert C.check_iterate_batches(iterate_right)

    def overlapping(data, batch_size, context_length):  # step 1 instead of context_length
        for s in range(0, len(data) - context_length, batch_size):
            yield data[s : s + context_length][None], data[s + 1 : s + context_length + 1][None]

    assert not C.check_iterate_batches(overlapping)
    assert "without overlap" in capsys.readouterr().out


def bigram_loss_right(logits, targets):  # the lecture's lines
    B, T, C = logits.shape
    return torch.nn.functional.cross_entropy(logits.view(B * T, C), targets.view(B * T))


def test_bigram_loss_passes_the_lecture_and_other_right_answers(capsys):
    F = torch.nn.functional
    assert C.check_bigram_loss(bigram_loss_right)
    assert C.check_bigram_loss(
        lambda logits, targets: F.cross_entropy(logits.transpose(1, 2), targets)
    )
    by_hand = lambda z, y: -F.log_softmax(z, -1).gather(-1, y[..., None]).mean()  # noqa: E731
    assert C.check_bigram_loss(by_hand)
    assert "✓ bigram_loss" in capsys.readouterr().out


def test_bigram_loss_is_reported_when_not_attempted(capsys):
    verdict = C.check_bigram_loss(not_attempted)
    assert verdict.status == "not attempted"
    assert "bigram_loss: not attempted yet" in capsys.readouterr().out
    # an error that is not about shapes is shown as the learner's own, with the probe
    assert not C.check_bigram_loss(lambda logits, targets: logits.no_such_method())
    out = capsys.readouterr().out
    assert "your code raised AttributeError" in out and "logits of shape (2, 3, 5)" in out


@pytest.mark.parametrize(
    "wrong, named",
    [
        # not reshaping: with T != C cross_entropy raises about the shapes ...
        (
            lambda z, y: torch.nn.functional.cross_entropy(z, y),
            "logits reshaped to (B*T, C) = (6, 5)",
        ),
        (  # ... the targets forgotten
            lambda z, y: torch.nn.functional.cross_entropy(z.view(-1, z.shape[-1]), y),
            "and targets to (B*T) = (6,)",
        ),
        (
            lambda z, y: bigram_loss_right(torch.softmax(z, -1), y),
            "softmax probabilities given to F.cross_entropy",
        ),
        (  # the mean over the vocabulary instead of picking each target
            lambda z, y: -torch.log_softmax(z, -1).mean(),
            "-log p averaged over all C characters",
        ),
        (  # the mean over the batch only: one loss per time step
            lambda z, y: torch.nn.functional.cross_entropy(
                z.transpose(1, 2), y, reduction="none"
            ).mean(0),
            "a tensor of shape (3,): the mean over the wrong axes",
        ),
        (
            lambda z, y: torch.nn.functional.nll_loss(z.view(-1, z.shape[-1]), y.view(-1)),
            "F.nll_loss on logits",
        ),
        (lambda z, y: bigram_loss_right(z, y) * z.shape[0] * z.shape[1], "the sum over the B*T"),
        (lambda z, y: bigram_loss_right(z, y).item(), "do not call .item()"),
        (lambda z, y: -bigram_loss_right(z, y), "without the minus sign"),
    ],
)
def test_bigram_loss_names_the_mistake(capsys, wrong, named):
    verdict = C.check_bigram_loss(wrong)
    out = capsys.readouterr().out
    assert verdict.status == "failed" and named in out, out
    assert "hint: B, T, C = logits.shape" in out


def test_bigram_loss_names_a_missing_reshape_even_when_time_equals_channels(capsys):
    def unreshaped_when_it_runs(z, y):  # the learner "fixed" the error only for the first probe
        if z.shape[1] != z.shape[2]:
            return bigram_loss_right(z, y)
        return torch.nn.functional.cross_entropy(z, y)

    assert not C.check_bigram_loss(unreshaped_when_it_runs)
    out = capsys.readouterr().out
    assert "F.cross_entropy read dimension 1, time, as the classes" in out
    assert "logits of shape (2, 4, 4)" in out


def test_bigram_loss_without_a_gradient_is_rejected(capsys):
    assert not C.check_bigram_loss(lambda z, y: bigram_loss_right(z.detach(), y))
    assert "loss.backward() could not train" in capsys.readouterr().out


def test_bigram_nll(capsys):
    assert C.check_bigram_nll(lambda p, d: -torch.log(p[d[:-1], d[1:]]).mean())
    # plausible mistake: forgetting the minus sign
    assert not C.check_bigram_nll(lambda p, d: torch.log(p[d[:-1], d[1:]]).mean())
    out = capsys.readouterr().out
    assert "hint: pairs are" in out
    g = torch.Generator().manual_seed(0)  # the check's random table, to name the expected figure
    probs = torch.rand(5, 5, generator=g)
    probs, data = probs / probs.sum(1, keepdim=True), torch.randint(5, (200,), generator=g)
    assert f"expected: {-torch.log(probs[data[:-1], data[1:]]).mean().item():.4f}" in out


def test_sample_bigram(capsys):
    def right(probs, start, n, generator):
        ids = [start]
        for _ in range(n):
            ids.append(torch.multinomial(probs[ids[-1]], 1, generator=generator).item())
        return ids

    assert C.check_sample_bigram(right)

    def ignores_generator(probs, start, n, generator):
        ids = [start]
        for _ in range(n):
            ids.append(torch.multinomial(probs[ids[-1]], 1).item())
        return ids

    assert not C.check_sample_bigram(ignores_generator)
    out = capsys.readouterr().out
    assert (
        "expected: the same ids for the same generator seed" in out and "use the generator" in out
    )
    # plausible mistake: leaving out the start id
    assert not C.check_sample_bigram(lambda probs, start, n, g: right(probs, start, n, g)[1:])
    assert "expected: [2, 3, 0, 1, 2, 3, 0] (the start, then 6 draws)" in capsys.readouterr().out


# --- notebooks 04-10 ------------------------------------------------------------------------------

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from helpers import Block, Head, MultiHeadAttention  # noqa: E402


def test_causal_average(capsys):
    def right(x):
        T = x.shape[1]
        wei = torch.tril(torch.ones(T, T))
        return (wei / wei.sum(1, keepdim=True)) @ x

    assert C.check_causal_average(right)
    assert not C.check_causal_average(lambda x: x.mean(1, keepdim=True).expand_as(x))
    out = capsys.readouterr().out
    assert "expected: each position averages only itself and the past" in out
    assert "the future leaks in" in out


class UnscaledHead(Head):
    def forward(self, x):
        T = x.shape[1]
        wei = self.query(x) @ self.key(x).transpose(-2, -1)
        return F.softmax(wei.masked_fill(self.tril[:T, :T] == 0, float("-inf")), -1) @ self.value(x)


class UnmaskedHead(Head):
    def forward(self, x):
        wei = self.query(x) @ self.key(x).transpose(-2, -1) * self.key.out_features**-0.5
        return F.softmax(wei, -1) @ self.value(x)


def test_head(capsys):
    assert C.check_head(Head)
    assert not C.check_head(UnscaledHead)
    out = capsys.readouterr().out
    assert "expected: scores scaled by head_size ** -0.5" in out and "unscaled scores" in out
    assert not C.check_head(UnmaskedHead)
    out = capsys.readouterr().out
    assert "expected: earlier positions unaffected by a change to the last one" in out
    assert "the future leaks in" in out


class NoProjection(MultiHeadAttention):
    def forward(self, x):
        return torch.cat([h(x) for h in self.heads], dim=-1)


def test_multi_head(capsys):
    assert C.check_multi_head(MultiHeadAttention)
    assert not C.check_multi_head(NoProjection)  # forgot the projection: same shape, other output
    out = capsys.readouterr().out
    assert "expected: the same output as helpers.MultiHeadAttention with the same weights" in out
    assert "a different output" in out

    class HeadsAveraged(MultiHeadAttention):  # averages heads instead of concatenating them
        def forward(self, x):
            return self.proj(torch.stack([h(x) for h in self.heads]).mean(0).repeat(1, 1, 4))

    assert not C.check_multi_head(HeadsAveraged)
    assert "a different output" in capsys.readouterr().out


class NoResidualBlock(Block):
    def forward(self, x):
        return self.ffwd(self.ln2(self.sa(self.ln1(x))))


class PostLayerNormBlock(Block):
    def forward(self, x):
        x = self.ln1(x + self.sa(x))
        return self.ln2(x + self.ffwd(x))


def test_block(capsys):
    assert C.check_block(Block)
    assert not C.check_block(NoResidualBlock)
    out = capsys.readouterr().out
    assert "expected: x = x + self.sa(self.ln1(x)); x = x + self.ffwd(self.ln2(x))" in out
    assert "no residual connections" in out
    assert not C.check_block(PostLayerNormBlock)
    out = capsys.readouterr().out
    assert "expected: LayerNorm before each sub-layer (pre-LN)" in out and "post-LN" in out


def test_sample_next(capsys):
    from helpers import sample_next

    assert C.check_sample_next(sample_next)
    # plausible mistake: forgetting top-k
    assert not C.check_sample_next(
        lambda logits, t, k: torch.multinomial(F.softmax(logits / max(t, 1e-6), -1), 1)
    )
    assert "top_k=2 keeps only ids {1, 2}" in capsys.readouterr().out
    # plausible mistake: dividing by a temperature of 0
    assert not C.check_sample_next(lambda logits, t, k: sample_next(logits / t, 1.0, k))
    assert "temperature 0: the likeliest ids" in capsys.readouterr().out
    # plausible mistake: greedy at 0 and top-k right, but the temperature otherwise ignored
    assert not C.check_sample_next(lambda logits, t, k: sample_next(logits, min(t, 1.0), k))
    out = capsys.readouterr().out
    assert "temperature 4.0: id 0 of logits [2, 0] drawn less often" in out
    assert "divide the logits by the temperature" in out


def test_most_likely_next(capsys):
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("ROMEO To be or not First Citizen:\n")
    torch.manual_seed(0)
    model = GPT(
        GPTConfig(
            vocab_size=tok.vocab_size,
            context_length=32,
            n_embd=16,
            n_head=2,
            n_layer=1,
            dropout=0.0,
        )
    ).eval()

    def right(model, tokenizer, prompt):
        logits, _ = model(torch.tensor([tokenizer.encode(prompt)]))
        return tokenizer.itos[int(logits[0, -1].argmax())]

    assert C.check_most_likely_next(right, model, tok)

    # plausible mistake: reading the prediction at the first position instead of the last
    def first(model, tokenizer, prompt):
        logits, _ = model(torch.tensor([tokenizer.encode(prompt)]))
        return tokenizer.itos[int(logits[0, 0].argmax())]

    assert not C.check_most_likely_next(first, model, tok)
    assert "after 'ROMEO'" in capsys.readouterr().out

    # plausible mistake on a GPU: the input built on the CPU (torch's error, as it reads there)
    def on_the_cpu(model, tokenizer, prompt):
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            "cuda:0 and cpu!"
        )

    assert not C.check_most_likely_next(on_the_cpu, model, tok)
    out = capsys.readouterr().out
    assert "your code raised RuntimeError" in out and "next(model.parameters()).device" in out


def test_most_likely_next_on_a_text_without_shakespeares_letters(capsys):
    """On your own text the probes are written with its own characters."""
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("αβγδε ζηθ ικλμ\n")
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=tok.vocab_size, context_length=32, n_embd=16, n_head=2, n_layer=1)
    model = GPT(config).eval()

    def right(model, tokenizer, prompt):
        logits, _ = model(torch.tensor([tokenizer.encode(prompt)]))
        return tokenizer.itos[int(logits[0, -1].argmax())]

    assert C.check_most_likely_next(right, model, tok)
    assert not C.check_most_likely_next(lambda m, t, p: "α", model, tok)
    assert "after ' αβγδ'" in capsys.readouterr().out  # the vocabulary's own characters


# --- an error in any probe fails the check, however well the earlier probes went ------------------


def crashed(out, error):
    """The check said which error the learner's code raised and did not say all is well."""
    return f"your code raised {error}" in out and "all checks passed" not in out


def test_most_common_accepts_ties_in_any_order(capsys):
    def ties_reversed(text, n):  # b and r both occur twice in "abracadabra": r first is as right
        return sorted(Counter(text).items(), key=lambda pair: (-pair[1], -ord(pair[0])))[:n]

    assert ties_reversed("abracadabra", 3) == [("a", 5), ("r", 2), ("b", 2)]
    assert C.check_most_common(ties_reversed)
    assert "all checks passed" in capsys.readouterr().out
    # the order of a tie is free, the counts are not: c occurs once
    assert not C.check_most_common(lambda text, n: [("a", 5), ("r", 2), ("c", 2)][:n])
    assert "expected: [('a', 5), ('b', 2), ('r', 2)] (equal counts in any order)" in (
        capsys.readouterr().out
    )


def test_most_common_crash_for_n_above_the_vocabulary(capsys):
    def by_index(text, n):  # assumes n distinct characters exist
        counts = Counter(text)
        chars = sorted(counts, key=counts.get, reverse=True)
        return [(chars[i], counts[chars[i]]) for i in range(n)]

    assert by_index("abracadabra", 3) == [("a", 5), ("b", 2), ("r", 2)]  # the first probe passes
    assert not C.check_most_common(by_index)
    out = capsys.readouterr().out
    assert crashed(out, "IndexError") and "most_common('banana', 5)" in out


def test_encode_lossy_crash_when_every_character_is_known(capsys):
    import re

    def regex(tokenizer, s, replacement=" "):  # "[]" is not a valid pattern: nothing unknown
        unknown = "".join(set(s) - set(tokenizer.stoi))
        return tokenizer.encode(re.sub(f"[{unknown}]", replacement, s))

    tok = CharTokenizer.from_text("Hi world! plain text")
    assert regex(tok, "Hi wörld!") == tok.encode("Hi w rld!")  # the first probe passes
    assert not C.check_encode_lossy(regex, tok)
    assert crashed(capsys.readouterr().out, "error: unterminated character set")


def test_examples_per_batch_crash_for_a_batch_of_one(capsys):
    def squeezing(batch_size, context_length):  # squeeze() drops the batch dimension of size 1
        B, T = torch.zeros(batch_size, context_length).squeeze().shape
        return B * T

    assert squeezing(32, 8) == 256  # the first probe passes
    assert not C.check_examples_per_batch(squeezing)
    out = capsys.readouterr().out
    assert crashed(out, "ValueError") and "batch_size=1, context_length=256" in out


def test_iterate_batches_crash_on_a_smaller_last_batch(capsys):
    def reshaping(data, batch_size, context_length):  # assumes every batch is full
        step = batch_size * context_length
        for i in range(0, len(data) - context_length - 1, step):
            x = data[i : i + step].view(batch_size, context_length)
            yield x, data[i + 1 : i + step + 1].view(batch_size, context_length)

    assert len(list(reshaping(torch.arange(50), 2, 4))) == 6  # the first probe passes
    assert not C.check_iterate_batches(reshaping)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "data of length 30" in out


def test_iterate_batches_accepts_a_smaller_last_batch():
    assert [len(x) for x, _ in iterate_right(torch.arange(30), 4, 4)] == [4, 3]
    assert C.check_iterate_batches(iterate_right)


def test_bigram_nll_crash_when_the_data_lacks_a_character(capsys):
    def one_hot(probs, data):  # F.one_hot guesses the number of classes from the data
        rows = F.one_hot(data[:-1]).float() @ probs
        return -torch.log(rows[torch.arange(len(data) - 1), data[1:]]).mean()

    assert not C.check_bigram_nll(one_hot)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "data without id 4" in out


def test_sample_bigram_crash_on_float32_probabilities_in_numpy(capsys):
    import numpy as np

    def with_numpy(probs, start, n, generator):
        rng = np.random.default_rng(generator.initial_seed())
        ids = [start]
        for _ in range(n):  # float32 thirds sum to 1.00000003: numpy refuses them
            ids.append(int(rng.choice(len(probs), p=probs[ids[-1]].tolist())))
        return ids

    g = torch.Generator().manual_seed(0)
    cycle = torch.roll(torch.eye(4), 1, dims=1)
    assert with_numpy(cycle, 2, 6, g) == [2, 3, 0, 1, 2, 3, 0]  # the first probe passes
    assert not C.check_sample_bigram(with_numpy)
    out = capsys.readouterr().out
    assert crashed(out, "ValueError: Probabilities do not sum to 1") and "uniform" in out


def test_causal_average_crash_with_another_T(capsys):
    T = 6  # a notebook-wide T, used instead of x.shape[1]

    def global_T(x):
        wei = torch.tril(torch.ones(T, T))
        return (wei / wei.sum(1, keepdim=True)) @ x

    assert not C.check_causal_average(global_T)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "x of shape (1, 3, 2)" in out


class UnslicedMaskHead(Head):  # the mask is tril, not tril[:T, :T]: only T = context_length works
    def forward(self, x):
        wei = self.query(x) @ self.key(x).transpose(-2, -1) * self.key.out_features**-0.5
        return F.softmax(wei.masked_fill(self.tril == 0, float("-inf")), -1) @ self.value(x)


class MultiHeadOfUnslicedHeads(MultiHeadAttention):
    def __init__(self, n_embd, num_heads, head_size, context_length):
        super().__init__(n_embd, num_heads, head_size, context_length)
        self.heads = nn.ModuleList(
            UnslicedMaskHead(n_embd, head_size, context_length) for _ in range(num_heads)
        )


class BlockOfUnslicedHeads(Block):
    def __init__(self, n_embd, n_head, context_length):
        super().__init__(n_embd, n_head, context_length)
        self.sa = MultiHeadOfUnslicedHeads(n_embd, n_head, n_embd // n_head, context_length)


def test_head_crash_on_an_input_shorter_than_context_length(capsys):
    assert UnslicedMaskHead(16, 8, 8)(torch.randn(2, 8, 16)).shape == (2, 8, 8)  # T=8 works
    assert not C.check_head(UnslicedMaskHead)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "(2, 5, 16)" in out and "tril[:T, :T]" in out


def test_multi_head_crash_on_an_input_shorter_than_context_length(capsys):
    assert not C.check_multi_head(MultiHeadOfUnslicedHeads)
    assert crashed(capsys.readouterr().out, "RuntimeError")


def test_block_crash_on_an_input_shorter_than_context_length(capsys):
    assert not C.check_block(BlockOfUnslicedHeads)
    assert crashed(capsys.readouterr().out, "RuntimeError")


class NEmbdScaledHead(Head):  # the video's C ** -0.5, with C = n_embd
    def forward(self, x):
        B, T, C = x.shape
        wei = self.query(x) @ self.key(x).transpose(-2, -1) * C**-0.5
        return F.softmax(wei.masked_fill(self.tril[:T, :T] == 0, float("-inf")), -1) @ self.value(x)


class BiasedHead(Head):  # nn.Linear's default bias=True
    def __init__(self, n_embd, head_size, context_length):
        super().__init__(n_embd, head_size, context_length)
        self.key = nn.Linear(n_embd, head_size)
        self.query = nn.Linear(n_embd, head_size)
        self.value = nn.Linear(n_embd, head_size)


def test_head_names_the_n_embd_scale_and_the_bias(capsys):
    assert not C.check_head(NEmbdScaledHead)
    out = capsys.readouterr().out
    assert "expected: scores scaled by head_size ** -0.5" in out
    assert "scores scaled by C ** -0.5 (n_embd, as shown in the video" in out
    assert not C.check_head(BiasedHead)
    out = capsys.readouterr().out
    assert "key, query and value without bias (bias=False)" in out
    assert "a bias in key, query, value" in out


def test_sample_next_crash_on_top_k_above_the_vocabulary(capsys):
    def unclamped(logits, temperature, top_k):
        if temperature == 0:
            return logits.argmax(dim=-1, keepdim=True)
        logits = logits / temperature
        if top_k is not None:
            kth_best = torch.topk(logits, top_k).values[:, [-1]]  # top_k > vocabulary: error
            logits = logits.masked_fill(logits < kth_best, float("-inf"))
        return torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)

    assert not C.check_sample_next(unclamped)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "top_k=100" in out


def test_most_likely_next_crash_on_a_later_prompt(capsys):
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("ROMEO To be or not First Citizen:\n")
    torch.manual_seed(0)
    config = GPTConfig(
        vocab_size=tok.vocab_size, context_length=32, n_embd=16, n_head=2, n_layer=1, dropout=0.0
    )
    model = GPT(config).eval()

    def remembering(model, tokenizer, prompt, history=[]):  # noqa: B006 (the mistake under test)
        history.extend(tokenizer.encode(prompt))  # the default list lives on between calls
        logits, _ = model(torch.tensor([history]))  # ... and outgrows the context by call 3
        return tokenizer.itos[int(logits[0, -1].argmax())]

    assert not C.check_most_likely_next(remembering, model, tok)
    out = capsys.readouterr().out
    assert crashed(out, "ValueError") and "'First Citizen:\\n'" in out


def test_an_answer_the_check_cannot_inspect_is_a_fail_not_a_crash(capsys):
    assert not C.check_bigram_nll(lambda p, d: "a string")
    assert not C.check_iterate_batches(lambda data, b, t: iter([1, 2, 3]))
    assert "could not check what your code returned" in capsys.readouterr().out


# --- the exercises added to notebooks 03-10 -------------------------------------------------------


def trigram_right(data, vocab_size, k):
    V = vocab_size
    triples = (data[:-2] * V + data[1:-1]) * V + data[2:]
    counts = torch.bincount(triples, minlength=V**3).view(V, V, V).float() + k
    return counts / counts.sum(-1, keepdim=True)


def test_trigram_probs(capsys):
    assert C.check_trigram_probs(trigram_right)
    # plausible mistake: add-one smoothing whatever k says
    assert not C.check_trigram_probs(lambda data, V, k: trigram_right(data, V, 1.0))
    out = capsys.readouterr().out
    assert "expected: counts + k with k=0.5" in out and "counts + 1: use the argument k" in out

    def over_all(data, V, k):  # normalised over the whole table, not over each [a, b] row
        counts = trigram_right(data, V, k) * 0 + torch.bincount(
            (data[:-2] * V + data[1:-1]) * V + data[2:], minlength=V**3
        ).view(V, V, V)
        return (counts + k) / (counts + k).sum()

    assert not C.check_trigram_probs(over_all)
    assert "expected: every row probs[a, b] sums to 1 over the next character c" in (
        capsys.readouterr().out
    )

    def swapped(data, V, k):  # counts (b, a, c): the two context characters swapped
        return trigram_right(data, V, k).transpose(0, 1)

    assert not C.check_trigram_probs(swapped)
    assert "(the counts of the triples" in capsys.readouterr().out


def test_trigram_probs_crash_when_the_data_lacks_a_character(capsys):
    def no_minlength(data, V, k):  # bincount's length is the largest triple id + 1
        counts = torch.bincount((data[:-2] * V + data[1:-1]) * V + data[2:]).view(V, V, V) + k
        return counts / counts.sum(-1, keepdim=True)

    data = torch.cat([torch.randint(5, (300,)), torch.tensor([4, 4, 4])])
    assert no_minlength(data, 5, 1.0).shape == (5, 5, 5)  # the first probes pass
    assert not C.check_trigram_probs(no_minlength)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "never use id 4" in out


def window_right(x, w):
    T = x.shape[1]
    ones = torch.ones(T, T)
    band = torch.tril(ones) * torch.triu(ones, diagonal=-(w - 1))
    return (band / band.sum(1, keepdim=True)) @ x


def test_window_average(capsys):
    assert C.check_window_average(window_right)
    # plausible mistake: triu's diagonal=-w, one position too many
    assert not C.check_window_average(lambda x, w: window_right(x, w + 1))
    out = capsys.readouterr().out
    assert "expected: each position averages 3 positions (itself and 2 before)" in out
    # plausible mistake: the window forgotten, the whole past averaged
    assert not C.check_window_average(lambda x, w: window_right(x, x.shape[1]))
    assert "expected: each position averages its last 3 positions" in capsys.readouterr().out


def test_window_average_crash_with_another_T(capsys):
    T = 8  # the notebook's T, used instead of x.shape[1]

    def global_T(x, w):
        ones = torch.ones(T, T)
        band = torch.tril(ones) * torch.triu(ones, diagonal=-(w - 1))
        return (band / band.sum(1, keepdim=True)) @ x

    assert global_T(torch.randn(2, 8, 3), 3).shape == (2, 8, 3)  # the first probe passes
    assert not C.check_window_average(global_T)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "x of shape (1, 5, 2), w=1" in out


def window_weights_right(head, x, window):
    T = x.shape[1]
    q, k = head.query(x), head.key(x)
    wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
    t = torch.arange(T)
    allowed = (t[None, :] <= t[:, None]) & (t[None, :] > t[:, None] - window)
    return F.softmax(wei.masked_fill(~allowed, float("-inf")), dim=-1)


def test_window_attention_weights(capsys):
    from helpers import attention_weights

    assert C.check_window_attention_weights(window_weights_right)
    # plausible mistake: the plain causal weights of notebook 05
    assert not C.check_window_attention_weights(lambda head, x, w: attention_weights(head, x))
    out = capsys.readouterr().out
    assert "expected: position t reads only its last 3 positions" in out and "whole past" in out
    # plausible mistake: the band one position too wide
    assert not C.check_window_attention_weights(lambda h, x, w: window_weights_right(h, x, w + 1))
    assert "expected: 3 positions per row (itself and 2 before)" in capsys.readouterr().out

    def masked_after_softmax(head, x, window):  # zeros after the softmax: rows no longer sum to 1
        w = attention_weights(head, x)
        T = x.shape[1]
        return w * torch.triu(torch.ones(T, T), diagonal=-(window - 1))

    assert not C.check_window_attention_weights(masked_after_softmax)
    assert "expected: each row of weights sums to 1 (mask with -inf before the softmax)" in (
        capsys.readouterr().out
    )


def test_window_attention_weights_crash_on_an_input_shorter_than_context_length(capsys):
    def unsliced(head, x, window):  # the band built at the head's context_length, not T
        n = head.tril.shape[0]
        band = head.tril * torch.triu(torch.ones(n, n), diagonal=-(window - 1))
        q, k = head.query(x), head.key(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        return F.softmax(wei.masked_fill(band == 0, float("-inf")), dim=-1)

    assert not C.check_window_attention_weights(unsliced)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "x of shape (1, 5, 16), window=2" in out


def mha_count_right(n_embd, num_heads, head_size):
    return num_heads * 3 * n_embd * head_size + num_heads * head_size * n_embd + n_embd


def test_mha_param_count(capsys):
    assert C.check_mha_param_count(mha_count_right)
    # plausible mistake: proj's bias forgotten
    assert not C.check_mha_param_count(lambda c, h, s: mha_count_right(c, h, s) - c)
    out = capsys.readouterr().out
    assert "expected: 4,128 for n_embd=32, num_heads=4, head_size=8" in out
    assert "the n_embd biases of proj are missing" in out
    # plausible mistake: proj taken as n_embd x n_embd (right only when the heads fill n_embd)
    assert not C.check_mha_param_count(lambda c, h, s: 3 * h * s * c + c * c + c)
    out = capsys.readouterr().out
    assert "expected: 784 for n_embd=16, num_heads=3, head_size=4" in out
    assert "proj maps num_heads * head_size channels" in out
    assert "n_embd=32, num_heads=4" not in out  # the probes it gets right are not listed


def test_mha_param_count_crash_when_the_heads_do_not_fill_n_embd(capsys):
    def by_building_a_block(n_embd, num_heads, head_size):  # Block needs n_embd % n_head == 0
        return sum(p.numel() for p in Block(n_embd, num_heads, 8).sa.parameters())

    assert by_building_a_block(32, 4, 8) == mha_count_right(32, 4, 8)  # the first probes pass
    assert not C.check_mha_param_count(by_building_a_block)
    out = capsys.readouterr().out
    assert crashed(out, "ValueError") and "n_embd=16, num_heads=3, head_size=4" in out


class PostLNBlock(Block):
    def forward(self, x):
        x = self.ln1(x + self.sa(x))
        return self.ln2(x + self.ffwd(x))


def test_post_ln_block(capsys):
    assert C.check_post_ln_block(PostLNBlock)
    # plausible mistake: Block itself, LayerNorm still before each sub-layer
    assert not C.check_post_ln_block(Block)
    out = capsys.readouterr().out
    assert "expected: LayerNorm after each residual sum (post-LN)" in out
    assert "that is Block itself" in out

    class NoResidual(Block):
        def forward(self, x):
            return self.ln2(self.ffwd(self.ln1(self.sa(x))))

    assert not C.check_post_ln_block(NoResidual)
    out = capsys.readouterr().out
    assert "expected: x + sa(x) inside ln1" in out and "no residual connections" in out

    class Unmasked(PostLNBlock):  # heads that forget the mask
        def __init__(self, n_embd, n_head, context_length):
            super().__init__(n_embd, n_head, context_length)
            head_size = n_embd // n_head
            self.sa.heads = nn.ModuleList(
                UnmaskedHead(n_embd, head_size, context_length) for _ in range(n_head)
            )

    assert not C.check_post_ln_block(Unmasked)
    assert "expected: earlier positions unaffected" in capsys.readouterr().out


def test_post_ln_block_crash_on_an_input_shorter_than_context_length(capsys):
    class PostLNOfUnslicedHeads(BlockOfUnslicedHeads):
        forward = PostLNBlock.forward

    assert not C.check_post_ln_block(PostLNOfUnslicedHeads)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "(2, 5, 16)" in out


def gpt_count_right(config, tied):
    V, L, C_, n = config.vocab_size, config.context_length, config.n_embd, config.n_layer
    total = (V + L) * C_ + n * (12 * C_**2 + 10 * C_) + 2 * C_ + C_ * V + V
    return total - V * C_ if tied else total


def test_gpt_param_count(capsys):
    from helpers import GPT, GPTConfig

    assert gpt_count_right(GPTConfig(), tied=False) == 10_788_929  # notebook 08's figure
    assert sum(p.numel() for p in GPT(GPTConfig(n_layer=1)).parameters()) == gpt_count_right(
        GPTConfig(n_layer=1), tied=False
    )
    assert C.check_gpt_param_count(gpt_count_right)
    # plausible mistake: tying also drops the lm_head's bias
    wrong = lambda c, tied: gpt_count_right(c, tied) - (c.vocab_size if tied else 0)  # noqa: E731
    assert not C.check_gpt_param_count(wrong)
    out = capsys.readouterr().out
    assert "expected: 108,033 for GPTConfig(vocab_size=65" in out and "tied=True" in out
    assert "lm_head's bias missing (tying shares the weight only)" in out
    # plausible mistake: tied ignored, the shared matrix counted twice
    assert not C.check_gpt_param_count(lambda c, tied: gpt_count_right(c, False))
    assert "the shared weight counted twice" in capsys.readouterr().out


def test_gpt_param_count_crash_when_tying(capsys):
    from helpers import GPT

    def transposed_tie(config, tied):  # thinks lm_head's weight is (n_embd, vocab_size)
        model = GPT(config)
        if tied:
            model.lm_head.weight = model.token_embedding_table.weight.T
        return sum(p.numel() for p in model.parameters())

    assert not C.check_gpt_param_count(transposed_tie)
    out = capsys.readouterr().out
    assert crashed(out, "TypeError") and "tied=True" in out and "tied=False" not in out


def top_p_right(logits, p):
    probs, order = torch.softmax(logits, dim=-1).sort(dim=-1, descending=True)
    remove = probs.cumsum(dim=-1) - probs >= p  # the ids ranked above already reach p
    out = logits.clone()
    for row in range(logits.shape[0]):
        out[row, order[row][remove[row]]] = float("-inf")
    return out


def test_top_p(capsys):
    assert C.check_top_p(top_p_right)
    logits = torch.tensor([[0.0, 2.0, 1.0]])
    assert torch.isinf(top_p_right(logits, 0.5)).tolist() == [[True, False, True]]

    # plausible mistake: drop the id whose probability crosses p (the nucleus falls short of p)
    def crossing_dropped(logits, p):
        probs, order = torch.softmax(logits, dim=-1).sort(dim=-1, descending=True)
        remove = probs.cumsum(dim=-1) > p
        return logits.masked_fill(remove.scatter(-1, order, remove), float("-inf"))

    assert not C.check_top_p(crossing_dropped)
    out = capsys.readouterr().out
    assert (
        "expected: p=0.6: ids kept per row [[1, 3], [2, 3]]" in out and "ids kept [[1], [3]]" in out
    )

    # plausible mistake: the mask applied in sorted order, not put back in place
    def not_unsorted(logits, p):
        probs, _ = torch.softmax(logits, dim=-1).sort(dim=-1, descending=True)
        return logits.masked_fill(probs.cumsum(dim=-1) - probs >= p, float("-inf"))

    assert not C.check_top_p(not_unsorted)
    assert "ids kept [[0, 1], [0, 1]]" in capsys.readouterr().out
    # plausible mistake: the kept logits rescaled (probabilities instead of logits)
    assert not C.check_top_p(lambda logits, p: torch.softmax(top_p_right(logits, p), dim=-1))
    assert "the kept logits unchanged" in capsys.readouterr().out


def test_top_p_crash_on_a_later_probe(capsys):
    def first_row_only(logits, p):  # works until a p keeps a different count in each row
        kept = top_p_right(logits, p)
        counts = (~torch.isinf(kept)).sum(dim=-1)
        if counts[0] != counts[1]:
            raise IndexError("rows of different lengths")
        return kept

    assert not C.check_top_p(first_row_only)
    out = capsys.readouterr().out
    assert crashed(out, "IndexError") and "while checking: p=0.45" in out


def test_lr_schedule(capsys):
    from helpers import lr_at

    assert C.check_lr_schedule(lambda step, cfg: lr_at(step, cfg))
    assert not C.check_lr_schedule(lambda step, cfg: (_ for _ in ()).throw(NotImplementedError))
    assert "not attempted yet" in capsys.readouterr().out

    # plausible mistake: a cosine that decays to 0 instead of min_lr
    def to_zero(step, cfg):
        if step < cfg.warmup_iters:
            return cfg.learning_rate * (step + 1) / cfg.warmup_iters
        return 0.5 * cfg.learning_rate * (1 + math.cos(math.pi * step / cfg.max_iters))

    assert not C.check_lr_schedule(to_zero)
    assert "the cosine decay" in capsys.readouterr().out

    # plausible mistake: a warmup that starts at 0 (step / warmup_iters)
    def from_zero(step, cfg):
        if step < cfg.warmup_iters:
            return cfg.learning_rate * step / cfg.warmup_iters
        return lr_at(step, cfg)

    assert not C.check_lr_schedule(from_zero)
    assert "(the warmup;" in capsys.readouterr().out


def test_bits_per_character(capsys):
    from helpers import evaluate

    def right(model, data, context_length):
        return evaluate(model, data, context_length) / math.log(2)

    assert C.check_bits_per_character(right)

    def unattempted(model, data, context_length):
        raise NotImplementedError

    assert C.check_bits_per_character(unattempted).status == "not attempted"
    capsys.readouterr()
    # plausible mistake: the loss in nats, not divided by ln 2
    assert not C.check_bits_per_character(lambda m, d, t: evaluate(m, d, t))
    assert "divide by ln 2" in capsys.readouterr().out
    # plausible mistake: log2 of the loss instead of the loss divided by ln 2
    assert not C.check_bits_per_character(lambda m, d, t: math.log2(evaluate(m, d, t)))
    assert "every character of data once, in base 2" in capsys.readouterr().out


@pytest.fixture
def tiny_playground():
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("ROMEO To be or not First Citizen:\n")
    torch.manual_seed(0)
    config = GPTConfig(
        vocab_size=tok.vocab_size, context_length=32, n_embd=16, n_head=2, n_layer=1, dropout=0.0
    )
    return GPT(config).eval(), tok


def logprob_right(model, tokenizer, prompt, continuation):
    ids = tokenizer.encode(prompt + continuation)
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids[:-1]]))
    logprobs = F.log_softmax(logits[0], dim=-1)
    n = len(prompt)
    return sum(logprobs[t - 1, ids[t]].item() for t in range(n, len(ids)))


def test_continuation_logprob(capsys, tiny_playground):
    model, tok = tiny_playground
    assert C.check_continuation_logprob(logprob_right, model, tok)
    expected = logprob_right(model, tok, "First", " Citizen")
    # plausible mistake: the mean per character instead of the sum
    mean = lambda m, t, p, c: logprob_right(m, t, p, c) / len(c)  # noqa: E731
    assert not C.check_continuation_logprob(mean, model, tok)
    out = capsys.readouterr().out
    assert f"expected: {expected:.4f} for prompt 'First', continuation ' Citizen'" in out
    assert "the mean per character" in out

    def off_by_one(model, tokenizer, prompt, continuation):  # reads the logits at t, not t - 1
        ids = tokenizer.encode(prompt + continuation)
        logprobs = F.log_softmax(model(torch.tensor([ids]))[0][0], dim=-1)
        return sum(logprobs[t, ids[t]].item() for t in range(len(prompt), len(ids)))

    assert not C.check_continuation_logprob(off_by_one, model, tok)
    assert f"expected: {expected:.4f}" in capsys.readouterr().out
    # plausible mistake: the prompt's characters scored too
    whole = lambda m, t, p, c: logprob_right(m, t, p[:1], p[1:] + c)  # noqa: E731
    assert not C.check_continuation_logprob(whole, model, tok)
    assert "the prompt's own characters scored too" in capsys.readouterr().out


def test_continuation_logprob_crash_on_a_one_character_continuation(capsys, tiny_playground):
    model, tok = tiny_playground

    def squeezed(model, tokenizer, prompt, continuation):
        ids = torch.tensor([tokenizer.encode(prompt + continuation)])
        logprobs = F.log_softmax(model(ids[:, :-1])[0][0], dim=-1)[len(prompt) - 1 :]
        targets = torch.tensor(tokenizer.encode(continuation))
        picked = logprobs.gather(1, targets[:, None]).squeeze().tolist()  # a float, not a
        return sum(picked)  # list, when the continuation is one character

    assert not C.check_continuation_logprob(squeezed, model, tok)
    out = capsys.readouterr().out
    assert crashed(out, "TypeError") and "continuation 'e'" in out


# --- notebook 13 ---------------------------------------------------------------------------------


def shares_right(global_batch, world_size):
    base, extra = divmod(global_batch, world_size)
    return [base + (r < extra) for r in range(world_size)]


def test_batch_shares(capsys):
    assert C.check_batch_shares(shares_right)
    # plausible mistake: floor division drops the rows left over
    assert not C.check_batch_shares(lambda b, w: [b // w] * w)
    out = capsys.readouterr().out
    assert "expected: [5, 4] for global_batch=9, world_size=2" in out
    assert "[4, 4] (8 rows in all: 1 of the batch lost)" in out
    # plausible mistake: the last rank takes everything left over
    assert not C.check_batch_shares(lambda b, w: [b // w] * (w - 1) + [b - (w - 1) * (b // w)])
    assert "[2, 2, 2, 4] (as even as possible" in capsys.readouterr().out
    assert not C.check_batch_shares(lambda b, w: sorted(shares_right(b, w)))
    assert "(the first ranks take the extra rows)" in capsys.readouterr().out


def test_batch_shares_crash_on_a_single_rank(capsys):
    def by_pairs(b, w):  # fine until world_size=1
        return shares_right(b, w) if w > 1 else [b][1]

    assert not C.check_batch_shares(by_pairs)
    out = capsys.readouterr().out
    assert crashed(out, "IndexError") and "world_size=1" in out


def accumulate_right(model, x, y, micro_batches):
    for xs, ys in zip(x.tensor_split(micro_batches), y.tensor_split(micro_batches), strict=True):
        (model(xs, ys)[1] * len(xs) / len(x)).backward()


def test_accumulated_grads(capsys):
    assert C.check_accumulated_grads(accumulate_right)

    def summed(model, x, y, k):  # plausible mistake: each micro-batch's mean, unweighted
        for xs, ys in zip(x.tensor_split(k), y.tensor_split(k), strict=True):
            model(xs, ys)[1].backward()

    assert not C.check_accumulated_grads(summed)
    out = capsys.readouterr().out
    assert "2.00 times too large: each micro-batch's mean loss needs a weight" in out

    def divided(model, x, y, k):  # right for equal micro-batches only
        for xs, ys in zip(x.tensor_split(k), y.tensor_split(k), strict=True):
            (model(xs, ys)[1] / k).backward()

    assert not C.check_accumulated_grads(divided)
    out = capsys.readouterr().out
    assert "micro_batches=4" in out and "micro_batches=2" not in out
    assert "unequal size, 2, 2, 1, 1 rows" in out
    assert not C.check_accumulated_grads(lambda model, x, y, k: None)  # no backward at all
    assert "some .grad is None" in capsys.readouterr().out


def test_accumulated_grads_crash_on_a_later_probe(capsys):
    def equal_parts(model, x, y, k):  # right while k divides the rows, a crash at 6 rows in 4
        rows = len(x) // k
        assert rows * k == len(x), f"{len(x)} rows do not split into {k} equal parts"
        for i in range(0, len(x), rows):
            (model(x[i : i + rows], y[i : i + rows])[1] / k).backward()

    assert not C.check_accumulated_grads(equal_parts)
    out = capsys.readouterr().out
    assert crashed(out, "AssertionError") and "micro_batches=4" in out


# --- notebooks 11 and 12: the modern GPT and its training ----------------------------------


def swiglu_width_right(n_embd, multiple_of):
    hidden = int(8 * n_embd / 3)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def test_swiglu_width(capsys):
    assert C.check_swiglu_width(swiglu_width_right)
    assert swiglu_width_right(4096, 256) == 11008  # LLaMA 7B's published width
    # plausible mistake: rounded down to the multiple
    assert not C.check_swiglu_width(lambda n, m: m * (int(8 * n / 3) // m))
    out = capsys.readouterr().out
    assert "expected: 11008 for n_embd=4096, multiple_of=256" in out and "rounded down" in out
    # plausible mistake: the ReLU MLP's width
    assert not C.check_swiglu_width(lambda n, m: 4 * n)
    assert "4 n_embd is the ReLU MLP's width" in capsys.readouterr().out
    # plausible mistake: the multiple forgotten (right for multiple_of=1 only)
    assert not C.check_swiglu_width(lambda n, m: int(8 * n / 3))
    out = capsys.readouterr().out
    assert "not rounded to a multiple" in out and "multiple_of=1" not in out


def test_swiglu_width_crash_on_a_multiple_of_one(capsys):
    def by_log(n_embd, multiple_of):  # fine for powers of two, log(1) = 0 divides by zero
        import math

        step = 2 ** round(math.log2(multiple_of) / math.log2(multiple_of))
        return swiglu_width_right(n_embd, multiple_of) * step // step

    assert not C.check_swiglu_width(by_log)
    assert crashed(capsys.readouterr().out, "ZeroDivisionError")


def rope_interleaved_right(x, cos, sin):
    T = x.shape[-2]
    even, odd = x[..., 0::2], x[..., 1::2]
    c, s = cos[:T], sin[:T]
    return torch.stack((even * c - odd * s, even * s + odd * c), dim=-1).flatten(-2)


def test_rope_interleaved(capsys):
    from helpers import apply_rope

    assert C.check_rope_interleaved(rope_interleaved_right)
    # plausible mistake: the half-split layout of apply_rope
    assert not C.check_rope_interleaved(apply_rope)
    assert "that is apply_rope's layout" in capsys.readouterr().out
    # plausible mistake: turned the wrong way
    assert not C.check_rope_interleaved(lambda x, c, s: rope_interleaved_right(x, c, -s))
    assert "the sines have the wrong sign" in capsys.readouterr().out

    def not_put_back(x, cos, sin):
        T = x.shape[-2]
        even, odd = x[..., 0::2], x[..., 1::2]
        c, s = cos[:T], sin[:T]
        return torch.cat((even * c - odd * s, even * s + odd * c), dim=-1)

    assert not C.check_rope_interleaved(not_put_back)
    assert "not put back" in capsys.readouterr().out


def test_rope_interleaved_crash_when_the_tables_are_longer_than_x(capsys):
    def unsliced(x, cos, sin):  # right when x has as many positions as the tables
        even, odd = x[..., 0::2], x[..., 1::2]
        return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)

    assert not C.check_rope_interleaved(unsliced)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "(1, 1, 5, 8)" in out


def test_orthogonalize_svd(capsys):
    def right(G):
        U, _, Vh = torch.linalg.svd(G, full_matrices=False)
        return U @ Vh

    assert C.check_orthogonalize_svd(right)

    # plausible mistake: U S V^T, which is G again
    def with_s(G):
        U, S, Vh = torch.linalg.svd(G, full_matrices=False)
        return U @ torch.diag(S) @ Vh

    assert not C.check_orthogonalize_svd(with_s)
    assert "G itself" in capsys.readouterr().out

    # plausible mistake: the full matrices, a wrong shape for a tall or wide G
    def full(G):
        U, _, Vh = torch.linalg.svd(G)
        return U[:, : Vh.shape[0]] @ Vh if U.shape[0] >= Vh.shape[0] else U @ Vh[: U.shape[0]]

    assert C.check_orthogonalize_svd(full)  # cut back to shape, it is the same matrix
    assert not C.check_orthogonalize_svd(lambda G: torch.linalg.svd(G)[0])
    assert "full_matrices=False" in capsys.readouterr().out
    # plausible mistake: Newton-Schulz normalised but not iterated
    assert not C.check_orthogonalize_svd(lambda G: G / G.norm())
    assert "not all 1" in capsys.readouterr().out


def test_orthogonalize_svd_crash_with_the_full_matrices(capsys):
    def full(G):  # U (4, 4) @ Vh (6, 6): the shapes do not meet unless G is square
        U, _, Vh = torch.linalg.svd(G)
        return U @ Vh

    assert not C.check_orthogonalize_svd(full)
    out = capsys.readouterr().out
    assert crashed(out, "RuntimeError") and "(4, 6)" in out


def sliding_cache_floats_right(config, n_tokens, batch_size=1):
    positions = min(n_tokens, config.context_length - 1)
    return config.n_layer * 2 * batch_size * positions * config.n_embd


def test_sliding_cache_floats_counts_what_forward_sliding_keeps():
    from helpers import ModernConfig, ModernGPT, forward_sliding

    config = ModernConfig(vocab_size=11, context_length=8, n_embd=12, n_head=3, n_layer=2)
    model = ModernGPT(config).eval()
    for n_tokens, batch_size in [(3, 1), (7, 2), (20, 2)]:
        idx = torch.randint(11, (batch_size, n_tokens))
        with torch.no_grad():
            _, cache = forward_sliding(model, idx, [], 0)
        kept = sum(k.numel() + v.numel() for k, v in cache)
        assert kept == sliding_cache_floats_right(config, n_tokens, batch_size)


def test_sliding_cache_floats(capsys):
    assert C.check_sliding_cache_floats(sliding_cache_floats_right)
    capsys.readouterr()
    # plausible mistake: the keys only
    assert not C.check_sliding_cache_floats(
        lambda c, n, batch_size=1: sliding_cache_floats_right(c, n, batch_size) // 2
    )
    assert "the cache keeps the keys and the values" in capsys.readouterr().out
    # plausible mistake: nothing dropped, a cache that grows with the text
    assert not C.check_sliding_cache_floats(
        lambda c, n, batch_size=1: c.n_layer * 2 * batch_size * n * c.n_embd
    )
    assert "keeping at most context_length - 1" in capsys.readouterr().out
    # plausible mistake: a window of context_length kept positions
    assert not C.check_sliding_cache_floats(
        lambda c, n, batch_size=1: c.n_layer * 2 * batch_size * min(n, c.context_length) * c.n_embd
    )
    assert "the new position completes the window" in capsys.readouterr().out
    # plausible mistake: one head's share (head_size instead of n_embd)
    assert not C.check_sliding_cache_floats(
        lambda c, n, batch_size=1: sliding_cache_floats_right(c, n, batch_size) // c.n_head
    )
    assert "one head's share" in capsys.readouterr().out
    # plausible mistake: the batch left out
    assert not C.check_sliding_cache_floats(
        lambda c, n, batch_size=1: sliding_cache_floats_right(c, n)
    )
    assert "batch_size left out" in capsys.readouterr().out


def test_sliding_cache_floats_crash_without_batch_size(capsys):
    assert not C.check_sliding_cache_floats(lambda config, n_tokens: 0)
    assert crashed(capsys.readouterr().out, "TypeError")


# --- every check: not attempted, and what a notebook shows for the verdict ----------------------


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
    assert len(ALL_CHECKS) == 31, ALL_CHECKS  # a new check gets its tests in this file too


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


def test_continuation_logprob_on_another_text(capsys):
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("abcdefg hij\n")  # none of the default probes' capitals
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, context_length=32, n_embd=16, n_head=2))
    model.eval()
    assert C.check_continuation_logprob(logprob_right, model, tok)
    mean = lambda m, t, p, c: logprob_right(m, t, p, c) / len(c)  # noqa: E731
    assert not C.check_continuation_logprob(mean, model, tok)
    assert "the mean per character" in capsys.readouterr().out
