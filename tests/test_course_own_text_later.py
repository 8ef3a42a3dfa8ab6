"""The whole course on another text, notebooks 09 to 13 (the shared test: own_text_support.py;
00 to 08: test_course_own_text.py)."""

import pytest
from own_text_support import LATER, group_id, runs_on_another_text_and_says_which


@pytest.mark.parametrize("notebooks", LATER, ids=group_id)
def test_every_notebook_runs_on_another_text_and_says_which(notebooks, tmp_path, monkeypatch):
    runs_on_another_text_and_says_which(notebooks, tmp_path, monkeypatch)
