"""Short runs for the course's own tests, so the notebooks can show plain numbers.

A learner's configuration cell reads `max_iters = 5000`, never `5000 if not SMOKE else 10`. When
the course tests itself (COURSE_SMOKE=1: nbval through notebooks/conftest.py, and
`python -m helpers course` for a quick check) every code cell goes through `shorten` before it
runs:

- a line that only assigns a whole number to one of the names in SHORT (`max_iters = 5000`,
  `eval_interval = 500`, ...) gets the short value instead;
- a few lines are swapped, listed per notebook in SWAPS: the expectations only a full-length run
  can meet (`assert val_loss < 2.6` becomes `< 4.6`, the loss of guessing among 65 characters,
  ln 65 = 4.17, with a margin: 10 steps only show that training ran and gave a sane number), and
  the presets' step counts in notebooks 09, 10 and 12, and work a short run does not need
  (evaluations over fewer tokens, one thread per process, a smaller model where only the command
  is on trial). A test checks that every listed line is still in its notebook, so the two cannot
  drift apart.

Nothing here changes what a learner runs; the stored outputs come from full-length runs.
"""

import re

# The step counts of the training cells, and their values in a short run.
SHORT = {
    "max_iters": 10,
    "eval_interval": 10,
    "eval_iters": 5,
    "ablation_iters": 10,
    "ablation_eval_interval": 10,
    "ablation_eval_iters": 5,
    "n_chars": 50,
    "n_big": 10,
}
_ASSIGNMENT = re.compile(r"^(?P<indent>\s*)(?P<name>\w+) = [0-9_]+(?P<comment>\s*#.*)?$")

# Notebooks 09 and 12 train a preset, whose step counts live in TrainConfig, not in a line of the
# notebook: a short run gives it SHORT's steps too, enough to show that it trains and saves, and
# measures the train loss for the plot on SHORT_TRAIN_WINDOWS windows (a full run: 512).
SHORT_TRAIN_WINDOWS = 64
PRESET_STEPS = (
    "model_config, train_config = preset(preset_name, tokenizer.vocab_size)",
    "model_config, train_config = preset(preset_name, tokenizer.vocab_size); "
    f"train_config.max_iters = {SHORT['max_iters']}; "
    f"train_config.eval_interval = {SHORT['eval_interval']}; "
    f"train_config.eval_train_windows = {SHORT_TRAIN_WINDOWS}",
)

# notebook (file stem) -> [(how a line of it starts, what a short run puts there instead)]
SWAPS = {
    "03_bigram": [("assert val_loss < 2.6", "assert val_loss < 4.6")],
    "05_one_head": [("assert val_loss < 2.6", "assert val_loss < 4.6")],
    "06_many_heads": [
        ("assert val_loss < 2.45", "assert val_loss < 4.6"),
        # 10 steps cannot tell one head from four: a short run skips the comparison
        ("assert val_loss < val_loss_one_head", "pass  # assert val_loss < val_loss_one_head"),
    ],
    "07_blocks": [("assert val_loss < 2.2", "assert val_loss < 4.6")],
    "08_transformer": [("assert val_loss < 2.5", "assert val_loss < 4.6")],
    "09_training_well": [
        ('assert history["best_val"] < 1.9', 'assert history["best_val"] < 4.6'),
        PRESET_STEPS,
        # the 10-step run is evaluated on the validation text's first 20,000 characters
        (
            'checkpoint = free_path(checkpoint_dir() / f"09_{preset_name}.pt")',
            'checkpoint = free_path(checkpoint_dir() / f"09_{preset_name}.pt"); '
            "val_data = val_data[:20_000]",
        ),
    ],
    "12_training_modern_gpt": [
        ('assert history["best_val"] < 1.9', 'assert history["best_val"] < 4.6'),
        PRESET_STEPS,
        # evaluations over the validation text's first 20,000 characters (a short run's model), and
        # the sliding window against cropping on 2 chunks of it instead of 16
        (
            "train_data, val_data = train_val_split(data)",
            "train_data, val_data = train_val_split(data); val_data = val_data[:20_000]",
        ),
        ("16, len(val_data) // (3 * ctx + 1)", "2, len(val_data) // (3 * ctx + 1)"),
    ],
    "13_many_gpus": [
        # SHORT has made its `max_iters = 300` and `eval_interval = 100` short; the hand-written
        # script's ranks train as many steps
        (
            'parser.add_argument("--steps", type=int, default=50)',
            f'parser.add_argument("--steps", type=int, default={SHORT["max_iters"]})',
        ),
        # one thread per process: a test shares the cores with another (two PyTorch processes
        # asking for every core between them spend most of their time waiting on each other)
        ('"OMP_NUM_THREADS": str(max(1, cores // nproc)),', '"OMP_NUM_THREADS": "1",'),
        # the two-rank command trains a one-layer model of width 32: its evaluations over the
        # whole validation text took most of the short run
        ('2, "--preset", "cpu",', '2, "--preset", "cpu", "--n-layer", 1, "--n-embd", 32,'),
    ],
    "14_subword_tokens": [
        ("time_budget = 90", "time_budget = 1"),
        (
            "train_config = dataclasses.replace(train_config, time_budget=time_budget)",
            "train_config = dataclasses.replace(train_config, time_budget=time_budget, "
            f"eval_train_windows={SHORT_TRAIN_WINDOWS})",
        ),
        # a second of training needs no more than the validation text's first 10,000 tokens
        (
            "train_ids, val_ids, tokens_per_char = splits(tok)",
            "train_ids, val_ids, tokens_per_char = splits(tok); val_ids = val_ids[:10_000]",
        ),
    ],
    "10_playground": [
        (
            "train_config.time_budget = 60",
            "train_config.time_budget, train_config.max_iters, train_config.eval_interval = 2, 20, 10",
        )
    ],
}


def shorten(notebook, source):
    """The source of one code cell of `notebook` (a file stem) as a short run executes it."""
    lines = []
    for line in source.split("\n"):
        match = _ASSIGNMENT.match(line)
        if match and match["name"] in SHORT:
            line = f"{match['indent']}{match['name']} = {SHORT[match['name']]}"
        for full, short in SWAPS.get(notebook, ()):
            if line.strip().startswith(full):
                line = line.replace(full, short, 1)
        lines.append(line)
    return "\n".join(lines)


def shorten_notebook(nb, notebook):
    """Shorten every code cell of `nb` (an nbformat notebook, changed in place); return it."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = shorten(notebook, cell.source)
    return nb
