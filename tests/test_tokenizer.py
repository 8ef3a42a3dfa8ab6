import pytest

from helpers import CharTokenizer


def test_vocabulary_is_sorted_and_round_trips():
    tok = CharTokenizer.from_text("hello world\n")
    assert tok.chars == ["\n", " ", "d", "e", "h", "l", "o", "r", "w"]
    assert tok.vocab_size == 9
    assert tok.encode("hello") == [4, 3, 5, 5, 6]
    assert tok.decode(tok.encode("world hello\n")) == "world hello\n"


def test_decode_accepts_a_tensor():
    import torch

    tok = CharTokenizer.from_text("abc")
    assert tok.decode(torch.tensor([2, 0, 1])) == "cab"


def test_unknown_character_names_character_and_position():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=r"Character 'z' at position 3 is not in the vocabulary"):
        tok.encode("abcz")


def test_unknown_id_is_a_clear_error():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(
        ValueError, match=r"Id 7 at position 1 is outside the vocabulary \(valid ids are 0..2\)"
    ):
        tok.decode([0, 7])


def test_empty_text_is_refused():
    with pytest.raises(ValueError, match="vocabulary is empty"):
        CharTokenizer.from_text("")


def test_windows_line_endings_are_kept_as_characters():
    tok = CharTokenizer.from_text("a\r\nb")
    assert "\r" in tok.chars and tok.decode(tok.encode("a\r\nb")) == "a\r\nb"


def test_a_vocabulary_that_is_empty_or_repeats_a_character_is_refused():
    with pytest.raises(ValueError, match="vocabulary is empty"):
        CharTokenizer([])
    with pytest.raises(ValueError, match="lists a character twice"):
        CharTokenizer("aba")


def test_an_unknown_id_in_a_tensor_is_named_too():
    import torch

    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=r"Id 3 at position 2 is outside the vocabulary"):
        tok.decode(torch.tensor([0, 1, 3]))
