"""Getting the corpus: download once, verify, cache; a local mirror first; an offline fallback.

Used in notebook 00 onwards (plumbing, not taught). Where the text comes from:

1. the cache, ``data/tinyshakespeare.txt`` (verified by sha256 every time it is read);
2. a mirror directory named by ``COURSE_DATA_MIRROR`` (e.g. a USB stick in a workshop);
3. the public address below (one download, with a timeout and a progress bar);
4. if all of that fails: a clear message saying what to download and where to put it, and the
   course carries on with the Python documentation text that ships with CPython
   (``pydoc_data``), visibly labelled as a stand-in.
"""

import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CORPUS_NAME = "tinyshakespeare"
CORPUS_FILE = "tinyshakespeare.txt"
CORPUS_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)
CORPUS_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
CORPUS_BYTES = 1_115_394
OFFLINE_NAME = "pydoc_data (offline stand-in)"

DATA_DIR = Path(os.environ.get("COURSE_DATA_DIR", Path(__file__).resolve().parent.parent / "data"))


class CorpusUnavailable(RuntimeError):
    """Raised when the corpus is neither cached, mirrored nor downloadable (see notebook 00)."""


@dataclass
class Corpus:
    """The text the course trains on, with where it came from. Used in notebook 01."""

    name: str
    text: str
    source: str

    @property
    def is_tinyshakespeare(self):
        return self.name == CORPUS_NAME


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _install_verified(src, dest):
    """Copy `src` to `dest` through a temporary file in the same directory, then rename.

    The rename happens only after the checksum matched, so a partial or corrupt copy never
    sits in the cache under the real name.
    """
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        if sha256_of(tmp) != CORPUS_SHA256:
            raise CorpusUnavailable(f"{src} does not match the expected sha256.")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _download(url, dest, timeout):
    from tqdm.auto import tqdm

    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or CORPUS_BYTES)
            with tqdm(
                total=total, unit="B", unit_scale=True, desc=f"downloading {CORPUS_FILE}"
            ) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
        digest = sha256_of(tmp)
        if digest != CORPUS_SHA256:
            raise CorpusUnavailable(
                f"The download from {url} is corrupt or incomplete (sha256 {digest[:12]}..., "
                f"expected {CORPUS_SHA256[:12]}...). It was deleted; try again."
            )
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def fetch_corpus(cache_dir=None, mirror=None, url=None, timeout=15.0, verbose=True):
    """Return the path of a verified copy of tinyshakespeare, fetching it if needed.

    A cached file with the wrong checksum is never used: it is renamed to ``*.corrupt`` (kept,
    not deleted, in case it is yours) and the corpus is fetched again.
    Used in notebook 00 (plumbing, not taught).
    """
    say = print if verbose else (lambda *a, **k: None)
    cache_dir = Path(cache_dir) if cache_dir is not None else DATA_DIR
    mirror = mirror if mirror is not None else os.environ.get("COURSE_DATA_MIRROR", "")
    url = url if url is not None else CORPUS_URL
    cache_dir.mkdir(parents=True, exist_ok=True)
    dest = cache_dir / CORPUS_FILE

    if dest.exists():
        if sha256_of(dest) == CORPUS_SHA256:
            return dest
        aside = dest.with_name(dest.name + ".corrupt")
        os.replace(dest, aside)
        say(f"The cached {dest} failed its checksum; moved it to {aside.name} and fetching again.")

    problems = []
    if mirror:
        for name in (CORPUS_FILE, "input.txt"):
            candidate = Path(mirror) / name
            if candidate.is_file():
                try:
                    _install_verified(candidate, dest)
                    say(f"Copied the corpus from the mirror {candidate}.")
                    return dest
                except CorpusUnavailable as e:
                    problems.append(str(e))
        else:
            problems.append(f"COURSE_DATA_MIRROR={mirror} holds no valid {CORPUS_FILE}.")

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
        f"and save it as {dest} (or put it in a folder and set COURSE_DATA_MIRROR to that folder).\n"
        f"Its sha256 must be {CORPUS_SHA256}."
    )


def offline_text():
    """The Python reference documentation shipped with CPython: a stand-in corpus that is
    always available. Used in notebook 01 when tinyshakespeare cannot be had."""
    from pydoc_data.topics import topics

    return "".join(topics[key] for key in sorted(topics))


def load_corpus(allow_offline=True, **fetch_kwargs):
    """Load tinyshakespeare (verified), or, offline, the labelled stand-in. Used in notebook 01.

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
        return Corpus(name=OFFLINE_NAME, text=offline_text(), source="pydoc_data.topics")
    with open(path, encoding="utf-8", newline="") as f:
        return Corpus(name=CORPUS_NAME, text=f.read(), source=str(path))
