"""The checks of notebook 12's exercises (helpers/course/checks/nb12_training_modern_gpt.py): each
passes a right answer and fails a plausible wrong one with a useful message."""

import torch
from checks_support import crashed

from helpers.course import checks as C


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
