"""Loss curves: a live view while training, and a comparison plot afterwards.

matplotlib is imported by the functions that draw, so that a run in a terminal
(`python -m helpers train`), which prints instead, starts without it.
"""

import contextlib
import io
import json
import statistics
from pathlib import Path

# Notebook 11's ablation, as bench/modern_ablation.py wrote it: shipped inside the package, so an
# installed course (no bench/ folder) has it too.
ABLATION_RESULTS = Path(__file__).resolve().parent / "data" / "modern_ablation.json"
BPE_RESULTS = Path(__file__).resolve().parent / "data" / "bpe_compare.json"


def in_notebook():
    """True inside a Jupyter kernel (where images can be shown), False in a terminal."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


def _draw_history(ax, history, label=""):
    prefix = f"{label} " if label else ""
    ax.plot(history["step"], history["train"], label=f"{prefix}train")
    ax.plot(history["step"], history["val"], label=f"{prefix}val", linestyle="--")


_live = [True]  # switched off by no_live_plots()


@contextlib.contextmanager
def no_live_plots():
    """Inside this block LiveLossPlot draws nothing: for a cell that trains several models and
    plots them all together at the end. Progress bars still show each run."""
    _live.append(False)
    try:
        yield
    finally:
        _live.pop()


class LiveLossPlot:
    """A train/val loss plot that redraws in place during training.

    Inside Jupyter it updates one image (a plain matplotlib Figure rendered to PNG, which redraws
    reliably); elsewhere (a terminal, a log file) it prints one line per evaluation instead.
    """

    def __init__(self, title="training"):
        self.title = title
        self.notebook = in_notebook()
        self.handle = None

    def update(self, history):
        step, train, val = history["step"][-1], history["train"][-1], history["val"][-1]
        if not _live[-1]:
            return
        if not self.notebook:
            print(
                f"{self.title}: step {step}: train loss {train:.4f}, val loss {val:.4f}", flush=True
            )
            return
        from IPython.display import Image, display
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3.2), dpi=90)
        ax = fig.add_subplot()
        _draw_history(ax, history)
        ax.set_title(f"{self.title}: step {step}, val loss {val:.3f}")
        ax.set_xlabel("training step")
        ax.set_ylabel("cross-entropy loss")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        image = Image(data=buffer.getvalue(), format="png")
        if self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)


def plot_losses(histories, title="loss curves"):
    """Plot one history ({"step", "train", "val"}) or a dict of named histories on one chart."""
    import matplotlib.pyplot as plt

    if "step" in histories:
        histories = {"": histories}
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, history in histories.items():
        _draw_history(ax, history, label)
    ax.set_title(title)
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy loss")
    ax.grid(alpha=0.3)
    ax.legend()
    plt.show()


def ablation_results():
    """Notebook 11's ablation: the results bench/modern_ablation.py stored (its runs, labels,
    machine and seconds per run), as a dict. They ship with the course, checkout or installed."""
    return json.loads(ABLATION_RESULTS.read_text(encoding="utf-8"))


def bpe_results():
    """Notebook 14's comparison: the runs bench/bpe_compare.py stored (characters and BPE
    vocabularies, two seeds each, in bits per character), as a dict. Ships with the course."""
    return json.loads(BPE_RESULTS.read_text(encoding="utf-8"))


def plot_bpe_comparison(results, preset="cpu"):
    """Bits per character against vocabulary size for one preset's runs (bpe_results()): each
    seed a dot, the mean a line; characters at their own vocabulary size, marked apart; and, on
    a second axis, the parameters of the embedding and output layers, which grow with it."""
    import matplotlib.pyplot as plt

    runs = [r for r in results["runs"] if r["preset"] == preset]
    char = [r for r in runs if r["variant"].endswith("char")]
    bpe = sorted(
        (r for r in runs if not r["variant"].endswith("char")), key=lambda r: r["vocab_size"]
    )
    sizes = sorted({r["vocab_size"] for r in bpe})
    means = [
        statistics.mean(r["bits_per_char"] for r in bpe if r["vocab_size"] == v) for v in sizes
    ]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(sizes, means, "o-", color="C0", label="BPE, mean of the seeds")
    ax.scatter([r["vocab_size"] for r in bpe], [r["bits_per_char"] for r in bpe], color="C0",
               s=14, alpha=0.5, label="BPE, each seed")  # fmt: skip
    if char:
        ax.scatter([r["vocab_size"] for r in char], [r["bits_per_char"] for r in char],
                   marker="s", color="C3", label="characters, each seed")  # fmt: skip
    ax.set_xscale("log", base=2)
    ax.set_xlabel("vocabulary size (tokens)")
    ax.set_ylabel("validation bits per character")
    ax.set_title(f"The {preset} preset's model, {results['seconds']:g} s of training per run")
    ax.grid(alpha=0.3)
    params = ax.twinx()
    tables = {r["vocab_size"]: r["table_parameters"] for r in runs}
    xs = sorted(tables)
    params.plot(xs, [tables[v] / 1e3 for v in xs], "--", color="grey", alpha=0.7,
                label="embedding + output parameters")  # fmt: skip
    params.set_ylabel("embedding + output parameters (thousands)", color="grey")
    lines, labels = ax.get_legend_handles_labels()
    more, more_labels = params.get_legend_handles_labels()
    ax.legend(lines + more, labels + more_labels, fontsize=8, loc="upper center")
    return fig


def plot_ablation(results, title=None):
    """Notebook 11's ablation (ablation_results(), from bench/modern_ablation.py): one bar per
    variant, its mean best validation loss minus the lecture model's, both seeds as dots, sorted
    best first, the lecture's model as the zero line and its two seeds as a grey band. A bar is
    green (lower) or red (higher) when the difference is larger than both the variant's and the
    lecture's gap between seeds, grey when it is not. Labels come from results["labels"] where
    given. Returns the figure."""
    import matplotlib.pyplot as plt

    runs = results["runs"]
    labels = results.get("labels", {})
    losses = {}
    for r in runs:
        losses.setdefault(r["variant"], []).append(r["best_val"])
    mean = {name: sum(v) / len(v) for name, v in losses.items()}
    lecture = losses.get("lecture", [min(mean.values())])
    reference = sum(lecture) / len(lecture)
    noise = max(lecture) - min(lecture)
    names = sorted(losses, key=mean.get)  # lowest loss first
    fig, ax = plt.subplots(figsize=(10, 0.4 * len(names) + 1.6))
    ax.axvspan(min(lecture) - reference, max(lecture) - reference, color="0.88", zorder=0)
    ax.axvline(0, color="black", linewidth=1, zorder=1)
    colors = {"lower": "tab:green", "higher": "tab:red", "noise": "0.65"}
    for y, name in enumerate(names):
        delta = mean[name] - reference
        spread = max(max(losses[name]) - min(losses[name]), noise)
        verdict = "noise" if abs(delta) <= spread else ("lower" if delta < 0 else "higher")
        ax.barh(y, delta, color=colors[verdict], height=0.6, zorder=2)
        ax.scatter(
            [v - reference for v in losses[name]],
            [y] * len(losses[name]),
            s=14,
            color="black",
            zorder=3,
        )
    ax.set_yticks(
        range(len(names)),
        [f"{labels[n]} ({n})" if labels.get(n, n) != n else n for n in names],
        fontsize=9,
    )
    ax.invert_yaxis()
    ax.set_xlabel("best validation loss minus the lecture model's mean (lower is better)")
    ax.set_title(
        title
        or f"Each variant against the lecture's model, {results['seconds']:g} s of training per run"
    )
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=colors["lower"]),
        plt.Rectangle((0, 0), 1, 1, color=colors["noise"]),
        plt.Rectangle((0, 0), 1, 1, color=colors["higher"]),
        plt.Rectangle((0, 0), 1, 1, color="0.88"),
        plt.Line2D([], [], color="black", marker="o", linestyle="", markersize=4),
    ]
    ax.legend(
        handles,
        [
            "lower",
            "within the seeds' spread",
            "higher",
            "the lecture model's two seeds",
            "one seed",
        ],
        fontsize=8,
        loc="lower left",
    )
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig
