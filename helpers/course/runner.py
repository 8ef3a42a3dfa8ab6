"""Run the whole course headless and print what each notebook measured: `python -m helpers course`.

Each notebook runs on a fresh kernel, top to bottom. By default the executed copies are written
to build/course/, so the notebooks you may have edited are never overwritten. After a notebook's
last cell the runner reads its key figures (FIGURES: one extra cell, run in the same kernel and
left out of the stored copy, so the notebooks carry no bookkeeping cell); the table at the end
lists them with the run time. A normal-length `--inplace` run also keeps its times in
notebooks/course_times.json, from which the README's course map, WORKSHOP.md's timings and
notebook 00's estimate are drawn. With COURSE_SMOKE=1 every notebook runs shortened (see
helpers/course/testmode.py).
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from helpers.course import settings
from helpers.course.files import atomic_write
from helpers.course.settings import BUILD_DIR, NOTEBOOKS, ROOT

TIMES_FILE = NOTEBOOKS / "course_times.json"  # written by a normal-length `--inplace` run
RECORD_FILE_VARIABLE = "COURSE_RECORD_FILE"  # set for the kernels the runner starts

# Each notebook's key figures, as keyword arguments of `record`, read from the notebook's own
# variables after its last cell (tests/test_course_runner.py checks that each name it reads is
# assigned in its notebook). README's course map, the recaps and notebook 00 quote these.
FIGURES = {
    "00_setup": "device=str(device), threads=threads, checks_ok=all_ok",
    "01_data_and_tokenizer": "vocab_size=vocab_size, characters=len(text)",
    "02_batching": "train_tokens=len(train_data), val_tokens=len(val_data)",
    "03_bigram": "bigram_val_loss=val_loss, count_bigram_val_loss=count_val_loss",
    "04_attention_trick": "three_versions_agree=versions_agree",
    "05_one_head": "one_head_val_loss=val_loss",
    "06_many_heads": "multi_head_val_loss=val_loss, one_head_same_budget_val_loss=val_loss_one_head",
    "07_blocks": (
        "blocks_val_loss=val_loss, "
        'ablation_both=final["residual + LayerNorm"], '
        'ablation_no_layernorm=final["residual, no LayerNorm"], '
        'ablation_no_residual=final["LayerNorm, no residual"], '
        'ablation_neither=final["neither"]'
    ),
    "08_transformer": "val_loss=val_loss, preset=preset_name",
    "09_training_well": (
        'val_loss=history["best_val"], preset=preset_name, steps=history["step"][-1], '
        'train_seconds=round(history["train_seconds"], 1), stopped=history["stopped"], '
        "kv_speedup_cpu_preset=round(kv_speedup_cpu_preset, 2), "
        "kv_speedup_gpu_shape=round(kv_speedup_gpu_shape, 2)"
    ),
    "10_playground": (
        "parameters=sum(p.numel() for p in model.parameters()), "
        'model=checkpoint_path.name if checkpoint_path else "trained here"'
    ),
    "11_modern_gpt": (
        'ablation_lecture=round(means["lecture"], 4), ablation_muon=round(means["muon"], 4), '
        'ablation_all=round(means["all"], 4)'
    ),
    "12_training_modern_gpt": (
        "modern_val_loss=modern_val_loss, lecture_val_loss=round(lecture_val_loss, 4), "
        "modern_val_loss_64=round(val_64, 4), window_effect=round(window_effect, 4), "
        'steps=history["step"][-1], train_seconds=round(history["train_seconds"], 1), '
        "kv_speedup=round(kv_speedup, 2), "
        "window_loss=round(windowed.item(), 4), cropped_loss=round(cropped.item(), 4)"
    ),
    "13_many_gpus": (
        "ddp_val_loss=ddp_val_loss, script_loss_gap=loss_gap, script_weight_gap=weight_gap, "
        "script_speedup=round(speedup, 2)"
    ),
    "14_subword_tokens": (
        'char_bits_per_char=round(runs["characters"][2]["best_bits_per_char"], 4), '
        'bpe_bits_per_char=round(runs["BPE 1,024"][2]["best_bits_per_char"], 4), '
        "naive_seconds=round(naive_seconds, 1)"
    ),
}


def record(**figures):
    """Hand a notebook's key figures to the runner's table (run in the notebook's kernel)."""
    with open(settings.record_file(), "a", encoding="utf-8") as f:
        f.write(json.dumps(figures) + "\n")


def _run_times():
    """What the course's timed run measured, as (probe, machine, {notebook: (fixed, work)}).

    A notebook takes `fixed + work * p` seconds on a machine whose speed probe takes `p` seconds:
    `fixed` is a training time budget (notebook 09's 3 minutes), which lasts as long anywhere;
    `work` is the rest, scaled by the probe of the run that measured it (runs may be partial).
    `probe` is the timed machine's usual speed: the median probe of those runs.
    """
    reference = _reference()
    rows = reference.get("notebooks", {})
    if not rows:
        return None, "", {}
    parts = {}
    probes = []
    for name, row in rows.items():
        probe = row.get("probe_seconds", reference["probe_seconds"])
        fixed = row["figures"].get("train_seconds", 0.0)
        parts[name] = (fixed, (row["seconds"] - fixed) / probe)
        probes.append(probe)
    probes.sort()
    cores = reference.get("machine", "").split("-core")[0]
    machine = f"a {cores}-core laptop CPU" if cores.isdigit() else "the laptop CPU that timed it"
    return probes[(len(probes) - 1) // 2], machine, parts


def course_map():
    """Print the course's notebooks: what each builds and its run time, in minutes, on the laptop
    CPU that timed the course (the same minutes predict_run_times starts from)."""
    from helpers.course.diagrams import NOTEBOOK_TITLES

    probe, machine, parts = _run_times()
    print(f"{'notebook':<10}{'what you build':<28}run time on {machine or 'a laptop CPU'}")
    for number, title in NOTEBOOK_TITLES.items():
        stem = next((name for name in parts if name[:2] == number), None)
        if stem is None:
            shown = "not timed yet"
        else:
            fixed, work = parts[stem]
            shown = f"{_minutes(fixed + work * probe)} min"
        print(f"{number:<10}{title:<28}{shown}")


def predict_run_times():
    """Print how long each notebook should take on this machine, in minutes: the minutes of the
    course's timed run, scaled by how fast a small probe runs here. Returns {notebook: seconds}."""
    from helpers.course.device import speed_probe

    timed_on, machine, parts = _run_times()
    if not parts:
        print("The notebooks have not been timed yet: no estimate.")
        return {}
    here, fastest, slowest = speed_probe()
    ratio = here / timed_on
    if 0.9 <= ratio <= 1.1:
        speed = f"about as fast as {machine}"
    elif ratio < 1:
        speed = f"about {1 / ratio:.1f}x as fast as {machine}"
    else:
        speed = f"about {ratio:.1f}x slower than {machine}"
    print(f"This machine runs {speed} right now.")
    from helpers.course.diagrams import NOTEBOOK_TITLES

    print(f"{'notebook':<32}{'minutes on ' + machine:>32}{'minutes here':>16}")
    predicted, totals = {}, [0.0, 0.0, 0.0, 0.0]
    for name, (fixed, work) in parts.items():
        # the range comes from the fastest and slowest of this machine's probes just now
        times = [fixed + work * probe for probe in (timed_on, here, fastest, slowest)]
        predicted[name] = times[1]
        totals = [t + s for t, s in zip(totals, times, strict=True)]
        label = f"{name[:2]} {NOTEBOOK_TITLES.get(name[:2], name[3:])}"
        print(f"{label:<32}{_minutes(times[0]):>32}{_minutes_range(times[2], times[3]):>16}")
    print(
        f"{'all notebooks':<32}{_minutes(totals[0]):>32}{_minutes_range(totals[2], totals[3]):>16}"
    )
    print(
        "(Minutes of running only; reading and exercises come on top. The range widens when "
        "other programs share the CPU; on a GPU the training notebooks run much faster.)"
    )
    return predicted


def _minutes(seconds):
    """Seconds as minutes with one decimal; a few seconds show as 0.1, never 0.0."""
    return f"{max(seconds / 60, 0.1):.1f}"


def _minutes_range(low, high):
    low, high = _minutes(low), _minutes(high)
    return low if low == high else f"{low}-{high}"


def course_notebooks(prefixes=(), solutions=False):
    folder = NOTEBOOKS / "solutions" if solutions else NOTEBOOKS
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
    return paths


def run_notebook(path, out_path, timeout=3600):
    """Execute one notebook on a fresh kernel; return (seconds, figures dict)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    if settings.smoke():
        from helpers.course.testmode import shorten_notebook

        shorten_notebook(nb, path.stem)
    n_cells = len(nb.cells)
    if path.stem in FIGURES:
        reading = f"from helpers.course.runner import record\nrecord({FIGURES[path.stem]})"
        nb.cells.append(nbformat.v4.new_code_cell(reading))
    fd, record_file = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    os.environ[RECORD_FILE_VARIABLE] = record_file  # the kernel inherits it
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            # the kernel's own start-up notices (e.g. about its local TCP transport) are noise here
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
        del nb.cells[n_cells:]  # the figures' cell is the runner's, not the notebook's
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(out_path, "w") as f:
            nbformat.write(nb, f)
        figures = {}
        with open(record_file, encoding="utf-8") as f:
            for line in f:
                figures.update(json.loads(line))
        return seconds, figures
    finally:
        os.environ.pop(RECORD_FILE_VARIABLE, None)
        os.remove(record_file)


def format_figures(figures):
    return (
        ", ".join(
            f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()
        )
        or "-"
    )


def format_table(rows):
    lines = ["| notebook | seconds | key figures |", "|---|---:|---|"]
    for row in rows:
        lines.append(
            f"| {row['notebook']} | {row['seconds']:.0f} | {format_figures(row['figures'])} |"
        )
    return "\n".join(lines)


def update_reference_times(rows, probe_seconds):
    """Keep the measured seconds and figures of a normal-length run for notebook 00 and the README.

    Each row keeps the speed probe of its own run. The file's overall probe, the reference speed
    notebook 00 compares against, changes only with a run of the whole course.
    """
    import platform

    reference = {"notebooks": {}}
    if TIMES_FILE.exists():
        reference = json.loads(TIMES_FILE.read_text(encoding="utf-8"))
    reference["machine"] = (
        f"{os.cpu_count()}-core {platform.machine()} CPU, torch threads chosen by choose_threads"
    )
    if {row["notebook"] for row in rows} >= {p.stem for p in course_notebooks()}:
        reference["probe_seconds"] = round(probe_seconds, 4)
    for row in rows:
        reference["notebooks"][row["notebook"]] = {
            "seconds": row["seconds"],
            "figures": row["figures"],
            "probe_seconds": round(probe_seconds, 4),
        }
    reference["notebooks"] = dict(sorted(reference["notebooks"].items()))
    TIMES_FILE.write_text(json.dumps(reference, indent=2) + "\n", encoding="utf-8")
    print(f"reference timings updated in {TIMES_FILE}")


MAP_START, MAP_END = "<!-- course-map:start -->", "<!-- course-map:end -->"


def notebook_title(path):
    """The text after the '·' in a notebook's first heading, e.g. 'The bigram model: ...'."""
    import nbformat

    first = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
    return first.split("·", 1)[-1].strip(" #")


def _machine(reference):
    """The measured machine in a learner's words, e.g. "2-core x86_64 CPU"."""
    return reference.get("machine", "CPU").split(",")[0]


def _reference():
    """The measured run in notebooks/course_times.json, or {} before the first one."""
    return json.loads(TIMES_FILE.read_text(encoding="utf-8")) if TIMES_FILE.exists() else {}


def render_course_map():
    """The README's course map: every notebook, what it builds, measured time and key figures."""
    reference = _reference()
    measured = reference.get("notebooks", {})
    lines = [
        f"Measured by `make course` on a {_machine(reference)}.",
        "",
        "| notebook | what you build | CPU time | key figures |",
        "|---|---|---:|---|",
    ]
    for path in course_notebooks():
        row = measured.get(path.stem)
        seconds = f"{row['seconds']:.0f} s" if row else "not measured"
        figures = format_figures(row["figures"]) if row else "-"
        lines.append(
            f"| [{path.stem}](notebooks/{path.name}) | {notebook_title(path)} | {seconds} | {figures} |"
        )
    return "\n".join(lines)


TIMES_START, TIMES_END = "<!-- workshop-times:start -->", "<!-- workshop-times:end -->"


def notebook_size(path):
    """(words of prose, lines of code) in a notebook: what a learner reads and types."""
    import re

    import nbformat

    words = code = 0
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            words += len(re.findall(r"[A-Za-z0-9][\w'’.,-]*", cell.source))
        elif cell.cell_type == "code":
            code += sum(1 for line in cell.source.splitlines() if line.strip())
    return words, code


READING_WORDS_PER_MINUTE = 150  # reading to understand, with code to follow: slower than prose


def render_workshop_times():
    """WORKSHOP.md's table: per notebook, the measured CPU run time and what there is to read."""
    reference = _reference()
    measured = reference.get("notebooks", {})
    lines = [
        f"Run times measured by `make course` on a {_machine(reference)}; reading "
        f"time at {READING_WORDS_PER_MINUTE} words a minute.",
        "",
        "| notebook | run all cells (CPU) | prose words | code lines | reading |",
        "|---|---:|---:|---:|---:|",
    ]
    total = reading = 0.0
    for path in course_notebooks():
        row = measured.get(path.stem)
        words, code = notebook_size(path)
        minutes = words / READING_WORDS_PER_MINUTE
        total += row["seconds"] if row else 0.0
        reading += minutes
        run = f"{row['seconds'] / 60:.1f} min" if row else "not measured"
        lines.append(f"| {path.stem} | {run} | {words:,} | {code} | {minutes:.0f} min |")
    lines.append(f"| **all notebooks** | **{total / 60:.1f} min** | | | **{reading:.0f} min** |")
    return "\n".join(lines)


def _replace_block(path, start, end, body):
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        sys.exit(f"{path.name} has no {start} ... {end} block to update.")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{body}\n{end}{tail}", encoding="utf-8")


LECTURE_START, LECTURE_END = "<!-- lecture-map:start -->", "<!-- lecture-map:end -->"


def _needs_checkout():
    """The runner works on the notebooks and documents of a checkout: installed, it stops with a
    line saying so (settings.require_checkout), not a traceback."""
    try:
        settings.require_checkout("`python -m helpers course`")
    except settings.NotACheckout as e:
        sys.exit(f"error: {e}")


def update_readme():
    """Rewrite README.md's course map (from notebooks/course_times.json), docs/LECTURE.md's map
    of the lecture (from helpers/course/lecture.py) and WORKSHOP.md's timings."""
    from helpers.course import lecture

    _needs_checkout()

    _replace_block(ROOT / "docs" / "LECTURE.md", LECTURE_START, LECTURE_END, lecture.readme_table())
    _replace_block(ROOT / "README.md", MAP_START, MAP_END, render_course_map())
    _replace_block(ROOT / "WORKSHOP.md", TIMES_START, TIMES_END, render_workshop_times())
    print("README.md course map, docs/LECTURE.md's lecture map and WORKSHOP.md timings updated")


def run_course(only=(), inplace=False, outdir=None, solutions=False):
    """Run the chosen notebooks in order and print the table; stop at the first that fails."""
    _needs_checkout()
    if inplace and settings.smoke():
        sys.exit(
            "error: COURSE_SMOKE=1 with --inplace would replace the stored full-length outputs "
            "with short-run ones. Unset COURSE_SMOKE to store outputs, or drop --inplace."
        )
    if inplace:
        from helpers.course.corpus import chosen_text

        if chosen_text() is not None:
            sys.exit(
                f"error: the course is set to your own text ({chosen_text()}); the stored outputs "
                "are tinyshakespeare's. Run with COURSE_TEXT=tinyshakespeare to store outputs, or "
                "drop --inplace (the executed copies then go to build/course/)."
            )
    paths = course_notebooks(only, solutions=solutions)
    if not paths:
        sys.exit(f"error: no notebook in {NOTEBOOKS} matches {list(only)}.")
    outdir = Path(outdir) if outdir else BUILD_DIR / "course"
    from helpers.course.device import speed_probe

    probe_seconds = speed_probe()[0]
    rows, failed = [], None
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        target = path if inplace else outdir / path.name
        try:
            seconds, figures = run_notebook(path, target)
        except Exception as e:  # report which notebook broke, then stop
            failed = f"{path.name} failed: {type(e).__name__}: {str(e)[-2000:]}"
            break
        rows.append({"notebook": path.stem, "seconds": round(seconds, 1), "figures": figures})
        print(f"  {seconds:.0f} s {figures}", flush=True)

    table = format_table(rows)
    print("\n" + table)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "summary.md").write_text(table + "\n", encoding="utf-8")
    print(f"\nsummary written to {outdir / 'summary.md'}")
    if inplace and not settings.smoke() and not solutions:
        update_reference_times(rows, probe_seconds)
        update_readme()
    if failed:
        sys.exit(failed)
