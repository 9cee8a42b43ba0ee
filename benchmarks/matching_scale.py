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

The gain of the optimum is reported against the BEST rule.

Instances: the U16 one is synthetic households on the shipped 2016 U16 targets
and housing-stock estimate. The national one: all municipalities of
2024-2026 (342, population 1-1-2025 and province from
``../shared/reference/national/gemeenten_2024_2025.csv`` when present, a
benchmark input only; otherwise a synthetic division of 342 municipalities in
12 groups), a caseload the size of the 2025-II national target (13,000
persons, ``beleid_2024_2026.csv``) split by population, dwellings synthetic
(Poisson around the households, no national housing stock is shipped).
Municipalities are linked supply-aware; solved solo, pooled per province
(each province its own model) and as one national pool without linking.
"""

from __future__ import annotations

import copy
import os
import resource
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.matching import MatchingModel, link_households, practice_model, supply_from_stock
from toolkit.taakstelling import municipal_targets

SMOKE = os.environ.get("DL_BENCH_SMOKE") == "1"
TARGET_2025_II = 13_000  # persons, national target 2025-II (beleid_2024_2026.csv, gemeente.nu 2025-04)
NATIONAL_CSV = Path(__file__).resolve().parents[2] / "shared" / "reference" / "national" / "gemeenten_2024_2025.csv"
if not NATIONAL_CSV.exists():
    NATIONAL_CSV = Path("/work/shared/reference/national/gemeenten_2024_2025.csv")


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


def national_arrays(n=15000, m=342, seed=1):
    """One national pool without linking: types (need, persons, count), supply (m x 4), targets; and the type per household."""
    rng = np.random.default_rng(seed)
    h = synthetic_households(n, seed)
    need = h["final_size"].to_numpy()
    keys, inverse = np.unique(need, return_inverse=True)
    count = np.bincount(inverse.ravel(), minlength=len(keys))
    weights = rng.lognormal(0, 1, m)
    targets = weights / weights.sum() * need.sum()
    share = np.array([0.2, 0.3, 0.38, 0.12])
    supply = rng.poisson(np.outer(weights / weights.sum() * n * 1.05, share))
    return dict(need=keys, persons=keys, count=count, origin=None, supply=supply, targets=targets,
                unit_type=inverse.ravel()), inverse.ravel()


def national_division(m_smoke=40):
    """Population and province per municipality: the 2024-2026 division when the benchmark input is present."""
    if NATIONAL_CSV.exists() and not SMOKE:
        d = pd.read_csv(NATIONAL_CSV)
        return d["inwoners_2025_01_01"].to_numpy(float), d["provincie"].astype(str).to_numpy(), \
            f"{len(d)} gemeenten 2024-2026 ({NATIONAL_CSV.name}, inwoners 1-1-2025)"
    m = m_smoke if SMOKE else 342
    rng = np.random.default_rng(5)
    pop = np.round(rng.lognormal(10.3, 0.8, m))
    return pop, np.array([f"groep {i % 12 + 1}" for i in range(m)]), f"{m} synthetische gemeenten in 12 groepen"


def national_instance(persons_target, seed=2):
    """Households until their final size fills the target, targets by population, synthetic dwellings."""
    pop, province, label = national_division()
    h = synthetic_households(int(persons_target), seed)
    h = h[h["final_size"].cumsum() <= persons_target]
    need = h["final_size"].to_numpy()
    targets = persons_target * pop / pop.sum()
    rng = np.random.default_rng(seed + 1)
    share = np.bincount(np.minimum(np.searchsorted([1, 2, 4], need), 3), minlength=4) / len(need)
    supply = rng.poisson(np.outer(targets / need.mean() * 1.02, share))
    return need, targets, supply, province, label


def _types(need, origin):
    keys, inverse = np.unique(np.column_stack([need, origin]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return keys, inverse


def _model(need, origin, supply, targets, blocks):
    keys, inverse = _types(need, origin)
    return MatchingModel.from_arrays(keys[:, 0], keys[:, 0], np.bincount(inverse, minlength=len(keys)), keys[:, 1],
                                     supply, targets, blocks=blocks, unit_type=inverse)


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
    solve, model = timed(model.solve)
    print(f"  dwellings offered {int(s['dwellings'].sum())}, persons (final size) {int(h['final_size'].sum())}")
    print(f"  from_frames {build:.2f} s; lexicographic solve {solve:.2f} s ({' | '.join('+'.join(g) for g in model.groups_)}); "
          f"gap {model.gap_:.1e}")
    rules(model, practice_model(model))
    if not SMOKE:
        rng_time, rng = timed(model.persons_range)
        open_ = rng[rng["persons_min"] < rng["persons_max"]]
        print(f"  per municipality over equal optima ({rng_time:.1f} s): {len(open_)} of {len(rng)} municipalities not "
              "fixed by the priorities" + (": " + ", ".join(f"{r.name} {r.persons_min}-{r.persons_max}" for r in open_.itertuples())
                                           if len(open_) else ""))


def national():
    target = 1_000 if SMOKE else TARGET_2025_II
    need, targets, supply, province, label = national_instance(target)
    M = len(targets)
    print(f"National: {label}; {len(need):,} households, {int(need.sum()):,} persons (final size; "
          f"target {target:,} as in 2025-II), {int(supply.sum()):,} dwellings (synthetic)")
    blind = link_households(need, need, targets)
    aware = link_households(need, need, targets, supply=supply)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sec_solo, solo = timed(lambda: _model(need, aware, supply, targets, np.arange(M)).solve())
    print(f"  solo (supply-aware linking): arcs {len(solo.arcs_[0]):,}, {sec_solo:.2f} s")
    practice = _model(need, blind, supply, targets, np.arange(M)).solve(method="arrival")
    provinces = sorted(set(province))
    total, per = 0.0, []
    for p in provinces:
        idx = np.nonzero(province == p)[0]
        keep = np.isin(aware, idx)
        local = {g: i for i, g in enumerate(idx)}
        sec, mdl = timed(lambda: _model(need[keep], np.array([local[o] for o in aware[keep]]), supply[idx], targets[idx],
                                        np.zeros(len(idx), dtype=int)).solve())
        total += sec
        per.append(mdl.summary_)
    housed = sum(int(s["persons_housed"]) for s in per)
    hh_housed = sum(int(s["households_housed"]) for s in per)
    print(f"  pooled per province ({len(provinces)} models): {total:.2f} s in all; personen {housed:,}, huishoudens {hh_housed:,}, "
          f"buiten gekoppeld {sum(int(s['households_outside']) for s in per):,}")
    print("  rules and optimum, every municipality alone (supply-aware linking for the optimum and the two rules):")
    rules(solo, practice)
    keys, inverse = np.unique(need, return_inverse=True)
    nat = MatchingModel.from_arrays(keys, keys, np.bincount(inverse.ravel()), None, supply, targets,
                                    unit_type=inverse.ravel())
    sec_nat, nat = timed(nat.solve)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  one national pool, no linking: arcs {len(nat.arcs_[0]):,}, {sec_nat:.2f} s "
          f"({' | '.join('+'.join(g) for g in nat.groups_)}); peak RSS {rss1:.0f} MiB (before {rss0:.0f} MiB)")
    print("  rules and optimum, one national pool (today's practice: every municipality alone, blind linking):")
    rules(nat, practice)


def main():
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"machine load (uptime): {load}" + ("; smoke run (DL_BENCH_SMOKE=1)" if SMOKE else ""))
    u16()
    national()


if __name__ == "__main__":
    main()
