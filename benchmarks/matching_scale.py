"""Matching at U16 and national scale: solve time, memory, gap, and greedy vs optimum.

Run: ``.venv/bin/python benchmarks/matching_scale.py``. Prints figures; asserts nothing.

Instances are generated (synthetic, seed fixed): household sizes from a
simple mix (60 % one adult, 40 % two; 0-4 children; a quarter expecting 1-2
nareizigers), dwellings per municipality and class drawn around the number of
households, targets proportional to random weights. They measure speed and
the optimality gap, not the real situation.
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from toolkit.matching import MatchingModel, supply_from_stock
from toolkit.taakstelling import municipal_targets


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
    # scale the targets to the generated persons so the region has a full task
    t["target"] = t["target"] * h["size"].sum() / t["target"].sum()
    t = t.drop(columns="target_int")
    s = supply_from_stock(share_permit_holders=0.30)
    return h, s, t


def national_arrays(n=15000, m=342, seed=1):
    """Types (need, persons, count) in arrival order, supply (m x 4) and targets."""
    rng = np.random.default_rng(seed)
    h = synthetic_households(n, seed)
    need = h["final_size"].to_numpy()
    persons = h["size"].to_numpy()
    keys, inverse = np.unique(np.column_stack([need, persons]), axis=0, return_inverse=True)
    count = np.bincount(inverse.ravel(), minlength=len(keys))
    weights = rng.lognormal(0, 1, m)
    targets = weights / weights.sum() * persons.sum()
    share = np.array([0.2, 0.3, 0.38, 0.12])
    supply = rng.poisson(np.outer(weights / weights.sum() * n * 1.05, share))
    return dict(need=keys[:, 0], persons=keys[:, 1], count=count, origin=np.zeros(len(keys), dtype=int),
                supply=supply, targets=targets), inverse.ravel()


def national_solo_arrays(n=15000, m=342, seed=1):
    """The same households linked in arrival order to the largest remaining target; every municipality alone."""
    pooled, inverse = national_arrays(n, m, seed)
    persons_of = pooled["persons"][inverse]
    remaining = pooled["targets"].copy()
    origin = np.empty(n, dtype=int)
    for i, p in enumerate(persons_of):
        origin[i] = j = int(np.argmax(remaining))
        remaining[j] -= p
    keys, inv = np.unique(np.column_stack([pooled["need"][inverse], persons_of, origin]), axis=0, return_inverse=True)
    return dict(need=keys[:, 0], persons=keys[:, 1], count=np.bincount(inv.ravel(), minlength=len(keys)),
                origin=keys[:, 2], supply=pooled["supply"], targets=pooled["targets"], blocks=np.arange(m))


def timed(fn, repeat=3):
    best = np.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def line(label, model):
    s = model.summary_
    return (f"  {label:<9} housed {int(s['households_housed']):>6}  waiting {int(s['households_waiting']):>6}  "
            f"mismatch {int(s['under_occupation'] + s.get('expected_overcrowding', 0)):>6}  "
            f"objective {model.objective_:>10.1f}")


def main():
    print("U16: 1,000 households x 16 municipalities x 4 size classes (scope U16)")
    h, s, t = u16_instance()
    build, model = timed(lambda: MatchingModel.from_frames(h, s, t, scope="U16"))
    solve, model = timed(lambda: MatchingModel.from_frames(h, s, t, scope="U16").solve())
    print(f"  dwellings offered {int(s['dwellings'].sum())}, persons {int(h['size'].sum())}")
    print(f"  from_frames {build:.3f} s; from_frames + solve {solve:.3f} s (best of 3); method {model.method_}; "
          f"gap {model.gap_:.2e}")
    greedy = MatchingModel.from_frames(h, s, t, scope="U16").solve(method="greedy")
    print(line("optimum", model))
    print(line("greedy", greedy))

    print("National: 15,000 households x 342 municipalities x 4 size classes (one pool, generated)")
    arrays, _ = national_arrays()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    t0 = time.perf_counter()
    nat = MatchingModel.from_arrays(**arrays).solve()
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  unit types {len(arrays['need'])}, arcs {len(nat.arcs_[0])}")
    print(f"  process peak RSS {rss_after:.0f} MiB (before the national solve {rss_before:.0f} MiB; "
          "tracemalloc sees Python/numpy memory only, not HiGHS)")
    print(f"  solve {elapsed:.2f} s (one run, under tracemalloc); peak traced memory {peak / 2**20:.1f} MiB; "
          f"method {nat.method_}; objective {nat.objective_:.1f}; LP bound {nat.lp_bound_:.1f}; gap {nat.gap_:.2e}")
    plain, _ = timed(lambda: MatchingModel.from_arrays(**arrays).solve(), repeat=1)
    print(f"  solve without tracemalloc {plain:.2f} s")
    gr_time, gr = timed(lambda: MatchingModel.from_arrays(**arrays).solve(method="greedy"), repeat=1)
    print(f"  greedy baseline {gr_time:.2f} s")
    solo = national_solo_arrays()
    solo_time, solo_model = timed(lambda: MatchingModel.from_arrays(**solo).solve(), repeat=1)
    print(f"  same households, every municipality alone (solo): unit types {len(solo['need'])}, "
          f"arcs {len(solo_model.arcs_[0])}, solve {solo_time:.2f} s, method {solo_model.method_}, gap {solo_model.gap_:.2e}")
    for label, mdl in (("optimum", nat), ("greedy", gr), ("solo", solo_model)):
        housed = int(mdl.flows_["units"].sum())
        waiting = int(mdl.waiting_.sum())
        mismatch = int((mdl.flows_["units"] * mdl.flows_["under_occupation"]).sum())
        print(f"  {label:<9} housed {housed:>6}  waiting {waiting:>6}  mismatch {mismatch:>6}  "
              f"objective {mdl.objective_:>10.1f}")


if __name__ == "__main__":
    main()
