"""The whole course on another text, notebooks 00 to 08 (the shared test: own_text_support.py;
09 to 13: test_course_own_text_later.py)."""

import pytest
from own_text_support import EARLY, GROUPS, LATER, group_id, runs_on_another_text_and_says_which

from helpers.course.runner import course_notebooks


@pytest.mark.parametrize("notebooks", EARLY, ids=group_id)
def test_every_notebook_runs_on_another_text_and_says_which(notebooks, tmp_path, monkeypatch):
    runs_on_another_text_and_says_which(notebooks, tmp_path, monkeypatch)


def test_the_groups_cover_every_notebook_once():
    assert sorted(p for group in GROUPS for p in group) == course_notebooks()
    assert sorted(map(group_id, EARLY + LATER)) == sorted(map(group_id, GROUPS))
