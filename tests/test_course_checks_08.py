"""The checks of notebook 08's exercises (helpers/course/checks/nb08_transformer.py): each passes a
right answer and fails a plausible wrong one with a useful message."""

import torch
from checks_support import crashed
from torch.nn import functional as F

from helpers.course import checks as C


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
