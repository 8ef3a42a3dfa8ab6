"""Notebooks 11 and 12: the modern GPT, each piece, the switches, Muon, and the sliding KV cache."""

import dataclasses
import math

import pytest
import torch
from torch.nn import functional as F

from helpers import (
    GPT,
    FeedForward,
    ModernConfig,
    ModernGPT,
    Muon,
    RMSNorm,
    SwiGLU,
    apply_rope,
    configure_muon,
    drop_biases,
    forward_sliding,
    generate_sliding,
    lr_at,
    lr_wsd,
    orthogonalize,
    rope_tables,
    swiglu_hidden,
)
from tests.conftest import TINY

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py

LECTURE = dict(rope=False, rmsnorm=False, swiglu=False, bias=True, tied=False, qk_norm=False)


def modern(seed=0, **changes):
    """A tiny ModernGPT (TINY's shape), every modern switch on unless `changes` say otherwise."""
    torch.manual_seed(seed)
    return ModernGPT(ModernConfig(**{**dataclasses.asdict(TINY), **changes})).eval()


def peaked(model, scale=8.0):
    """Scale the output layer up: random weights then give clear favourites, not near-ties, so
    that greedy and sampled ids compare meaningfully."""
    with torch.no_grad():
        model.lm_head.weight.mul_(scale)
    return model


# --- the pieces -------------------------------------------------------------------------------


def test_rmsnorm_divides_by_the_root_mean_square_like_torchs_own():
    x = torch.randn(3, 5, 16) * 4 + 1
    norm = RMSNorm(16)
    with torch.no_grad():
        norm.weight.copy_(torch.linspace(0.5, 2, 16))
    torch.testing.assert_close(norm(x), F.rms_norm(x, (16,), norm.weight, eps=1e-6))
    plain = RMSNorm(16)(x)
    torch.testing.assert_close(plain.pow(2).mean(-1), torch.ones(3, 5), rtol=1e-4, atol=1e-4)
    assert not torch.allclose(plain.mean(-1), torch.zeros(3, 5), atol=1e-2)  # not centred


def test_rope_attention_scores_depend_only_on_the_distance():
    cos, sin = rope_tables(8, 40)
    q, k = torch.randn(8), torch.randn(8)

    def score(m, n):
        qm = apply_rope(q.expand(40, 8), cos, sin)[m]
        kn = apply_rope(k.expand(40, 8), cos, sin)[n]
        return (qm @ kn).item()

    assert score(5, 2) == pytest.approx(score(35, 32), abs=1e-5)
    assert score(9, 9) == pytest.approx(score(0, 0), abs=1e-5)
    assert score(5, 2) != pytest.approx(score(5, 4), abs=1e-3)  # another distance, another score
    torch.testing.assert_close(
        apply_rope(q.expand(40, 8), cos, sin).norm(dim=-1), q.norm().expand(40)
    )


def test_rope_tables_start_where_asked_and_turn_the_first_pair_fastest():
    cos, sin = rope_tables(8, 30)
    later = rope_tables(8, 10, start=20)
    torch.testing.assert_close(later[0], cos[20:])
    torch.testing.assert_close(later[1], sin[20:])
    assert torch.equal(cos[0], torch.ones(4)) and torch.equal(sin[0], torch.zeros(4))
    angles = torch.atan2(sin[1], cos[1])
    assert angles[0] == pytest.approx(1.0) and torch.all(angles[:-1] > angles[1:])


def test_rope_refuses_an_odd_head_size_and_a_table_too_short():
    with pytest.raises(ValueError, match="head_size must be even; got 7"):
        rope_tables(7, 16)
    cos, sin = rope_tables(8, 16)
    with pytest.raises(
        ValueError, match=r"cover 16 positions, the input has 20.*rope_tables\(head_size, 20\)"
    ):
        apply_rope(torch.randn(1, 2, 20, 8), cos, sin)
    with pytest.raises(
        ValueError, match=r"n_embd // n_head = 30 // 2 = 15 is odd. Pick n_head so that"
    ):
        ModernConfig(n_embd=30, n_head=2)
    ModernConfig(n_embd=30, n_head=2, rope=False)  # learned positions do not need pairs


def test_modern_config_refuses_a_switch_that_is_not_true_or_false():
    with pytest.raises(ValueError, match="rope is a switch"):
        ModernConfig(rope="yes")


