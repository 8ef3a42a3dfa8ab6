"""Each exercise checker passes a right answer and fails a plausible wrong one with a useful message."""

from collections import Counter

import torch

from helpers import CharTokenizer
from helpers.course import checks as C


def not_attempted(*args, **kwargs):
    raise NotImplementedError


def test_unattempted_exercise_is_reported_not_raised(capsys):
    assert C.check_most_common(not_attempted) is False
    assert "not attempted yet" in capsys.readouterr().out


def test_a_crash_in_the_learners_code_is_shown(capsys):
    assert C.check_most_common(lambda text, n: 1 / 0) is False
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


def test_bigram_nll(capsys):
    assert C.check_bigram_nll(lambda p, d: -torch.log(p[d[:-1], d[1:]]).mean())
    # plausible mistake: forgetting the minus sign
    assert not C.check_bigram_nll(lambda p, d: torch.log(p[d[:-1], d[1:]]).mean())
    assert "hint: pairs are" in capsys.readouterr().out


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
    assert "use the generator" in capsys.readouterr().out
    assert not C.check_sample_bigram(lambda probs, start, n, g: right(probs, start, n, g)[1:])


# --- notebooks 04-09 ------------------------------------------------------------------------------

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
    assert "the future leaks in" in capsys.readouterr().out


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
    assert "unscaled scores" in capsys.readouterr().out
    assert not C.check_head(UnmaskedHead)
    assert "the future leaks in" in capsys.readouterr().out


class NoProjection(MultiHeadAttention):
    def forward(self, x):
        return torch.cat([h(x) for h in self.heads], dim=-1)


def test_multi_head(capsys):
    assert C.check_multi_head(MultiHeadAttention)
    assert not C.check_multi_head(NoProjection)  # forgot the projection: same shape, other output
    assert "a different output" in capsys.readouterr().out

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
    assert "no residual connections" in capsys.readouterr().out
    assert not C.check_block(PostLayerNormBlock)
    assert "post-LN" in capsys.readouterr().out


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
    assert C.check_bigram_nll(lambda p, d: "a string") is False
    assert C.check_iterate_batches(lambda data, b, t: iter([1, 2, 3])) is False
    assert "could not check what your code returned" in capsys.readouterr().out
