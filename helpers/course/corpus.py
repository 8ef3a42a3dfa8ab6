"""Getting the corpus: download once, verify, cache; a local mirror first; an offline fallback.

Where the text comes from:

1. the cache, ``data/tinyshakespeare.txt`` (verified by sha256 every time it is read);
2. a mirror directory named by ``COURSE_DATA_MIRROR`` (e.g. a USB stick in a workshop);
3. the public address below (one download, with a timeout and a progress bar);
4. if all of that fails: a clear message saying what to download and where to put it, and the
   course carries on with the Python documentation text that ships with CPython
   (``pydoc_data``), visibly labelled as a stand-in.
"""

import contextlib
import hashlib
import os
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from helpers.course import settings
from helpers.course.files import atomic_write

CORPUS_NAME = "tinyshakespeare"
CORPUS_FILE = "tinyshakespeare.txt"
CORPUS_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)
CORPUS_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
CORPUS_BYTES = 1_115_394
OFFLINE_NAME = "pydoc_data (offline stand-in)"


class CorpusUnavailable(RuntimeError):
    """The corpus is neither cached, mirrored nor downloadable; the message says what to do."""


@dataclass
class Corpus:
    """The text the course trains on, and its name."""

    name: str
    text: str

    @property
    def is_tinyshakespeare(self):
        return self.name == CORPUS_NAME


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _copy_verified(chunks, dest, what):
    """Write the byte `chunks` to `dest` atomically, only if their sha256 is the corpus's.

    Nothing is left under the real name when the check fails (see helpers/course/files.py).
    """
    digest = hashlib.sha256()
    with atomic_write(dest) as out:
        for block in chunks:
            digest.update(block)
            out.write(block)
        if digest.hexdigest() != CORPUS_SHA256:
            raise CorpusUnavailable(
                f"{what} does not match the expected sha256 ({digest.hexdigest()[:12]}... instead "
                f"of {CORPUS_SHA256[:12]}...): it is corrupt or incomplete, and was not kept."
            )


def _blocks(f, size=1 << 16):
    return iter(lambda: f.read(size), b"")


def _copy_from_mirror(src, dest):
    with open(src, "rb") as f:
        _copy_verified(_blocks(f), dest, f"The mirror copy {src}")


def _download(url, dest, timeout):
    from tqdm.auto import tqdm

    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or CORPUS_BYTES)
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {CORPUS_FILE}") as bar:

            def counted():
                for block in _blocks(response):
                    bar.update(len(block))
                    yield block

            _copy_verified(counted(), dest, f"The download from {url}")