def test_swiglu_has_the_relu_mlps_parameter_count():
    for n_embd in (96, 384):
        weights = lambda m: sum(p.numel() for p in m.parameters() if p.dim() == 2)  # noqa: E731
        assert weights(SwiGLU(n_embd)) == weights(FeedForward(n_embd))
    assert swiglu_hidden(96) == 256 and swiglu_hidden(100) == 267
    x = torch.randn(2, 3, 16)
    mlp = SwiGLU(16)
    expected = mlp.down(F.silu(mlp.gate(x)) * mlp.up(x))
    torch.testing.assert_close(mlp(x), expected)


def test_drop_biases_removes_every_bias_and_the_model_still_runs():
    model = GPT(TINY)
    before = sum(p.numel() for p in model.parameters())
    drop_biases(model)
    assert all(not name.endswith("bias") for name, _ in model.named_parameters())
    removed = before - sum(p.numel() for p in model.parameters())
    c = TINY  # lm_head, ln_f, and per layer: proj (C), ffwd (4C + C), ln1 (C), ln2 (C)
    assert removed == c.vocab_size + c.n_embd + c.n_layer * 8 * c.n_embd
    model(torch.zeros(1, 4, dtype=torch.long))


# --- the switches -----------------------------------------------------------------------------


def test_every_switch_off_is_the_lectures_gpt_exactly(tiny_gpt):
    lecture = tiny_gpt(dropout=0.0)
    model = ModernGPT(ModernConfig(**{**dataclasses.asdict(TINY), **LECTURE})).eval()
    model.load_state_dict(
        lecture.state_dict()
    )  # the same names and shapes, parameter for parameter
    idx = torch.randint(0, 11, (2, 8))
    assert torch.equal(model(idx)[0], lecture(idx)[0])


