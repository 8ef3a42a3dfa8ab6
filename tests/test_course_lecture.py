"""Following the lecture: one table of chapters (helpers/course/lecture.py) draws every notebook's
banner and docs/LECTURE.md's map, so the three cannot drift apart."""

from pathlib import Path

import nbformat
import pytest

from helpers.course import lecture
from helpers.course.runner import LECTURE_END, LECTURE_START

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_the_chapters_are_in_order_and_every_notebook_has_some():
    starts = [lecture.seconds(stamp) for stamp, _, _ in lecture.CHAPTERS]
    assert starts == sorted(starts) and starts[0] == 0
    assert starts[-1] < 1 * 3600 + 56 * 60 + 20  # the video lasts 1:56:20
    covered = {nb for _, _, nb in lecture.CHAPTERS + lecture.SEQUEL_CHAPTERS}
    assert not covered & set(lecture.BEYOND), "a notebook both in the lecture and beyond it"
    assert covered | set(lecture.BEYOND) == {p.name[:2] for p in NOTEBOOKS}, (
        "a notebook without chapters (list it in lecture.BEYOND if the lecture has none), or a typo"
    )
    assert lecture.link("1:20:05").endswith("&t=4805s)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_opens_with_its_banner(path):
    cells = nbformat.read(path, as_version=4).cells
    assert cells[1].cell_type == "markdown"
    assert cells[1].source == lecture.banner(path.name[:2]), (
        f"{path.name}: the banner differs from helpers/course/lecture.py; write it again with "
        "lecture.banner()"
    )


def test_the_lecture_page_holds_the_table():
    text = (ROOT / "docs" / "LECTURE.md").read_text(encoding="utf-8")
    block = text.split(LECTURE_START, 1)[1].split(LECTURE_END, 1)[0].strip()
    assert block == lecture.readme_table(), "run `python -m helpers course --readme`"


def test_a_notebook_beyond_the_lecture_says_so_honestly():
    banner = lecture.banner("13")
    assert banner.startswith(lecture.BANNER_START + "\n**Not in the lecture**")
    assert "not part of the lecture" in banner and "**In the lecture**" not in banner
    assert lecture.link("1:46:22") in banner  # the nanoGPT walkthrough, linked to its minute
    with pytest.raises(ValueError, match="notebook 15 has no chapter of the lecture"):
        lecture.banner("15")


def test_the_subword_notebook_points_to_the_sequel_lecture_at_its_minutes():
    banner = lecture.banner("14")
    assert banner.startswith(lecture.BANNER_START + "\n**In the sequel lecture**")
    assert lecture.SEQUEL_VIDEO in banner and lecture.VIDEO not in banner
    # the merge loop's chapter, linked to its second of the sequel's video
    assert f"[0:28:35]({lecture.SEQUEL_VIDEO}&t=1715s) counting consecutive pairs" in banner
    stamps = [lecture.seconds(stamp) for stamp, _, _ in lecture.SEQUEL_CHAPTERS]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert "the sequel" in lecture.readme_table()
