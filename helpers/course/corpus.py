"""Getting the text the course trains on: tinyshakespeare (the default), or your own.

Your own text: set COURSE_TEXT to a UTF-8 text file, or to a folder (every `*.txt` file in it and
its sub-folders, hidden ones excepted, sorted by their path, joined with a blank line between
them), or call `use_text(path)` once (notebook 00 has the line): every notebook, the training
command and the playground then use it. Its line endings are made `\n` on every platform (a
file saved on Windows trains the same model as on Linux), a byte-order mark is dropped, and a
file that is empty, binary, not UTF-8 or too short for a validation split stops with a message
saying what to do. `COURSE_TEXT=tinyshakespeare` (or `use_text(None)`) goes back to the default.

Where tinyshakespeare comes from:

1. the cache, ``tinyshakespeare.txt`` in the data folder (verified by sha256 every time it is
   read): ``data/`` in a checkout of the course, a per-user cache folder when the course is
   installed, or COURSE_DATA_DIR (see settings.data_dir());
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
CHOICE_FILE = "course_text.txt"  # in the data folder: the text use_text() chose
SEPARATOR = "\n\n"  # between the files of a folder
# The last 10% of the text is the validation split: at least 1,000 characters of it (and more
# than any context of the course, 256), so the validation loss means something.
MIN_CHARACTERS = 10_000
LARGE_VOCABULARY = 256


class CorpusUnavailable(RuntimeError):
    """The corpus is neither cached, mirrored nor downloadable; the message says what to do."""


class TextUnusable(ValueError):
    """Your text cannot be trained on as it is; the message says why and what to do."""

    def _render_traceback_(self):
        """In Jupyter, show the message alone: the fix is in it, not in the course's code."""
        return [f"TextUnusable: {self}"]


