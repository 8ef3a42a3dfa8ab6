"""Checks notebook 01's exercises (notebooks/01_data_and_tokenizer.ipynb), in its order:
encode/decode, most_common, encode_lossy."""

from collections import Counter

from .core import _call, _checker


def _encode_decode_probes(stoi):
    """Strings made only of the vocabulary's characters: the lecture's example and a line break
    where the vocabulary can write them, and the whole vocabulary backwards."""
    probes = [s for s in ("hii there", "All:\nSpeak, speak.") if set(s) <= stoi.keys()]
    chars = list(stoi)
    return probes + ["".join(chars[:3]) + chars[-1] * 2, "".join(reversed(chars))]


def _encode_problem(s, expected, got):
    if isinstance(got, str):
        return (f"{expected}, a list of ids (each character looked up in stoi)", repr(got))
    if not isinstance(got, (list, tuple)):
        return (f"{expected}, a list of ids", f"a {type(got).__name__}")
    if list(got) == list(s):
        return (f"{expected}, the ids of the characters (look each up in stoi)", list(got))
    if list(got) != expected:
        return (f"{expected}, the ids of {s!r}", list(got))
    return None


def _decode_problem(s, ids, got):
    if isinstance(got, (list, tuple)) and list(got) == list(s):
        return (f"{s!r}, one string: join the characters with ''.join(...)", got)
    if not isinstance(got, str):
        return (f"{s!r}, a string", f"a {type(got).__name__}")
    if got == " ".join(s) and len(s) > 1:
        return (f"{s!r}: characters joined with '', nothing between them", f"{got!r} (' '.join)")
    if got != s:
        return (f"{s!r} for decode({ids})", repr(got))
    return None


@_checker(
    "encode/decode",
    hint="encode: [stoi[c] for c in s]; decode: ''.join(...) of itos[i] for each id",
)
def check_encode_decode(encode, decode, stoi):
    """Your turn of notebook 01: encode(s) -> list of ids through stoi, decode(ids) -> string.
    `stoi` is the notebook's table; decode is probed with the right ids, so a mistake in encode
    does not hide one in decode."""
    problems = []
    for s in _encode_decode_probes(stoi):
        expected = [stoi[c] for c in s]
        problem = _encode_problem(s, expected, _call(f"encode({s!r})", encode, s))
        if problem:
            problems.append(problem)
        problem = _decode_problem(s, expected, _call(f"decode({expected})", decode, expected))
        if problem:
            problems.append(problem)
        if problems:
            return problems
    return problems


def _most_common_problem(text, n, got):
    """None if `got` is right. Characters with equal counts may come in any order."""
    counts = Counter(text)
    expected = counts.most_common(n)
    try:
        pairs = [(ch, count) for ch, count in got]
    except (TypeError, ValueError):  # not a sequence of pairs
        pairs = None
    right = (
        pairs is not None
        and len({ch for ch, _ in pairs}) == len(pairs)  # no character twice
        and all(counts.get(ch) == count for ch, count in pairs)  # each with its true count
        # the n largest counts, largest first (also checks that there are n pairs)
        and [count for _, count in pairs] == [count for _, count in expected]
    )
    return None if right else (f"{expected} (equal counts in any order)", got)


@_checker("most_common", hint="collections.Counter(text).most_common(n) does the counting")
def check_most_common(most_common):
    """Exercise 1 of notebook 01: most_common(text, n) -> the n most frequent (character, count)."""
    problems = []
    # "banana" has 3 distinct characters: asking for 5 gets all of them, as Counter does
    for text, n in [("abracadabra", 3), ("banana", 5)]:
        got = _call(f"most_common({text!r}, {n})", most_common, text, n)
        problem = _most_common_problem(text, n, got)
        if problem:
            problems.append(problem)
    return problems


@_checker("encode_lossy", hint="replace each ch not in tokenizer.stoi, then call tokenizer.encode")
def check_encode_lossy(encode_lossy, tokenizer):
    """Exercise 2 of notebook 01: encode_lossy(tokenizer, s, replacement) replaces unknown characters."""
    problems = []
    got = _call(
        "'Hi wörld!' (ö is not in the vocabulary)", encode_lossy, tokenizer, "Hi wörld!", " "
    )
    expected = tokenizer.encode("Hi w rld!")
    if list(got or []) != expected:
        problems.append((f"{expected} (the ids of 'Hi w rld!')", got))
    got = _call("'plain text' (every character known)", encode_lossy, tokenizer, "plain text", " ")
    if list(got or []) != tokenizer.encode("plain text"):
        problems.append(("known characters encoded as usual", got))
    return problems
