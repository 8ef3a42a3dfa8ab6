"""helpers.course.diagrams: each picture renders to PNG, names what the course's code names, with
the sizes it was given, keeps every text on the page, inside its box and clear of the others, and
refuses impossible sizes with a clear error."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from helpers import GPT, GPTConfig  # noqa: E402
from helpers.course.diagrams import (  # noqa: E402
    DONE,
    HERE,
    NOTEBOOK_TITLES,
    block_diagram,
    data_parallel,
    gpt_diagram,
    heads_split_concat,
    qkv_flow,
    roadmap,
    view_transpose_shapes,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig):
    """Every non-empty text the picture writes."""
    found = list(fig.texts) + [t for ax in fig.axes for t in ax.texts]
    return [t for t in found if t.get_visible() and t.get_text().strip()]


def labels(fig):
    return [t.get_text() for t in texts(fig)]


def render(fig, path):
    """Save as PNG (a missing glyph is an error, not a warning) and check the layout."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(path, format="png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = fig.get_size_inches()
    assert width <= 12 and height <= 8, "keep the pictures laptop-sized"

    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    boxes = {p.get_gid(): p.get_window_extent(renderer) for ax in fig.axes for p in ax.patches}
    extents = []
    for text in texts(fig):
        bb = text.get_window_extent(renderer)
        name = repr(text.get_text())
        assert text.get_fontsize() >= 9, f"{name} is too small to read"
        assert page.x0 <= bb.x0 and bb.x1 <= page.x1 and page.y0 <= bb.y0 and bb.y1 <= page.y1, (
            f"{name} runs off the figure"
        )
        if text.get_gid():  # written in a box: it must stay inside it
            box = boxes[text.get_gid()]
            assert box.x0 < bb.x0 and bb.x1 < box.x1 and box.y0 < bb.y0 and bb.y1 < box.y1, (
                f"{name} overflows its box"
            )
        extents.append((name, bb))
    for i, (name, bb) in enumerate(extents):
        for other, ob in extents[i + 1 :]:
            overlap_x = min(bb.x1, ob.x1) - max(bb.x0, ob.x0)
            overlap_y = min(bb.y1, ob.y1) - max(bb.y0, ob.y0)
            assert overlap_x <= 0.5 or overlap_y <= 0.5, f"{name} overlaps {other}"


@pytest.mark.parametrize("T", [2, 4, 5, 6])
def test_qkv_flow_draws_the_head_and_a_masked_score_matrix(T, tmp_path):
    fig = qkv_flow(T=T)
    render(fig, tmp_path / "qkv.png")
    found = labels(fig)
    for expected in [
        "query",
        "key",
        "value",
        "(B, T, C)",
        "(B, T, head_size)",
        "q @ kᵀ / √head_size",
        "causal mask",
        "future = -inf",
        "softmax(dim=-1)",
        "weights @ v",
    ]:
        assert expected in found, f"qkv_flow should show {expected!r}"
    # the strict upper triangle of the scores is masked, and the weights there are 0
    assert found.count("-inf") == T * (T - 1) // 2
    assert found.count("0") == T * (T - 1) // 2 + 4  # and the labels of row 0 and column 0
    assert "1.00" in found, "the first position can only read itself"


@pytest.mark.parametrize(
    "n_embd,n_head,expected",
    [
        (32, 4, ["heads[0]", "heads[3]", "(B, T, 8)", "0–7", "24–31", "(B, T, 32)"]),
        (384, 6, ["heads[5]", "(B, T, 64)", "320–383", "Linear(384, 384)"]),
        (96, 12, ["heads[0]", "heads[1]", "heads[11]", "⋮  9 more heads  ⋮", "16–87", "88–95"]),
    ],
)
def test_heads_split_concat_shows_each_head_the_concatenation_and_proj(
    n_embd, n_head, expected, tmp_path
):
    fig = heads_split_concat(n_embd, n_head)
    render(fig, tmp_path / "heads.png")
    found = labels(fig)
    for label in ["x", "torch.cat(dim=-1)", "proj", "out", *expected]:
        assert label in found, f"heads_split_concat({n_embd}, {n_head}) should show {label!r}"


