"""Every benchmark runs: a smoke run of each ``benchmarks/*.py`` with ``DL_BENCH_SMOKE=1`` (tiny sizes).

Checks that it exits 0 and prints figures; never asserts on timings (benchmarks print those).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted((ROOT / "benchmarks").glob("*.py"))


def test_there_are_benchmarks():
    assert {"demo_wall.py", "map_export.py", "household_model.py"} <= {b.name for b in BENCHMARKS}


@pytest.mark.parametrize("script", BENCHMARKS, ids=[b.stem for b in BENCHMARKS])
def test_benchmark_smoke_run(script, tmp_path):
    if "DL_BENCH_SMOKE" not in script.read_text(encoding="utf-8"):
        # A full run takes minutes on a shared 2-core machine; it runs again here once it has a smoke size.
        pytest.skip(f"{script.name} does not honour DL_BENCH_SMOKE=1 yet (no small sizes)")
    env = {**os.environ, "DL_BENCH_SMOKE": "1", "DOORLOPENDE_LIJN_OFFLINE": "1", "MPLBACKEND": "Agg"}
    r = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)  # generous: the machine may be loaded; the benchmarks print their own times
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    figures = [line for line in r.stdout.splitlines() if re.search(r"\d", line)]
    assert figures, f"{script.name} printed no figures:\n{r.stdout}"
