"""Diagrams of the model and its training, drawn by code: one function per picture, each returning a Figure.

    qkv_flow               one head: keys, queries, values, the masked scores   (notebook 05)
    heads_split_concat     heads side by side, concatenated, projected          (notebook 06)
    view_transpose_shapes  the same with every head at once: the fused shapes   (notebook 08)
    block_diagram          the pre-LayerNorm block and its residual stream      (notebook 07)
    gpt_diagram            the whole GPT, with a config's shapes and parameters (notebook 08)
    data_parallel          DDP: each rank's rows, its backward, the all-reduce  (notebook 13)
    roadmap                the whole course on one page, one notebook's pieces lit (every notebook)

Only matplotlib draws them: nothing is downloaded and no image file is needed. The figures are
made with pyplot, so in a notebook `plt.show()` (or the end of the cell) displays them. Sizes are
in inches: each figure has one invisible axes whose data units are inches, so a box of width 2 is
2 inches wide on the page.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

TITLE, TEXT, DETAIL, SMALL = 14, 11, 10, 9  # font sizes in points
INK, GREY = "0.15", "0.4"
QUERY, KEY, VALUE = "#cfe2f3", "#fce5cd", "#d9ead3"  # the same colours in every picture
LAYER, NORM, TENSOR, ATTENTION = "#ead1dc", "#fff2cc", "white", "#d0e0e3"
LINE = 0.25  # inches between the lines of text in a box


# --- the drawing kit: a page measured in inches, boxes, arrows ---------------------------------


def _page(width, height, title, subtitle=None):
    """A blank figure of width x height inches whose data coordinates are inches."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    _text(ax, width / 2, height - 0.35, title, TITLE, weight="bold")
    if subtitle:
        _text(ax, width / 2, height - 0.72, subtitle)
    return fig, ax


def _text(ax, x, y, s, size=DETAIL, ha="center", code=False, **style):
    """Text centred vertically on y (and horizontally on x unless ha says otherwise)."""
    family = "monospace" if code else "sans-serif"
    return ax.text(x, y, s, ha=ha, va="center", fontsize=size, family=family, **style)


class _Box:
    """Where a box sits: its centre (x, y), width w and height h, and the middles of its sides."""

    def __init__(self, x, y, w, h):
        self.x, self.y, self.w, self.h = x, y, w, h
        self.left, self.right = (x - w / 2, y), (x + w / 2, y)
        self.top, self.bottom = (x, y + h / 2), (x, y - h / 2)


