import math

import nbformat
import pytest
import torch

from helpers import BigramLanguageModel, estimate_loss, generate, train
from helpers.attention import Head
from helpers.course import format_table, run_notebook


def test_initial_loss_is_close_to_uniform():
    torch.manual_seed(0)
    model = BigramLanguageModel(65)
    x = torch.randint(65, (8, 16))
    _, loss = model(x, torch.randint(65, (8, 16)))
    assert abs(loss.item() - math.log(65)) < 0.05


def test_forward_without_targets_returns_logits_only():
    model = BigramLanguageModel(10)
    logits, loss = model(torch.zeros((2, 3), dtype=torch.long))
    assert logits.shape == (2, 3, 10) and loss is None


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


def test_estimate_loss_restores_training_mode():
    model = BigramLanguageModel(4)
    model.train()
    data = torch.arange(4).repeat(10)
    losses = estimate_loss(model, {"train": data, "val": data}, 2, 4, eval_iters=3)
    assert set(losses) == {"train", "val"} and model.training


class OneHead(torch.nn.Module):
    """A model that refuses inputs longer than its context, to test generate's cropping."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(5, 8)
        self.head = Head(8, 5, context_length=4)

    def forward(self, idx, targets=None):
        return self.head(self.emb(idx)), None


def test_generate_crops_to_the_context():
    torch.manual_seed(0)
    model = OneHead()
    out = generate(
        model, torch.zeros((2, 1), dtype=torch.long), max_new_tokens=10, context_length=4
    )
    assert out.shape == (2, 11)
    with pytest.raises(ValueError, match="context_length=4"):
        generate(model, torch.zeros((1, 1), dtype=torch.long), max_new_tokens=10)


def test_course_runner_executes_a_notebook_and_collects_figures(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from helpers import record\nrecord(val_loss=1.25, vocab_size=65)"
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
