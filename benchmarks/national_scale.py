"""National scale: `doorlopende-lijn demo` for the whole country, a province and the U16 replay.

Goals (issue 12): `demo --regio NL --jaar 2025` under 60 s and under 2 GB peak
resident memory on 2 cores; the U16 replay no slower than about 4 s. Each
case runs the console script offline in a fresh process; the script prints
wall time and the peak RSS of that process, and the machine load (the
machine is shared, so timings move with it). A case that fails prints its
error line instead of figures.

``DL_BENCH_SMOKE=1``: tiny sizes for a quick check that the benchmark runs
(``info`` instead of ``demo``, one run each).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "doorlopende-lijn"
SMOKE = os.environ.get("DL_BENCH_SMOKE") == "1"

# a wrapper process runs the command and reports the peak RSS of its child (Linux: KiB)
_MEASURE = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.stderr.write(r.stderr[-2000:])\n"
)

CASES = [
    ("U16 replay (2016, 2017-I)", ["demo"]),
    ("provincie Utrecht 2025", ["demo", "--regio", "PV26", "--jaar", "2025"]),
    ("Nederland 2025", ["demo", "--regio", "NL", "--jaar", "2025"]),
]
SMOKE_CASES = [
    ("U16 info", ["info"]),
    ("provincie Utrecht info 2025", ["info", "--regio", "PV26", "--jaar", "2025"]),
]


def _load():
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average n/a"


def run_case(args, out):
    cmd = [str(EXE), *args] + (["--out", str(out)] if args[0] == "demo" else [])
    env = {**os.environ, "DOORLOPENDE_LIJN_OFFLINE": "1"}
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    code, rss_kib = (int(x) for x in r.stdout.split()[:2])
    error = next((line for line in r.stderr.splitlines() if "error:" in line), r.stderr.strip()[-300:])
    return wall, rss_kib / 1024, code, error


def main():
    cases = SMOKE_CASES if SMOKE else CASES
    print(f"national_scale: {os.cpu_count()} cores, {_load()}" + (" (smoke: DL_BENCH_SMOKE=1)" if SMOKE else ""))
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, args) in enumerate(cases):
            wall, rss, code, error = run_case(args, Path(tmp) / f"out{i}")
            if code == 0:
                print(f"{label:32s} {wall:7.2f} s wall   peak RSS {rss:6.0f} MiB   ({' '.join(args)})")
            else:
                print(f"{label:32s} niet gelukt (exit {code}, {wall:.1f} s): {error}")
    print(f"goals: NL 2025 < 60 s and < 2048 MiB; U16 replay about 4 s or less; {_load()}")


if __name__ == "__main__":
    main()
