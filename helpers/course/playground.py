"""Widgets to play with a trained GPT: sampling, next-character probabilities, attention maps.

Every plot is a plain matplotlib Figure rendered to PNG and shown inside an Output widget: that
redraws reliably after every slider move. A page without widgets (GitHub, nbviewer, a printout)
shows a panel's text instead: one readable line, not "VBox(children=...". The notebook follows
each panel with a still copy of what it shows at first (`show_panel`): a picture, or the text.
"""

import io

import torch
from matplotlib.figure import Figure
from torch.nn import functional as F

from helpers.course.checkpoint import generate_fast


def prompt_ids(tokenizer, prompt):
    """Encode `prompt`, dropping characters outside the vocabulary; returns (ids, dropped chars).

    An empty prompt (or one with nothing left) starts from a newline, as the lecture does: id 0
    for characters. Subword tokens (notebook 14) are built on bytes: no character is unknown.
    """
    if not hasattr(tokenizer, "stoi"):  # byte-level BPE encodes every string
        return tokenizer.encode(prompt) or tokenizer.encode("\n"), []
    dropped = sorted({ch for ch in prompt if ch not in tokenizer.stoi})
    ids = tokenizer.encode("".join(ch for ch in prompt if ch in tokenizer.stoi))
    return (ids or [0]), dropped


def _note(dropped, prompt):
    notes = []
    if dropped:
        notes.append(
            f"Not in the vocabulary, dropped from the prompt: {', '.join(map(repr, dropped))}"
        )
    if not prompt:
        notes.append("Empty prompt: starting from a newline.")
    return "\n".join(notes)


@torch.no_grad()
def sample_text(model, tokenizer, prompt, length=200, temperature=0.8, top_k=None, seed=1337):
    """Continue `prompt` with `length` characters; returns (text, note about the prompt).

    temperature 0 is greedy; top_k larger than the vocabulary keeps every character.
    """
    ids, dropped = prompt_ids(tokenizer, prompt)
    device = next(model.parameters()).device
    torch.manual_seed(seed)
    idx = torch.tensor([ids], dtype=torch.long, device=device)
    out = generate_fast(model, idx, length, temperature=temperature, top_k=top_k)
    return tokenizer.decode(out[0].tolist()), _note(dropped, prompt)


@torch.no_grad()
def next_char_probs(model, tokenizer, prompt, temperature=1.0):
    """Probabilities of every next character after `prompt`: (probs tensor, note)."""
    ids, dropped = prompt_ids(tokenizer, prompt)
    context = model.config.context_length
    device = next(model.parameters()).device
    model.eval()
    logits, _ = model(torch.tensor([ids[-context:]], dtype=torch.long, device=device))
    logits = logits[0, -1].float().cpu()
    if temperature == 0:
        probs = F.one_hot(logits.argmax(), logits.numel()).float()
    else:
        probs = F.softmax(logits / temperature, dim=-1)
    return probs, _note(dropped, prompt)


def _attention_weights(attn, x):
    """Recompute the softmax weights a CausalSelfAttention layer used for input x: (B, nh, T, T)."""
    T = x.shape[1]
    q, k, _ = attn.heads(x)
    wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
    mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
    return F.softmax(wei.masked_fill(~mask, float("-inf")), dim=-1)


@torch.no_grad()
def attention_maps(model, tokenizer, text):
    """Attention weights of every layer and head for `text`: (n_layer, n_head, T, T), plus the
    characters actually used (cropped to the context, unknown ones dropped)."""
    ids, _ = prompt_ids(tokenizer, text)
    ids = ids[-model.config.context_length :]
    captured = []
    hooks = [
        block.sa.register_forward_hook(
            lambda mod, inputs, out: captured.append(_attention_weights(mod, inputs[0]))
        )
        for block in model.blocks
    ]
    model.eval()
    device = next(model.parameters()).device
    try:
        model(torch.tensor([ids], dtype=torch.long, device=device))
    finally:
        for hook in hooks:
            hook.remove()
    return torch.stack([w[0].float().cpu() for w in captured]), tokenizer.decode(ids)


