"""What the course runs around the pieces you built. Nothing in this folder is taught.

    settings    every COURSE_* environment variable and every path
    corpus      tinyshakespeare: cache, mirror, download, checksum, offline stand-in
    device      cuda / mps / cpu, and CPU threads
    plotting    live and finished loss curves, notebook 11's ablation plot
    diagrams    the pictures of notebooks 05-08 and 13, and the roadmap that opens every notebook
    trainer     the long-run trainer of notebooks 09 and 12 and the training command (presets,
                train_gpt)
    checkpoint  safe saving and loading of trained models (notebook 08's GPT, notebook 11's ModernGPT)
    playground  the widgets of notebook 10
    checks      feedback on the exercises
    doctor      is this machine ready? (`make doctor`)
    runner      runs the notebooks headless (`python -m helpers course`)
    testmode    the short runs of the course's own tests (COURSE_SMOKE=1)
    cli         the command line, `python -m helpers <command>`
    distributed the training command on several GPUs or machines (torchrun, DDP)
    lecture     the video's chapters: each notebook's banner and docs/LECTURE.md's map
    files       writing a file so that it is complete or not there
    notebook    what a stored notebook shows without widgets: progress bars' final line, short
                errors shown on purpose, paths without the machine's folders
    guards      clear errors for input a taught piece cannot use (tokenizer, get_batch, heads, Block)

The everyday tools a notebook needs can be imported from here directly, e.g.
`from helpers.course import load_corpus, pick_device`. Each is loaded on first use, so
importing one does not pull in the rest (the trainer needs torch, the settings do not).
"""

import importlib

_TOOLS = {
    "settings": ["SettingError", "checkpoint_dir"],
    "corpus": ["Corpus", "CorpusUnavailable", "fetch_corpus", "load_corpus"],
    "device": ["choose_threads", "pick_device"],
    "plotting": ["LiveLossPlot", "no_live_plots", "plot_losses"],
    "trainer": ["TrainConfig", "TrainingDiverged", "preset", "synchronize", "train_gpt"],
    "checkpoint": [
        "CheckpointError",
        "describe_folder",
        "free_path",
        "load_checkpoint",
        "model_from_checkpoint",
    ],
    "runner": ["course_map", "predict_run_times"],
}
_HOME = {name: module for module, names in _TOOLS.items() for name in names}
__all__ = list(_HOME)


def __getattr__(name):
    if name in _HOME:
        return getattr(importlib.import_module(f"helpers.course.{_HOME[name]}"), name)
    raise AttributeError(f"module 'helpers.course' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
