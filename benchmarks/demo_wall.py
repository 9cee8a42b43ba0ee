"""`make demo` after installation: wall time and peak memory of `doorlopende-lijn demo`.

Goal (issue 6): under 60 s on 2 cores. Runs the console script three times in
a fresh process each (offline), prints each wall time, the median and the
largest peak resident memory of the child processes, beside the machine load.
``DL_BENCH_SMOKE=1`` runs it once (the smoke run of ``tests/test_benchmarks.py``).
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "doorlopende-lijn"


def main(runs=None):
    runs = runs or (1 if os.environ.get("DL_BENCH_SMOKE") == "1" else 3)
    times = []
    env = {**os.environ, "DOORLOPENDE_LIJN_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            out = Path(tmp) / f"out{i}"
            start = time.perf_counter()
            subprocess.run([str(EXE), "demo", "--out", str(out), "--datum", "2016-10-04"], cwd=ROOT, env=env,
                           check=True, capture_output=True)
            times.append(time.perf_counter() - start)
            print(f"run {i + 1}: {times[-1]:.2f} s wall, {len(list(out.rglob('*.*')))} files")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"doorlopende-lijn demo: median {statistics.median(times):.2f} s wall over {runs} run(s) (goal < 60 s), "
          f"peak RSS {peak_mib:.0f} MiB, {os.cpu_count()} cores, load average {load}")


if __name__ == "__main__":
    main()
