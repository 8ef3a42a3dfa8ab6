"""The playground's functions behind the widgets: bad input and real behaviour on a tiny GPT."""

import pytest
import torch

from helpers import CharTokenizer
from helpers.course.checkpoint import newest_checkpoint
from helpers.course.playground import attention_maps, next_char_probs, prompt_ids, sample_text

TEXT = "ROMEO:\nBut soft, what light through yonder window breaks?\n"


@pytest.fixture(scope="module")
def tiny(tiny_gpt):
    tokenizer = CharTokenizer.from_text(TEXT)
    model = tiny_gpt(0, vocab_size=tokenizer.vocab_size, context_length=16, n_embd=32, n_head=4)
    return model, tokenizer


def test_prompt_ids_drop_unknown_characters_and_say_which():
    tokenizer = CharTokenizer.from_text(TEXT)  # no lowercase "m" in TEXT
    ids, dropped = prompt_ids(tokenizer, "Röméo")
    assert tokenizer.decode(ids) == "Ro"
    assert dropped == ["m", "é", "ö"]


def test_empty_prompt_starts_from_the_newline(tiny):
    model, tokenizer = tiny
    assert prompt_ids(tokenizer, "") == ([0], [])
    text, note = sample_text(model, tokenizer, "", length=5)
    assert text.startswith("\n") and len(text) == 6
    assert "Empty prompt" in note


def test_unknown_characters_are_reported(tiny):
    model, tokenizer = tiny
    text, note = sample_text(model, tokenizer, "ROMEO€", length=3)
    assert text.startswith("ROMEO") and "'€'" in note


def test_temperature_zero_is_greedy_and_repeatable(tiny):
    model, tokenizer = tiny
    a, _ = sample_text(model, tokenizer, "ROMEO:", length=20, temperature=0.0, seed=1)
    b, _ = sample_text(model, tokenizer, "ROMEO:", length=20, temperature=0.0, seed=2)
    assert a == b
    probs, _ = next_char_probs(model, tokenizer, "ROMEO:", temperature=0.0)
    assert probs.max().item() == 1.0 and probs.sum().item() == 1.0


def test_top_k_larger_than_the_vocabulary_keeps_everything(tiny):
    model, tokenizer = tiny
    a, _ = sample_text(model, tokenizer, "RO", length=30, temperature=1.0, top_k=10_000, seed=3)
    b, _ = sample_text(model, tokenizer, "RO", length=30, temperature=1.0, top_k=None, seed=3)
    assert a == b


def test_temperature_sharpens_and_flattens(tiny):
    model, tokenizer = tiny
    cold, _ = next_char_probs(model, tokenizer, "ROMEO", temperature=0.5)
    warm, _ = next_char_probs(model, tokenizer, "ROMEO", temperature=2.0)
    assert cold.max() > warm.max()
    assert torch.allclose(cold.sum(), torch.tensor(1.0)) and torch.allclose(
        warm.sum(), torch.tensor(1.0)
    )


def test_attention_maps_are_causal_distributions(tiny):
    model, tokenizer = tiny
    weights, used = attention_maps(model, tokenizer, TEXT)  # longer than the context: cropped
    assert used == TEXT[-16:]
    assert weights.shape == (2, 4, 16, 16)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 16))
    assert torch.all(weights.triu(diagonal=1) == 0), "no position may attend to the future"


