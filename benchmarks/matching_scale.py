"""Matching at U16 and national scale: the rules a municipality knows next to the optimum, timed.

Run: ``.venv/bin/python benchmarks/matching_scale.py``. Prints figures; asserts nothing.
``DL_BENCH_SMOKE=1``: tiny sizes (a smoke run of a few seconds).

Side by side, on the same households, dwellings and targets:

- ``huidige praktijk``: every municipality alone, households linked blind to
  dwellings (largest remaining target, arrival order) and housed in the order
  COA offers them (``toolkit.matching.practice_model``);
- ``volgorde COA``: the same rule in the pool (own municipality first);
- ``grootste eerst``: the largest household (final size) first, in the pool;
- ``optimum``: the lexicographic solve (``toolkit.matching.PRIORITIES``).

The gain of the optimum is reported against the BEST rule. Every optimum is
timed pool by pool (``solve()``, the default) and, as before, with all pools
as one problem (``solve(decompose=False)``); the two must give the same
priorities (a mismatch is printed).

Instances: the U16 one is synthetic households on the shipped 2016 U16 targets
and housing-stock estimate; the scenario's own U16 instance (``scenario.run()``,
2016, the dashboard's) per scope and with a reserve. The national one is the
scenario for all 342 municipalities of 2025 (``Settings(region="NL",
year=2025)``) with the national target of 2025-II read from the shipped
taakstelling table (``taakstelling.national_target``): its households,
dwellings and targets, solved solo, with U10 and U16 pooled (the demo's
scopes), pooled per province (``load_municipalities``), as one national pool
with linking and as one national pool without linking (households by
need only, no sharing).
"""

from __future__ import annotations

import copy
import os
import resource
import subprocess
import time

import numpy as np
import pandas as pd

from toolkit import scenario
from toolkit.data import load_municipalities
from toolkit.matching import MatchingModel, MatchingParams, practice_model, supply_from_stock
from toolkit.taakstelling import municipal_targets, national_target

SMOKE = os.environ.get("DL_BENCH_SMOKE") == "1"


def synthetic_households(n, seed):
    rng = np.random.default_rng(seed)
    adults = rng.choice([1, 2], n, p=[0.6, 0.4])
    children = rng.choice([0, 1, 2, 3, 4], n, p=[0.45, 0.15, 0.2, 0.12, 0.08])
    size = adults + children
    later = rng.choice([0, 1, 2], n, p=[0.75, 0.15, 0.1])
    return pd.DataFrame({
        "household_id": [f"H{i:06d}" for i in range(n)], "size": size, "adults": adults,
        "children": children, "final_size": size + later,
    })


def u16_instance(n=1000, seed=0):
    h = synthetic_households(n, seed)
    t = municipal_targets(13000, year=2016, region="U16").drop(columns="period")
    # scale the targets to the generated persons (final size) so the region has a full task
    t["target"] = t["target"] * h["final_size"].sum() / t["target"].sum()
    t = t.drop(columns="target_int")
    s = supply_from_stock(share_permit_holders=0.30)  # the shipped stock is national: keep the U16
    s = s[s["code"].isin(t["code"])].reset_index(drop=True)
    return h, s, t


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def row(label, model, seconds=None):
    s = model.summary_
    t = "" if seconds is None else f"  {seconds:7.2f} s"
    return (f"  {label:<18} personen {int(s['persons_housed']):>6}  huishoudens {int(s['households_housed']):>5}  "
            f"wachtend {int(s['households_waiting']):>5}  buiten gekoppeld {int(s['households_outside']):>4}  "
            f"grootste tekort {100 * s['max_shortfall']:5.1f} %  lege bedplaatsen {int(s['under_occupation']):>5}{t}")


def rules(optimum, practice):
    """The three rules and the optimum, and the gain over the best rule."""
    out = {"huidige praktijk": timed(lambda: practice), "volgorde COA": timed(lambda: copy.copy(optimum).solve(method="arrival")),
           "grootste eerst": timed(lambda: copy.copy(optimum).solve(method="largest_first"))}
    for label, (sec, mdl) in out.items():
        print(row(label, mdl, sec))
    print(row("optimum", optimum))
    best = max(out, key=lambda k: (out[k][1].summary_["persons_housed"], out[k][1].summary_["households_housed"]))
    b = out[best][1].summary_
    print(f"  winst van het optimum op de beste vuistregel ({best}): "
          f"{int(optimum.summary_['persons_housed'] - b['persons_housed']):+d} personen, "
          f"{int(optimum.summary_['households_housed'] - b['households_housed']):+d} huishoudens")


def u16():
    n = 80 if SMOKE else 1000
    print(f"U16: {n:,} households x 16 municipalities x 4 size classes (synthetic households, 2016 targets)")
    h, s, t = u16_instance(n)
    build, model = timed(lambda: MatchingModel.from_frames(h, s, t, scope="U16"))
    one, _ = timed(lambda: copy.copy(model).solve(decompose=False))
    solve, model = timed(model.solve)
    print(f"  dwellings offered {int(s['dwellings'].sum())}, persons (final size) {int(h['final_size'].sum())}")
    print(f"  from_frames {build:.2f} s; lexicographic solve {solve:.2f} s (as one problem {one:.2f} s; {' | '.join('+'.join(g) for g in model.groups_)}); "
          f"gap {model.gap_:.1e}")
    rules(model, practice_model(model))
    if not SMOKE:
        rng_time, rng = timed(model.persons_range)
        open_ = rng[rng["persons_min"] < rng["persons_max"]]
        print(f"  per municipality over equal optima ({rng_time:.1f} s): {len(open_)} of {len(rng)} municipalities not "
              "fixed by the priorities" + (": " + ", ".join(f"{r.name} {r.persons_min}-{r.persons_max}" for r in open_.itertuples())
                                           if len(open_) else ""))


