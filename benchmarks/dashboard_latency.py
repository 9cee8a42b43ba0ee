"""Dashboard latency (Python side): time from a control change to updated figures and map data.

Run: ``.venv/bin/python benchmarks/dashboard_latency.py [--changes 50] [--regions U16:2016,PV26:2025,NL:2025]``.
Prints figures; asserts nothing. ``DL_BENCH_SMOKE=1`` makes a tiny run (a few changes, no national
instance). The browser's share is measured by ``benchmarks/dashboard_browser.py`` (Chromium through Voilà).

Every region of ``--regions`` (default the U16 only): the callback of a change the cache has not
seen (a new solve every change), Stelling 1 visible, as wall time and as the process's CPU time
(steadier than the wall time on a shared machine), median over ``--changes`` changes.

U16 (goal: median under 300 ms until the visible figures are updated): the
widget callback runs synchronously when a control's value is set, so the time
to set a value is the time until the headline and the visible view (Stelling
1: chart and the map data pushed to the page, which is loaded once) are
updated. Measured without the result cache (every change recomputes), for
single moves from the reference after :meth:`Dashboard.precompute` solved the
sweep, and for the back-and-forth of a facilitator with the cache. The
callback time is split into the scenario engine (``toolkit.scenario.run``) and
the map data (``dashboard.map_payload``).

The whole country through the dashboard: ``--regions NL:2025`` (342
municipalities, the shipped national data). The synthetic national instance
below is solved through ``toolkit.matching`` directly (generator of
``benchmarks/matching_scale.py``: 390 municipalities as in 2016, households
synthetic, one pool), where one control change (the reserve share) means a
new solve plus the per-municipality table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from toolkit import dashboard, scenario  # noqa: E402
from toolkit.matching import MatchingModel  # noqa: E402


def _changes(n):
    """``n`` control changes, each to a value not used before (so no result is reused)."""
    out = []
    for i in range(n):
        k = i % 5
        if k == 0:
            out.append(("reserve", round(0.05 * (1 + (i // 5) % 9), 2)))
        elif k == 1:
            out.append(("extra_dwellings", 1 + i))
        elif k == 2:
            out.append(("recognition_rate", round(0.5 + 0.025 * ((i // 5) % 16), 3)))
        elif k == 3:
            out.append(("share_singles_sharing", round(0.05 * (1 + (i // 5) % 19), 2)))
        else:
            out.append(("scope", ("U10", "solo", "U16")[(i // 5) % 3]))
    return out


def _stats(times):
    ms = np.array(times) * 1000
    return f"median {np.median(ms):6.0f} ms   p90 {np.percentile(ms, 90):6.0f} ms   max {ms.max():6.0f} ms   (n={len(ms)})"


def _callback_times(app, changes):
    times = []
    for name, value in changes:
        t0 = time.perf_counter()
        app.controls[name].value = value
        times.append(time.perf_counter() - t0)
        if app.status.value:
            raise RuntimeError(f"change {name}={value!r} was rejected: {app.status.value}")
    return times


def uncached(region, year, n_changes):
    """The callback of ``n_changes`` changes not seen before in ``region``/``year`` (Stelling 1 visible)."""
    scenario.clear_cache()  # nothing from an earlier measurement; the reference's stages are cached as in the app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = dashboard.Dashboard(region=region, year=year, out_dir="out/raad", show_map=True, cache_size=0)
    wall, cpu = [], []
    for name, value in _changes(n_changes):
        t0, c0 = time.perf_counter(), time.process_time()
        app.controls[name].value = value
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if app.status.value:
            raise RuntimeError(f"change {name}={value!r} was rejected: {app.status.value}")
    load = os.getloadavg()[0]
    print(f"{region} {year}: callback of a new solve, Stelling 1 visible: {_stats(wall)};   "
          f"CPU median {1000 * np.median(cpu):.0f} ms   (load {load:.2f})")


def u16(n_changes, *, smoke=False):
    print(f"U16 (2016 division), {n_changes} control changes; goal: median < 300 ms")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = dashboard.Dashboard(region="U16", year=2016, out_dir="out/raad", show_map=True, cache_size=0)
    changes = _changes(n_changes)
    print("  callback, Stelling 1 visible (figures + chart + map data), no cache:   " + _stats(_callback_times(app, changes)))

    engine, data = [], []
    base = app.settings
    for name, value in _changes(3 * n_changes)[2 * n_changes:]:  # values not used yet: no stage is cached
        t0 = time.perf_counter()
        r = scenario.run(base, **{name: app._scope_value(value) if name == "scope" else value})
        t1 = time.perf_counter()
        dashboard.map_payload(r, boundaries=app._boundaries)
        engine.append(t1 - t0)
        data.append(time.perf_counter() - t1)
    print("  of which: scenario engine (scenario.run, stages cached by input):     " + _stats(engine))
    print("            map data (dashboard.map_payload):                           " + _stats(data))
    if smoke:
        return
    app.tabs.selected_index = 1
    print("  callback, Stelling 2 visible (figures + chart), no cache:              "
          + _stats(_callback_times(app, _changes(2 * n_changes)[n_changes:])))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = dashboard.Dashboard(region="U16", year=2016, out_dir="out/raad", show_map=True, cache_size=16)
    todo = warm.sweep_settings()
    if n_changes < 10:
        todo = [s for s in todo if s.reserve != warm.reference.settings.reserve][:n_changes]
    t0 = time.perf_counter()
    warm.precompute(background=False, settings=todo)
    print(f"  sweep of single controls from the reference: {len(todo)} settings solved in "
          f"{time.perf_counter() - t0:.1f} s (in a background thread in the app)")
    moves = []
    for s in todo:  # controls that map one to one on a setting (nareizigers needs its checkbox too)
        name = next((f for f in ("recognition_rate", "share_singles_sharing", "reserve", "extra_dwellings",
                                 "final_size_dwellings", "inflow", "scope")
                     if getattr(s, f) != getattr(warm.reference.settings, f)), None)
        if name is None:
            continue
        value = dashboard._scope_key(s.scope) if name == "scope" else getattr(s, name)
        moves += [(name, value), (name, warm.controls[name].value)]  # there and back to the reference
        if len(moves) >= 2 * max(n_changes, 1):
            break
    print("  callback, one control moved from the reference and back (swept):     " + _stats(_callback_times(warm, moves)))

    cached = warm
    back_and_forth = [("scope", ("U10", "U16", "solo")[i % 3]) for i in range(n_changes)]
    _callback_times(cached, back_and_forth[:3])  # fill the cache once
    print("  callback, scope back and forth, with the result cache:                " + _stats(_callback_times(cached, back_and_forth)))


def national(n_households, n_changes, m=390):
    from matching_scale import national_arrays

    if n_changes < 1:
        return
    arrays, _ = national_arrays(n=n_households, m=m, seed=1)
    supply = arrays["supply"]
    times, methods = [], set()
    for i in range(n_changes):
        reserve = 0.02 * (i % 25)
        a = dict(arrays, supply=supply - np.floor(supply * reserve).astype(supply.dtype))
        t0 = time.perf_counter()
        model = MatchingModel.from_arrays(**a).solve()
        table = model.municipalities_
        times.append(time.perf_counter() - t0)
        methods.add(model.method_)
    print(f"National size (synthetic): {n_households:,} households x {m} municipalities x 4 size classes, one pool; "
          f"reserve changed {n_changes} times")
    print(f"  solve + per-municipality table ({len(table)} rows): " + _stats(times) + f"   method {sorted(methods)}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--changes", type=int, default=50, help="control changes per measurement (default 50)")
    p.add_argument("--national-small-changes", type=int, default=5,
                   help="changes for the 5,000-household national instance (each is a MILP solve of seconds)")
    p.add_argument("--regions", default="U16:2016",
                   help="REGION:YEAR,... whose uncached changes are timed (default U16:2016), e.g. U16:2016,PV26:2025,NL:2025")
    p.add_argument("--regions-only", action="store_true", help="only the uncached changes of --regions")
    args = p.parse_args(argv)
    print(f"machine: load {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min) on {os.cpu_count()} cores")
    if os.environ.get("DL_BENCH_SMOKE") == "1":
        u16(2, smoke=True)
        uncached("U16", 2016, 2)
        return
    for item in args.regions.split(","):
        region, _, year = item.partition(":")
        uncached(region.strip(), int(year or 2016), args.changes)
    if args.regions_only:
        return
    u16(args.changes)
    national(15_000, args.changes)
    national(5_000, args.national_small_changes)
    print(f"machine after: load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
