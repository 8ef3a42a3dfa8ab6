"""The clear errors the tokenizer and get_batch raise for bad input (helpers/course/guards.py)."""

import pytest
import torch

from helpers.course.guards import (
    require_batch_fits,
    require_fraction,
    require_known,
    require_vocabulary,
)


def test_a_known_text_or_list_of_ids_passes_silently():
    require_known("abba", {"a": 0, "b": 1})
    require_known([1, 0, 1], {0: "a", 1: "b"})
    require_known("", {"a": 0})


def test_the_first_unknown_character_or_id_is_named_with_its_position():
    with pytest.raises(ValueError, match=r"Character 'z' at position 2 .* \(2 characters\)"):
        require_known("abzyz", {"a": 0, "b": 1})
    with pytest.raises(ValueError, match=r"Id 5 at position 0 .* \(valid ids are 0..1\)"):
        require_known([5, 9], {0: "a", 1: "b"})


def test_a_vocabulary_comes_back_as_a_list_or_is_refused():
    assert require_vocabulary("ab") == ["a", "b"]
    with pytest.raises(ValueError, match="vocabulary is empty"):
        require_vocabulary("")
    with pytest.raises(ValueError, match="lists a character twice"):
        require_vocabulary(["a", "a"])


@pytest.mark.parametrize("fraction", [0, 1, -0.5, 1.5])
def test_a_split_fraction_must_lie_strictly_between_0_and_1(fraction):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        require_fraction(fraction)


def test_a_batch_fits_when_the_data_holds_one_window_and_its_next_id():
    require_batch_fits(torch.arange(9), 1, 8)
    with pytest.raises(ValueError, match="needs at least 9 tokens, but this split has only 8"):
        require_batch_fits(torch.arange(8), 1, 8)
    with pytest.raises(ValueError, match="must be positive"):
        require_batch_fits(torch.arange(100), 0, 8)
