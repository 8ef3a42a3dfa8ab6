"""Corpus fetching: mirror, download (from a local HTTP server), checksums, offline fallback."""

import functools
import http.server
import threading
from pathlib import Path

import pytest

from helpers.course import corpus as D


@pytest.fixture(scope="module")
def real_corpus(tmp_path_factory):
    """A verified copy of tinyshakespeare: from the cache, the CI mirror, or a download."""
    path = D.fetch_corpus(verbose=False)
    return path.read_bytes()


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www over HTTP on loopback; yields the base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def leftovers(directory):
    return sorted(p.name for p in Path(directory).iterdir() if p.name.endswith(".part"))


def test_mirror_is_used_and_verified(tmp_path, real_corpus):
    mirror = tmp_path / "usb"
    mirror.mkdir()
    (mirror / "input.txt").write_bytes(real_corpus)
    cache = tmp_path / "cache"
    path = D.fetch_corpus(
        cache_dir=cache, mirror=str(mirror), url="http://127.0.0.1:9/none", verbose=False
    )
    assert path == cache / D.CORPUS_FILE
    assert D.sha256_of(path) == D.CORPUS_SHA256


def test_download_from_server(tmp_path, server, real_corpus):
    root, base = server
    (root / "input.txt").write_bytes(real_corpus)
    cache = tmp_path / "cache"
    path = D.fetch_corpus(cache_dir=cache, mirror="", url=f"{base}/input.txt", verbose=False)
    assert path.read_bytes() == real_corpus
    assert leftovers(cache) == []


def test_truncated_download_is_refused_and_not_cached(tmp_path, server, real_corpus):
    root, base = server
    (root / "input.txt").write_bytes(real_corpus[:500_000])
    cache = tmp_path / "cache"
    with pytest.raises(D.CorpusUnavailable, match="corrupt or incomplete"):
        D.fetch_corpus(cache_dir=cache, mirror="", url=f"{base}/input.txt", verbose=False)
    assert not (cache / D.CORPUS_FILE).exists()
    assert leftovers(cache) == []


def test_corrupt_cache_is_moved_aside_and_fetched_again(tmp_path, real_corpus):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / D.CORPUS_FILE).write_bytes(real_corpus[:-1] + b"X")
    mirror = tmp_path / "usb"
    mirror.mkdir()
    (mirror / D.CORPUS_FILE).write_bytes(real_corpus)
    path = D.fetch_corpus(
        cache_dir=cache, mirror=str(mirror), url="http://127.0.0.1:9/none", verbose=False
    )
    assert D.sha256_of(path) == D.CORPUS_SHA256
    kept = cache / (D.CORPUS_FILE + ".corrupt")
    assert kept.read_bytes().endswith(b"X"), "the damaged file is kept aside, not silently deleted"


def test_bad_mirror_copy_is_not_cached(tmp_path):
    mirror = tmp_path / "usb"
    mirror.mkdir()
    (mirror / D.CORPUS_FILE).write_text("not shakespeare", encoding="utf-8")
    cache = tmp_path / "cache"
    with pytest.raises(D.CorpusUnavailable) as info:
        D.fetch_corpus(
            cache_dir=cache,
            mirror=str(mirror),
            url="http://127.0.0.1:9/none",
            timeout=2,
            verbose=False,
        )
    assert "does not match the expected sha256" in str(info.value)
    assert not (cache / D.CORPUS_FILE).exists() and leftovers(cache) == []


def test_offline_message_says_what_to_do(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(D.CorpusUnavailable) as info:
        D.fetch_corpus(
            cache_dir=cache, mirror="", url="http://127.0.0.1:9/none", timeout=2, verbose=False
        )
    message = str(info.value)
    assert D.CORPUS_SHA256 in message
    assert str(cache / D.CORPUS_FILE) in message
    assert "COURSE_DATA_MIRROR" in message


def test_offline_falls_back_to_a_labelled_corpus(tmp_path, capsys):
    corpus = D.load_corpus(
        cache_dir=tmp_path / "cache", mirror="", url="http://127.0.0.1:9/none", timeout=2
    )
    assert not corpus.is_tinyshakespeare
    assert corpus.name == D.OFFLINE_NAME
    assert len(corpus.text) > 100_000
    assert "OFFLINE: training on pydoc_data" in capsys.readouterr().out


def test_offline_fallback_can_be_refused(tmp_path):
    with pytest.raises(D.CorpusUnavailable):
        D.load_corpus(
            allow_offline=False,
            cache_dir=tmp_path / "c",
            mirror="",
            url="http://127.0.0.1:9/none",
            timeout=2,
        )


def test_text_is_read_without_translating_line_endings(tmp_path, real_corpus):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / D.CORPUS_FILE).write_bytes(real_corpus)
    corpus = D.load_corpus(cache_dir=cache, mirror="", url="http://127.0.0.1:9/none")
    assert corpus.is_tinyshakespeare
    assert len(corpus.text) == D.CORPUS_BYTES and len(set(corpus.text)) == 65