def _shown(ch):
    return {"\n": "⏎", " ": "␣"}.get(ch, ch)


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def attention_figure(weights, chars, layer, head):
    """Heatmap of one head's attention: rows are queries, columns the characters they look at."""
    fig = Figure(figsize=(6, 5.2), dpi=90)
    ax = fig.add_subplot()
    image = ax.imshow(weights[layer, head].numpy(), cmap="viridis", vmin=0, vmax=1)
    labels = [_shown(ch) for ch in chars]
    ax.set_xticks(range(len(chars)), labels, fontsize=7)
    ax.set_yticks(range(len(chars)), labels, fontsize=7)
    ax.set_xlabel("attends to (key)")
    ax.set_ylabel("character (query)")
    ax.set_title(f"layer {layer}, head {head}")
    fig.colorbar(image, ax=ax, shrink=0.8, label="attention weight")
    fig.tight_layout()
    return fig


def probs_figure(probs, tokenizer, k=10, title="next character"):
    """Bar chart of the k likeliest next characters."""
    top = torch.topk(probs, min(k, probs.numel()))
    fig = Figure(figsize=(6, 3), dpi=90)
    ax = fig.add_subplot()
    ax.bar(range(len(top.values)), top.values.tolist(), color="tab:blue")
    ax.set_xticks(range(len(top.values)), [_shown(tokenizer.itos[i]) for i in top.indices.tolist()])
    ax.set_ylim(0, 1)
    ax.set_xlabel("next character")
    ax.set_ylabel("probability")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def heads_figure(weights, chars, layer):
    """Every head of one layer side by side: the static picture of the attention explorer."""
    n_head = weights.shape[1]
    fig = Figure(figsize=(3.2 * n_head, 4.0), dpi=90, layout="constrained")
    axes = fig.subplots(1, n_head, sharey=True, squeeze=False)[0]
    labels = [_shown(ch) for ch in chars]
    for head, ax in enumerate(axes):
        ax.imshow(weights[layer, head].numpy(), cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(chars)), labels, fontsize=6)
        ax.set_yticks(range(len(chars)), labels, fontsize=6)
        ax.set_title(f"head {head}")
        ax.set_xlabel("attends to (key)")
    axes[0].set_ylabel("character (query)")
    fig.suptitle(f"Layer {layer}: where each head looks (bright: high attention weight)")
    return fig


def _panel(children, what, css_class, still):
    """A VBox of controls whose plain-text form (what a page without widgets shows) says what it
    is in one line; `still()` shows a still copy of what the controls show now (`show_panel`)."""
    import ipywidgets as w

    class Panel(w.VBox):
        def __repr__(self):
            return f"[{what}: interactive in JupyterLab; a still copy follows]"

    panel = Panel(children).add_class(css_class)
    panel.still = still
    return panel


def show_panel(panel):
    """Show a playground panel, then a still copy of what it shows at first (a picture or text):
    the live panel moves in JupyterLab, and GitHub, nbviewer or a printout keep the copy."""
    from IPython.display import display

    display(panel)
    panel.still()


def _show_png(out, fig, note=""):
    from IPython.display import Image, display

    with out:
        out.clear_output(wait=True)
        if note:
            print(note)
        display(Image(data=_png(fig), format="png"))


def sampling_widget(model, tokenizer):
    """Prompt, temperature, top-k, length and seed controls; the sample redraws on every change."""
    import ipywidgets as w

    wide = {"description_width": "initial"}
    vocab = tokenizer.vocab_size
    prompt = w.Text(value="ROMEO:", description="prompt", continuous_update=False).add_class(
        "pg-prompt"
    )
    temperature = w.FloatSlider(
        value=0.8, min=0.0, max=2.0, step=0.1, description="temperature", style=wide
    )
    temperature.add_class("pg-temperature")
    top_k = w.IntSlider(value=vocab, min=1, max=vocab, description="top-k").add_class("pg-top-k")
    length = w.IntSlider(value=200, min=10, max=1000, step=10, description="length").add_class(
        "pg-length"
    )
    seed = w.IntText(value=1337, description="seed").add_class("pg-seed")
    out = w.Output().add_class("pg-sample-output")

    def shown():
        text, note = sample_text(
            model, tokenizer, prompt.value, length.value, temperature.value, top_k.value, seed.value
        )
        header = f"temperature={temperature.value:.1f}, top_k={top_k.value}, seed={seed.value}"
        return "\n".join(filter(None, [note, header, "-" * len(header), text]))

    def redraw(_=None):
        with out:
            out.clear_output(wait=True)
            print(shown())

    for control in (prompt, temperature, top_k, length, seed):
        control.observe(redraw, names="value")
    redraw()
    rows = [w.HBox([prompt, seed]), w.HBox([temperature, top_k, length]), out]
    return _panel(rows, "sampling controls", "pg-sampler", still=lambda: print(shown()))


