"""The course runner (helpers/course/runner.py): runs notebooks headless, collects their figures."""

import nbformat
import pytest

from helpers.course.runner import FIGURES, format_table, run_notebook
from helpers.course.testmode import SHORT


def one_cell_notebook(path, source):
    """Write a notebook of one code cell, for the python3 kernel, to `path`; return the path."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_course_runner_executes_a_notebook_and_collects_figures(tmp_path, monkeypatch):
    from helpers.course import runner

    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    monkeypatch.setitem(runner.FIGURES, "99_tiny", "val_loss=loss, vocab_size=65")
    source = one_cell_notebook(
        tmp_path / "99_tiny.ipynb", "max_iters = 5000\nloss = 1.25\nprint(max_iters)"
    )
    out = tmp_path / "out" / "99_tiny.ipynb"
    seconds, figures = run_notebook(source, out)
    assert figures == {"val_loss": 1.25, "vocab_size": 65}
    assert seconds > 0
    executed = nbformat.read(out, as_version=4)
    assert len(executed.cells) == 1, "the cell that reads the figures is not stored"
    assert executed.cells[0].outputs[0]["text"] == "5000\n"
    assert nbformat.read(source, as_version=4).cells[0].outputs == [], (
        "the source notebook is not overwritten"
    )
    table = format_table([{"notebook": "99_tiny", "seconds": seconds, "figures": figures}])
    assert "| 99_tiny |" in table and "val_loss 1.2500" in table


def test_a_partial_run_keeps_the_reference_speed_of_the_full_one(tmp_path, monkeypatch):
    import json

    from helpers.course import runner

    times = tmp_path / "course_times.json"
    full = {"notebooks": {"00_setup": {"seconds": 3.0, "figures": {}}}, "probe_seconds": 0.05}
    times.write_text(json.dumps(full), encoding="utf-8")
    monkeypatch.setattr(runner, "TIMES_FILE", times)
    row = {"notebook": "03_bigram", "seconds": 20.0, "figures": {"val": 2.5}}
    runner.update_reference_times([row], probe_seconds=0.04)  # only one notebook ran
    saved = json.loads(times.read_text(encoding="utf-8"))
    assert saved["probe_seconds"] == 0.05  # the whole course's reference speed is kept
    assert saved["notebooks"]["03_bigram"] == {
        **{k: row[k] for k in ("seconds", "figures")},
        "probe_seconds": 0.04,
    }
    assert saved["notebooks"]["00_setup"]["seconds"] == 3.0


def test_short_runs_never_replace_the_stored_full_length_outputs(monkeypatch):
    from helpers.course import runner

    monkeypatch.setenv("COURSE_SMOKE", "1")
    ran = []
    monkeypatch.setattr(runner, "run_notebook", lambda *a: ran.append(a))
    with pytest.raises(SystemExit) as info:
        runner.run_course(["08"], inplace=True)
    assert "would replace the stored full-length outputs" in str(info.value) and ran == []


def test_predictions_scale_each_time_by_its_own_probe_and_give_a_range(
    tmp_path, monkeypatch, capsys
):
    import json

    from helpers.course import device, runner

    times = tmp_path / "course_times.json"
    rows = {
        "03_bigram": {"seconds": 20.0, "figures": {}},  # measured in the full run (probe 0.05)
        "08_transformer": {  # a later run, with a 180-second training budget
            "seconds": 200.0,
            "figures": {"train_seconds": 180.0},
            "probe_seconds": 0.1,
        },
    }
    times.write_text(json.dumps({"notebooks": rows, "probe_seconds": 0.05, "machine": "ref"}))
    monkeypatch.setattr(runner, "TIMES_FILE", times)
    monkeypatch.setattr(device, "speed_probe", lambda: (0.1, 0.08, 0.12))
    predicted = runner.predict_run_times()
    # 03 scales with the probes; 08's 180 s budget does not, only its 20 s around it
    assert predicted == {"03_bigram": pytest.approx(40.0), "08_transformer": pytest.approx(200.0)}
    out = capsys.readouterr().out
    assert "about 2.0x slower than" in out and "reference" not in out
    # in minutes, the spread of this machine's probes: 32-48 s and 196-204 s
    assert "0.5-0.8" in out and "3.3-3.4" in out
    assert "all notebooks" in out


def test_the_course_map_and_the_predictions_quote_the_same_minutes(tmp_path, monkeypatch, capsys):
    import json

    from helpers.course import device, runner

    times = tmp_path / "course_times.json"
    rows = {"07_blocks": {"seconds": 250.0, "figures": {}, "probe_seconds": 0.04}}
    machine = "2-core x86_64 CPU, torch threads chosen by choose_threads"
    times.write_text(json.dumps({"notebooks": rows, "probe_seconds": 0.05, "machine": machine}))
    monkeypatch.setattr(runner, "TIMES_FILE", times)
    monkeypatch.setattr(device, "speed_probe", lambda: (0.04, 0.04, 0.04))
    runner.course_map()
    shown = capsys.readouterr().out
    assert (
        "a 2-core laptop CPU" in shown and "07        Transformer blocks          4.2 min" in shown
    )
    assert "not timed yet" in shown  # the notebooks without a measured run
    runner.predict_run_times()
    out = capsys.readouterr().out
    assert "about as fast as a 2-core laptop CPU" in out
    assert out.split("07 Transformer blocks")[1].split()[:2] == ["4.2", "4.2"]


def test_a_short_run_shortens_the_notebook_it_executes(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    source = one_cell_notebook(tmp_path / "98_short.ipynb", "max_iters = 5000\nmax_iters")
    run_notebook(source, tmp_path / "out.ipynb")
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["data"]["text/plain"] == str(SHORT["max_iters"]) != "5000"


@pytest.mark.parametrize("stem", sorted(FIGURES))
def test_every_figure_the_runner_reads_is_a_variable_of_its_notebook(stem):
    import ast

    from helpers.course.runner import NOTEBOOKS

    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    assigned = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(
                "\n".join(x for x in cell.source.splitlines() if not x.startswith(("%", "!")))
            )
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    assigned.add(node.id)
    call = ast.parse(f"record({FIGURES[stem]})", mode="eval").body
    read = {n.id for kw in call.keywords for n in ast.walk(kw.value) if isinstance(n, ast.Name)}
    read -= {"len", "str", "sum", "round", "p"}  # built-ins and the generator's own name
    missing = read - assigned
    assert not missing, (
        f"runner.FIGURES[{stem!r}] reads {sorted(missing)}, not assigned in the notebook"
    )


def test_every_notebook_has_its_figures_and_no_bookkeeping_cell():
    from helpers.course.runner import course_notebooks

    assert {p.stem for p in course_notebooks()} == set(FIGURES)
    for path in course_notebooks():
        text = path.read_text(encoding="utf-8")
        assert "record(" not in text, f"{path.name} still has a record(...) cell"