# --- a cache folder the course cannot write -------------------------------------------------------


def mirror_with(tmp_path, real_corpus):
    mirror = tmp_path / "usb"
    mirror.mkdir()
    (mirror / D.CORPUS_FILE).write_bytes(real_corpus)
    return mirror


def test_a_read_only_cache_reads_the_verified_mirror_copy_in_place(
    tmp_path, real_corpus, monkeypatch, capsys
):
    cache = tmp_path / "cache"
    cache.mkdir()
    mirror = mirror_with(tmp_path, real_corpus)
    monkeypatch.setattr(D.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    # CI runs as root, for whom no folder is read-only: the course asks os.access, so ask it so
    real_access = D.os.access
    monkeypatch.setattr(
        D.os, "access", lambda p, mode: False if Path(p) == cache else real_access(p, mode)
    )
    path = D.fetch_corpus(cache_dir=cache, mirror=str(mirror), url="http://127.0.0.1:9/none")
    assert path == mirror / D.CORPUS_FILE
    out = capsys.readouterr().out
    assert f"Cannot cache the corpus in {cache} (it is read-only)" in out
    assert "Reading the verified copy in the mirror" in out and list(cache.iterdir()) == []


def test_a_cache_folder_that_cannot_be_created_falls_back_to_a_temporary_one(
    tmp_path, real_corpus, monkeypatch, capsys
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(D.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    mirror = mirror_with(tmp_path, b"not shakespeare")  # no valid copy to read in place
    (mirror / "input.txt").write_bytes(real_corpus)  # ... but a valid one under the other name
    path = D.fetch_corpus(
        cache_dir=blocker / "data", mirror=str(mirror), url="http://127.0.0.1:9/x"
    )
    assert path.read_bytes() == real_corpus
    assert "Cannot cache the corpus in" in capsys.readouterr().out


def test_without_any_copy_the_message_names_the_folder_and_the_fix(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setattr(D.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    with pytest.raises(D.CorpusUnavailable) as info:
        D.fetch_corpus(
            cache_dir=blocker / "data",
            mirror="",
            url="http://127.0.0.1:9/x",
            timeout=2,
            verbose=False,
        )
    assert str(blocker / "data" / D.CORPUS_FILE) in str(info.value)
    assert "COURSE_DATA_MIRROR" in str(info.value)


def test_a_second_damaged_copy_never_overwrites_the_first_one_set_aside(tmp_path, real_corpus):
    cache = tmp_path / "cache"
    cache.mkdir()
    mirror = mirror_with(tmp_path, real_corpus)
    for damaged in (b"first damaged copy", b"second damaged copy"):
        (cache / D.CORPUS_FILE).write_bytes(damaged)
        D.fetch_corpus(cache_dir=cache, mirror=str(mirror), verbose=False)
    assert (cache / (D.CORPUS_FILE + ".corrupt")).read_bytes() == b"first damaged copy"
    assert (cache / (D.CORPUS_FILE + ".corrupt-2")).read_bytes() == b"second damaged copy"


def test_partial_downloads_of_dead_runs_are_removed_but_a_live_one_is_not(tmp_path, real_corpus):
    import os
    import time

    cache = tmp_path / "cache"
    cache.mkdir()
    dead, live = cache / f".{D.CORPUS_FILE}.dead.part", cache / f".{D.CORPUS_FILE}.live.part"
    dead.write_bytes(b"x")
    live.write_bytes(b"y")
    hour_ago = time.time() - 3600
    os.utime(dead, (hour_ago, hour_ago))
    D.fetch_corpus(cache_dir=cache, mirror=str(mirror_with(tmp_path, real_corpus)), verbose=False)
    assert not dead.exists() and live.exists()


def test_the_cached_corpus_is_readable_by_others(tmp_path, real_corpus):
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = D.fetch_corpus(
            cache_dir=tmp_path / "c", mirror=str(mirror_with(tmp_path, real_corpus)), verbose=False
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


# --- your own text -------------------------------------------------------------------------------

WORDS = "Ein Haus am See, ein Boot im Schilf. Über Nacht fällt Schnee.\n"  # 62 characters
ENOUGH = WORDS * 170  # 10,540 characters: above D.MIN_CHARACTERS


@pytest.fixture
def own(tmp_path, monkeypatch):
    """An empty data folder (where use_text keeps its choice) and no COURSE_TEXT."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COURSE_TEXT", raising=False)
    return tmp_path


def test_a_text_file_becomes_the_course_text_with_unix_line_endings(own, monkeypatch, capsys):
    path = own / "notes.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ENOUGH.replace("\n", "\r\n").encode("utf-8"))
    monkeypatch.setenv("COURSE_TEXT", str(path))
    corpus = D.load_corpus()
    assert corpus.text == ENOUGH, "a byte-order mark is dropped and \\r\\n becomes \\n"
    assert corpus.name == "notes.txt" and not corpus.is_tinyshakespeare
    distinct = len(set(ENOUGH))
    assert (
        f"text: notes.txt, {len(ENOUGH):,} characters, {distinct} distinct"
        in capsys.readouterr().out
    )
    assert corpus.about() == {
        "name": "notes.txt",
        "characters": len(ENOUGH),
        "fingerprint": __import__("hashlib").sha256(ENOUGH.encode()).hexdigest()[:16],
    }
    # an old Mac file (\r alone) gives the same text, and so the same fingerprint
    path.write_bytes(ENOUGH.replace("\n", "\r").encode("utf-8"))
    assert D.load_corpus(verbose=False).fingerprint == corpus.fingerprint


def test_a_folder_joins_its_txt_files_sorted_by_path(own):
    folder = own / "notes"
    (folder / "b").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    (folder / "b" / "2.txt").write_text("second " * 800, encoding="utf-8")
    (folder / "a.txt").write_text("first " * 800, encoding="utf-8")
    (folder / "c.md").write_text("not a .txt file", encoding="utf-8")
    (folder / ".hidden" / "x.txt").write_text("hidden", encoding="utf-8")
    corpus = D.read_text(folder)
    assert corpus.text == "first " * 800 + D.SEPARATOR + "second " * 800
    assert corpus.name == "notes/ (2 files)"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_text(""), "is empty"),
        (lambda p: p.write_text(" \n\n "), "is empty"),
        (lambda p: p.write_bytes(ENOUGH.encode("latin-1")), r"byte 37 \(0xdc\) is not valid UTF-8"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 2000), "binary file"),
        (
            lambda p: p.write_text(WORDS * 10),
            "holds 620 characters; the course needs at least 10,000",
        ),
        (lambda p: p.mkdir(), "holds no .txt file"),
        (lambda p: None, "does not exist"),
    ],
)
def test_a_text_that_cannot_be_used_is_refused_with_what_to_do(own, make, message):
    path = own / "mine.txt"
    make(path)
    with pytest.raises(D.TextUnusable, match=message):
        D.read_text(path)


def test_the_non_utf8_message_says_how_to_convert(own):
    path = own / "old.txt"
    path.write_bytes(ENOUGH.encode("cp1252"))
    with pytest.raises(D.TextUnusable) as info:
        D.read_text(path)
    assert "Save it as UTF-8" in str(info.value) and "iconv -f latin1 -t utf-8" in str(info.value)


def test_use_text_keeps_the_choice_and_refuses_a_bad_file(own, monkeypatch, capsys):
    good = own / "good.txt"
    good.write_text(ENOUGH, encoding="utf-8")
    assert D.chosen_text() is None
    D.use_text(good)
    assert D.chosen_text() == good.resolve()
    assert D.load_corpus(verbose=False).name == "good.txt"
    bad = own / "bad.txt"
    bad.write_text("too short")
    with pytest.raises(D.TextUnusable, match="too short|holds 9 characters"):
        D.use_text(bad)
    assert D.chosen_text() == good.resolve(), "a refused file leaves the previous choice"
    monkeypatch.setenv("COURSE_TEXT", "tinyshakespeare")
    assert D.chosen_text() is None, "COURSE_TEXT wins over the saved choice"
    D.use_text(None)
    assert "wins over this choice" in capsys.readouterr().out
    monkeypatch.delenv("COURSE_TEXT")
    assert D.chosen_text() is None and not (own / "data" / D.CHOICE_FILE).exists()


def test_a_large_vocabulary_is_reported_with_its_cost_and_still_loads(own, monkeypatch, capsys):
    many = "".join(chr(0x4E00 + i) for i in range(600))  # 600 CJK characters
    path = own / "zh.txt"
    path.write_text((many + "\n") * 20, encoding="utf-8")
    monkeypatch.setenv("COURSE_TEXT", str(path))
    corpus = D.load_corpus()
    out = capsys.readouterr().out
    assert len(set(corpus.text)) == 601
    assert "A large vocabulary: 601 distinct characters" in out
    assert f"{2 * 601 * 384:,} with the gpu preset" in out
    assert D.vocabulary_notice(65) == ""


def test_in_a_notebook_an_unusable_text_shows_its_message_not_a_traceback(own):
    """Run in an IPython shell of its own process, as a notebook cell would (no shell is left in
    the test process)."""
    import subprocess
    import sys

    missing = own / "none.txt"
    cell = f"from helpers.course import corpus\ncorpus.read_text({str(missing)!r})"
    script = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        f"result = InteractiveShell.instance().run_cell({cell!r})\n"
        "print('raised', type(result.error_in_exec).__name__)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    ).stdout
    assert "raised TextUnusable" in shown
    assert f"TextUnusable: {missing} does not exist" in shown
    assert "_decode" not in shown and "corpus.py" not in shown, "no frames from the course's code"
