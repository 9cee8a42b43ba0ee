"""National scale: `doorlopende-lijn demo`, `kaart` and `matching` for the whole country, a province and the U16 replay.

Goals (issue 12): `demo --regio NL --jaar 2025` under 60 s and under 2 GB peak
resident memory on 2 cores; the U16 replay no slower than about 4 s. Each
case runs the command line (``toolkit.cli.main``) offline in a fresh process
and prints, for that process:

- wall time and peak RSS;
- imports: the seconds to import the command line and the modules the
  command uses (listed in ``MODULES``), before it runs; ``later imports``
  are the seconds still spent in ``import`` statements while it ran (near 0
  when ``MODULES`` is complete);
- the scenario stages (``toolkit.scenario.stage_seconds``: national, targets,
  households, supply, matching, indicators), so the solver's share shows;
- for ``demo``, the seconds of each of its numbered steps (the lines it prints;
  ``[1/6] samenwerking`` is the part of step 1 after the scenario itself: the
  pooling draws, ``toolkit.scenario.pooling_draws``).

The machine load (``uptime``) is printed before and after each case: the
machine is shared, so timings move with it. A case that fails, or runs
longer than ``TIMEOUT`` seconds, prints its error line instead of figures.

``DL_BENCH_SMOKE=1``: small cases for a quick check that the benchmark runs
(``info`` and a U10 ``matching`` instead of the national cases).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMOKE = os.environ.get("DL_BENCH_SMOKE") == "1"
TIMEOUT = 1800

_SCENARIO = ["toolkit.scenario", "toolkit.forecast", "toolkit.taakstelling", "toolkit.households", "toolkit.matching",
             "toolkit.benefits"]
_MAPS = ["toolkit.export", "toolkit.maps", "toolkit.boundaries", "toolkit.capacity", "matplotlib.figure",
         "matplotlib.backends.backend_agg"]
#: Modules each command uses, imported (and timed) before it runs.
MODULES = {
    "info": ["toolkit.summary"],
    "matching": _SCENARIO,
    "kaart": _SCENARIO[:3] + _MAPS,
    "demo": _SCENARIO + _MAPS + ["toolkit.demo", "toolkit.demand", "toolkit.integration", "toolkit.report",
                                 "toolkit.registry", "openpyxl"],
}

# The child process: times the imports, runs the command, prints one line of figures (after "@@").
_CHILD = r"""
import builtins, importlib, io, json, resource, sys, time
start = time.perf_counter()
import toolkit.cli
for name in sys.argv[1].split(","):
    importlib.import_module(name)
imports = time.perf_counter() - start
later, depth, real_import = [0.0], [0], builtins.__import__
def timed_import(*args, **kwargs):
    if depth[0]:
        return real_import(*args, **kwargs)
    depth[0], t = 1, time.perf_counter()
    try:
        return real_import(*args, **kwargs)
    finally:
        depth[0] = 0
        later[0] += time.perf_counter() - t
builtins.__import__ = timed_import
steps, out = [], sys.stdout
class Lines(io.TextIOBase):
    def write(self, text):
        for line in text.splitlines():
            if line.startswith("[") and "/" in line.split("]")[0]:
                steps.append((line.split("]")[0] + "]", time.perf_counter()))
            elif line.startswith("      ") and line.strip() and steps:  # a part of a step (the pooling draws)
                steps.append((steps[-1][0] + " " + line.split()[0], time.perf_counter()))
        return len(text)
sys.stdout = Lines()
run_start = time.perf_counter()
code = toolkit.cli.main(sys.argv[2:])
end = time.perf_counter()
sys.stdout = out
from toolkit import scenario
marks = [("start", run_start)] + steps + [("end", end)]
demo_steps = [(a[0], b[1] - a[1]) for a, b in zip(marks[1:-1], marks[2:])]
print("@@" + json.dumps({"code": code, "imports": imports, "later_imports": later[0], "run": end - run_start,
                         "stages": scenario.stage_seconds(), "steps": demo_steps,
                         "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CASES = [
    ("U16 replay (2016, 2017-I)", ["demo"]),
    ("provincie Utrecht 2025", ["demo", "--regio", "PV26", "--jaar", "2025"]),
    ("Nederland 2025", ["demo", "--regio", "NL", "--jaar", "2025"]),
    ("kaart Nederland 2025", ["kaart", "--regio", "NL", "--jaar", "2025"]),
    ("matching Nederland 2025", ["matching", "--regio", "NL", "--jaar", "2025", "--periode", "2025-II"]),
]
SMOKE_CASES = [
    ("U16 info", ["info"]),
    ("provincie Utrecht info 2025", ["info", "--regio", "PV26", "--jaar", "2025"]),
    ("matching U10 solo", ["matching", "--regio", "U10", "--schalen", "solo"]),
]


def _load():
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average n/a"


def run_case(args, out):
    """Run one command in a fresh process: (wall seconds, figures dict or None, error line)."""
    import json

    cmd = list(args) + (["--out", str(out), "--datum", "2016-10-04"] if args[0] in ("demo", "kaart") else [])
    env = {**os.environ, "DOORLOPENDE_LIJN_OFFLINE": "1"}
    start = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-c", _CHILD, ",".join(MODULES[args[0]]), *cmd], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None, f"stopped after {TIMEOUT} s"
    wall = time.perf_counter() - start
    line = next((x for x in r.stdout.splitlines() if x.startswith("@@")), None)
    figures = json.loads(line[2:]) if line else None
    if figures is None or figures["code"] != 0:
        error = next((x for x in r.stderr.splitlines() if "error:" in x), r.stderr.strip()[-300:])
        return wall, None, error
    return wall, figures, ""


def _report(label, args, wall, f):
    stages = ", ".join(f"{k} {v:.2f}" for k, v in f["stages"].items() if v > 0) or "-"
    print(f"{label:30s} {wall:7.2f} s wall   peak RSS {f['rss_mib']:6.0f} MiB   ({' '.join(args)})")
    print(f"{'':30s} imports {f['imports']:.2f} s, run {f['run']:.2f} s (later imports {f['later_imports']:.2f} s)")
    print(f"{'':30s} scenario stages (s): {stages}")
    if f["steps"]:
        print(f"{'':30s} demo steps (s): " + ", ".join(f"{name} {sec:.2f}" for name, sec in f["steps"]))


def main():
    cases = SMOKE_CASES if SMOKE else CASES
    print(f"national_scale: {os.cpu_count()} cores, {_load()}" + (" (smoke: DL_BENCH_SMOKE=1)" if SMOKE else ""))
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, args) in enumerate(cases):
            wall, figures, error = run_case(args, Path(tmp) / f"out{i}")
            if figures is not None:
                _report(label, args, wall, figures)
            else:
                print(f"{label:30s} niet gelukt ({wall:.1f} s): {error}")
            print(f"{'':30s} {_load()}")
    print(f"goals: NL 2025 < 60 s and < 2048 MiB; U16 replay about 4 s or less; {_load()}")


if __name__ == "__main__":
    main()
