"""Safe writing: atomic files, staged folders, stale temp files swept, SIGTERM, reproducible workbooks."""

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import openpyxl
import pandas as pd
import pytest

from toolkit import _files

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def _dead_pid():
    """A process id that is certainly not running: a child that has exited and been reaped."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_atomic_write_replaces_or_leaves_the_old_file(tmp_path):
    target = tmp_path / "a" / "t.csv"
    _files.atomic_write(target, "x\n1\n")
    assert target.read_text() == "x\n1\n"

    def broken(f):
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _files.atomic_write(target, broken)
    assert target.read_text() == "x\n1\n"
    assert [p.name for p in target.parent.iterdir()] == ["t.csv"]  # no temp file left


def test_stale_temp_files_of_dead_processes_are_swept_on_the_next_write(tmp_path):
    dead, live = _dead_pid(), os.getpid()
    stale = tmp_path / f".t.csv.{dead}.abc123.tmp"
    running = tmp_path / f".t.csv.{live}.def456.tmp"  # a write in progress in a live process
    other = tmp_path / f".u.csv.{dead}.ghi789.tmp"  # another target: swept when that one is written
    for p in (stale, running, other):
        p.write_text("half")
    _files.atomic_write(tmp_path / "t.csv", "ok")
    assert not stale.exists() and running.exists() and other.exists()


def test_staged_folder_moves_everything_or_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "eigen.txt").write_text("van de gebruiker")
    (out / "rapport.html").write_text("oud")
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(RuntimeError):
        with _files.staged_folder(out) as stage:
            _files.atomic_write(stage / "rapport.html", "nieuw")
            _files.atomic_write(stage / "tabellen" / "a.csv", "x")
            raise RuntimeError("halfway")
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left
    with _files.staged_folder(out) as stage:
        _files.atomic_write(stage / "rapport.html", "nieuw")
        _files.atomic_write(stage / "tabellen" / "a.csv", "x")
    assert (out / "rapport.html").read_text() == "nieuw" and (out / "tabellen" / "a.csv").read_text() == "x"
    assert (out / "eigen.txt").read_text() == "van de gebruiker"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_run_into_a_new_folder_creates_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with _files.staged_folder(tmp_path / "nieuw") as stage:
            _files.atomic_write(stage / "a.csv", "x")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_stale_staging_folder_is_swept(tmp_path):
    stale = tmp_path / f".out.staging.{_dead_pid()}.abc"
    (stale / "tabellen").mkdir(parents=True)
    (stale / "tabellen" / "a.csv").write_text("x")
    with _files.staged_folder(tmp_path / "out") as stage:
        _files.atomic_write(stage / "b.csv", "y")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_sigterm_removes_the_staging_folder_and_temp_file(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        from toolkit import _files
        with _files.terminate_cleanly(), _files.staged_folder({str(tmp_path / "out")!r}) as stage:
            _files.atomic_write(stage / "klaar.csv", "x")
            def slow(f):
                f.write(b"half")
                print("writing", flush=True)
                time.sleep(60)
            _files.atomic_write(stage / "traag.csv", slow)
    """)
    with subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True) as p:
        assert p.stdout.readline().strip() == "writing"
        assert any(q.name.startswith(".out.staging.") for q in tmp_path.iterdir())
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_terminate_cleanly_restores_the_previous_handler():
    before = signal.getsignal(signal.SIGTERM)
    with _files.terminate_cleanly():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


SHEETS = {"tabel": pd.DataFrame({"naam": ["=1+1", "+31 6", "-x", "@SUM(A1)", "Utrecht"], "n": [1, 2, 3, 4, 5]})}


def test_workbook_is_the_same_bytes_every_time():
    first = _files.workbook_bytes(SHEETS)
    time.sleep(2.1)  # zip timestamps have a resolution of two seconds
    assert _files.workbook_bytes(SHEETS) == first
    stamp = pd.Timestamp("2016-10-04")
    dated = _files.workbook_bytes(SHEETS, timestamp=stamp)
    with zipfile.ZipFile(io.BytesIO(dated)) as z:
        assert {i.date_time for i in z.infolist()} == {(2016, 10, 4, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert core.count("2016-10-04T00:00:00Z") == 2  # created and modified


def test_text_that_looks_like_a_formula_stays_text():
    wb = openpyxl.load_workbook(io.BytesIO(_files.workbook_bytes(SHEETS)))
    cells = [c for c in wb["tabel"]["A"][1:]]
    assert [c.value for c in cells] == ["=1+1", "+31 6", "-x", "@SUM(A1)", "Utrecht"]
    assert {c.data_type for c in cells} == {"s"}
    assert [c.quotePrefix for c in cells] == [True, True, True, True, False]
    with zipfile.ZipFile(io.BytesIO(_files.workbook_bytes(SHEETS))) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    assert [c.value for c in wb["tabel"]["B"][1:]] == [1, 2, 3, 4, 5]
