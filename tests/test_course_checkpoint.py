"""Checkpoints: round trip, atomic writes, mismatch errors, no silent overwrite."""

import dataclasses

import pytest
import torch

import helpers.course.checkpoint as ck

VOCAB = "\n abc"


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture
def trained(tiny_gpt):
    """`trained(seed=0)`: a tiny GPT over VOCAB and its AdamW, after three steps."""

    def make(seed=0):
        return trained_pair(tiny_gpt(seed, vocab_size=len(VOCAB), n_layer=1).train())

    return make


def trained_pair(model):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    idx = torch.randint(0, 5, (4, 8))
    for _ in range(3):
        _, loss = model(idx, idx)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, optimizer


def save(path, model, optimizer=None, run_id="run-a", **kwargs):
    return ck.save_checkpoint(
        path,
        model=model,
        config=model.config,
        vocab=list(VOCAB),
        run_id=run_id,
        step=3,
        best_val=1.25,
        optimizer=optimizer,
        **kwargs,
    )


def test_round_trip_gives_identical_outputs_and_state(tmp_path, trained):
    model, optimizer = trained()
    path = save(tmp_path / "m.pt", model, optimizer, history={"step": [0, 3], "val": [1.6, 1.25]})
    raw = torch.load(path, weights_only=True)  # plain data only: loads without unpickling code
    assert raw["vocab"] == VOCAB and raw["config"] == dataclasses.asdict(model.config)
    ckpt = ck.load_checkpoint(path)
    assert (ckpt["step"], ckpt["best_val"], ckpt["run_id"]) == (3, 1.25, "run-a")
    assert ckpt["history"]["val"] == [1.6, 1.25]
    restored = ck.model_from_checkpoint(ckpt)
    idx = torch.randint(0, 5, (2, 8))
    assert torch.equal(restored(idx)[0], model.eval()(idx)[0])
    fresh = torch.optim.AdamW(restored.parameters(), lr=1e-2)
    fresh.load_state_dict(ckpt["optimizer"])
    assert fresh.state_dict()["state"][0]["step"] == optimizer.state_dict()["state"][0]["step"]


def test_a_failed_save_leaves_the_previous_file_intact_and_no_temporary_file(
    tmp_path, monkeypatch, trained
):
    model, _ = trained()
    path = save(tmp_path / "m.pt", model)
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(ck.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save(path, model)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


def test_a_checkpoint_from_another_run_is_not_overwritten_without_asking(tmp_path, trained):
    model, _ = trained()
    path = save(tmp_path / "m.pt", model, run_id="run-a")
    before = path.read_bytes()
    with pytest.raises(ck.CheckpointError, match="another run"):
        save(path, model, run_id="run-b")
    assert path.read_bytes() == before
    save(path, model, run_id="run-a")  # the same run may update its own checkpoint
    save(path, model, run_id="run-b", overwrite=True)  # asked for: replaced
    assert ck.load_checkpoint(path)["run_id"] == "run-b"


def test_a_file_that_is_not_a_checkpoint_is_never_replaced(tmp_path, trained):
    path = tmp_path / "notes.pt"
    path.write_text("my notes", encoding="utf-8")
    model, _ = trained()
    with pytest.raises(ck.CheckpointError, match="not a readable checkpoint"):
        save(path, model)
    assert path.read_text(encoding="utf-8") == "my notes"


def test_load_errors_are_clear(tmp_path, trained):
    with pytest.raises(ck.CheckpointError, match="No checkpoint at"):
        ck.load_checkpoint(tmp_path / "missing.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ck.CheckpointError, match="not a checkpoint written by this course"):
        ck.load_checkpoint(tmp_path / "other.pt")
    model, _ = trained()
    path = save(tmp_path / "m.pt", model)
    path.write_bytes(path.read_bytes()[:200])  # truncated, as after a crash without atomic writes
    with pytest.raises(ck.CheckpointError, match="not a readable checkpoint"):
        ck.load_checkpoint(path)


def test_vocabulary_mismatch_is_a_clear_error(tmp_path, trained):
    model, _ = trained()
    ckpt = ck.load_checkpoint(save(tmp_path / "m.pt", model))
    ck.check_compatible(ckpt, model.config, list(VOCAB))  # the same: fine
    with pytest.raises(ck.CheckpointError, match=r"Vocabulary mismatch.*only here: \['z'\]"):
        ck.check_compatible(ckpt, model.config, list("\n abz"))
    with pytest.raises(ck.CheckpointError, match="another order"):
        ck.check_compatible(ckpt, model.config, list("\n acb"))


def test_config_mismatch_is_a_clear_error(tmp_path, trained):
    model, _ = trained()
    ckpt = ck.load_checkpoint(save(tmp_path / "m.pt", model))
    with pytest.raises(ck.CheckpointError, match="n_layer: checkpoint 1, now 2"):
        ck.check_compatible(ckpt, dataclasses.replace(model.config, n_layer=2), list(VOCAB))


def test_free_path_never_returns_an_existing_file(tmp_path):
    first = tmp_path / "run.pt"
    assert ck.free_path(first) == first
    first.write_bytes(b"x")
    (tmp_path / "run-2.pt").write_bytes(b"x")
    assert ck.free_path(first) == tmp_path / "run-3.pt"
