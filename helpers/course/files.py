"""Writing a file so that it is either complete or not there: never half-written."""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path, mode="wb"):
    """Write `path` through a temporary file in the same folder, renamed over it at the end.

    Use it as `with atomic_write(path) as f: f.write(...)`. If the block raises (a failed
    checksum, a full disk, Ctrl-C), the temporary file is removed and `path` is left as it was;
    otherwise the data is flushed to disk, then the rename makes it the real file in one step.
    The file gets the usual permissions for a new file (readable by others unless your umask
    says otherwise), so a workshop can share one data folder.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        text = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, mode, **text) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it the real file
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
