"""Checks notebook 10's exercises (notebooks/10_playground.ipynb), in its order:
most_likely_next, continuation_logprob."""

import math

import torch

from .core import _as_float, _call, _checker


def _writable(tokenizer, probes):
    """The probes (strings, or tuples of strings) written only with the model's characters; on a
    text where none can be written (your own text), probes made of its own characters instead."""
    vocab = set(tokenizer.chars)
    kept = [p for p in probes if set("".join(p) if isinstance(p, tuple) else p) <= vocab]
    if kept:
        return kept
    chars = "".join(tokenizer.chars)
    made = [chars[1:6], chars[-5:], chars[len(chars) // 2 :][:8]]
    return [(m[:-2], m[-2:]) for m in made] if isinstance(probes[0], tuple) else made


@_checker(
    "most_likely_next",
    hint="idx = torch.tensor([ids], device=next(model.parameters()).device) (the model's device: "
    "on a GPU a CPU tensor fails); logits, _ = model(idx); take logits[0, -1].argmax() and "
    "decode it",
)
def check_most_likely_next(most_likely_next, model, tokenizer):
    """Exercise of notebook 10: the single most likely next character after a prompt."""
    from helpers.course.playground import next_char_probs

    problems = []
    prompts = _writable(tokenizer, ("ROMEO", "To be or not to b", "First Citizen:\n"))
    for prompt in prompts:
        got = _call(f"the prompt {prompt!r}", most_likely_next, model, tokenizer, prompt)
        probs, _ = next_char_probs(model, tokenizer, prompt)
        expected = tokenizer.itos[int(probs.argmax())]
        if got != expected:
            problems.append((f"{expected!r} after {prompt!r}", got))
    return problems


def _continuation_logprob(model, tokenizer, prompt, continuation):
    ids = tokenizer.encode(prompt + continuation)
    device = next(model.parameters()).device
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids[:-1]], device=device))
    logprobs = torch.log_softmax(logits[0].float().cpu(), dim=-1)
    start = len(tokenizer.encode(prompt)) - 1  # the position that predicts the first new char
    targets = torch.tensor(ids[start + 1 :])
    per_char = logprobs[start:].gather(-1, targets[:, None])[:, 0]
    return per_char.sum().item(), per_char


@_checker(
    "continuation_logprob",
    hint="ids = encode(prompt + continuation); logits, _ = model(ids[:-1]); log_softmax; "
    "add up the log-probabilities of the continuation's ids at the positions that predict them",
)
def check_continuation_logprob(continuation_logprob, model, tokenizer):
    """Exercise 2 of notebook 10: continuation_logprob(model, tokenizer, prompt, continuation) ->
    ln P(continuation | prompt), a float: the sum over the continuation's characters."""
    probes = _writable(
        tokenizer, [("ROMEO", ":\n"), ("First", " Citizen"), ("To be or not to b", "e")]
    )
    if not all(ch in tokenizer.stoi for pair in probes for ch in "".join(pair)):
        # another text than tinyshakespeare: probes of the same lengths from its own characters
        text = "".join(tokenizer.itos[i % tokenizer.vocab_size] for i in range(18))
        probes = [(text[:5], text[5:7]), (text[:5], text[5:13]), (text[:17], text[17])]
    problems = []
    for prompt, continuation in probes:
        probe = f"prompt {prompt!r}, continuation {continuation!r}"
        got = _as_float(_call(probe, continuation_logprob, model, tokenizer, prompt, continuation))
        expected, per_char = _continuation_logprob(model, tokenizer, prompt, continuation)
        if isinstance(got, float) and math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-3):
            continue
        whole, _ = _continuation_logprob(model, tokenizer, prompt[:1], prompt[1:] + continuation)
        known = [
            (per_char.mean().item(), "the mean per character: add them up instead"),
            (whole, "the prompt's own characters scored too"),
            (-expected, "the sign flipped: a log-probability is at most 0"),
            (expected / math.log(2), "in bits: use the natural log (log_softmax)"),
        ]
        why = next(
            (
                text
                for value, text in known
                if isinstance(got, float) and math.isclose(got, value, rel_tol=1e-4, abs_tol=1e-3)
            ),
            None,
        )
        problems.append((f"{expected:.4f} for {probe}", f"{got}" + (f" ({why})" if why else "")))
    return problems
