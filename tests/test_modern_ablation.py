"""bench/modern_ablation.py: its re-tuning steps end at the preset the course ships, so that the
table's last rows read as one change at a time."""

import dataclasses
import importlib.util
from pathlib import Path


def load_ablation():
    path = Path(__file__).resolve().parent.parent / "bench" / "modern_ablation.py"
    spec = importlib.util.spec_from_file_location("modern_ablation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_preset_is_the_last_tuning_step_with_a_shorter_warmup():
    ablation = load_ablation()
    step_model, step_train = ablation.build("tuned-ctx128", 65)
    preset_model, preset_train = ablation.build("cpu-modern", 65)
    assert step_model.config == preset_model.config
    assert step_train.warmup_iters > preset_train.warmup_iters
    assert dataclasses.replace(step_train, warmup_iters=preset_train.warmup_iters) == preset_train


def test_each_tuning_step_changes_what_its_description_says():
    ablation = load_ablation()
    tuned, wsd, emb = (ablation.build(n, 65)[1] for n in ("tuned", "tuned-wsd", "tuned-wsd-emb"))
    assert (tuned.schedule, wsd.schedule) == ("cosine", "wsd")
    assert dataclasses.replace(wsd, embedding_lr_scale=5.0) == emb and wsd.embedding_lr_scale == 1


def test_redraw_labels_every_variant_and_keeps_the_runs(tmp_path):
    import json
    import shutil

    import matplotlib

    matplotlib.use("Agg")
    ablation = load_ablation()
    stored = ablation.ABLATION_RESULTS  # the runs the course ships (helpers/course/data/)
    shutil.copy(stored, tmp_path / "modern_ablation.json")
    ablation.main(["--redraw", "--out", str(tmp_path)])
    before = json.loads(stored.read_text())
    after = json.loads((tmp_path / "modern_ablation.json").read_text())
    assert after["runs"] == before["runs"] and after["machine"] == before["machine"]
    assert after["labels"] == {name: what for name, (what, _, _) in ablation.VARIANTS.items()}
    assert "side test" in after["labels"]["tuned-untied"]
    table = (tmp_path / "MODERN_RESULTS.md").read_text()
    assert "not like for like" in table and (tmp_path / "modern_ablation.png").stat().st_size > 0


def test_the_runs_ship_with_the_course_and_hold_what_notebooks_11_and_12_read():
    from helpers.course.plotting import ABLATION_RESULTS, ablation_results

    ablation = load_ablation()
    assert ABLATION_RESULTS.parent == Path(ablation.__file__).parents[1] / "helpers/course/data"
    assert not (ABLATION_RESULTS.parents[3] / "bench" / "modern_ablation.json").exists()
    results = ablation_results()
    variants = {run["variant"] for run in results["runs"]}
    needed = {"lecture", "muon", "all", "tuned", "tuned-wsd", "tuned-wsd-emb", "tuned-ctx128"}
    assert needed | {"cpu-modern"} <= variants
    assert set(results["labels"]) >= variants and results["seconds"] > 0


def test_by_default_the_runs_go_into_the_package_and_the_rest_into_bench(tmp_path, monkeypatch):
    """--redraw without --out reads and rewrites the shipped runs, and writes the table and the
    figure to bench/ (here: both redirected to tmp_path, so the checkout is left as it is)."""
    import shutil

    import matplotlib

    matplotlib.use("Agg")
    ablation = load_ablation()
    shipped = tmp_path / "data" / "modern_ablation.json"
    shipped.parent.mkdir()
    shutil.copy(ablation.ABLATION_RESULTS, shipped)
    monkeypatch.setattr(ablation, "ABLATION_RESULTS", shipped)
    monkeypatch.setattr(ablation, "HERE", tmp_path / "bench")
    ablation.main(["--redraw"])
    assert (tmp_path / "bench" / "MODERN_RESULTS.md").is_file()
    assert (tmp_path / "bench" / "modern_ablation.png").is_file()
    assert not (tmp_path / "bench" / "modern_ablation.json").exists()
