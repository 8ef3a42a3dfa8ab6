import pytest

from helpers import data as D
from helpers import doctor


@pytest.fixture(scope="module")
def real_bytes():
    return D.fetch_corpus(verbose=False).read_bytes()


@pytest.fixture
def isolated_corpus(tmp_path, monkeypatch):
    monkeypatch.setattr(D, "DATA_DIR", tmp_path / "cache")
    monkeypatch.setattr(D, "CORPUS_URL", "http://127.0.0.1:9/unreachable")
    monkeypatch.setenv("COURSE_DATA_MIRROR", "")
    return tmp_path


def test_missing_corpus_fails_with_the_fix(isolated_corpus, capsys):
    assert doctor.run_checks() is False
    out = capsys.readouterr().out
    assert "FAIL  corpus" in out
    assert "COURSE_DATA_MIRROR" in out and D.CORPUS_SHA256 in out
    assert "OK    python" in out and "OK    torch" in out


def test_all_ok_once_the_corpus_is_mirrored(real_bytes, isolated_corpus, monkeypatch, capsys):
    mirror = isolated_corpus / "usb"
    mirror.mkdir()
    (mirror / D.CORPUS_FILE).write_bytes(real_bytes)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    assert doctor.run_checks() is True
    assert "All checks passed." in capsys.readouterr().out
    assert (isolated_corpus / "cache" / D.CORPUS_FILE).exists()


def test_a_crashing_check_is_a_failure_not_a_crash(monkeypatch, capsys):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(doctor, "CHECKS", [("broken", broken)])
    assert doctor.run_checks() is False
    assert "FAIL  broken   RuntimeError: boom" in capsys.readouterr().out


def test_version_comparison_handles_local_builds():
    assert doctor._at_least("2.13.0+cpu", (2, 3))
    assert not doctor._at_least("2.2.1", (2, 3))
    assert doctor._at_least("8.1.9", (8,))