def _usable_cache(cache_dir, say):
    """cache_dir if the corpus can be cached there; else a temporary folder, with a notice."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        if os.access(cache_dir, os.W_OK):
            return cache_dir
        reason = "it is read-only"
    except OSError as e:
        reason = e.strerror or str(e)
    fallback = Path(tempfile.gettempdir()) / "gpt-course-data"
    say(
        f"Cannot cache the corpus in {cache_dir} ({reason}); using {fallback} instead. To keep "
        "it, make that folder writable or set COURSE_DATA_DIR to one that is."
    )
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def set_aside(path):
    """Rename a damaged file to `<name>.corrupt` (or .corrupt-2, -3, ...): never over another."""
    aside = path.with_name(path.name + ".corrupt")
    n = 2
    while aside.exists():
        aside = path.with_name(f"{path.name}.corrupt-{n}")
        n += 1
    os.replace(path, aside)
    return aside


def _remove_stale_parts(cache_dir, older_than=600):
    """Partial downloads of dead runs (`.<name>.*.part` untouched for 10 minutes) are removed;
    a live download writes to its file all the time, so it is never one of them."""
    for part in cache_dir.glob(f".{CORPUS_FILE}.*.part"):
        with contextlib.suppress(OSError):
            if time.time() - part.stat().st_mtime > older_than:
                part.unlink()


def fetch_corpus(cache_dir=None, mirror=None, url=None, timeout=15.0, verbose=True):
    """Return the path of a verified copy of tinyshakespeare, fetching it if needed.

    A cached file with the wrong checksum is never used: it is renamed to ``*.corrupt`` (kept,
    not deleted, in case it is yours; a second one becomes ``*.corrupt-2``) and the corpus is
    fetched again. `mirror` and `cache_dir` default to COURSE_DATA_MIRROR and COURSE_DATA_DIR
    (see settings.py); mirror="" means none. A cache folder that cannot be written is not an
    error: a verified mirror copy is then read where it is, or a temporary folder caches it.
    """
    say = print if verbose else (lambda *a, **k: None)
    cache_dir = Path(cache_dir) if cache_dir is not None else settings.data_dir()
    mirror = mirror if mirror is not None else (settings.mirror() or "")
    url = url if url is not None else CORPUS_URL
    dest = cache_dir / CORPUS_FILE

    if dest.is_file():
        if sha256_of(dest) == CORPUS_SHA256:
            return dest
        try:
            aside = set_aside(dest)
            say(f"The cached {dest} failed its checksum; moved it to {aside.name}, fetching again.")
        except OSError as e:
            say(
                f"The cached {dest} failed its checksum and cannot be moved ({e.strerror}); not using it."
            )

    candidates = [Path(mirror) / name for name in (CORPUS_FILE, "input.txt")] if mirror else []
    candidates = [c for c in candidates if c.is_file()]
    writable = _usable_cache(cache_dir, say)
    if writable != cache_dir:  # nothing can be cached where asked: a verified mirror copy in place
        for candidate in candidates:
            if sha256_of(candidate) == CORPUS_SHA256:
                say(f"Reading the verified copy in the mirror, {candidate}, where it is.")
                return candidate
    _remove_stale_parts(writable)
    dest = writable / CORPUS_FILE
    if writable != cache_dir and dest.is_file() and sha256_of(dest) == CORPUS_SHA256:
        return dest

    problems = []
    if mirror:
        for candidate in candidates:
            try:
                _copy_from_mirror(candidate, dest)
                say(f"Copied the corpus from the mirror {candidate}.")
                return dest
            except CorpusUnavailable as e:
                problems.append(str(e))
        if not candidates:
            problems.append(f"COURSE_DATA_MIRROR={mirror} holds no {CORPUS_FILE} (or input.txt).")

    try:
        _download(url, dest, timeout)
        say(f"Downloaded the corpus from {url}.")
        return dest
    except CorpusUnavailable as e:
        problems.append(str(e))
    except OSError as e:  # no network, DNS failure, timeout, HTTP error
        problems.append(f"Could not download {url}: {e}")

    raise CorpusUnavailable(
        "The tinyshakespeare corpus is not available.\n  - "
        + "\n  - ".join(problems)
        + f"\nTo fix: download {url}\n"
        f"and save it as {cache_dir / CORPUS_FILE} (or put it in a folder and set COURSE_DATA_MIRROR "
        f"to that folder).\nIts sha256 must be {CORPUS_SHA256}."
    )


def offline_text():
    """The Python reference documentation shipped with CPython: a stand-in corpus that is
    always available, used when tinyshakespeare cannot be had."""
    from pydoc_data.topics import topics

    return "".join(topics[key] for key in sorted(topics))


def load_corpus(allow_offline=True, **fetch_kwargs):
    """Load tinyshakespeare (verified), or, offline, the labelled stand-in.

    Text is read with ``encoding="utf-8", newline=""`` so Windows line endings are never
    translated and every platform sees the same characters.
    """
    try:
        path = fetch_corpus(**fetch_kwargs)
    except CorpusUnavailable as e:
        if not allow_offline:
            raise
        print(f"{e}\n")
        print("*" * 78)
        print(f"* OFFLINE: training on {OFFLINE_NAME}, not Shakespeare.")
        print("* Every figure stated in the notebooks (65 characters, the losses) will differ.")
        print("*" * 78)
        return Corpus(name=OFFLINE_NAME, text=offline_text())
    with open(path, encoding="utf-8", newline="") as f:
        return Corpus(name=CORPUS_NAME, text=f.read())
