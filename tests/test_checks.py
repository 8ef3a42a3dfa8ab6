"""Each exercise checker passes a right answer and fails a plausible wrong one with a useful message."""

from collections import Counter

import torch

from helpers import CharTokenizer
from helpers import checks as C


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

from torch.nn import functional as F  # noqa: E402

from helpers.attention import Head, MultiHeadAttention  # noqa: E402
from helpers.blocks import Block  # noqa: E402


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
    from helpers.model import sample_next

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
    from helpers.model import GPT, GPTConfig

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
