"""The checks of notebook 01's exercises (helpers/course/checks/nb01_data_and_tokenizer.py): each
passes a right answer and fails a plausible wrong one with a useful message."""

from collections import Counter

import pytest
from checks_support import crashed, not_attempted

from helpers import CharTokenizer
from helpers.course import checks as C

SHAKESPEARE_CHARS = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def tables():
    stoi = {ch: i for i, ch in enumerate(SHAKESPEARE_CHARS)}
    return stoi, {i: ch for ch, i in stoi.items()}


def test_encode_decode(capsys, tables):
    stoi, itos = tables
    encode = lambda s: [stoi[c] for c in s]  # noqa: E731 (the lecture's lambdas)
    decode = lambda ids: "".join([itos[i] for i in ids])  # noqa: E731
    assert C.check_encode_decode(encode, decode, stoi)
    # the usual slip: joining the characters with spaces
    assert not C.check_encode_decode(encode, lambda ids: " ".join(itos[i] for i in ids), stoi)
    out = capsys.readouterr().out
    assert "'hii there': characters joined with '', nothing between them" in out
    assert "'h i i   t h e r e' (' '.join)" in out
    # decode that forgets to join, encode that forgets to look up
    assert not C.check_encode_decode(encode, lambda ids: [itos[i] for i in ids], stoi)
    assert "one string: join the characters with ''.join(...)" in capsys.readouterr().out
    assert not C.check_encode_decode(lambda s: list(s), decode, stoi)
    assert "the ids of the characters (look each up in stoi)" in capsys.readouterr().out
    verdict = C.check_encode_decode(not_attempted, not_attempted, stoi)
    assert not verdict and verdict.status == "not attempted"


def test_encode_decode_on_a_vocabulary_without_the_lectures_letters(capsys):
    stoi = {ch: i for i, ch in enumerate("αβγδ ")}
    itos = {i: ch for ch, i in stoi.items()}
    assert C.check_encode_decode(
        lambda s: [stoi[c] for c in s], lambda ids: "".join(itos[i] for i in ids), stoi
    )


def test_most_common(capsys):
    assert C.check_most_common(lambda text, n: Counter(text).most_common(n))
    # plausible mistake: the least common instead of the most common
    assert not C.check_most_common(lambda text, n: Counter(text).most_common()[::-1][:n])
    out = capsys.readouterr().out
    assert "expected: [('a', 5), ('b', 2), ('r', 2)]" in out and "hint:" in out


def test_most_common_accepts_ties_in_any_order(capsys):
    def ties_reversed(text, n):  # b and r both occur twice in "abracadabra": r first is as right
        return sorted(Counter(text).items(), key=lambda pair: (-pair[1], -ord(pair[0])))[:n]

    assert ties_reversed("abracadabra", 3) == [("a", 5), ("r", 2), ("b", 2)]
    assert C.check_most_common(ties_reversed)
    assert "all checks passed" in capsys.readouterr().out
    # the order of a tie is free, the counts are not: c occurs once
    assert not C.check_most_common(lambda text, n: [("a", 5), ("r", 2), ("c", 2)][:n])
    assert "expected: [('a', 5), ('b', 2), ('r', 2)] (equal counts in any order)" in (
        capsys.readouterr().out
    )


def test_most_common_crash_for_n_above_the_vocabulary(capsys):
    def by_index(text, n):  # assumes n distinct characters exist
        counts = Counter(text)
        chars = sorted(counts, key=counts.get, reverse=True)
        return [(chars[i], counts[chars[i]]) for i in range(n)]

    assert by_index("abracadabra", 3) == [("a", 5), ("b", 2), ("r", 2)]  # the first probe passes
    assert not C.check_most_common(by_index)
    out = capsys.readouterr().out
    assert crashed(out, "IndexError") and "most_common('banana', 5)" in out


def test_encode_lossy(capsys):
    tok = CharTokenizer.from_text("Hi world! plain text")
    right = lambda t, s, r=" ": t.encode("".join(c if c in t.stoi else r for c in s))  # noqa: E731
    assert C.check_encode_lossy(right, tok)
    # plausible mistake: dropping unknown characters instead of replacing them
    dropping = lambda t, s, r=" ": t.encode("".join(c for c in s if c in t.stoi))  # noqa: E731
    assert not C.check_encode_lossy(dropping, tok)
    assert "Hi w rld!" in capsys.readouterr().out


def test_encode_lossy_crash_when_every_character_is_known(capsys):
    import re

    def regex(tokenizer, s, replacement=" "):  # "[]" is not a valid pattern: nothing unknown
        unknown = "".join(set(s) - set(tokenizer.stoi))
        return tokenizer.encode(re.sub(f"[{unknown}]", replacement, s))

    tok = CharTokenizer.from_text("Hi world! plain text")
    assert regex(tok, "Hi wörld!") == tok.encode("Hi w rld!")  # the first probe passes
    assert not C.check_encode_lossy(regex, tok)
    assert crashed(capsys.readouterr().out, "error: unterminated character set")
