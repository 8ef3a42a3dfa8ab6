"""Checkpoints: round trip, atomic writes, mismatch errors, no silent overwrite."""

import dataclasses
import errno
import os
import pickle
import subprocess
import sys

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


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        RuntimeError("[enforce fail at inline_container.cc:603] . unexpected pos 4096 vs 1024"),
    ],
    ids=["ENOSPC", "torch-zip-writer"],
)
def test_a_full_disk_says_so_and_leaves_the_previous_file_intact(
    tmp_path, monkeypatch, trained, error
):
    model, _ = trained()
    path = save(tmp_path / "m.pt", model)
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        if isinstance(
            error, RuntimeError
        ):  # torch's message does not name the cause: the space does
            monkeypatch.setattr(ck.shutil, "disk_usage", lambda p: FakeUsage(free=1000))
        raise error

    monkeypatch.setattr(ck.torch, "save", broken_save)
    with pytest.raises(ck.CheckpointError, match="not enough disk space to save") as info:
        save(path, model)
    assert "the checkpoint already there is intact" in str(info.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


class FakeUsage:
    def __init__(self, free):
        self.free = free


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


# --- checks before a model is built -------------------------------------------------------------


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda c: c.pop("model"), "'model' should be a dict"),
        (lambda c: c.update(step="3"), "'step' should be a int"),
        (lambda c: c["config"].pop("n_head"), "its config has keys"),
        (
            lambda c: c["config"].update(context_length=10**9),
            "context_length=1,000,000,000 is beyond",
        ),
        (lambda c: c["config"].update(n_head=3), "its config is impossible"),
        (lambda c: c.update(vocab="\n ab"), "its vocabulary has 4 characters"),
        (lambda c: c["config"].update(n_layer=2), "its weights do not fit its config"),
    ],
    ids=["no-weights", "step-type", "config-keys", "huge-context", "bad-heads", "vocab", "shapes"],
)
def test_an_inconsistent_checkpoint_is_refused_before_a_model_is_built(
    tmp_path, trained, damage, message
):
    model, _ = trained()
    path = save(tmp_path / "m.pt", model)
    raw = torch.load(path, weights_only=True)
    damage(raw)
    torch.save(raw, path)
    with pytest.raises(ck.CheckpointError, match="is damaged or inconsistent") as info:
        ck.load_checkpoint(path)
    assert message in str(info.value)


class Hostile:
    def __reduce__(self):
        return (os.system, ("touch hacked",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_hostile_file_is_refused_in_our_words_without_the_advice_to_switch_safety_off(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": ck.FORMAT, "payload": Hostile()}, path)
    with pytest.raises(ck.CheckpointError) as info:
        ck.load_checkpoint(path)
    message = str(info.value)
    assert "nothing in it was run" in message and "weights_only=False" not in message
    assert not (tmp_path / "hacked").exists() and not os.path.exists("hacked")
    pickle_file = tmp_path / "plain.pt"
    pickle_file.write_bytes(pickle.dumps(Hostile()))
    with pytest.raises(ck.CheckpointError, match="not a readable checkpoint|nothing in it was run"):
        ck.load_checkpoint(pickle_file)


def test_a_folder_is_not_a_checkpoint(tmp_path):
    with pytest.raises(ck.CheckpointError, match="is a folder: give the checkpoint's file name"):
        ck.load_checkpoint(tmp_path)


# --- one run per checkpoint -----------------------------------------------------------------------

HOLD = """
import sys, time
from helpers.course.checkpoint import checkpoint_lock
with checkpoint_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(path, seconds):
    """Another process that owns `path` for `seconds`; returns once it holds the lock."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_second_writer_is_refused_while_another_process_owns_the_checkpoint(tmp_path):
    path = tmp_path / "m.pt"
    other = hold_lock(path, 30)
    try:
        with pytest.raises(
            ck.CheckpointError, match="is being written by another training run"
        ) as info:
            with ck.checkpoint_lock(path):
                pass
        assert f"process {other.pid}" in str(info.value)
    finally:
        other.kill()
        other.wait()
    with ck.checkpoint_lock(path):  # a killed owner's lock is gone with it: taken over at once
        assert ck.lock_path(path).read_text().startswith(f"process {os.getpid()}")
    assert not ck.lock_path(path).exists()  # released: nothing left beside the checkpoint


def test_one_owner_even_within_one_process(tmp_path):
    path = tmp_path / "m.pt"
    with ck.checkpoint_lock(path):  # train_gpt alone takes it: a second taker is another run
        with pytest.raises(ck.CheckpointRefused, match="is being written by another training run"):
            with ck.checkpoint_lock(path):
                pass
        assert ck.lock_path(path).exists()
    assert not ck.lock_path(path).exists()


def test_owned_refuses_another_runs_file_once_before_training(tmp_path, trained):
    model, _ = trained()
    path = save(tmp_path / "m.pt", model)  # written by run "r" (see save)
    with pytest.raises(ck.CheckpointRefused, match="already holds a checkpoint from another run"):
        with ck.owned(path, "another-run"):
            pass
    assert not ck.lock_path(path).exists()  # refused: the lock is let go at once
    with ck.owned(path, "another-run", overwrite=True):
        assert ck.lock_path(path).exists()
    with ck.owned(None, "any"):  # no file: nothing to own
        pass


def test_a_folder_that_cannot_be_created_is_refused_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ck.CheckpointError, match="cannot write in .*choose another place"):
        with ck.checkpoint_lock(blocker / "m.pt"):
            pass


def test_stale_temporaries_of_dead_saves_are_removed_by_the_owner(tmp_path, trained):
    model, _ = trained()
    path = save(tmp_path / "m.pt", model)
    stale = tmp_path / ".m.pt.abc123.part"
    stale.write_bytes(b"x" * 100)
    other = tmp_path / ".other.pt.abc.part"
    other.write_bytes(b"y")
    save(path, model)  # without the lock: someone else's temporary might be live, so it stays
    assert stale.exists()
    with ck.checkpoint_lock(path):
        save(path, model)
    assert not stale.exists() and other.exists()


def test_describe_folder(tmp_path, trained):
    model, _ = trained()
    assert ck.describe_folder(tmp_path / "none").endswith("holds 0 checkpoints, 0.0 MB")
    save(tmp_path / "a.pt", model)
    assert "holds 1 checkpoint, " in ck.describe_folder(tmp_path)
    assert ": a.pt" in ck.describe_folder(tmp_path)


def test_errors_name_a_checkpoint_as_a_learner_writes_it():
    from helpers.course.settings import ROOT

    with pytest.raises(ck.CheckpointError, match=r"^No checkpoint at checkpoints/no-such\.pt\.$"):
        ck.load_checkpoint(ROOT / "checkpoints" / "no-such.pt")