def test_tied_embeddings_share_one_matrix_and_each_switch_changes_the_count():
    model = modern()
    assert model.lm_head.weight is model.token_embedding_table.weight
    assert "position_embedding_table.weight" not in model.state_dict()
    counts = {
        name: sum(p.numel() for p in modern(**{**LECTURE, **switch}).parameters())
        for name, switch in {
            "lecture": {},
            "rope": {"rope": True},
            "swiglu": {"swiglu": True},
            "tied": {"tied": True},
            "qk_norm": {"qk_norm": True},
        }.items()
    }
    c = TINY
    assert counts["lecture"] - counts["rope"] == c.context_length * c.n_embd
    assert counts["lecture"] - counts["tied"] == c.vocab_size * c.n_embd
    assert counts["qk_norm"] - counts["lecture"] == c.n_layer * 2 * (c.n_embd // c.n_head)
    # SwiGLU: 3 C x h weights for ReLU's 2 C x 4C (h = 8C/3, rounded: 43 for 16), and biases
    # 2h + C for ReLU's 4C + C
    C, h = c.n_embd, swiglu_hidden(c.n_embd)
    relu, swiglu = 8 * C * C + 5 * C, 3 * C * h + 2 * h + C
    assert counts["swiglu"] - counts["lecture"] == c.n_layer * (swiglu - relu)


def test_the_modern_model_is_causal():
    model = modern()
    idx = torch.randint(0, 11, (2, 8))
    changed = idx.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 11
    torch.testing.assert_close(model(idx)[0][:, :5], model(changed)[0][:, :5])
    assert not torch.allclose(model(idx)[0][:, 5:], model(changed)[0][:, 5:])


def test_with_rope_a_long_text_is_read_through_a_sliding_window():
    model = modern(n_layer=2, qk_norm=True)
    idx = torch.randint(0, 11, (1, 30))
    logits, _ = model(idx)  # 30 positions with a context of 8: a window, no error
    reach = 2 * (8 - 1) + 1  # two layers each see 7 positions back
    torch.testing.assert_close(logits[0, -1], model(idx[:, -reach:])[0][0, -1], atol=1e-5, rtol=0)
    shorter = model(idx[:, -(reach - 1) :])[0][0, -1]
    assert not torch.allclose(logits[0, -1], shorter, atol=1e-5)  # one id less does change it
    with pytest.raises(ValueError, match="learned only 8"):
        modern(rope=False)(idx)


# --- Muon -------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(16, 48), (48, 16), (32, 32)])
def test_orthogonalize_sets_every_singular_value_near_one(shape):
    torch.manual_seed(0)
    G = torch.randn(shape)
    values = torch.linalg.svdvals(orthogonalize(G))
    assert values.min() > 0.6 and values.max() < 1.25, values
    before = torch.linalg.svdvals(G)
    assert before.max() / before.min() > 3  # from spread-out singular values ...
    U, _, Vh = torch.linalg.svd(G, full_matrices=False)
    cosine = F.cosine_similarity(orthogonalize(G).flatten(), (U @ Vh).flatten(), dim=0)
    assert cosine > 0.95  # the same singular vectors: close to U V^T
    with pytest.raises(ValueError, match="takes a matrix"):
        orthogonalize(torch.randn(2, 3, 4))


@pytest.mark.skipif(not hasattr(torch.optim, "Muon"), reason="this torch has no torch.optim.Muon")
def test_muon_by_hand_takes_the_step_of_torchs_muon():
    torch.manual_seed(0)
    start = torch.randn(24, 40)
    grads = [torch.randn(24, 40) for _ in range(3)]
    ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
    mine = Muon([ours], lr=0.01, weight_decay=0.1)
    torchs = torch.optim.Muon([theirs], lr=0.01, weight_decay=0.1, adjust_lr_fn="match_rms_adamw")
    for g in grads:
        ours.grad, theirs.grad = g.clone(), g.clone()
        mine.step()
        torchs.step()
    moved_ours, moved_theirs = ours.detach() - start, theirs.detach() - start
    # torch's Newton-Schulz runs in bfloat16, ours in float32: equal to about 1%
    relative = (moved_ours - moved_theirs).norm() / moved_theirs.norm()
    assert relative < 0.02, relative


def test_muons_other_groups_take_exactly_adamws_steps():
    torch.manual_seed(0)
    start = torch.randn(7)
    ours, theirs = start.clone().requires_grad_(), start.clone().requires_grad_()
    mine = Muon([{"params": [ours], "muon": False}], lr=0.01, weight_decay=0.1)
    adamw = torch.optim.AdamW([theirs], lr=0.01, weight_decay=0.1, betas=(0.9, 0.99), eps=1e-8)
    for _ in range(4):
        g = torch.randn(7)
        ours.grad, theirs.grad = g.clone(), g.clone()
        mine.step()
        adamw.step()
    torch.testing.assert_close(ours, theirs)


def test_configure_muon_gives_every_parameter_one_group():
    model = modern(rope=False, bias=True)
    optimizer = configure_muon(model, 1e-3, 0.1)
    seen = [id(p) for g in optimizer.param_groups for p in g["params"]]
    assert sorted(seen) == sorted(id(p) for p in model.parameters())  # each once, tied ones too
    muon, decayed, plain = optimizer.param_groups
    assert muon["muon"] and all(p.dim() == 2 for p in muon["params"])
    assert model.token_embedding_table.weight in decayed["params"] and not decayed["muon"]
    assert all(p.dim() == 1 for p in plain["params"]) and plain["weight_decay"] == 0.0


def test_embedding_lr_scale_moves_only_the_embeddings_further():
    def one_step(scale):
        torch.manual_seed(0)
        model = modern()
        optimizer = configure_muon(model, 1e-2, 0.0, embedding_lr_scale=scale)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        idx = torch.randint(0, 11, (4, 9))
        model(idx[:, :-1], idx[:, 1:].contiguous())[1].backward()
        optimizer.step()
        return {n: (p.detach() - before[n]).abs().max().item() for n, p in model.named_parameters()}

    plain, scaled = one_step(1.0), one_step(5.0)
    # AdamW's first step moves each number by its learning rate: 5 times further at 5x
    assert plain["token_embedding_table.weight"] == pytest.approx(1e-2, rel=1e-3)
    assert scaled["token_embedding_table.weight"] == pytest.approx(5e-2, rel=1e-3)
    for name in plain:  # the matrices (Muon) and the norms take the same steps as before
        if name != "token_embedding_table.weight":
            assert scaled[name] == pytest.approx(plain[name], rel=1e-5), name


def test_lr_wsd_warms_up_holds_the_peak_then_falls_in_a_straight_line():
    from helpers.course import TrainConfig

    cfg = TrainConfig(learning_rate=1e-3, min_lr=1e-5, warmup_iters=10, max_iters=110)
    assert [lr_wsd(s, cfg) for s in range(10)] == [lr_at(s, cfg) for s in range(10)]  # warmup
    assert all(lr_wsd(s, cfg) == pytest.approx(1e-3) for s in range(10, 56))  # held to halfway
    assert lr_wsd(110, cfg) == pytest.approx(1e-5)  # the end: min_lr
    decay = [lr_wsd(s, cfg) for s in range(55, 111)]
    steps = [b - a for a, b in zip(decay[:-1], decay[1:], strict=True)]
    assert all(d == pytest.approx(steps[0]) for d in steps) and steps[0] < 0  # one straight line
    assert lr_wsd(20, cfg, progress=0.75) == pytest.approx(1e-5 + 0.5 * (1e-3 - 1e-5))  # by time
    assert lr_wsd(20, cfg, progress=0.9, decay=0.2) == pytest.approx(1e-5 + 0.5 * (1e-3 - 1e-5))
    with pytest.raises(ValueError, match="schedule must be one of cosine, wsd"):
        TrainConfig(schedule="linear")


def test_muon_trains_a_tiny_model():
    model = modern().train()
    optimizer = configure_muon(model, 2e-2, 0.0)
    idx = torch.randint(0, 11, (4, 9))
    losses = []
    for _ in range(40):
        _, loss = model(idx[:, :-1], idx[:, 1:].contiguous())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


# --- the sliding KV cache ---------------------------------------------------------------------


def test_the_sliding_cache_gives_the_plain_loops_logits_past_the_context():
    model = modern(n_layer=2, qk_norm=True)
    idx = torch.randint(0, 11, (2, 5))
    logits, cache = forward_sliding(model, idx, [], 0)
    torch.testing.assert_close(logits, model(idx)[0])
    for _ in range(20):  # 25 ids with a context of 8: the window slides 17 times
        nxt = torch.randint(0, 11, (2, 1))
        logits, cache = forward_sliding(model, nxt, cache, idx.shape[1])
        idx = torch.cat((idx, nxt), dim=1)
        torch.testing.assert_close(logits[:, -1], model(idx)[0][:, -1], atol=1e-5, rtol=1e-5)
        assert cache[0][0].shape[2] == min(idx.shape[1], 7)  # at most context_length - 1 kept


@pytest.mark.parametrize("temperature, top_k", [(0.0, None), (1.0, None), (0.8, 5)])
def test_generate_sliding_gives_exactly_the_plain_loops_ids(temperature, top_k):
    model = peaked(modern(n_layer=2))
    prompt = torch.randint(0, 11, (2, 3))
    torch.manual_seed(7)
    plain = model.generate(prompt, 40, temperature=temperature, top_k=top_k)
    torch.manual_seed(7)
    cached = generate_sliding(model, prompt, 40, temperature=temperature, top_k=top_k)
    assert torch.equal(plain, cached)
    assert plain.shape == (2, 43)


def test_generate_sliding_takes_a_prompt_longer_than_the_context_and_an_empty_one():
    model = peaked(modern())
    long = torch.randint(0, 11, (1, 20))
    assert torch.equal(generate_sliding(model, long, 10, 0.0), model.generate(long, 10, 0.0))
    empty = torch.zeros((1, 0), dtype=torch.long)
    assert generate_sliding(model, empty, 5, 0.0).shape == (1, 6)


def test_generate_sliding_refuses_learned_positions():
    with pytest.raises(ValueError, match="needs RoPE"):
        generate_sliding(modern(rope=False), torch.zeros((1, 1), dtype=torch.long), 5)


def test_rotations_past_the_table_are_exact():
    """Positions in the thousands: the angles are computed in float64, so q.k stays the same."""
    cos, sin = rope_tables(16, 8, start=5000)
    near = rope_tables(16, 8)
    q, k = torch.randn(1, 1, 8, 16), torch.randn(1, 1, 8, 16)
    far = apply_rope(q, cos, sin) @ apply_rope(k, cos, sin).transpose(-2, -1)
    close = apply_rope(q, *near) @ apply_rope(k, *near).transpose(-2, -1)
    torch.testing.assert_close(far, close, atol=1e-5, rtol=1e-5)
    assert math.isclose(float(cos[0, 0]), math.cos(5000.0), abs_tol=1e-6)