@dataclass
class Corpus:
    """The text the course trains on, and its name."""

    name: str
    text: str

    @property
    def is_tinyshakespeare(self):
        return self.name == CORPUS_NAME

    @property
    def fingerprint(self):
        """The first 16 hex digits of the sha256 of the text: same text, same fingerprint."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    def about(self):
        """What a checkpoint remembers of its text: name, size and fingerprint (not the text)."""
        return {"name": self.name, "characters": len(self.text), "fingerprint": self.fingerprint}

    def summary(self):
        return (
            f"text: {self.name}, {len(self.text):,} characters, "
            f"{len(set(self.text))} distinct characters"
        )


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
    from helpers.course.notebook import tqdm

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


def load_corpus(path=None, allow_offline=True, verbose=True, **fetch_kwargs):
    """The text the course uses: `path` if given (a file or a folder), else yours if one is chosen
    (see chosen_text), else tinyshakespeare (verified), or, offline, the labelled stand-in. Prints
    one line saying which text it is (and what a large vocabulary costs).

    tinyshakespeare is read with ``encoding="utf-8", newline=""``: it has only `\n` line endings,
    and no platform translates them.
    """
    choice = path if path is not None else chosen_text()
    if choice is not None:
        corpus = read_text(choice)
    else:
        try:
            path = fetch_corpus(verbose=verbose, **fetch_kwargs)
            with open(path, encoding="utf-8", newline="") as f:
                corpus = Corpus(name=CORPUS_NAME, text=f.read())
        except CorpusUnavailable as e:
            if not allow_offline:
                raise
            print(f"{e}\n")
            print("*" * 78)
            print(f"* OFFLINE: training on {OFFLINE_NAME}, not Shakespeare.")
            print("* Every figure stated in the notebooks (65 characters, the losses) will differ.")
            print("*" * 78)
            corpus = Corpus(name=OFFLINE_NAME, text=offline_text())
    if verbose:
        print(corpus.summary())
        if not corpus.is_tinyshakespeare:
            notice = vocabulary_notice(len(set(corpus.text)))
            if notice:
                print(notice)
    return corpus


# --- your own text ------------------------------------------------------------------------------


def _choice_file():
    return settings.data_dir() / CHOICE_FILE


def chosen_text():
    """The path of your text, or None for tinyshakespeare: COURSE_TEXT if it is set (the word
    "tinyshakespeare" means the default), else what use_text() saved, else None."""
    value = settings.text()
    if value is None:
        saved = _choice_file()
        value = saved.read_text(encoding="utf-8").strip() if saved.is_file() else ""
    if not value or value == CORPUS_NAME:
        return None
    return Path(value).expanduser()


def use_text(path):
    """Train the whole course on `path` (a UTF-8 file, or a folder of *.txt files) from now on;
    `use_text(None)` goes back to tinyshakespeare. The text is read first, so a file that cannot
    be used is refused now, with the reason; the choice is kept in the data folder."""
    saved = _choice_file()
    if path is None:
        if saved.is_file():
            saved.unlink()
        print(f"The course now uses {CORPUS_NAME}.")
    else:
        path = Path(path).expanduser().resolve()
        corpus = read_text(path)
        saved.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(saved, "w") as f:
            f.write(str(path) + "\n")
        print(f"The course now uses your text. {corpus.summary()}.")
    if settings.text() is not None:
        print(
            f"Note: COURSE_TEXT={settings.text()} is set, and it wins over this choice until "
            "you unset it."
        )


def _decode(path):
    """The text of one file, with `\n` line endings; TextUnusable if it is not UTF-8 text."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise TextUnusable(f"Cannot read {path}: {e.strerror or e}.") from None
    zero = raw.find(b"\x00")
    if zero >= 0:
        raise TextUnusable(
            f"{path} looks like a binary file, not text (it holds a zero byte at byte {zero:,}). "
            "Give a plain-text file (.txt): export documents as text first."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TextUnusable(
            f"{path} is not UTF-8 text: byte {e.start:,} (0x{raw[e.start]:02x}) is not valid "
            'UTF-8. Save it as UTF-8 (most editors have "Save with encoding"), or convert it, '
            f"e.g. from Latin-1: iconv -f latin1 -t utf-8 {path.name} > {path.stem}-utf8.txt"
        ) from None
    # Windows (\r\n) and old Mac (\r) line endings become \n; a byte-order mark is dropped
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_text(path):
    """Your text as a Corpus: a file, or a folder of *.txt files (see the module's docstring)."""
    path = Path(path).expanduser()
    if path.is_dir():
        files = sorted(
            (
                p
                for p in path.rglob("*.txt")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        if not files:
            raise TextUnusable(
                f"The folder {path} holds no .txt file. Put your text in files ending in .txt "
                "(sub-folders count), or point to one file."
            )
        text = SEPARATOR.join(_decode(f) for f in files)
        name = f"{path.name}/ ({len(files)} file{'s' * (len(files) > 1)})"
    elif path.is_file():
        text, name = _decode(path), path.name
    else:
        raise TextUnusable(
            f"{path} does not exist. Give the path of a UTF-8 text file or of a folder of .txt "
            "files (COURSE_TEXT, or use_text() in notebook 00)."
        )
    if not text.strip():
        raise TextUnusable(f"{path} is empty (or only blank): there is nothing to learn from.")
    if len(text) < MIN_CHARACTERS:
        raise TextUnusable(
            f"{path} holds {len(text):,} characters; the course needs at least "
            f"{MIN_CHARACTERS:,}, so that its last 10%, the validation split, holds 1,000 "
            "characters and is longer than any context (256). Add more text (a folder of files "
            "is joined into one)."
        )
    return Corpus(name=name, text=text)


GREEK = dict(zip("abcdefghijklmnopqrstuvwxyz", "αβςδεφγηιξκλμνοπϙρστυϝωχψζ", strict=True))


def in_greek_letters(text):
    """`text` in lowercase with its Latin letters written in Greek (a → α, b → β, ...): the
    course's non-Latin text for its own tests and benchmarks (tests/test_course_own_text.py,
    bench/own_text.py), with a vocabulary other than the original's."""
    return "".join(GREEK.get(ch, ch) for ch in text.lower())


def vocabulary_notice(vocab_size):
    """What a large vocabulary costs, or "" for a usual one."""
    if vocab_size <= LARGE_VOCABULARY:
        return ""
    per = {width: 2 * vocab_size * width for width in (96, 384)}
    return (
        f"A large vocabulary: {vocab_size:,} distinct characters. The token embedding and the "
        f"output layer each get one row per character: {per[96]:,} parameters for the two with "
        f"the cpu preset (96 wide), {per[384]:,} with the gpu preset (384 wide), against "
        f"{2 * 65 * 384:,} for Shakespeare's 65. It works; rare characters are seen too seldom to "
        "be learned well, and the models are bigger."
    )
