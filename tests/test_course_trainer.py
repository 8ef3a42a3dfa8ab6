"""The long-run trainer (helpers/course/trainer.py): presets and train_gpt."""

import math

import pytest
import torch

from helpers import GPT, evaluate
from helpers.course import TrainConfig, load_checkpoint, preset, train_gpt

LINES = [
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n",
    "All:\nSpeak, speak.\n\n",
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\n",
]
TEXT = "".join(LINES[i % 3] for i in range(60))


def test_gpu_preset_is_the_lectures_model_with_its_parameter_count():
    config, train = preset("gpu", vocab_size=65)
    assert (config.n_layer, config.n_head, config.n_embd, config.context_length) == (6, 6, 384, 256)
    assert config.dropout == 0.2 and train.batch_size == 64 and train.learning_rate == 3e-4
    assert train.max_iters == 5000
    model = GPT(config)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 10_788_929  # the lecture's gpt.py prints 10.788929 M parameters


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        preset("tpu", vocab_size=65)


def test_training_keeps_the_best_model_and_honours_the_time_budget(tmp_path, one_thread, tiny_gpt):
    ids = torch.tensor([ord(c) % 20 for c in TEXT])
    train_ids, val_ids = ids[: len(ids) * 9 // 10], ids[len(ids) * 9 // 10 :]
    model = tiny_gpt(seed=0, vocab_size=20, n_layer=1).train()
    cfg = TrainConfig(
        batch_size=4,
        learning_rate=3e-2,
        min_lr=3e-3,
        warmup_iters=0,
        max_iters=40,
        eval_interval=10,
    )
    history = train_gpt(
        model,
        train_ids,
        val_ids,
        cfg,
        vocab=[chr(i) for i in range(20)],
        checkpoint=tmp_path / "b.pt",
    )
    assert history["step"] == [0, 10, 20, 30, 40]
    assert history["best_val"] == min(history["val"])
    ckpt = load_checkpoint(tmp_path / "b.pt")
    assert ckpt["step"] == history["step"][history["val"].index(history["best_val"])]
    assert evaluate(model, val_ids, 8) == pytest.approx(history["best_val"], rel=1e-5)

    budget = TrainConfig(
        batch_size=4, max_iters=10**6, time_budget=0.5, eval_interval=10**6, warmup_iters=0
    )
    timed = train_gpt(model, train_ids, val_ids, budget, vocab=[chr(i) for i in range(20)])
    assert 0.5 <= timed["train_seconds"] < 5 and 0 < timed["step"][-1] < 10**6
    assert math.isfinite(timed["val"][-1])


def test_patience_stops_training_and_the_best_weights_come_back(monkeypatch, one_thread, tiny_gpt):
    import helpers.course.trainer as trainer
    import helpers.training as training

    vals = iter([4.0, 3.0, 2.0, 2.5, 2.6, 2.7, 2.8, 2.9])  # best at the 3rd evaluation (step 2)
    snapshots = []

    def fake_evaluate(model, data, context_length, device="cpu", max_windows=None, batch_size=64):
        if max_windows is None:  # the val pass: remember the weights it saw
            snapshots.append(model.lm_head.bias.detach().clone())
            return next(vals)
        return 0.0

    monkeypatch.setattr(trainer, "evaluate", fake_evaluate)  # the train-loss sample for the plot
    monkeypatch.setattr(training, "evaluate", fake_evaluate)  # fit's validation pass
    model = tiny_gpt(seed=0, vocab_size=20, n_layer=1).train()
    cfg = TrainConfig(
        batch_size=4,
        learning_rate=1e-2,
        min_lr=1e-3,
        warmup_iters=0,
        max_iters=100,
        eval_interval=1,
        patience=3,
    )
    ids = torch.tensor([ord(c) % 20 for c in TEXT])
    history = train_gpt(model, ids[:2000], ids[2000:], cfg, vocab=[chr(i) for i in range(20)])
    assert history["step"] == [0, 1, 2, 3, 4, 5]  # three evaluations without progress after step 2
    assert (history["best_val"], history["best_step"]) == (2.0, 2)
    assert torch.equal(model.lm_head.bias, snapshots[2])  # the weights of step 2, not of step 5
    assert not torch.equal(snapshots[2], snapshots[5])
