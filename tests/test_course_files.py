"""atomic_write: a file is either complete or not there, and gets the usual permissions."""

import os
import stat

import pytest

from helpers.course.files import atomic_write


def test_a_completed_write_replaces_the_file(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old", encoding="utf-8")
    with atomic_write(path, "w") as f:
        f.write("new\r\n")  # text mode writes line endings as given (newline="")
        assert path.read_text(encoding="utf-8") == "old"  # not replaced until the end
    assert path.read_bytes() == b"new\r\n"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"kept")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write(b"half")
            raise RuntimeError("disk full")
    assert path.read_bytes() == b"kept"
    assert os.listdir(tmp_path) == ["f.bin"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_the_file_is_readable_by_others_as_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "shared.bin") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "shared.bin").stat().st_mode) == 0o644
