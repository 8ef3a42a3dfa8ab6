"""The long-run trainer (helpers/course/trainer.py) and its presets (helpers/course/presets.py)."""

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


def test_a_small_text_is_told_what_to_expect_from_each_preset():
    from helpers.course.presets import size_notice

    assert "little for the gpu preset's 10.8 M parameters" in size_notice(418_000, "gpu")
    assert size_notice(1_003_854, "gpu") == ""  # tinyshakespeare's training split
    assert "45,000" in size_notice(45_000, "cpu") and "max_iters" in size_notice(45_000, "cpu")
    assert size_notice(418_000, "cpu") == ""


def test_the_command_line_offers_exactly_the_presets_without_importing_torch():
    import subprocess
    import sys

    code = (
        "import sys; from helpers.course.cli import build_parser; "
        "p = build_parser(); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # the choices come from presets.py, which needs no torch
    from helpers.course.cli import build_parser
    from helpers.course.presets import PRESETS

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    choices = next(a.choices for a in train._actions if a.dest == "preset")
    assert list(choices) == list(PRESETS)


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
    cfg = quick_config(max_iters=100, eval_interval=1, patience=3)
    ids = torch.tensor([ord(c) % 20 for c in TEXT])
    history = train_gpt(model, ids[:2000], ids[2000:], cfg, vocab=[chr(i) for i in range(20)])
    assert history["step"] == [0, 1, 2, 3, 4, 5]  # three evaluations without progress after step 2
    assert (history["best_val"], history["best_step"]) == (2.0, 2)
    assert torch.equal(model.lm_head.bias, snapshots[2])  # the weights of step 2, not of step 5
    assert not torch.equal(snapshots[2], snapshots[5])


# --- the GPU code paths, exercised on the CPU so that they cannot rot unnoticed ---------------


def quick_config(**changes):
    base = dict(
        batch_size=4,
        learning_rate=1e-2,
        min_lr=1e-3,
        warmup_iters=0,
        max_iters=4,
        eval_interval=100,
        eval_train_windows=4,
        compile=False,
    )
    return TrainConfig(**{**base, **changes})


def run_steps(tiny_gpt, checkpoint=None, **changes):
    ids = torch.tensor([ord(c) % 20 for c in TEXT])
    model = tiny_gpt(seed=0, vocab_size=20, n_layer=1).train()
    torch.manual_seed(0)
    history = train_gpt(
        model,
        ids[:2000],
        ids[2000:2400],
        quick_config(**changes),
        vocab=[chr(i) for i in range(20)],
        checkpoint=checkpoint,
    )
    return model, history


def test_the_trainer_follows_the_schedule_it_is_given(one_thread, tiny_gpt):
    _, cosine = run_steps(tiny_gpt, max_iters=8, min_lr=1e-4)
    _, wsd = run_steps(tiny_gpt, max_iters=8, min_lr=1e-4, schedule="wsd")
    assert cosine["step_lr"][1] < 1e-2  # the cosine cuts the rate from the first step
    assert wsd["step_lr"][:5] == [1e-2] * 5  # WSD holds the peak for the first half ...
    assert wsd["step_lr"][5:] == pytest.approx([7.525e-3, 5.05e-3, 2.575e-3])  # ... then a line


def test_precision_choices():
    from helpers.course.device import precision

    cpu = torch.device("cpu")
    for requested, dtype, scaled in [
        ("auto", None, False),  # float32 on a CPU
        ("float32", None, False),
        ("bfloat16", torch.bfloat16, False),
        ("float16", torch.float16, True),  # float16 alone would lose small gradients
    ]:
        _, scaler, chosen = precision(requested, cpu)
        assert chosen == dtype and scaler.is_enabled() == scaled, requested


def test_bfloat16_on_a_gpu_without_it_falls_back_to_float16(monkeypatch, capsys):
    from helpers.course import device as trainer

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Tesla T4")
    cuda = torch.device("cuda")
    assert not trainer.native_bf16(cuda)
    assert trainer.autocast_dtype("auto", cuda) == torch.float16
    assert trainer.autocast_dtype("bfloat16", cuda) == torch.float16
    assert "Tesla T4 (compute capability 7.5) has no native bfloat16" in capsys.readouterr().out
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
    assert trainer.autocast_dtype("auto", cuda) == torch.bfloat16


def test_tf32_is_switched_on_for_training_and_back_afterwards():
    from helpers.course.device import tf32

    before = torch.get_float32_matmul_precision()
    with tf32(torch.device("cuda")):  # only sets flags: runs without a GPU
        assert torch.get_float32_matmul_precision() == "high"
    assert torch.get_float32_matmul_precision() == before
    with tf32(torch.device("cpu")):
        assert torch.get_float32_matmul_precision() == before


@pytest.mark.parametrize("dtype, tolerance", [("bfloat16", 0.05), ("float16", 0.01)])
def test_mixed_precision_steps_train_like_float32(tiny_gpt, one_thread, dtype, tolerance):
    _, plain = run_steps(tiny_gpt)
    _, mixed = run_steps(tiny_gpt, dtype=dtype)
    assert mixed["dtype"] == dtype and plain["dtype"] == "float32"
    assert all(math.isfinite(x) for x in mixed["step_loss"])
    assert mixed["step_loss"] == pytest.approx(plain["step_loss"], abs=tolerance)


def test_compiled_training_matches_eager_and_its_checkpoint_loads_into_a_plain_model(
    tiny_gpt, one_thread, tmp_path
):
    from helpers.course import model_from_checkpoint

    torch._dynamo.reset()
    with torch._dynamo.config.patch(error_on_recompile=True):  # compiled once, before training
        model, compiled = run_steps(
            tiny_gpt, checkpoint=tmp_path / "c.pt", compile=True, dtype="bfloat16"
        )
    _, eager = run_steps(tiny_gpt, dtype="bfloat16")
    assert compiled["compile_seconds"] > 0  # it did compile, and that time is kept apart
    assert compiled["step_loss"] == pytest.approx(
        eager["step_loss"], abs=2e-2
    )  # bf16 kernels differ
    restored = model_from_checkpoint(load_checkpoint(tmp_path / "c.pt"))
    assert not hasattr(restored, "_orig_mod")  # a plain GPT, not a compiled wrapper
    x = torch.randint(0, 20, (2, 8))
    torch.testing.assert_close(restored(x)[0], model.eval()(x)[0])


def test_a_machine_that_cannot_compile_trains_without_it(tiny_gpt, one_thread, monkeypatch, capsys):
    def broken(model):
        def forward(*args):
            raise RuntimeError("no C compiler found")

        return forward

    monkeypatch.setattr(torch, "compile", broken)
    _, history = run_steps(tiny_gpt, compile=True)
    assert "torch.compile failed (RuntimeError: no C compiler found)" in capsys.readouterr().out
    assert history["compile_seconds"] == 0.0 and len(history["step_loss"]) == 4


def test_the_run_says_why_it_stopped_and_keeps_every_step(tiny_gpt, one_thread, tmp_path, capsys):
    import json

    from helpers.course.trainer import history_path

    _, history = run_steps(tiny_gpt, checkpoint=tmp_path / "h.pt", max_iters=6, eval_interval=3)
    assert history["stopped"] == "reached max_iters=6"
    assert len(history["step_loss"]) == len(history["step_lr"]) == 6
    assert json.loads(history_path(tmp_path / "h.pt").read_text())["step"] == [0, 3, 6]
    _, timed = run_steps(tiny_gpt, max_iters=10**6, time_budget=0.3)
    assert timed["stopped"] == f"stopped by the 0.3-second budget at step {timed['step'][-1]}"
    assert "GPT: stopped by the" in capsys.readouterr().out


def test_float16_loss_scaling_skips_an_overflowed_step_and_takes_its_hooks_off(tiny_gpt):
    from helpers import configure_optimizer
    from helpers.course.trainer import LossScaling

    model = tiny_gpt(seed=0, vocab_size=20, n_layer=1).train()
    optimizer = configure_optimizer(model, 1e-2, 0.0)
    x = torch.randint(20, (2, 8))
    plain = torch.autograd.grad(model(x, x)[1], model.lm_head.weight)[0]
    scaling = LossScaling(model, optimizer, scale=1024.0)
    _, loss = model(x, x)
    scaling.scaled(loss).backward()
    torch.testing.assert_close(model.lm_head.weight.grad, plain)  # .grad holds the true gradient
    before = model.lm_head.weight.detach().clone()
    model.lm_head.weight.grad[0, 0] = float("inf")  # an overflow: the step is skipped
    scaling.step()
    assert torch.equal(model.lm_head.weight, before) and scaling.scale == 512.0
    scaling.remove()
    model.zero_grad()
    model(x, x)[1].backward()
    torch.testing.assert_close(model.lm_head.weight.grad, plain)  # no hook divides any more


def test_the_trainers_bar_leaves_a_line_of_text_in_a_notebook():
    import helpers.course.notebook
    import helpers.course.trainer as trainer

    assert trainer.tqdm is helpers.course.notebook.tqdm