@pytest.mark.parametrize(
    "n_embd,n_head,expected",
    [
        (32, 4, ["(B, 4, T, 8)", "(B, T, 4, 8)", "(B, T, 96)", "view(B, T, 4, 8)"]),
        (
            384,
            6,
            ["(B, 6, T, 64)", "(B, T, 6, 64)", "(B, T, 1152)", "(B, T, 384)", "view(B, T, 6, 64)"],
        ),
    ],
)
def test_view_transpose_shapes_follow_the_configuration(n_embd, n_head, expected, tmp_path):
    fig = view_transpose_shapes(n_embd, n_head)
    render(fig, tmp_path / "fused.png")
    found = labels(fig)
    for label in [
        f"c_attn: Linear({n_embd}, {3 * n_embd})",
        f"split({n_embd}, dim=2)",
        "transpose(1, 2)",
        f"contiguous().view(B, T, {n_embd})",
        f"proj: Linear({n_embd}, {n_embd})",
        "(B, n_head, T, head_size)",
        "F.scaled_dot_product_attention",
        *expected,
    ]:
        assert label in found, f"view_transpose_shapes({n_embd}, {n_head}) should show {label!r}"
    assert found.count("transpose(1, 2)") == 2, "there and back again"


def test_block_diagram_has_both_residual_adds(tmp_path):
    fig = block_diagram(32, 4)
    render(fig, tmp_path / "block.png")
    found = labels(fig)
    for label in [
        "ln1",
        "sa",
        "ln2",
        "ffwd",
        "MultiHeadAttention",
        "4 heads of 8",
        "FeedForward",
        "32 → 128 → 32",
        "x = x + self.sa(self.ln1(x))",
        "x = x + self.ffwd(self.ln2(x))",
    ]:
        assert label in found, f"block_diagram should show {label!r}"
    assert found.count("+") == 2, "one residual add per half"


def test_gpt_diagram_with_the_full_config_shows_its_shapes_and_parameters(tmp_path):
    fig = gpt_diagram(GPTConfig())
    render(fig, tmp_path / "gpt.png")
    found = labels(fig)
    for label in [
        "token_embedding_table",
        "position_embedding_table",
        "Embedding(65, 384)",
        "Embedding(256, 384)",
        "blocks: 6 × Block",
        "6 heads of 64, ffwd",
        "ln_f",
        "lm_head",
        "Linear(384, 65)",
        "logits (B, T, 65)",
        "total 10,788,929",
    ]:
        assert label in found, f"gpt_diagram(GPTConfig()) should show {label!r}"
    assert any("10,788,929 parameters" in text for text in found)


def test_gpt_diagram_counts_the_parameters_of_the_real_model(tmp_path):
    config = GPTConfig(vocab_size=11, context_length=8, n_embd=16, n_head=2, n_layer=2)
    fig = gpt_diagram(config)
    render(fig, tmp_path / "tiny.png")
    real = sum(p.numel() for p in GPT(config).parameters())
    assert f"total {real:,}" in labels(fig)


def test_gpt_diagram_without_a_config_names_the_sizes(tmp_path):
    fig = gpt_diagram()
    render(fig, tmp_path / "gpt_names.png")
    found = labels(fig)
    for label in [
        "blocks: n_layer × Block",
        "Linear(n_embd, vocab_size)",
        "logits (B, T, vocab_size)",
    ]:
        assert label in found
    assert not any("total" in text for text in found), "no parameter count without a config"


@pytest.mark.parametrize("draw", [heads_split_concat, view_transpose_shapes, block_diagram])
def test_heads_that_do_not_divide_the_width_are_refused(draw):
    with pytest.raises(ValueError, match="n_embd=30 is not divisible by n_head=4"):
        draw(30, 4)
    with pytest.raises(ValueError, match="n_head must be a positive whole number"):
        draw(32, 0)
    assert not plt.get_fignums(), "no half-drawn figure is left behind"


@pytest.mark.parametrize("T", [0, 1, 7, 2.5, True])
def test_qkv_flow_refuses_a_sequence_it_cannot_draw(T):
    with pytest.raises(ValueError, match="T must be a whole number from 2 to 6"):
        qkv_flow(T=T)


def test_gpt_diagram_refuses_what_is_not_a_config():
    with pytest.raises(TypeError, match="config must be a GPTConfig"):
        gpt_diagram("gpu")


