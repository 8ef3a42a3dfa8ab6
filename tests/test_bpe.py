"""Byte-level BPE (notebook 14): training by hand-checked examples and against a naive trainer,
the vocabulary's layout, special tokens, errors, streaming, storage, and the same ids as tiktoken."""

import itertools
import json
import warnings
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.bpe import (
    GPT2_SPLIT_PATTERN,
    BPETokenizer,
    build_vocab,
    get_stats,
    merge,
    pre_tokenize,
    train_bpe,
)
from helpers.course.checkpoint import bpe_from_dict, bpe_to_dict
from helpers.course.corpus import fetch_corpus
from helpers.course.guards import require_tokenizer

EOT = "<|endoftext|>"
# English, Chinese, Arabic, emoji (one with a skin tone, one a family joined by ZWJ), combining
# marks, superscript and fraction digits, Arabic-Indic digits, odd whitespace, contractions.
MIXED = (
    "It's the 2nd time we'll see x² + ½ = 3.5, isn't it?\n"
    "你好，世界！今天是星期三。\n"
    "مرحبا بالعالم، ١٢٣ كتاب\n"
    "👍🏽 👨‍👩‍👧 🙂🙂🙂 e\u0301 n\u0303 a\u030a\u0328\n"
    "\ttabs\t\tand   spaces   \u00a0nbsp \u2028line\u3000ideographic\n\n\n  indented\r\n"
    f"{EOT}after{EOT}{EOT} 12345678 ٣٤٥ ⅷ\n"
)

# The property tests' settings: the same examples every run (no flaky CI), and no example
# database written into the checkout.
PROPERTY = settings(max_examples=200, deadline=None, database=None, derandomize=True)


@pytest.fixture(scope="module")
def shakespeare():
    """tinyshakespeare's text: from the cache, the CI mirror, or a download."""
    return fetch_corpus(verbose=False).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def trained(shakespeare):
    """A tokenizer of 1,000 tokens (one special) trained on the first 200 kB of Shakespeare."""
    return BPETokenizer.from_text(shakespeare[:200_000], 1000, [EOT])


@pytest.fixture(scope="module")
def plain(shakespeare):
    """A tokenizer of 400 tokens without special tokens, on the first 50 kB."""
    return BPETokenizer.from_text(shakespeare[:50_000], 400)


def naive_train(text, vocab_size):
    """The slow trainer the fast one must equal: recount every pair after every merge, take the
    most frequent pair, the greatest (as bytes) on a tie, and stop when none occurs twice."""
    words = Counter(GPT2_SPLIT_PATTERN.findall(text))
    split = {w: [bytes([b]) for b in w.encode("utf-8")] for w in words}
    tokens, merges = {bytes([b]) for b in range(256)}, []
    while 256 + len(merges) < vocab_size:
        counts = Counter()
        for w, n in words.items():
            for pair, k in get_stats(split[w]).items():
                counts[pair] += k * n
        if not counts or max(counts.values()) < 2:
            break
        best = max(counts, key=lambda pair: (counts[pair], pair))
        assert best[0] + best[1] not in tokens  # a second way to the same bytes: never seen
        tokens.add(best[0] + best[1])
        merges.append(best)
        split = {w: merge(ids, best, best[0] + best[1]) for w, ids in split.items()}
    return merges


@pytest.fixture(scope="module")
def twin(trained):
    """tiktoken's encoder built from `trained`: its ordinary tokens as the ranks, its specials."""
    tiktoken = pytest.importorskip("tiktoken")
    return tiktoken.Encoding(
        name="course-bpe",
        pat_str=GPT2_SPLIT_PATTERN.pattern,
        mergeable_ranks=trained.mergeable_ranks,
        special_tokens=trained.special_ids,
    )


# --- the small pieces ---------------------------------------------------------------------------


