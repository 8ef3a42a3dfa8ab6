"""The checks of notebook 10's exercises (helpers/course/checks/nb10_playground.py): each passes a
right answer and fails a plausible wrong one with a useful message."""

import pytest
import torch
from checks_support import crashed
from torch.nn import functional as F

from helpers import CharTokenizer
from helpers.course import checks as C


def test_most_likely_next(capsys):
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("ROMEO To be or not First Citizen:\n")
    torch.manual_seed(0)
    model = GPT(
        GPTConfig(
            vocab_size=tok.vocab_size,
            context_length=32,
            n_embd=16,
            n_head=2,
            n_layer=1,
            dropout=0.0,
        )
    ).eval()

    def right(model, tokenizer, prompt):
        logits, _ = model(torch.tensor([tokenizer.encode(prompt)]))
        return tokenizer.itos[int(logits[0, -1].argmax())]

    assert C.check_most_likely_next(right, model, tok)

    # plausible mistake: reading the prediction at the first position instead of the last
    def first(model, tokenizer, prompt):
        logits, _ = model(torch.tensor([tokenizer.encode(prompt)]))
        return tokenizer.itos[int(logits[0, 0].argmax())]

    assert not C.check_most_likely_next(first, model, tok)
    assert "after 'ROMEO'" in capsys.readouterr().out

    # plausible mistake on a GPU: the input built on the CPU (torch's error, as it reads there)
    def on_the_cpu(model, tokenizer, prompt):
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            "cuda:0 and cpu!"
        )

    assert not C.check_most_likely_next(on_the_cpu, model, tok)
    out = capsys.readouterr().out
    assert "your code raised RuntimeError" in out and "next(model.parameters()).device" in out


def test_most_likely_next_on_a_text_without_shakespeares_letters(capsys):
    """On your own text the probes are written with its own characters."""
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("αβγδε ζηθ ικλμ\n")
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=tok.vocab_size, context_length=32, n_embd=16, n_head=2, n_layer=1)
    model = GPT(config).eval()

    def right(model, tokenizer, prompt):
        logits, _ = model(torch.tensor([tokenizer.encode(prompt)]))
        return tokenizer.itos[int(logits[0, -1].argmax())]

    assert C.check_most_likely_next(right, model, tok)
    assert not C.check_most_likely_next(lambda m, t, p: "α", model, tok)
    assert "after ' αβγδ'" in capsys.readouterr().out  # the vocabulary's own characters


def test_most_likely_next_crash_on_a_later_prompt(capsys):
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("ROMEO To be or not First Citizen:\n")
    torch.manual_seed(0)
    config = GPTConfig(
        vocab_size=tok.vocab_size, context_length=32, n_embd=16, n_head=2, n_layer=1, dropout=0.0
    )
    model = GPT(config).eval()

    def remembering(model, tokenizer, prompt, history=[]):  # noqa: B006 (the mistake under test)
        history.extend(tokenizer.encode(prompt))  # the default list lives on between calls
        logits, _ = model(torch.tensor([history]))  # ... and outgrows the context by call 3
        return tokenizer.itos[int(logits[0, -1].argmax())]

    assert not C.check_most_likely_next(remembering, model, tok)
    out = capsys.readouterr().out
    assert crashed(out, "ValueError") and "'First Citizen:\\n'" in out


def logprob_right(model, tokenizer, prompt, continuation):
    ids = tokenizer.encode(prompt + continuation)
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids[:-1]]))
    logprobs = F.log_softmax(logits[0], dim=-1)
    n = len(prompt)
    return sum(logprobs[t - 1, ids[t]].item() for t in range(n, len(ids)))


@pytest.fixture
def tiny_playground():
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("ROMEO To be or not First Citizen:\n")
    torch.manual_seed(0)
    config = GPTConfig(
        vocab_size=tok.vocab_size, context_length=32, n_embd=16, n_head=2, n_layer=1, dropout=0.0
    )
    return GPT(config).eval(), tok


def test_continuation_logprob(capsys, tiny_playground):
    model, tok = tiny_playground
    assert C.check_continuation_logprob(logprob_right, model, tok)
    expected = logprob_right(model, tok, "First", " Citizen")
    # plausible mistake: the mean per character instead of the sum
    mean = lambda m, t, p, c: logprob_right(m, t, p, c) / len(c)  # noqa: E731
    assert not C.check_continuation_logprob(mean, model, tok)
    out = capsys.readouterr().out
    assert f"expected: {expected:.4f} for prompt 'First', continuation ' Citizen'" in out
    assert "the mean per character" in out

    def off_by_one(model, tokenizer, prompt, continuation):  # reads the logits at t, not t - 1
        ids = tokenizer.encode(prompt + continuation)
        logprobs = F.log_softmax(model(torch.tensor([ids]))[0][0], dim=-1)
        return sum(logprobs[t, ids[t]].item() for t in range(len(prompt), len(ids)))

    assert not C.check_continuation_logprob(off_by_one, model, tok)
    assert f"expected: {expected:.4f}" in capsys.readouterr().out
    # plausible mistake: the prompt's characters scored too
    whole = lambda m, t, p, c: logprob_right(m, t, p[:1], p[1:] + c)  # noqa: E731
    assert not C.check_continuation_logprob(whole, model, tok)
    assert "the prompt's own characters scored too" in capsys.readouterr().out


def test_continuation_logprob_crash_on_a_one_character_continuation(capsys, tiny_playground):
    model, tok = tiny_playground

    def squeezed(model, tokenizer, prompt, continuation):
        ids = torch.tensor([tokenizer.encode(prompt + continuation)])
        logprobs = F.log_softmax(model(ids[:, :-1])[0][0], dim=-1)[len(prompt) - 1 :]
        targets = torch.tensor(tokenizer.encode(continuation))
        picked = logprobs.gather(1, targets[:, None]).squeeze().tolist()  # a float, not a
        return sum(picked)  # list, when the continuation is one character

    assert not C.check_continuation_logprob(squeezed, model, tok)
    out = capsys.readouterr().out
    assert crashed(out, "TypeError") and "continuation 'e'" in out


def test_continuation_logprob_on_another_text(capsys):
    from helpers import GPT, GPTConfig

    tok = CharTokenizer.from_text("abcdefg hij\n")  # none of the default probes' capitals
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, context_length=32, n_embd=16, n_head=2))
    model.eval()
    assert C.check_continuation_logprob(logprob_right, model, tok)
    mean = lambda m, t, p, c: logprob_right(m, t, p, c) / len(c)  # noqa: E731
    assert not C.check_continuation_logprob(mean, model, tok)
    assert "the mean per character" in capsys.readouterr().out
