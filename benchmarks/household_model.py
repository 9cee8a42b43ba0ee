"""Household-size model against the baseline (mean size per nationality group).

Trains on one synthetic caseload of 20,000 households and evaluates on another
(held out, different seed): MAE of the expected final size and log loss,
overall and per group, for households with family still abroad and for all
households, next to the truth known by construction. Then fit and predict
times for 20,000 households, and the time of dwelling_demand for the U16.

Run: .venv/bin/python benchmarks/household_model.py
(``DL_BENCH_SMOKE=1``: 2,000 households and 200 simulations, for the smoke test.)
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.demand import dwelling_demand
from toolkit.households import (
    HouseholdSizeModel,
    current_size,
    error_report,
    parameter_table,
    reliability_table,
    synthetic_caseload,
)
from toolkit.taakstelling import municipal_targets

SMOKE = os.environ.get("DL_BENCH_SMOKE") == "1"
N = 2_000 if SMOKE else 20_000
N_SIMS = 200 if SMOKE else 2_000


def oracle_log_loss(caseload):
    """Log loss of the true arrival probability (households with family abroad)."""
    t = parameter_table()
    glob = t[t["group"].isna()].set_index("parameter")["value"]
    success = t[t["parameter"] == "success"].set_index("group")["value"]
    pend = caseload[caseload["family_abroad"] > 0]
    s = pend["nationality_group"].map(success).to_numpy()
    surv = stats.gamma.sf(pend["months_since_permit"], glob["lag_shape"], scale=glob["lag_mean"] / glob["lag_shape"])
    q = s * surv / (s * surv + 1 - s)
    came = pend["final_size"].to_numpy() > current_size(pend).to_numpy()
    return -np.mean(np.where(came, np.log(q), np.log(1 - q)))


def timed(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, min(times)


def main():
    pd.set_option("display.width", 160)
    train = synthetic_caseload(N, seed=1)
    test = synthetic_caseload(N, seed=2)
    model = HouseholdSizeModel().fit(train)
    print(f"Training: {N:,} synthetic households ({(train.family_abroad > 0).sum():,} with family abroad); "
          f"held out: {N:,} (seed 2, {(test.family_abroad > 0).sum():,} with family abroad)\n")
    for pending_only in (True, False):
        r = error_report(model, test, pending_only=pending_only)
        label = "households with family still abroad" if pending_only else "all households"
        print(f"Errors on held-out data, {label} (MAE in persons, log loss in nats):")
        cols = ["dimension", "group", "n", "mae_model", "mae_baseline", "log_loss_model", "log_loss_baseline"]
        print(r[cols].round(3).to_string(index=False))
        print()
    print(f"Log loss of the truth known by construction (family abroad): {oracle_log_loss(test):.3f}")
    rt = reliability_table(model, test)
    dev = (rt["observed"] - rt["mean_predicted"]).abs()
    print(f"Calibration (family abroad): largest |observed - predicted| over {len(rt)} bins {dev.max():.3f}, "
          f"largest in standard errors {(dev / rt['se']).max():.2f}\n")

    _, fit_s = timed(lambda: HouseholdSizeModel().fit(train))
    _, proba_s = timed(lambda: model.predict_proba(test))
    print(f"Fit on {N:,} households: {fit_s:.2f} s (best of 3)")
    print(f"predict_proba for {N:,} households: {proba_s:.2f} s (best of 3)")

    t = municipal_targets(pd.DataFrame({"period": ["2017-I"], "target": [13000]}), year=2016, region="U16")
    _, demand_s = timed(lambda: dwelling_demand(t, n_sims=N_SIMS), repeat=1)
    print(f"dwelling_demand, U16 (16 municipalities), one half year, {N_SIMS:,} simulations: {demand_s:.2f} s")
    print(f"machine: {os.cpu_count()} cores, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
