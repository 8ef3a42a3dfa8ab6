"""Train the course's model on texts other than Shakespeare and print a table (a script, not a test).

    python bench/own_text.py             # three texts, the `cpu` preset's 3 minutes each (~11 min)
    python bench/own_text.py --quick     # a few steps each, to check that it works

The texts, all made from what the course already installs (nothing is downloaded):

1. `python-docs`: the Python reference documentation that ships with CPython (`pydoc_data`,
   the course's offline stand-in): English prose and code, 103 distinct characters.
2. `python-docs-50k`: its first 50,000 characters, to see what a small text does.
3. `greek-shakespeare`: tinyshakespeare in lowercase with its letters written in Greek (a → α,
   b → β, ...): a non-Latin-script text, generated, 39 distinct characters.

Each is trained with the training command, `python -m helpers train --preset cpu --text FILE`,
exactly as a learner would; the table gives its size, vocabulary, the best validation loss and
when it came, why training stopped, and the wall-clock time of the command. Results are written
to bench/OWN_TEXT_RESULTS.md (with --quick: build/own_text/).
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def texts():
    from pydoc_data.topics import topics

    from helpers.course.corpus import fetch_corpus, in_greek_letters, offline_text

    docs = offline_text()
    shakespeare = fetch_corpus(verbose=False).read_text(encoding="utf-8")
    return {
        "python-docs": docs,
        "python-docs-50k": docs[:50_000],
        "greek-shakespeare": in_greek_letters(shakespeare),
    }, len(topics)


def train(path, out, quick):
    command = [sys.executable, "-m", "helpers", "train", "--preset", "cpu", "--text", str(path)]
    command += ["--out", str(out), "--overwrite", "--sample-chars", "200"]
    if quick:
        command += ["--max-iters", "20", "--eval-interval", "10", "--time-budget", "0"]
    began = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if result.returncode != 0:
        sys.exit(f"{path.name}: the training command failed:\n{result.stderr[-3000:]}")
    return seconds, result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps each")
    args = parser.parse_args()
    import torch

    work = ROOT / "build" / "own_text"
    work.mkdir(parents=True, exist_ok=True)
    made, n_topics = texts()
    rows = []
    for name, text in made.items():
        path = work / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        print(
            f"{name}: {len(text):,} characters, {len(set(text))} distinct; training ...", flush=True
        )
        seconds, log = train(path, work / f"{name}.pt", args.quick)
        ckpt = torch.load(work / f"{name}.pt", map_location="cpu", weights_only=True)
        history = json.loads((work / f"{name}.history.json").read_text(encoding="utf-8"))
        sample = log.split("-" * 40 + "\n", 1)[-1].strip()
        rows.append(
            {
                "text": name,
                "characters": len(text),
                "vocabulary": len(set(text)),
                "steps": history["step"][-1],
                "best_val": round(ckpt["best_val"], 4),
                "best_step": ckpt["step"],
                "last_val": round(history["val"][-1], 4),
                "stopped": history["stopped"],
                "seconds": round(seconds),
                "sample": sample,
            }
        )
        print(
            f"  {rows[-1]['best_val']} at step {rows[-1]['best_step']}, {seconds:.0f} s", flush=True
        )

    lines = [
        "# Your own text: measured runs",
        "",
        f"`python bench/own_text.py{' --quick' if args.quick else ''}`, "
        f"{datetime.date.today().isoformat()}, {os.cpu_count()}-core CPU, torch {torch.__version__}. "
        f"Written by the script. The `cpu` preset (3 layers x 4 heads x 96 wide, context 64), "
        f"its 3-minute training budget, through `python -m helpers train --text FILE`. "
        f"`python-docs` is the {n_topics} topics of `pydoc_data`.",
        "",
        "| text | characters | vocabulary | steps | best val loss (step) | last val loss | command time |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['text']} | {r['characters']:,} | {r['vocabulary']} | {r['steps']:,} | "
            f"{r['best_val']:.4f} ({r['best_step']:,}) | {r['last_val']:.4f} | {r['seconds']} s |"
        )
    lines.append("")
    for r in rows:
        lines += [f"**{r['text']}** ({r['stopped']}), 200 characters sampled at the end:", ""]
        lines += ["```", re.sub(r"```", "'''", r["sample"]), "```", ""]
    report = "\n".join(lines)
    print("\n" + report)
    target = work if args.quick else ROOT / "bench"
    (target / "OWN_TEXT_RESULTS.md").write_text(report, encoding="utf-8")
    print(f"written: {target / 'OWN_TEXT_RESULTS.md'}")


if __name__ == "__main__":
    main()