def test_attention_maps_reproduce_the_layer_output(tiny):
    """The recomputed weights, applied to the values, give exactly what the fused layer computed."""
    model, tokenizer = tiny
    weights, used = attention_maps(model, tokenizer, "ROMEO: But")
    idx = torch.tensor([tokenizer.encode(used)])
    x = model.token_embedding_table(idx) + model.position_embedding_table(
        torch.arange(idx.shape[1])
    )
    block = model.blocks[0]
    h = block.ln1(x)
    C = h.shape[-1]
    v = block.sa.c_attn(h).split(C, dim=2)[2].view(1, -1, 4, C // 4).transpose(1, 2)
    y = (weights[0].unsqueeze(0) @ v).transpose(1, 2).reshape(1, -1, C)
    torch.testing.assert_close(block.sa.proj(y), block.sa(h), atol=1e-5, rtol=1e-4)


def test_newest_checkpoint_skips_a_damaged_file_and_loads_an_older_good_one(tmp_path, tiny, capsys):
    import os

    from helpers.course.checkpoint import save_checkpoint

    model, tokenizer = tiny
    good = save_checkpoint(
        tmp_path / "good.pt",
        model=model,
        config=model.config,
        vocab=tokenizer.chars,
        run_id="r",
        step=1,
        best_val=2.0,
    )
    os.utime(good, (1, 1))
    (tmp_path / "newer-but-broken.pt").write_bytes(b"not a checkpoint")
    path, ckpt = newest_checkpoint(tmp_path)
    assert path == good and ckpt["step"] == 1
    assert "skipped newer-but-broken.pt: " in capsys.readouterr().out
    assert newest_checkpoint(tmp_path / "missing") == (None, None)


def test_the_checkpoint_list_shows_the_text_each_model_learned(tmp_path, tiny, capsys):
    import os

    from helpers.course.checkpoint import (
        CheckpointError,
        open_checkpoint,
        save_checkpoint,
        show_checkpoints,
    )

    model, tokenizer = tiny
    common = dict(model=model, config=model.config, vocab=tokenizer.chars, run_id="r")
    text = {"name": "notes.txt", "characters": 12_345, "fingerprint": "0123456789abcdef"}
    older = save_checkpoint(tmp_path / "older.pt", step=1, best_val=2.5, **common)
    os.utime(older, (1, 1))
    save_checkpoint(tmp_path / "mine.pt", step=7, best_val=2.0, text=text, **common)
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    os.utime(tmp_path / "broken.pt", (0, 0))
    assert show_checkpoints(tmp_path) == ["mine.pt", "older.pt"]
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0] == "  mine.pt: step 7, best val loss 2.000, trained on notes.txt (12,345 characters)"
    )
    assert out[1] == "  older.pt: step 1, best val loss 2.500, trained on text not recorded"
    assert out[2].startswith("  broken.pt: does not load (")
    path, ckpt = open_checkpoint("older.pt", tmp_path)
    assert path == older and ckpt["step"] == 1
    assert open_checkpoint(None, tmp_path)[0].name == "mine.pt"
    with pytest.raises(CheckpointError, match="no checkpoint 'typo.pt'.*there: broken.pt, mine.pt"):
        open_checkpoint("typo.pt", tmp_path)
    assert show_checkpoints(tmp_path / "none") == []
    assert "No checkpoint in" in capsys.readouterr().out


def test_the_messages_about_checkpoints_show_no_absolute_path(tmp_path, monkeypatch, capsys):
    from helpers.course.checkpoint import CheckpointError, open_checkpoint, show_checkpoints

    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkpoints").mkdir()
    show_checkpoints(tmp_path / "checkpoints")
    out = capsys.readouterr().out
    assert "No checkpoint in checkpoints yet" in out and str(tmp_path) not in out
    with pytest.raises(CheckpointError) as info:
        open_checkpoint("typo.pt", tmp_path / "checkpoints")
    assert str(tmp_path) not in str(info.value)


def test_each_panel_reads_as_one_line_and_leaves_a_still_copy(tiny, capsys, monkeypatch):
    """GitHub and nbviewer show a widget's text/plain: a readable line, not 'VBox(children=...',
    and after it the still copy `show_panel` adds: the sample as text, the charts as pictures."""
    import IPython.display

    from helpers.course import playground as pg

    model, tokenizer = tiny
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objects, **kw: shown.extend(objects))
    for build, what, css, still in [
        (pg.sampling_widget, "sampling controls", "pg-sampler", None),
        (pg.next_char_widget, "next-character chart", "pg-next", "image"),
        (pg.attention_explorer, "attention explorer", "pg-attn", "image"),
    ]:
        panel = build(model, tokenizer)
        text = panel._repr_mimebundle_()["text/plain"]
        assert text.startswith(f"[{what}:") and "VBox" not in text and len(text) <= 110
        assert css in panel._dom_classes
        shown.clear()
        capsys.readouterr()
        pg.show_panel(panel)
        assert shown[0] is panel
        if still == "image":
            assert isinstance(shown[1], IPython.display.Image) and shown[1].format == "png"
        else:
            assert "temperature=0.8, top_k=" in capsys.readouterr().out


def test_the_static_copy_of_the_explorer_draws_every_head_of_a_layer(tiny):
    from helpers.course.playground import heads_figure

    model, tokenizer = tiny
    weights, used = attention_maps(model, tokenizer, "ROMEO: But")
    fig = heads_figure(weights, used, layer=1)
    assert [ax.get_title() for ax in fig.axes] == ["head 0", "head 1", "head 2", "head 3"]
    assert "Layer 1" in fig._suptitle.get_text()
    assert fig.axes[0].get_ylabel() == "character (query)"
