"""Writing files atomically: a complete new file or the old one, never half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path, data):
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    Parameters
    ----------
    path : str or Path
        Target; its folder is created when missing.
    data : str, bytes or callable
        Text (written as UTF-8), bytes, or ``writer(f)`` that writes to a
        binary file object.

    Returns
    -------
    pathlib.Path
        The path written. On any failure the temporary file is removed and
        an existing file at ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, str):
                data = data.encode("utf-8")
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