def before_after(label, model, *, one=True):
    """Solve pool by pool and (with ``one``) as one problem; print both times and whether the priorities agree."""
    sec, model = timed(model.solve)
    if not one:
        print(f"  {label:<34} per pool {sec:6.2f} s   as one problem: not run (over 8 minutes at load 5)")
        return model
    one_sec, one = timed(lambda: copy.copy(model).solve(decompose=False))
    same = np.allclose(model.priorities_["cost"], one.priorities_["cost"], atol=1e-6)
    print(f"  {label:<34} per pool {sec:6.2f} s   as one problem {one_sec:6.2f} s"
          + ("" if same else f"   PRIORITIES DIFFER: {model.priorities_['cost'].tolist()} vs {one.priorities_['cost'].tolist()}"))
    return model


def _inputs(result):
    return (result.households, result.supply[["code", "size_class", "dwellings"]], result.targets)


def _model(result, scope, region, year):
    r = result.settings
    return MatchingModel.from_frames(*_inputs(result), scope=scope, region=region, year=year,
                                     use_final_size=r.final_size_dwellings, sharing=int(r.max_adults_sharing),
                                     reserve=float(r.reserve))


def u16_scenario():
    """The scenario's U16 instance (2016) per scope, and a reserve change as on the dashboard."""
    sec, result = timed(lambda: scenario.run(cache=False))
    print(f"U16 scenario (2016, the dashboard's): scenario.run {sec:.2f} s; {len(result.households):,} households")
    for scope in ("solo", "U10", "U16"):
        before_after(f"scope {scope}", _model(result, scope, "U16", 2016))
    m = _model(result, "U16", "U16", 2016)
    m.params = MatchingParams.build(m.params, reserve=0.1)
    before_after("scope U16, reserve 10 %", m)


def national():
    region, year = ("U16", 2016) if SMOKE else ("NL", 2025)
    target = float(national_target("2025-II")["target"].item())
    if SMOKE:
        target = 1_000
    settings = scenario.Settings(region=region, year=year, national_target=target)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sec, result = timed(lambda: scenario.run(settings, cache=False))
    hh = result.households
    print(f"National: {region} {year}, {len(result.targets)} gemeenten; national target {target:,.0f} (2025-II, "
          f"taakstelling.national_target); {len(hh):,} households, {int(hh['final_size'].sum()):,} persons (final size), "
          f"{int(result.supply['dwellings'].sum()):,} dwellings; scenario.run (solo, U10, U16 with the rules) {sec:.2f} s")
    solo = before_after("solo", _model(result, "solo", region, year))
    for scope in ("U10", "U16"):
        before_after(f"{scope} pooled, the rest solo", _model(result, scope, region, year))
    mun = load_municipalities().drop_duplicates("code").set_index("code")["province"]
    province = mun.reindex(list(solo.scope.codes)).fillna("?").to_numpy()
    per_province = copy.copy(solo)
    per_province.blocks = pd.factorize(province)[0]
    per_province = before_after(f"pooled per province ({len(set(province))})", per_province, one=SMOKE)
    pool = _model(result, list(solo.scope.codes), region, year)
    sec, pool = timed(pool.solve)
    print(f"  {'one pool, linked':<34} per pool {sec:6.2f} s ({' | '.join('+'.join(g) for g in pool.groups_)}); "
          "as one problem: not run (over 12 minutes before)")
    # no linking: households by need only (no sharing), every municipality open to every household
    need = (hh["final_size"] if result.settings.final_size_dwellings else hh["size"]).to_numpy()
    keys, inverse = np.unique(need, return_inverse=True)
    free = MatchingModel.from_arrays(keys, keys, np.bincount(inverse.ravel()), None, pool.supply, pool.targets,
                                     class_min=pool.class_min, class_max=pool.class_max, class_names=pool.class_names,
                                     unit_type=inverse.ravel(), params=MatchingParams(reserve=float(result.settings.reserve)))
    sec, free = timed(free.solve)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {'one pool, no linking':<34} {sec:6.2f} s; peak RSS {rss1:.0f} MiB (before the national part {rss0:.0f} MiB)")
    practice = practice_model(solo)
    for label, mdl in (("every municipality alone", solo), ("pooled per province", per_province),
                       ("one national pool, linked", pool), ("one national pool, no linking", free)):
        print(f"  rules and optimum, {label} (practice: every municipality alone, blind linking):")
        rules(mdl, practice)


def main():
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"machine load (uptime): {load}" + ("; smoke run (DL_BENCH_SMOKE=1)" if SMOKE else ""))
    u16()
    if not SMOKE:  # the smoke run's national part is the same scenario at U16 size
        u16_scenario()
    national()


if __name__ == "__main__":
    main()