@pytest.mark.parametrize(
    "draw,notebook",
    [
        (qkv_flow, "05"),
        (heads_split_concat, "06"),
        (block_diagram, "07"),
        (view_transpose_shapes, "08"),
        (gpt_diagram, "08"),
        (data_parallel, "13"),
    ],
)
def test_each_diagram_says_which_notebook_shows_it(draw, notebook):
    assert f"Shown in notebook {notebook}" in " ".join(draw.__doc__.split())


@pytest.mark.parametrize("world_size,global_batch", [(1, 64), (2, 64), (2, 9), (3, 10), (4, 64)])
def test_data_parallel_draws_every_rank_its_rows_and_one_all_reduce(
    world_size, global_batch, tmp_path
):
    fig = data_parallel(world_size, global_batch)
    render(fig, tmp_path / "ddp.png")
    found = labels(fig)
    assert "all-reduce" in found and f"({global_batch}, T)" in found
    assert found.count("all-reduce") == 1, "one all-reduce for all the ranks"
    for name in ("forward+backward", "AdamW step", "same g: same weights"):
        assert found.count(name) == world_size, f"each rank should show {name!r}"
    ranks = [text for text in found if text.startswith("rank ")]
    assert ranks == [f"rank {r}" for r in range(world_size)]
    rows = [text for text in found if text.startswith("rows ")]
    sizes = [int(b) - int(a) + 1 for a, b in (text[5:].split("–") for text in rows)]
    assert sum(sizes) == global_batch and max(sizes) - min(sizes) <= 1, rows
    assert rows[0].startswith("rows 0–") and rows[-1].endswith(f"–{global_batch - 1}")


@pytest.mark.parametrize(
    "args,message",
    [
        ((5, 64), "world_size must be 1 to 4"),
        ((0, 64), "world_size must be a positive whole number"),
        ((2, 1), "global batch of 1 cannot give each of 2 ranks a row"),
        ((2, 2.5), "global_batch must be a positive whole number"),
    ],
)
def test_data_parallel_refuses_what_it_cannot_draw(args, message):
    with pytest.raises(ValueError, match=message):
        data_parallel(*args)
    assert not plt.get_fignums()


def box_colours(fig):
    """{title written in a box: its fill colour as #rrggbb}"""
    import matplotlib.colors as mcolors

    ax = fig.axes[0]
    fills = {p.get_gid(): mcolors.to_hex(p.get_facecolor()) for p in ax.patches if p.get_gid()}
    titles = {}
    for t in ax.texts:
        if t.get_gid() in fills and t.get_fontweight() == "bold":
            titles[t.get_text()] = fills[t.get_gid()]
    return titles


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_TITLES))
def test_roadmap_lights_the_pieces_of_its_notebook(notebook, tmp_path):
    fig = roadmap(notebook)
    render(fig, tmp_path / f"roadmap-{notebook}.png")
    assert f"Notebook {notebook}: {NOTEBOOK_TITLES[notebook]}" in labels(fig)
    colours = box_colours(fig)
    lit = {name for name, colour in colours.items() if colour == HERE}
    done = {name for name, colour in colours.items() if colour == DONE}
    expected = {
        "00": set(),
        "01": {"text", "tokenizer"},
        "02": {"batches"},
        "05": {"embeddings", "attention"},
        "07": {"feed-forward"},
        "10": {"playground"},
        "13": {"many GPUs"},
        "14": {"tokenizer"},
    }
    if notebook in expected:
        assert lit == expected[notebook]
    else:
        assert lit, f"notebook {notebook} lights nothing on the roadmap"
    if notebook in ("00", "01"):
        assert not done
    if notebook == "13":
        assert "many GPUs" not in done and {"tokenizer", "attention", "playground"} <= done
    # notebook 14 comes after the road's end: only its own roadmap names it under the tokenizer
    assert ("notebook 01, 14" in labels(fig)) == (notebook == "14")


def test_every_notebook_has_a_place_on_the_roadmap():
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "notebooks"
    numbers = {p.name[:2] for p in folder.glob("[0-9][0-9]_*.ipynb")}
    assert numbers == set(NOTEBOOK_TITLES), "add the notebook to diagrams.NOTEBOOK_TITLES"


@pytest.mark.parametrize("bad", ["15", "x", 99])
def test_roadmap_refuses_a_notebook_it_does_not_know(bad):
    with pytest.raises(ValueError, match="notebook must be one of"):
        roadmap(bad)
