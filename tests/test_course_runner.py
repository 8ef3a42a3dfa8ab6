"""The course runner (helpers/course/runner.py): runs notebooks headless, collects their figures."""

import nbformat

from helpers.course.runner import format_table, run_notebook


def test_course_runner_executes_a_notebook_and_collects_figures(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from helpers.course import record\nrecord(val_loss=1.25, vocab_size=65)"
            )
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    source = tmp_path / "99_tiny.ipynb"
    nbformat.write(nb, source)
    out = tmp_path / "out" / "99_tiny.ipynb"
    seconds, figures = run_notebook(source, out)
    assert figures == {"val_loss": 1.25, "vocab_size": 65}
    assert seconds > 0
    executed = nbformat.read(out, as_version=4)
    assert "measured: val_loss = 1.2500" in executed.cells[0].outputs[0]["text"]
    assert nbformat.read(source, as_version=4).cells[0].outputs == [], (
        "the source notebook is not overwritten"
    )
    table = format_table([{"notebook": "99_tiny", "seconds": seconds, "figures": figures}])
    assert "| 99_tiny |" in table and "val_loss 1.2500" in table
