"""Dashboard latency: time from a control change to updated figures and map data.

Run: ``.venv/bin/python benchmarks/dashboard_latency.py [--changes 50]``. Prints figures; asserts nothing.

U16 (goal: median under 150 ms): the widget callback runs synchronously when a
control's value is set, so the time to set a value is the time until the
headline, the scope table and the visible tab (Stelling 1: chart and map) are
updated. Measured without the result cache (every change recomputes) and, for
the typical back-and-forth of a facilitator, with it. The callback time is
split into the scenario engine (``toolkit.scenario.run``), the map data
(``dashboard.map_data``) and the map page (``build_map`` + ``render_html``).

National size: the shipped data hold 19 municipalities (the 2016 U16 plus the
2019 codes) and housing stock for the U16 only, so the scenario engine cannot
run nationally. The national figure is a synthetic instance solved through
``toolkit.matching`` directly (generator of ``benchmarks/matching_scale.py``:
390 municipalities as in 2016, households synthetic), where one control change
(the reserve share) means a new solve plus the per-municipality table.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from toolkit import dashboard, scenario  # noqa: E402
from toolkit.export import render_html  # noqa: E402
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


def u16(n_changes):
    print(f"U16 (2016 division), {n_changes} control changes; goal: median < 150 ms")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = dashboard.Dashboard(region="U16", year=2016, out_dir="out/raad", show_map=True, cache_size=0)
    changes = _changes(n_changes)
    print("  callback, Stelling 1 visible (figures + chart + map page), no cache:  " + _stats(_callback_times(app, changes)))
    app.tabs.selected_index = 1
    print("  callback, Stelling 2 visible (figures + chart), no cache:             " + _stats(_callback_times(app, changes)))

    engine, data, page = [], [], []
    base = app.settings
    for name, value in changes:
        t0 = time.perf_counter()
        r = scenario.run(base, **{name: app._scope_value(value) if name == "scope" else value})
        t1 = time.perf_counter()
        dashboard.map_data(r)
        t2 = time.perf_counter()
        render_html(dashboard.build_map(r, boundaries=app._boundaries, basemap=None), council=False, basemap=None)
        t3 = time.perf_counter()
        engine.append(t1 - t0)
        data.append(t2 - t1)
        page.append(t3 - t2)
    print("  of which: scenario engine (scenario.run):                             " + _stats(engine))
    print("            map data (dashboard.map_data):                              " + _stats(data))
    print("            map page (build_map + render_html, for the iframe):         " + _stats(page))
    figures = [e + d for e, d in zip(engine, data)]
    print("  figures and map data (engine + map data):                             " + _stats(figures))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cached = dashboard.Dashboard(region="U16", year=2016, out_dir="out/raad", show_map=True, cache_size=16)
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
    args = p.parse_args(argv)
    u16(args.changes)
    national(15_000, args.changes)
    national(5_000, args.national_small_changes)


if __name__ == "__main__":
    main()