def test_get_stats_counts_adjacent_pairs_and_adds_to_counts():
    assert get_stats([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert get_stats([7, 7, 7]) == {(7, 7): 2}  # overlapping pairs both count
    counts = get_stats([1, 2])
    assert get_stats([1, 2, 5], counts) is counts and counts == {(1, 2): 2, (2, 5): 1}
    assert get_stats([4]) == {}


def test_merge_replaces_every_occurrence_left_to_right():
    assert merge([5, 6, 6, 7, 6, 6, 6], (6, 6), 99) == [5, 99, 7, 99, 6]
    assert merge([1, 2, 1, 2], (1, 2), 9) == [9, 9]
    assert merge([1, 2], (2, 1), 9) == [1, 2]


# --- training -----------------------------------------------------------------------------------


def test_the_worked_example_by_hand():
    # "aaabdaaabac" is one pre-token. Pairs: aa 4 (twice in each "aaa"), ab 2, the rest 1:
    #   1. (a, a) -> 256:  [aa a b d aa a b a c]
    #   2. (aa, a) and (a, b) both occur twice; (b"aa", b"a") > (b"a", b"b") -> 257 = aaa
    #   3. (aaa, b) twice -> 258 = aaab: [aaab d aaab a c], every pair once: stop.
    with pytest.warns(UserWarning, match="Stopped after 3 of the 4 merges asked for"):
        vocab, merges = train_bpe("aaabdaaabac", 260)
    assert merges == [(b"a", b"a"), (b"aa", b"a"), (b"aaa", b"b")]
    assert [vocab[i] for i in (256, 257, 258)] == [b"aa", b"aaa", b"aaab"]
    tok = BPETokenizer(vocab, merges)
    assert tok.encode("aaabdaaabac") == [258, ord("d"), 258, ord("a"), ord("c")]
    assert tok.encode("aaa") == [257]
    assert tok.encode("aaaa") == [256, 256]  # (a, a) is learned before (aa, a)


def test_ties_go_to_the_greatest_pair_whatever_the_order_of_the_text():
    # pre-tokens "x", " ab" twice, " cd" twice: (a,b), (" ",a), (c,d), (" ",c) all occur twice
    expected = [(b"c", b"d"), (b"a", b"b"), (b" ", b"cd"), (b" ", b"ab")]
    for text in ("x ab ab cd cd", "x cd ab cd ab", "x cd cd ab ab"):
        assert train_bpe(text, 260)[1] == expected
    assert train_bpe("x ab ab cd cd", 258)[1] == expected[:2]


@PROPERTY
@given(st.text(alphabet="ab c\n'é", max_size=60), st.integers(256, 290))
def test_the_fast_trainer_equals_the_naive_one(text, vocab_size):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short texts run out of pairs
        vocab, merges = train_bpe(text, vocab_size)
    assert merges == naive_train(text, vocab_size)
    assert len(vocab) == 256 + len(merges) <= vocab_size
    assert len(set(vocab.values())) == len(vocab)  # every token's bytes are unique


def test_layout_specials_then_bytes_then_merges(shakespeare):
    specials = [EOT, "<|pad|>"]
    vocab, merges = train_bpe(shakespeare[:50_000], 300, specials)
    assert len(vocab) == 300 and len(merges) == 300 - 2 - 256
    assert sorted(vocab) == list(range(300))
    assert vocab[0] == EOT.encode() and vocab[1] == b"<|pad|>"
    assert all(vocab[2 + b] == bytes([b]) for b in range(256))
    assert all(vocab[258 + i] == a + b for i, (a, b) in enumerate(merges))
    assert merges[0] == (b" ", b"t")  # " the", " to", " thou": the most frequent pair
    tok = BPETokenizer(vocab, merges, specials)
    assert tok.vocab_size == 300
    assert repr(tok) == f"BPETokenizer(vocab_size=300, merges=42, special_tokens={specials!r})"


def test_training_on_shakespeare_gives_unique_tokens_of_the_asked_number(trained):
    assert trained.vocab_size == 1000 and len(trained.merges) == 1000 - 1 - 256
    assert len(set(trained.vocab.values())) == 1000
    assert trained.encode(" the") == [trained.mergeable_ranks[b" the"]]


def test_special_tokens_are_never_split_nor_merged_across():
    text = f"hello{EOT}world {EOT}hello world{EOT}" * 30
    plain = train_bpe(text, 276)[0]
    assert any(b"endoftext" in t for t in plain.values())  # undeclared, it is just frequent text
    vocab, merges = train_bpe(text, 266, [EOT])  # hello, world, " world": 9 merges
    ordinary = [vocab[i] for i in range(1, len(vocab))]
    assert not any(b"endoftext" in t or b"<|" in t or b"|>" in t for t in ordinary)
    assert b"hello" in ordinary and b" world" in ordinary
    tok = BPETokenizer(vocab, merges, [EOT])
    assert tok.encode(f"{EOT}hello{EOT}{EOT}") == [0, tok.mergeable_ranks[b"hello"], 0, 0]
    assert tok.encode("<|endoftext") == tok.encode("<|") + tok.encode("endoftext")
    assert tok.decode(tok.encode(text)) == text


def test_a_longer_special_token_wins_where_one_starts_another():
    vocab, merges = train_bpe("abc", 258, ["<|a|>", "<|a|><|b|>"])
    tok = BPETokenizer(vocab, merges, ["<|a|>", "<|a|><|b|>"])
    assert tok.encode("<|a|><|b|><|a|>") == [1, 0]
    assert pre_tokenize("x <|a|> y", ["<|a|>"]) == ["x", " ", "<|a|>", " y"]


def test_too_few_pairs_stop_early_with_one_warning():
    with pytest.warns(UserWarning) as record:
        vocab, merges = train_bpe("abcdef", 1000)
    assert len(record) == 1
    assert str(record[0].message).startswith(
        "Stopped after 0 of the 744 merges asked for: no pair of tokens occurs twice any more. "
        "The vocabulary has 256 tokens, not 1000"
    )
    assert merges == [] and len(vocab) == 256
    with pytest.warns(
        UserWarning, match="Stopped after 1 of the 9 merges.*has 258 tokens, not 266"
    ):
        train_bpe("ab ab", 266, ["<|x|>"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # enough pairs: no warning
        assert len(train_bpe("ab ab", 257)[1]) == 1


def test_text_from_a_file_or_a_path(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("low lower lowest low low", encoding="utf-8")
    from_text = train_bpe("low lower lowest low low", 260)
    assert train_bpe(path, 260) == from_text
    assert train_bpe(str(path), 260) == from_text
    # a text of several lines is a text, even when it ends in .txt
    assert train_bpe("a.txt\na.txt", 257)[1] == [(b"x", b"t")]  # (x, t) > (t, x)


# --- errors -------------------------------------------------------------------------------------


def test_errors_say_what_to_do(tmp_path):
    with pytest.raises(
        ValueError, match=r"vocab_size=257 is too small: the 2 special tokens .* 258"
    ):
        train_bpe("abc", 257, ["<|a|>", "<|b|>"])
    with pytest.raises(ValueError, match=r"vocab_size=100 is too small.*at least 256"):
        train_bpe("abc", 100)
    with pytest.raises(ValueError, match=r"Special token '<\|a\|>' is given twice"):
        train_bpe("abc", 300, ["<|a|>", "<|b|>", "<|a|>"])
    with pytest.raises(ValueError, match=r"Special token '' is not a non-empty str"):
        train_bpe("abc", 300, [""])
    with pytest.raises(ValueError, match=r"Special token 5 is not a non-empty str"):
        BPETokenizer.from_text("abc", 300, [5])
    with pytest.raises(ValueError, match=r"not a bytes.*data.decode\('utf-8'\)"):
        train_bpe(b"abc", 300)
    with pytest.raises(ValueError, match=r"or a path to a UTF-8 text file, not a list"):
        train_bpe(["abc"], 300)
    missing = str(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match=r"looks like a file name, but there is no such file"):
        train_bpe(missing, 300)
    with pytest.raises(FileNotFoundError):
        train_bpe(Path(missing), 300)


def test_an_inconsistent_vocabulary_or_merges_is_refused():
    vocab, merges = train_bpe("ab ab ab cd cd", 259, ["<|s|>"])
    with pytest.raises(ValueError, match=r"vocabulary \(259 tokens\) does not match .* make 258"):
        BPETokenizer(vocab, merges[:-1], ["<|s|>"])
    with pytest.raises(ValueError, match=r"does not match"):
        BPETokenizer(vocab, merges)  # the special token left out
    with pytest.raises(ValueError, match=r"Merge 0 joins b'x' and b'yz', but b'yz' is not a token"):
        require_tokenizer({}, [(b"x", b"yz")], ())
    with pytest.raises(ValueError, match=r"Merge 1 makes b'ab', which is already a token"):
        require_tokenizer({}, [(b"a", b"b"), (b"a", b"b")], ())
    # (a, bc) and (ab, c) both make abc: a second token with the same bytes is refused
    with pytest.raises(ValueError, match=r"Merge 3 makes b'abc', which is already a token"):
        merges = [(b"b", b"c"), (b"a", b"bc"), (b"a", b"b"), (b"ab", b"c")]
        BPETokenizer(build_vocab(merges), merges)


def test_an_unknown_id_is_a_clear_error(trained):
    with pytest.raises(
        ValueError,
        match=r"Id 1000 at position 2 is outside the vocabulary \(valid ids are 0..999\)",
    ):
        trained.decode([5, 6, 1000])
    with pytest.raises(ValueError, match=r"Id -1 at position 0"):
        trained.decode([-1])


# --- encoding and decoding ----------------------------------------------------------------------


def test_decode_turns_broken_utf8_into_replacement_characters(trained):
    k = 1  # one special token before the bytes
    ni = "你".encode()  # three bytes: e4 bd a0
    assert trained.decode([k + ni[0], k + ni[1]]) == "\ufffd"  # a character cut short
    assert trained.decode([k + 0xFF]) == "\ufffd"  # never valid in UTF-8
    assert trained.decode([k + b for b in ni]) == "你"
    assert trained.decode([]) == ""


def test_decode_accepts_a_tensor(trained):
    torch = pytest.importorskip("torch")
    ids = trained.encode("To be, or not to be")
    assert trained.decode(torch.tensor(ids)) == "To be, or not to be"


def test_round_trips(trained, shakespeare):
    assert trained.decode(trained.encode(shakespeare)) == shakespeare
    assert trained.decode(trained.encode(MIXED)) == MIXED
    assert trained.encode("") == []


@PROPERTY
@given(st.text(max_size=40))
def test_any_text_round_trips(trained, text):
    assert trained.decode(trained.encode(text)) == text


def test_encode_iterable_equals_encode_on_a_file_of_many_lines(
    trained, plain, shakespeare, tmp_path
):
    # lines that GPT-2's pieces run across: indentation after a newline, trailing spaces,
    # blank lines, a contraction cut by a line end, Windows line ends
    tricky = "  indented\n    more\ntrailing   \n\n\n  \nwe'\nll\n\r\nx\r\n\r\n"
    text = shakespeare[:100_000] + tricky + MIXED + tricky
    path = tmp_path / "many_lines.txt"
    path.write_text(text, encoding="utf-8", newline="")
    for tok in (trained, plain):
        with open(path, encoding="utf-8", newline="") as f:
            streamed = tok.encode_iterable(f)
            assert not isinstance(streamed, list)  # a generator: ids come as the file is read
            assert list(streamed) == tok.encode(text)


def test_encode_iterable_gives_ids_before_the_text_ends(trained):
    endless = itertools.repeat("To be, or not to be: that is the question.\n")
    first = list(itertools.islice(trained.encode_iterable(endless), 100))
    assert first == trained.encode("To be, or not to be: that is the question.\n" * 20)[:100]


def test_encode_iterable_waits_for_the_characters_that_decide_a_piece(trained, plain):
    cuts = [
        ["we'l", "l go"],  # "'l" may still become the contraction "'ll"
        ["we'", "ll go"],
        ["a  ", " b"],  # the last space of a run goes with the word after it
        ["a\n", "  b"],  # a newline and the next line's indentation are one piece
        ["x<|endof", "text|>y"],  # a special token cut in two
        [f"x{EOT[:-1]}", ">y", EOT],
    ]
    # tokenizers that know these pieces whole ("'ll", "\n ", " b", ...): a wrong cut shows
    text = "".join("".join(chunks) for chunks in cuts) * 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short text: fewer merges than asked
        own = [BPETokenizer.from_text(text, 400), BPETokenizer.from_text(text, 400, [EOT])]
    assert {b"'ll", b"\n ", b" b"} <= own[0].mergeable_ranks.keys()
    for chunks in cuts:
        for tok in (trained, plain, *own):
            assert list(tok.encode_iterable(chunks)) == tok.encode("".join(chunks)), chunks


@PROPERTY
@given(
    st.lists(
        st.sampled_from(
            ["a", " ", "\n", "'", "l", "ll", "\t", "é", "1", ".", EOT, "<|endof", "text|>"]
        )
    )
)
def test_encode_iterable_equals_encode_however_the_text_is_cut(trained, plain, chunks):
    for tok in (trained, plain):
        assert list(tok.encode_iterable(chunks)) == tok.encode("".join(chunks))


# --- storage ------------------------------------------------------------------------------------


def test_to_dict_and_back_through_json(trained):
    stored = json.loads(json.dumps(bpe_to_dict(trained)))
    assert stored["special_tokens"] == [EOT]
    assert stored["merges"][0] == [b" ".hex(), b"t".hex()]  # hex strings, not the text
    again = bpe_from_dict(stored)
    assert again.vocab == trained.vocab and again.merges == trained.merges
    assert again.special_tokens == trained.special_tokens
    assert again.encode(MIXED) == trained.encode(MIXED)
    stored["pattern"] = r"\w+|\s+"
    with pytest.raises(ValueError, match=r"the pre-tokenization pattern '.*', not GPT-2's"):
        bpe_from_dict(stored)


# --- the same ids as tiktoken -------------------------------------------------------------------


def test_the_same_ids_as_tiktoken_on_shakespeare(trained, twin, shakespeare):
    assert trained.encode(shakespeare) == twin.encode(shakespeare, allowed_special="all")


def test_the_same_ids_as_tiktoken_on_mixed_scripts(trained, twin):
    ids = trained.encode(MIXED)
    assert ids == twin.encode(MIXED, allowed_special="all")
    assert ids.count(0) == 3  # the three special tokens


@PROPERTY
@given(st.lists(st.text(max_size=20) | st.just(EOT), max_size=5).map("".join))
def test_the_same_ids_as_tiktoken_on_any_text(trained, twin, text):
    assert trained.encode(text) == twin.encode(text, allowed_special="all")