def next_char_widget(model, tokenizer, k=10):
    """A prompt box and a temperature slider; the bar chart of next-character probabilities
    updates as you type."""
    import ipywidgets as w

    prompt = w.Text(
        value="To be or not to b", description="prompt", continuous_update=True
    ).add_class("pg-next-prompt")
    temperature = w.FloatSlider(
        value=1.0,
        min=0.0,
        max=2.0,
        step=0.1,
        description="temperature",
        style={"description_width": "initial"},
    )
    temperature.add_class("pg-next-temperature")
    out = w.Output().add_class("pg-next-output")

    def chart():
        probs, note = next_char_probs(model, tokenizer, prompt.value, temperature.value)
        shown = prompt.value[-30:].replace("\n", "⏎")
        title = f"after '…{shown}' (temperature {temperature.value:.1f})"
        return probs_figure(probs, tokenizer, k, title=title), note

    def redraw(_=None):
        _show_png(out, *chart())

    prompt.observe(redraw, names="value")
    temperature.observe(redraw, names="value")
    redraw()
    rows = [w.HBox([prompt, temperature]), out]
    return _panel(rows, "next-character chart", "pg-next", still=lambda: show_figure(chart()[0]))


def attention_explorer(model, tokenizer, text="ROMEO: But soft, what light"):
    """Type a line, pick a layer and a head, see who attends to whom."""
    import ipywidgets as w

    box = w.Text(value=text, description="text", continuous_update=False).add_class("pg-attn-text")
    layer = w.Dropdown(options=range(model.config.n_layer), value=0, description="layer").add_class(
        "pg-attn-layer"
    )
    head = w.Dropdown(options=range(model.config.n_head), value=0, description="head").add_class(
        "pg-attn-head"
    )
    out = w.Output().add_class("pg-attn-output")

    def redraw(_=None):
        weights, used = attention_maps(model, tokenizer, box.value)
        _, dropped = prompt_ids(tokenizer, box.value)
        _show_png(
            out, attention_figure(weights, used, layer.value, head.value), _note(dropped, box.value)
        )

    def every_head():  # the still copy: every head of the chosen layer
        weights, used = attention_maps(model, tokenizer, box.value)
        show_figure(heads_figure(weights, used, layer.value))

    for control in (box, layer, head):
        control.observe(redraw, names="value")
    redraw()
    return _panel([w.HBox([box, layer, head]), out], "attention explorer", "pg-attn", every_head)


def temperature_figure(model, tokenizer, prompt, temperatures=(0.5, 1.0, 2.0), k=10):
    """Side-by-side bar charts of the same next-character distribution at several temperatures."""
    fig = Figure(figsize=(4 * len(temperatures), 3), dpi=90)
    axes = fig.subplots(1, len(temperatures), sharey=True)
    for ax, t in zip(axes, temperatures, strict=True):
        probs, _ = next_char_probs(model, tokenizer, prompt, t)
        top = torch.topk(probs, k)
        ax.bar(range(k), top.values.tolist())
        ax.set_xticks(range(k), [_shown(tokenizer.itos[i]) for i in top.indices.tolist()])
        ax.set_title(f"temperature {t}")
        ax.set_xlabel("next character")
    axes[0].set_ylabel("probability")
    fig.suptitle(f"Next character after {prompt!r}")
    fig.tight_layout()
    return fig


def show_figure(fig):
    """Display a matplotlib Figure as a PNG image in the notebook."""
    from IPython.display import Image, display

    display(Image(data=_png(fig), format="png"))
