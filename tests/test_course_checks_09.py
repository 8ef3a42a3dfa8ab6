"""The checks of notebook 09's exercises (helpers/course/checks/nb09_training_well.py): each passes
a right answer and fails a plausible wrong one with a useful message."""

import math

from helpers.course import checks as C


def test_lr_schedule(capsys):
    from helpers import lr_at

    assert C.check_lr_schedule(lambda step, cfg: lr_at(step, cfg))
    assert not C.check_lr_schedule(lambda step, cfg: (_ for _ in ()).throw(NotImplementedError))
    assert "not attempted yet" in capsys.readouterr().out

    # plausible mistake: a cosine that decays to 0 instead of min_lr
    def to_zero(step, cfg):
        if step < cfg.warmup_iters:
            return cfg.learning_rate * (step + 1) / cfg.warmup_iters
        return 0.5 * cfg.learning_rate * (1 + math.cos(math.pi * step / cfg.max_iters))

    assert not C.check_lr_schedule(to_zero)
    assert "the cosine decay" in capsys.readouterr().out

    # plausible mistake: a warmup that starts at 0 (step / warmup_iters)
    def from_zero(step, cfg):
        if step < cfg.warmup_iters:
            return cfg.learning_rate * step / cfg.warmup_iters
        return lr_at(step, cfg)

    assert not C.check_lr_schedule(from_zero)
    assert "(the warmup;" in capsys.readouterr().out


def test_bits_per_character(capsys):
    from helpers import evaluate

    def right(model, data, context_length):
        return evaluate(model, data, context_length) / math.log(2)

    assert C.check_bits_per_character(right)

    def unattempted(model, data, context_length):
        raise NotImplementedError

    assert C.check_bits_per_character(unattempted).status == "not attempted"
    capsys.readouterr()
    # plausible mistake: the loss in nats, not divided by ln 2
    assert not C.check_bits_per_character(lambda m, d, t: evaluate(m, d, t))
    assert "divide by ln 2" in capsys.readouterr().out
    # plausible mistake: log2 of the loss instead of the loss divided by ln 2
    assert not C.check_bits_per_character(lambda m, d, t: math.log2(evaluate(m, d, t)))
    assert "every character of data once, in base 2" in capsys.readouterr().out
