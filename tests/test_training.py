"""Measuring the loss and training (helpers/training.py): notebook 03's estimate_loss and train,
notebook 09's evaluate, lr_at and fit."""

import pytest
import torch

from helpers import BigramLanguageModel, estimate_loss, evaluate, generate, lr_at, train
from helpers.course import TrainConfig


def test_training_learns_a_deterministic_cycle(capsys):
    # 0 -> 1 -> 2 -> 3 -> 0 ...: a bigram can learn this perfectly
    data = torch.arange(4).repeat(500)
    torch.manual_seed(0)
    model = BigramLanguageModel(4)
    history = train(
        model,
        data,
        data,
        max_iters=300,
        batch_size=8,
        context_length=4,
        learning_rate=0.1,
        eval_interval=100,
        eval_iters=5,
        title="cycle",
    )
    assert history["step"] == [0, 100, 200, 300]
    assert history["val"][0] > 1.2 and history["val"][-1] < 0.05
    assert "cycle: step 300" in capsys.readouterr().out  # text view outside Jupyter
    out = generate(model, torch.zeros((1, 1), dtype=torch.long), max_new_tokens=8)
    assert out[0].tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 0]


def test_trains_progress_bar_leaves_its_final_line_as_text_in_a_notebook(capsys, monkeypatch):
    # a viewer without widgets (GitHub, nbviewer) shows the bar's stored text: the last state
    import helpers.course.notebook
    import helpers.training

    assert helpers.training.tqdm is helpers.course.notebook.tqdm
    monkeypatch.setattr(helpers.course.notebook, "in_notebook", lambda: True)
    data = torch.arange(4).repeat(50)
    train(
        BigramLanguageModel(4),
        data,
        data,
        max_iters=20,
        batch_size=2,
        context_length=4,
        learning_rate=0.1,
        eval_interval=10,
        eval_iters=2,
        title="bar",
    )
    out = capsys.readouterr().out
    assert any(line.startswith("bar: 100%") and "20/20" in line for line in out.splitlines()), out
    assert "val=" in out  # with the last losses measured


def test_estimate_loss_restores_training_mode():
    model = BigramLanguageModel(4)
    model.train()
    data = torch.arange(4).repeat(10)
    losses = estimate_loss(model, {"train": data, "val": data}, 2, 4, eval_iters=3)
    assert set(losses) == {"train", "val"} and model.training


def test_evaluate_predicts_every_window_once_in_order(tiny_gpt):
    model = tiny_gpt(seed=0, vocab_size=7, context_length=4, n_embd=8, n_layer=1)
    data = torch.randint(0, 7, (23,))  # 5 full windows of 4 (each needs one more id as target)
    by_hand = [
        model(data[i : i + 4][None], data[i + 1 : i + 5][None])[1].item() for i in range(0, 20, 4)
    ]
    assert evaluate(model, data, 4, batch_size=2) == pytest.approx(sum(by_hand) / 5, rel=1e-5)
    assert evaluate(model, data, 4, max_windows=2) == pytest.approx(
        (by_hand[0] + by_hand[4]) / 2, rel=1e-5
    )
    with pytest.raises(ValueError, match="too few"):
        evaluate(model, data[:4], 4)


def test_learning_rate_warms_up_then_decays_along_a_cosine():
    cfg = TrainConfig(learning_rate=1e-3, min_lr=1e-4, warmup_iters=10, max_iters=110)
    assert lr_at(0, cfg) == pytest.approx(1e-4) and lr_at(9, cfg) == pytest.approx(1e-3)
    decay = [lr_at(s, cfg) for s in range(10, 111)]
    assert all(a >= b for a, b in zip(decay[:-1], decay[1:], strict=True))
    assert decay[-1] == pytest.approx(1e-4)
    assert lr_at(60, cfg, progress=0.5) == pytest.approx(1e-4 + 0.5 * 9e-4)
    assert lr_at(20, cfg, progress=1.0) == pytest.approx(1e-4)  # a time budget used up: the end


def test_fit_is_the_taught_loop_with_no_parameter_for_untaught_machinery(tiny_gpt):
    import inspect

    from helpers import configure_optimizer, fit

    keywords = set(inspect.signature(fit).parameters)
    assert keywords == {
        "model", "optimizer", "train_data", "val_data", "cfg", "device", "step", "best_val",
        "schedule", "progress", "on_eval",
    }  # fmt: skip
    model = tiny_gpt(seed=0, vocab_size=8).train()
    data = torch.arange(8).repeat(40)
    cfg = TrainConfig(batch_size=4, learning_rate=1e-2, min_lr=1e-3, warmup_iters=2, max_iters=30,
                      eval_interval=10)  # fmt: skip
    seen = []
    torch.manual_seed(0)
    result = fit(model, configure_optimizer(model, 1e-2, 0.1), data, data, cfg,
                 on_eval=lambda step, val, improved: seen.append((step, val)))  # fmt: skip
    assert [step for step, _ in seen] == [0, 10, 20, 30] and result["stopped"] == "max_iters"
    assert result["best_val"] == min(val for _, val in seen) < seen[0][1]
