"""What the course runs around the pieces you built. Nothing in this folder is taught.

    settings    every COURSE_* environment variable and every path
    corpus      tinyshakespeare: cache, mirror, download, checksum, offline stand-in
    device      cuda / mps / cpu, CPU threads, and a GPU's precision and speed-ups
    plotting    live and finished loss curves, notebook 11's ablation plot
    diagrams    the pictures of notebooks 05-08 and 13, and the roadmap that opens every notebook
    presets     TrainConfig and the four presets (cpu, gpu, cpu-modern, gpu-modern); no torch
    trainer     the long run of notebooks 09 to 13 and the training command (train_gpt, Run)
    checkpoint  one owner for a checkpoint: safe saving and loading, the lock of a run, the checks
                before resuming, and the listing of a folder (notebook 08's GPT, 11's ModernGPT)
    playground  the widgets of notebook 10
    checks      feedback on the exercises: a package, its framework and one module per notebook
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

Notebooks import every tool of the course from here, one way, e.g.
`from helpers.course import load_corpus, pick_device, check_head`. Each is loaded on first use
from the module that owns it (below; every `check_...` from checks), so importing one does not
pull in the rest (the trainer needs torch, the settings do not).
"""

import importlib

_TOOLS = {
    "settings": ["PACKAGE_PARENT", "SettingError", "checkpoint_dir"],
    "corpus": [
        "Corpus",
        "CorpusUnavailable",
        "chosen_text",
        "fetch_corpus",
        "in_greek_letters",
        "load_corpus",
        "use_text",
    ],
    "device": ["choose_threads", "pick_device", "synchronize"],
    "plotting": [
        "LiveLossPlot",
        "ablation_results",
        "bpe_results",
        "no_live_plots",
        "plot_ablation",
        "plot_bpe_comparison",
        "plot_losses",
    ],
    "diagrams": [
        "block_diagram",
        "data_parallel",
        "gpt_diagram",
        "heads_split_concat",
        "qkv_flow",
        "roadmap",
        "view_transpose_shapes",
    ],
    "notebook": ["expect_error", "shown_path", "tqdm"],
    "guards": [
        "require_batch_fits",
        "require_fraction",
        "require_heads_divide",
        "require_known",
        "require_positive",
        "require_bpe_training",
        "require_special_tokens",
        "require_tokenizer",
        "require_text",
        "require_vocabulary",
    ],
    "presets": ["PRESETS", "TrainConfig", "preset"],
    "trainer": ["TrainingDiverged", "train_gpt"],
    "checkpoint": [
        "CheckpointError",
        "describe_folder",
        "free_path",
        "load_checkpoint",
        "model_from_checkpoint",
        "newest_checkpoint",
        "open_checkpoint",
        "show_checkpoints",
        "tokenizer_of",
        "trained_on",
    ],
    "playground": [
        "attention_explorer",
        "next_char_widget",
        "sample_text",
        "sampling_widget",
        "show_figure",
        "show_panel",
        "temperature_figure",
    ],
    "distributed": ["launch_train"],
    "doctor": ["run_checks"],
    "runner": ["course_map", "predict_run_times"],
}
_HOME = {name: module for module, names in _TOOLS.items() for name in names}
__all__ = list(_HOME)


def __getattr__(name):
    home = "checks" if name.startswith("check_") else _HOME.get(name)
    if home is not None:
        return getattr(importlib.import_module(f"helpers.course.{home}"), name)
    raise AttributeError(f"module 'helpers.course' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
