"""Loss curves: a live view while training, and a comparison plot afterwards."""

import contextlib
import io

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


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


def plot_ablation(results, title=None):
    """Notebook 11's ablation (bench/modern_ablation.py's results): validation loss against
    training time for every run (left), and each variant's best loss, seed by seed (right).
    Returns the figure."""
    runs = results["runs"]
    names = list(dict.fromkeys(r["variant"] for r in runs))
    palette = plt.cm.tab10 if len(names) <= 10 else plt.cm.tab20  # a colour for each variant
    colors = {name: palette(i % palette.N) for i, name in enumerate(names)}
    fig, (curves, bests) = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=[3, 2])
    seeds = sorted({r["seed"] for r in runs})
    for r in runs:
        h = r["history"]
        first = r["seed"] == seeds[0]
        curves.plot(
            h["seconds"],
            h["val"],
            color=colors[r["variant"]],
            linestyle="-" if first else ":",
            marker="o",
            markersize=3,
            label=r["variant"] if first else None,
        )
    finals = [r["best_val"] for r in runs]
    curves.set_ylim(min(finals) - 0.03, max(finals) + 0.35)
    curves.set_xlabel("training time (s)")
    curves.set_ylabel("validation loss")
    curves.set_title(title or f"val loss vs time ({results['seconds']:g} s per run)")
    curves.grid(alpha=0.3)
    curves.legend(fontsize=8, title=f"seed {seeds[0]} solid, others dotted", title_fontsize=8)
    for y, name in enumerate(names):
        values = [r["best_val"] for r in runs if r["variant"] == name]
        bests.scatter(values, [y] * len(values), color=colors[name], zorder=3)
        bests.plot([min(values), max(values)], [y, y], color=colors[name], linewidth=2)
    if "lecture" in names:
        reference = [r["best_val"] for r in runs if r["variant"] == "lecture"]
        bests.axvline(sum(reference) / len(reference), color="grey", linestyle="--", linewidth=1)
    bests.set_yticks(range(len(names)), names, fontsize=9)
    bests.invert_yaxis()
    bests.set_xlabel("best validation loss (each dot one seed)")
    bests.set_title("lower is better; dashed: lecture model's mean")
    bests.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig
