"""Notebooks report their key figures here; `make course` collects them into its table."""

import json
import os

RECORD_FILE_VARIABLE = "COURSE_RECORD_FILE"  # set by helpers.course for the kernels it starts


def record(**figures):
    """Print a notebook's key figures and, under `make course`, hand them to the summary table.

    Used at the end of every notebook from notebook 00 on (plumbing, not taught).
    """
    for key, value in figures.items():
        shown = f"{value:.4f}" if isinstance(value, float) else value
        print(f"measured: {key} = {shown}")
    target = os.environ.get(RECORD_FILE_VARIABLE)
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(json.dumps(figures) + "\n")