def _box(ax, x, y, w, h, title, *details, color=TENSOR):
    """A rounded box centred on (x, y) with a bold first line and smaller lines under it.

    The box and its text share a gid, so a test can check that the text stays inside the box.
    """
    patch = FancyBboxPatch(
        (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.08", fc=color, ec=INK
    )
    ax.add_patch(patch)
    patch.set_gid(f"box-{id(patch)}")
    lines = [(title, TEXT, "bold", INK)] + [(d, DETAIL, "normal", GREY) for d in details]
    for i, (text, size, weight, colour) in enumerate(lines):
        offset = ((len(lines) - 1) / 2 - i) * LINE  # the lines centred on y as a group
        style = dict(code=True, weight=weight, color=colour, gid=patch.get_gid())
        _text(ax, x, y + offset, text, size, **style)
    return _Box(x, y, w, h)


def _arrow(ax, *points, label=None, side="right", dashed=False):
    """An arrow through `points` (x, y): straight segments, the head on the last one.

    `label` is written beside the middle of the first segment: to its "right", "left" or "above".
    """
    style = "--" if dashed else "-"
    for (x0, y0), (x1, y1) in zip(points[:-2], points[1:-1], strict=True):
        ax.plot([x0, x1], [y0, y1], color=INK, lw=1.3, linestyle=style, solid_capstyle="butt")
    head = dict(arrowstyle="-|>", mutation_scale=14, shrinkA=0, shrinkB=0)
    ax.add_patch(FancyArrowPatch(points[-2], points[-1], lw=1.3, color=INK, ls=style, **head))
    if label:
        (x0, y0), (x1, y1) = points[0], points[1]
        x, y = (x0 + x1) / 2, (y0 + y1) / 2
        x, y, ha = {"right": (x + 0.12, y, "left"), "left": (x - 0.12, y, "right")}.get(
            side, (x, y + 0.18, "center")
        )
        _text(ax, x, y, label, ha=ha, code=True)


def _plus(ax, x, y):
    """The ⊕ where a branch is added back to the stream."""
    ax.add_patch(Circle((x, y), 0.2, fc="white", ec=INK, lw=1.3, zorder=3))
    _text(ax, x, y, "+", TITLE, weight="bold", zorder=4)
    return _Box(x, y, 0.4, 0.4)


def _check_heads(n_embd, n_head):
    for name, value in (("n_embd", n_embd), ("n_head", n_head)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
    if n_embd % n_head != 0:
        raise ValueError(
            f"n_embd={n_embd} is not divisible by n_head={n_head}: each head gets "
            "n_embd // n_head channels, so n_head must divide n_embd."
        )
    return n_embd // n_head


# --- notebook 05 ---------------------------------------------------------------------------------


def qkv_flow(T=5, seed=3):
    """One head of self-attention, step by step as in `Head.forward`. Shown in notebook 05.

    x goes through the `query`, `key` and `value` layers; the scores q @ kᵀ are scaled by
    1/sqrt(head_size), the future is masked with -inf, softmax turns each row into weights, and
    the weights sum the values. On the right, made-up scores of one sequence of T positions
    (2 to 6) before and after the softmax; `seed` picks the made-up numbers.
    """
    if isinstance(T, bool) or not isinstance(T, int) or not 2 <= T <= 6:
        raise ValueError(f"T must be a whole number from 2 to 6 (every entry is drawn), got {T!r}.")
    fig, ax = _page(11.8, 7.0, "One head of self-attention: Head.forward, step by step")

    x = _box(ax, 0.8, 4.5, 1.3, 0.95, "x", "(B, T, C)")
    _text(ax, 0.8, 3.8, "C = n_embd")
    tensors = {}
    for y, name, colour, role in (
        (5.65, "query", QUERY, "what I look for"),
        (4.5, "key", KEY, "what I contain"),
        (3.35, "value", VALUE, "what I pass on"),
    ):
        layer = _box(ax, 2.95, y, 2.15, 0.8, name, "Linear(C, head_size)", color=colour)
        tensor = _box(ax, 5.2, y, 1.85, 0.8, name[0], "(B, T, head_size)", color=colour)
        _arrow(ax, x.right, layer.left)
        _arrow(ax, layer.right, tensor.left)
        _text(ax, 5.2, y + 0.52, role, SMALL, style="italic")
        tensors[name[0]] = tensor

    column = 7.6
    scores = _box(ax, column, 5.1, 2.4, 0.8, "q @ kᵀ / √head_size", "scores (B, T, T)")
    mask = _box(ax, column, 3.8, 2.4, 0.8, "causal mask", "future = -inf", color=ATTENTION)
    softmax = _box(
        ax, column, 2.5, 2.4, 0.8, "softmax(dim=-1)", "weights (B, T, T)", color=ATTENTION
    )
    mix = _box(ax, column, 1.2, 2.4, 0.8, "weights @ v", "out (B, T, head_size)", color=VALUE)
    _arrow(ax, tensors["q"].right, (scores.left[0], scores.y + 0.15))
    _arrow(ax, tensors["k"].right, (scores.left[0], scores.y - 0.15))
    _arrow(ax, scores.bottom, mask.top)
    _arrow(ax, mask.bottom, softmax.top)
    _arrow(ax, softmax.bottom, mix.top)
    _arrow(ax, tensors["v"].bottom, (tensors["v"].x, mix.y), mix.left)

    note = (
        "Row t is position t reading the sequence.\nThe mask hides the columns after t (the\n"
        "future), softmax makes each row a set of\nweights that sum to 1, and out[t] is the\n"
        "weighted sum of the values v[0..t]."
    )
    _text(ax, 0.25, 1.9, note, ha="left", linespacing=1.5)

    # made-up scores of one sequence, masked, and the weights softmax makes of them
    raw = np.random.default_rng(seed).normal(size=(T, T)).round(1)
    future = np.triu(np.ones((T, T), dtype=bool), k=1)
    weights = np.exp(np.where(future, -np.inf, raw))
    weights /= weights.sum(axis=1, keepdims=True)
    cell = min(0.4, 2.2 / T)  # inches
    left = 10.6 - T * cell / 2
    _matrix(ax, left, 6.0, cell, raw, future, "scores after the mask", "{:.1f}", heat=False)
    _matrix(ax, left, 3.05, cell, weights, future, "weights: rows sum to 1", "{:.2f}", heat=True)
    _arrow(ax, mask.right, (left - 0.35, 6.0 - T * cell / 2), dashed=True)
    _arrow(ax, softmax.right, (left - 0.35, 3.05 - T * cell / 2), dashed=True)
    return fig


def _matrix(ax, left, top, cell, values, future, title, number, heat):
    """A T x T matrix drawn cell by cell from (left, top) down: the future greyed out."""
    T = len(values)
    _text(ax, left + T * cell / 2, top + 0.45, title)
    for i in range(T):
        _text(ax, left - 0.12, top - (i + 0.5) * cell, str(i), SMALL, ha="right")  # row
        _text(ax, left + (i + 0.5) * cell, top + 0.15, str(i), SMALL)  # column
        for j in range(T):
            if future[i, j]:
                colour, text, ink = "0.85", "-inf" if not heat else "0", GREY
            elif heat:
                colour = plt.cm.Blues(0.1 + 0.8 * values[i, j])
                text, ink = number.format(values[i, j]), "white" if values[i, j] > 0.55 else INK
            else:
                colour, text, ink = "white", number.format(values[i, j]), INK
            corner = (left + j * cell, top - (i + 1) * cell)
            ax.add_patch(Rectangle(corner, cell, cell, fc=colour, ec="0.6", lw=0.8))
            _text(ax, corner[0] + cell / 2, corner[1] + cell / 2, text, SMALL, color=ink)


# --- notebooks 06 and 08 -------------------------------------------------------------------------


def heads_split_concat(n_embd=32, n_head=4):
    """`MultiHeadAttention`: n_head heads side by side, concatenated, then `proj`.

    Every head reads all n_embd channels of x and returns head_size = n_embd // n_head of them;
    `torch.cat` puts the heads' outputs side by side, n_embd channels again, and `proj` mixes
    them. Shown in notebook 06. With more than 6 heads the middle ones are left out.
    """
    head_size = _check_heads(n_embd, n_head)
    shown = list(range(n_head)) if n_head <= 6 else [0, 1, None, n_head - 1]  # None: "..."
    row = 0.95 if len(shown) <= 4 else 0.8  # inches per head
    height = 2.4 + row * len(shown)
    fig, ax = _page(
        11.0,
        height,
        f"MultiHeadAttention: {n_head} heads of head_size = {n_embd} // {n_head} = {head_size}",
    )
    top = height - 1.4
    ys = [top - row * (i + 0.5) for i in range(len(shown))]
    middle = sum(ys) / len(ys)

    x = _box(ax, 0.85, middle, 1.4, 0.9, "x", f"(B, T, {n_embd})")
    bar_left, bar_w = 6.1, 1.2
    for y, h in zip(ys, shown, strict=True):
        if h is None:  # the heads left out, and their channels
            _text(ax, 3.3, y, f"⋮  {n_head - 3} more heads  ⋮")
            first, last = 2 * head_size, (n_head - 1) * head_size - 1
        else:
            head = _box(ax, 3.3, y, 2.3, 0.7, f"heads[{h}]", f"Head, size {head_size}", color=QUERY)
            _arrow(ax, x.right, head.left)
            _arrow(ax, head.right, (bar_left, y), label=f"(B, T, {head_size})", side="above")
            first, last = h * head_size, (h + 1) * head_size - 1
        ax.add_patch(Rectangle((bar_left, y - row / 2), bar_w, row, fc=QUERY, ec=INK))
        _text(ax, bar_left + bar_w / 2, y, f"{first}–{last}", code=True)
    bar_x, bar_top, bar_bottom = bar_left + bar_w / 2, ys[0] + row / 2, ys[-1] - row / 2
    _text(ax, bar_x, bar_top + 0.3, "torch.cat(dim=-1)", code=True, weight="bold")
    _text(ax, bar_x, bar_bottom - 0.3, f"channels of (B, T, {n_embd})")
    proj = _box(ax, 8.5, middle, 1.9, 0.9, "proj", f"Linear({n_embd}, {n_embd})", color=LAYER)
    out = _box(ax, 10.25, middle, 1.3, 0.9, "out", f"(B, T, {n_embd})")
    _arrow(ax, (bar_left + bar_w, middle), proj.left)
    _arrow(ax, proj.right, out.left)
    note = (
        f"Each head reads all {n_embd} channels of x and returns {head_size}; "
        f"{n_head} × {head_size} = {n_embd}, so the concatenation is as wide as x."
    )
    _text(ax, 0.2, 0.45, note, ha="left")
    return fig


def view_transpose_shapes(n_embd=32, n_head=4):
    """`CausalSelfAttention`'s shapes: every head at once. Shown in notebook 08.

    One `c_attn` layer makes q, k and v for all heads, (B, T, 3·n_embd); `view` and
    `transpose(1, 2)` make each (B, n_head, T, head_size), so the heads are one more batch
    dimension for the fused attention; `transpose` and `view` put the heads side by side again
    (what torch.cat did in notebook 06) before `proj`.
    """
    hs = _check_heads(n_embd, n_head)
    fig, ax = _page(
        11.0,
        6.9,
        "CausalSelfAttention: every head at once",
        f"n_embd = {n_embd}, n_head = {n_head}, head_size = {n_embd} // {n_head} = {hs}",
    )
    w, h = 2.3, 0.75
    ys = [5.5, 4.3, 3.1, 1.9, 0.7]

    def tensor(x, y, name, shape, symbols, side):
        box = _box(ax, x, y, w, h, shape, symbols, color=QUERY if "n_head" in symbols else TENSOR)
        edge, ha = (x - w / 2 - 0.12, "right") if side == "left" else (x + w / 2 + 0.12, "left")
        _text(ax, edge, y, name, ha=ha, style="italic")
        return box

    def step(a, b, label, side):  # an arrow down (left column) or up (right column)
        ends = (a.bottom, b.top) if a.y > b.y else (a.top, b.bottom)
        _arrow(ax, *ends, label=label, side=side)

    left = [
        tensor(1.95, ys[0], "x", f"(B, T, {n_embd})", "(B, T, n_embd)", "left"),
        tensor(1.95, ys[1], "qkv", f"(B, T, {3 * n_embd})", "(B, T, 3·n_embd)", "left"),
        tensor(1.95, ys[2], "q, k, v", f"(B, T, {n_embd})", "(B, T, n_embd)", "left"),
        tensor(1.95, ys[3], "", f"(B, T, {n_head}, {hs})", "(B, T, n_head, head_size)", "left"),
        tensor(1.95, ys[4], "", f"(B, {n_head}, T, {hs})", "(B, n_head, T, head_size)", "left"),
    ]
    steps = [
        f"c_attn: Linear({n_embd}, {3 * n_embd})",
        f"split({n_embd}, dim=2)",
        f"view(B, T, {n_head}, {hs})",
        "transpose(1, 2)",
    ]
    for a, b, label in zip(left[:-1], left[1:], steps, strict=True):
        step(a, b, label, "right")

    right = [
        tensor(9.05, ys[4], "y", f"(B, {n_head}, T, {hs})", "(B, n_head, T, head_size)", "right"),
        tensor(9.05, ys[3], "", f"(B, T, {n_head}, {hs})", "(B, T, n_head, head_size)", "right"),
        tensor(9.05, ys[2], "", f"(B, T, {n_embd})", "(B, T, n_embd)", "right"),
        tensor(9.05, ys[1], "out", f"(B, T, {n_embd})", "(B, T, n_embd)", "right"),
    ]
    steps = [
        "transpose(1, 2)",
        f"contiguous().view(B, T, {n_embd})",
        f"proj: Linear({n_embd}, {n_embd})",
    ]
    for a, b, label in zip(right[:-1], right[1:], steps, strict=True):
        step(a, b, label, "left")

    fused = ("F.scaled_dot_product_attention", "(q, k, v, is_causal=True)")
    attention = _box(ax, 5.5, ys[4], 2.9, 0.9, "attention", *fused, color=ATTENTION)
    _arrow(ax, left[-1].right, attention.left)
    _arrow(ax, attention.right, right[0].left)
    note = (
        f"the {n_head} heads are a batch dimension:\none batched matrix multiply serves them all,\n"
        "each head sees only its own head_size channels"
    )
    _text(ax, 5.5, 5.45, note, linespacing=1.5, style="italic")
    return fig


# --- notebook 07 ---------------------------------------------------------------------------------


def block_diagram(n_embd=32, n_head=4):
    """`Block` with pre-LayerNorm: x = x + sa(ln1(x)); x = x + ffwd(ln2(x)). Shown in notebook 07.

    The residual stream is the straight path from x to the output; each half of the block reads a
    normalised copy of it and adds its result back at a ⊕.
    """
    head_size = _check_heads(n_embd, n_head)
    fig, ax = _page(11.7, 4.9, "Block: communication (sa), then computation (ffwd)")
    stream, branch = 1.3, 2.95
    x = _box(ax, 0.75, stream, 1.2, 0.85, "x", f"(B, T, {n_embd})")
    out = _box(ax, 10.95, stream, 1.2, 0.85, "out", f"(B, T, {n_embd})")

    halves = (  # where the branch leaves the stream, its LayerNorm, its layer and that layer's box
        (1.6, "ln1", "sa", ("MultiHeadAttention", f"{n_head} heads of {head_size}"), ATTENTION),
        (6.0, "ln2", "ffwd", ("FeedForward", f"{n_embd} → {4 * n_embd} → {n_embd}"), LAYER),
    )
    previous = x.right
    for start, norm_name, name, details, colour in halves:
        norm = _box(ax, start + 0.95, branch, 1.3, 0.85, norm_name, "LayerNorm", color=NORM)
        layer = _box(ax, start + 2.7, branch, 1.9, 0.85, name, *details, color=colour)
        plus = _plus(ax, start + 4.0, stream)
        ax.plot(*zip((start, stream), (start, branch), strict=True), color=INK, lw=1.3)
        ax.add_patch(Circle((start, stream), 0.05, color=INK))
        _arrow(ax, (start, branch), norm.left)
        _arrow(ax, norm.right, layer.left)
        _arrow(ax, layer.right, (plus.x, branch), plus.top)
        _arrow(ax, previous, plus.left)
        code = f"x = x + self.{name}(self.{norm_name}(x))"
        _text(ax, start + 2.0, branch + 0.8, code, code=True)
        previous = plus.right
    _arrow(ax, previous, out.left)
    note = f"the residual stream, (B, T, {n_embd}): straight through; each half adds to it"
    _text(ax, 5.8, 0.55, note, style="italic")
    return fig


# --- notebook 08 ---------------------------------------------------------------------------------


def _parameters(config):
    """Parameters of GPT(config) by part, counted on PyTorch's "meta" device (no memory used)."""
    import torch

    from helpers.gpt import GPT

    with torch.device("meta"):
        model = GPT(config)

    def count(*modules):
        return sum(p.numel() for m in modules for p in m.parameters())

    return {
        "token": count(model.token_embedding_table),
        "position": count(model.position_embedding_table),
        "block": count(model.blocks[0]),
        "ln_f": count(model.ln_f),
        "lm_head": count(model.lm_head),
        "total": count(model),
    }


def gpt_diagram(config=None):
    """The whole `GPT`: embeddings, n_layer Blocks, `ln_f`, `lm_head`. Shown in notebook 08.

    Given a GPTConfig, the boxes carry its sizes and the right-hand column each part's number of
    parameters; without one, the names of the sizes.
    """
    if config is None:
        names = ("vocab_size", "context_length", "n_embd", "n_head", "n_layer", "head_size")
        c = {name: name for name in names}  # no numbers: the names of the sizes
        subtitle, params = "pass a GPTConfig to see its sizes and parameter count", None
    else:
        names = ("vocab_size", "context_length", "n_embd", "n_head", "n_layer")
        if not all(hasattr(config, name) for name in names):
            raise TypeError(f"config must be a GPTConfig (or None), got {config!r}.")
        c = {name: getattr(config, name) for name in names}
        c["head_size"] = _check_heads(c["n_embd"], c["n_head"])
        params = _parameters(config)
        subtitle = (
            f"n_layer={c['n_layer']} · n_head={c['n_head']} · n_embd={c['n_embd']} · "
            f"context_length={c['context_length']} · vocab_size={c['vocab_size']} · "
            f"{params['total']:,} parameters"
        )
    fig, ax = _page(11.0, 8.0, "GPT: the whole model", subtitle)
    C, V = c["n_embd"], c["vocab_size"]

    idx = _box(ax, 2.2, 6.55, 2.3, 0.65, "idx", "(B, T) character ids")
    _text(ax, 5.95, 6.55, "torch.arange(T)", code=True)
    tok = _box(ax, 2.2, 5.45, 3.3, 0.7, "token_embedding_table", f"Embedding({V}, {C})", color=KEY)
    table = ("position_embedding_table", f"Embedding({c['context_length']}, {C})")
    pos = _box(ax, 5.95, 5.45, 3.5, 0.7, *table, color=KEY)
    plus = _plus(ax, 4.1, 4.45)
    _arrow(ax, idx.bottom, tok.top)
    _arrow(ax, (pos.x, 6.35), pos.top)
    _arrow(ax, tok.bottom, (tok.x, plus.y), plus.left, label=f"(B, T, {C})", side="left")
    _arrow(ax, pos.bottom, (pos.x, plus.y), plus.right, label=f"(T, {C})", side="right")

    for shift in (0.16, 0.08):  # a stack of blocks, seen from the side
        _box(ax, 4.1 + shift, 3.525 + shift, 3.4, 0.75, "", color=LAYER)
    stack = (f"blocks: {c['n_layer']} × Block", f"{c['n_head']} heads of {c['head_size']}, ffwd")
    blocks = _box(ax, 4.1, 3.525, 3.4, 0.75, *stack, color=LAYER)
    ln_f = _box(ax, 4.1, 2.35, 2.8, 0.65, "ln_f", f"LayerNorm({C})", color=NORM)
    head = _box(ax, 4.1, 1.35, 2.8, 0.65, "lm_head", f"Linear({C}, {V})", color=LAYER)
    _arrow(ax, plus.bottom, (blocks.x, blocks.top[1] + 0.16), label=f"(B, T, {C})")
    _arrow(ax, blocks.bottom, ln_f.top, label=f"(B, T, {C})")
    _arrow(ax, ln_f.bottom, head.top, label=f"(B, T, {C})")
    _arrow(ax, head.bottom, (4.1, 0.55))
    _text(ax, 4.1, 0.35, f"logits (B, T, {V})", TEXT, code=True, weight="bold")
    block = "each Block:\nln1 → sa → +\nln2 → ffwd → +"
    _text(ax, 7.35, 3.55, block, ha="left", code=True, linespacing=1.4)

    if params is not None:
        column = 10.75
        _text(ax, column, 6.55, "parameters", TEXT, ha="right", weight="bold")
        rows = (
            (5.45, f"{params['token']:,}\n+ {params['position']:,}"),
            (3.525, f"{c['n_layer']} × {params['block']:,}"),
            (2.35, f"{params['ln_f']:,}"),
            (1.35, f"{params['lm_head']:,}"),
            (0.35, f"total {params['total']:,}"),
        )
        for y, text in rows:
            _text(ax, column, y, text, ha="right", code=True, linespacing=1.4)
    return fig


# --- every notebook: the road ---------------------------------------------------------------

NOTEBOOK_TITLES = {
    "00": "the road ahead",
    "01": "data and tokenizer",
    "02": "batching",
    "03": "the bigram model",
    "04": "the attention trick",
    "05": "one head of self-attention",
    "06": "many heads",
    "07": "Transformer blocks",
    "08": "the full Transformer",
    "09": "training it well",
    "10": "playground",
    "11": "the modern GPT",
    "12": "training the modern GPT",
    "13": "many GPUs",
    "14": "subword tokens",
}
# Notebooks past the main road (13 ends it): a box names them only on their own roadmap.
PAST_THE_ROAD = ("14",)
HERE, DONE, AHEAD = "#f6b26b", "#e8f0e0", "white"  # this notebook's pieces, earlier, later

# (key, x, y, width, title, detail, notebooks that build or change it); x, y: the box's centre
_STATIONS = [
    ("text", 0.95, 3.2, "text", "1.1M characters", ("01",)),
    ("tokens", 2.95, 3.2, "tokenizer", "char -> id", ("01", "14")),
    ("batches", 4.95, 3.2, "batches", "(B, T) ids", ("02",)),
    ("embed", 6.95, 3.2, "embeddings", "token + position", ("03", "05", "11")),
    ("heads", 8.95, 3.64, "attention", "mask, heads", ("04", "05", "06", "11")),
    ("ffwd", 8.95, 2.72, "feed-forward", "residual, norm", ("07", "11")),
    ("head", 10.95, 3.2, "logits", "ln_f, lm_head", ("03", "08", "11")),
    ("loss", 2.95, 0.85, "loss", "cross-entropy", ("03",)),
    ("loop", 4.95, 0.85, "training loop", "AdamW, Muon", ("03", "08", "09", "12")),
    ("gpus", 6.95, 0.85, "many GPUs", "DDP, torchrun", ("13",)),
    ("sample", 8.95, 0.85, "sampling", "top-k, KV cache", ("03", "08", "09", "12")),
    ("play", 10.95, 0.85, "playground", "widgets", ("10",)),
]


def roadmap(notebook="00"):
    """The course on one page: the GPT's pieces left to right, training and sampling under them.

    The pieces `notebook` ("00" to "14") builds or changes are lit, those of earlier notebooks
    shaded as done. Every notebook opens with it; notebook 00 shows the whole road unlit.
    """
    number = f"{int(notebook):02d}" if str(notebook).isdigit() else str(notebook)
    if number not in NOTEBOOK_TITLES:
        raise ValueError(f"notebook must be one of {', '.join(NOTEBOOK_TITLES)}, got {notebook!r}.")
    title = f"Notebook {number}: {NOTEBOOK_TITLES[number]}"
    if number == "00":
        subtitle = "the whole course on one page: each box is a piece you will build"
    else:
        subtitle = "the whole course on one page (orange: this notebook · green: done)"
    fig, ax = _page(11.9, 4.9, title, subtitle)
    boxes = {}
    for key, x, y, name, detail, notebooks in _STATIONS:
        if number in notebooks:
            color = HERE
        elif number != "00" and min(notebooks) < number:
            color = DONE
        else:
            color = AHEAD
        h = 0.62 if key in ("heads", "ffwd") else 0.9
        boxes[key] = _box(ax, x, y, 1.6, h, name, detail, color=color)
        shown = [n for n in notebooks if n not in PAST_THE_ROAD or n == number]
        label = "notebook " + ", ".join(shown)
        _text(ax, x, y - h / 2 - 0.15, label, SMALL, color=GREY)
    # the stack of blocks around attention and feed-forward
    ax.add_patch(Rectangle((8.05, 2.05), 1.8, 1.95, fill=False, ec=GREY, lw=1.2, ls="--", zorder=0))
    _text(ax, 8.95, 1.9, "Block × n_layer", SMALL, color=GREY, weight="bold")
    _arrow(ax, boxes["text"].right, boxes["tokens"].left)
    _arrow(ax, boxes["tokens"].right, boxes["batches"].left)
    _arrow(ax, boxes["batches"].right, boxes["embed"].left)
    _arrow(ax, boxes["embed"].right, (8.05, 3.2))
    _arrow(ax, (9.85, 3.2), boxes["head"].left)
    # the model's output feeds the loss (training) and the sampler (generation)
    _arrow(ax, (11.8, 2.75), (11.8, 1.65), (2.95, 1.65), boxes["loss"].top)
    _arrow(ax, (8.95, 1.65), boxes["sample"].top)
    _arrow(ax, boxes["loss"].right, boxes["loop"].left)
    _arrow(ax, boxes["loop"].right, boxes["gpus"].left, dashed=True)
    _arrow(ax, boxes["sample"].right, boxes["play"].left)
    _text(ax, 0.95, 0.85, "train, use ▸", TEXT, weight="bold", color=GREY)
    _text(ax, 0.95, 3.95, "the model ▸", TEXT, weight="bold", color=GREY)
    return fig


# --- notebook 13 ---------------------------------------------------------------------------------

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def data_parallel(world_size=2, global_batch=64):
    """Data parallelism (DDP) for one training step on `world_size` ranks. Shown in notebook 13.

    The global batch is split into one share of rows per rank; every rank runs the forward and
    backward pass of its own full copy of the model on its rows, the all-reduce averages the
    ranks' gradients (each counted by its rows when the batch does not divide evenly), and every
    rank then takes the same AdamW step with that average: the copies stay identical. From 1 to 4
    ranks.
    """
    for name, value in (("world_size", world_size), ("global_batch", global_batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
    if world_size > 4:
        raise ValueError(f"world_size must be 1 to 4 (every rank is drawn), got {world_size}.")
    if global_batch < world_size:
        raise ValueError(
            f"a global batch of {global_batch} cannot give each of {world_size} ranks a row."
        )
    row = 1.2  # inches per rank
    height = 2.5 + row * world_size
    title = f"Data parallelism: {world_size} ranks share a global batch of {global_batch} rows"
    fig, ax = _page(11.8, height, title, "one training step; each rank is its own process")
    top = height - 1.45
    ys = [top - row * (r + 0.5) for r in range(world_size)]
    middle = sum(ys) / len(ys)

    batch = _box(ax, 0.85, middle, 1.4, 0.95, "batch", f"({global_batch}, T)")
    reduce_h = max(row * world_size - 0.35, 0.95)
    base, extra = divmod(global_batch, world_size)
    shares = [base + (r < extra) for r in range(world_size)]
    last = f"g{world_size - 1}".translate(SUBSCRIPT)
    if not extra:  # an even split: the plain average
        grads = " + ".join(f"g{r}".translate(SUBSCRIPT) for r in range(world_size))
        mean = f"g = ({grads}) / {world_size}" if world_size <= 3 else f"g = mean of g₀ … {last}"
    elif world_size == 2:  # uneven: each rank's gradient counts by its rows
        mean = f"g = ({shares[0]}·g₀ + {shares[1]}·g₁) / {global_batch}"
    else:
        mean = "g = weighted mean"  # by each rank's rows
    reduce = _box(
        ax, 7.75, middle, 2.1, reduce_h, "all-reduce", mean, "sent to every rank", color=ATTENTION
    )
    start = 0
    for r, (y, share) in enumerate(zip(ys, shares, strict=True)):
        rows = _box(ax, 2.95, y, 1.75, 0.85, f"rank {r}", f"rows {start}–{start + share - 1}")
        start += share
        g = f"g{r}".translate(SUBSCRIPT)
        step = _box(
            ax, 4.95 + 0.05, y, 2.0, 0.85, "forward+backward", f"its loss → {g}", color=LAYER
        )
        update = _box(ax, 10.45, y, 2.3, 0.85, "AdamW step", "same g: same weights", color=KEY)
        _arrow(ax, batch.right, rows.left)
        _arrow(ax, rows.right, step.left)
        _arrow(ax, step.right, (reduce.left[0], y))
        _arrow(ax, (reduce.right[0], y), update.left)
    note = "Every rank holds a full copy of the model; only the gradients travel, once per step."
    _text(ax, 5.9, 0.4, note, style="italic")
    return fig
