"""Writing files safely: a complete new file or the old one, never half a file, never litter.

- :func:`atomic_write` / :func:`atomic_path`: write through a hidden temporary
  file in the target's folder, then rename it over the target.
- :func:`staged_folder`: write a whole set of files into a hidden staging
  folder and move them into place only when all of them were written, so a
  failed run leaves the output folder exactly as it was.
- :func:`terminate_cleanly`: while active, SIGTERM raises ``SystemExit`` so the
  temporary files and the staging folder are removed on the way out.
- :func:`sweep_stale`: temporary files and staging folders left by a process
  that no longer runs (SIGKILL, power loss) are removed by the next write to
  the same target.
- :func:`workbook_bytes`: an Excel workbook that is byte-identical between
  runs (fixed zip and document timestamps) and whose text cells are never
  formulas.

Our temporary names carry the writing process's id: ``.<name>.<pid>.<random>.tmp``
and ``.<folder>.staging.<pid>.<random>``.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import re
import shutil
import signal
import tempfile
import threading
import zipfile
from pathlib import Path

_TEMP = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")
_STAGING = re.compile(r"^\..+\.staging\.(\d+)\.[^.]+$")
#: Timestamp written into every workbook (zip entries and document properties): the zip format's earliest.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def atomic_path(path):
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block succeeds.

    The temporary path does not exist yet when the block starts (some writers
    refuse to overwrite). On any failure it is removed and an existing file at
    ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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
    with atomic_path(path) as tmp:
        with open(tmp, "xb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)


def _stale(path, pid):
    """Whether a temporary file or folder of ours was left by a process that no longer runs."""
    if os.name == "nt":  # os.kill would terminate the process: go by age instead
        import time

        return time.time() - path.stat().st_mtime > 24 * 3600
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's live process
        return False
    return False


def sweep_stale(folder, name):
    """Remove the temporary files and staging folders for ``name`` in ``folder`` left by dead processes.

    Returns the paths removed.
    """
    removed = []
    for p in Path(folder).glob(f".{glob.escape(name)}.*"):
        m = _TEMP.match(p.name) or _STAGING.match(p.name)
        if m is None or not p.name.startswith(f".{name}.") or not _stale(p, int(m.group(1))):
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        removed.append(p)
    return removed


@contextlib.contextmanager
def terminate_cleanly():
    """While active (in the main thread), SIGTERM raises ``SystemExit(143)`` instead of killing outright.

    So ``finally`` blocks run: :func:`atomic_path` removes its temporary file
    and :func:`staged_folder` its staging folder. Elsewhere a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@contextlib.contextmanager
def staged_folder(out_dir):
    """Yield a hidden staging folder beside ``out_dir``; on success move its files into ``out_dir``.

    On any failure (also SIGTERM inside :func:`terminate_cleanly`) the staging
    folder is removed and ``out_dir`` is left exactly as it was (not even
    created). Files already in ``out_dir`` that the run did not write stay.
    Stale staging folders and temporary files of dead processes are swept first.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(out.parent, out.name)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging.{os.getpid()}.", dir=out.parent))
    try:
        yield staging
        if not out.exists():
            os.chmod(staging, 0o777 & ~_umask())
            os.replace(staging, out)
            return
        for f in sorted(p for p in staging.rglob("*") if p.is_file()):
            target = out / f.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def workbook_bytes(sheets, *, timestamp=None):
    """An .xlsx workbook of ``{sheet name: DataFrame}``, the same bytes for the same frames.

    Text cells starting with ``=``, ``+``, ``-`` or ``@`` are stored as text
    (quote prefix), never as a formula. The zip entries and the document's
    created/modified properties carry ``timestamp`` (a ``datetime``; default
    :data:`FIXED_TIME`).
    """
    import datetime as dt

    import pandas as pd

    when = timestamp or dt.datetime(*FIXED_TIME)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
            for row in xl.book[name].iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
                        cell.data_type = "s"
                        cell.quotePrefix = True
        xl.book.properties.creator = "Doorlopende Lijn"
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp.encode() + rb"\g<3>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return out.getvalue()
