"""Backtest of the inflow forecast on the shipped series; prints its figures.

Run: ``.venv/bin/python benchmarks/forecast_backtest.py``

1. Rolling-origin backtest (origins from 12 observed quarters, horizons 1-4)
   for first applications and nareizigers: MAE, MASE (scaled by the
   in-sample seasonal-naive error), MAE ratio against seasonal naive on the
   same origins, 80 % and 95 % coverage, for the model and both baselines.
   The model's parameters are the defaults, chosen before looking at these
   figures; a few alternatives are printed as a sensitivity check, not to
   pick the best one.
2. The 2022 annual total forecast from data up to the end of 2021, beside the
   official MPP's first 2022 forecast, seasonal naive and the realised total.
3. The inflow-to-taakstelling chain against the published national targets.
"""

from __future__ import annotations

import time

import pandas as pd

from toolkit import forecast as F
from toolkit import taakstelling as T

pd.set_option("display.width", 160)

# FACTS.md §2: first MPP forecast for 2022, total inflow incl. nareizigers (nhnieuws.nl, Nov 2022)
MPP_2022_FIRST = 34_370


def backtests():
    print("== 1. Rolling-origin backtest, quarterly, origins with >= 12 observed quarters ==")
    for series in ("eerste_aanvragen", "nareizigers"):
        q = F.quarterly_series(series)
        t0 = time.perf_counter()
        bt = F.backtest(q, min_train=12, horizon=4)
        took = time.perf_counter() - t0
        m = F.backtest_metrics(bt)
        print(f"\n-- {series}: {q['period'].iloc[0]}..{q['period'].iloc[-1]}, {len(q)} quarters, "
              f"{bt['origin'].nunique()} origins ({bt['origin'].iloc[0]}..{bt['origin'].iloc[-1]}), {took:.1f} s")
        cols = ["horizon", "model", "n", "MAE", "MASE", "mae_ratio", "coverage80", "coverage95", "pinball"]
        print(m[cols].round({"MAE": 0, "MASE": 2, "mae_ratio": 2, "coverage80": 2, "coverage95": 2, "pinball": 0}).to_string(index=False))
        mine = m[m["model"] == "seizoensmodel"]
        h2 = mine.loc[mine["horizon"] == 2, "mae_ratio"].item()
        cov = (mine["coverage80"] * mine["n"]).sum() / mine["n"].sum()
        print(f"   goal h=2 MAE ratio < 1: {h2:.2f} ({'met' if h2 < 1 else 'NOT met'}); "
              f"80 % coverage over all horizons: {cov:.2f} ({'in' if 0.7 <= cov <= 0.9 else 'OUTSIDE'} 0.70-0.90)")
        print("   sensitivity (MAE ratio h1..h4, coverage80 h1..h4), not used to choose the defaults:")
        for params in ({"beta": 0.0}, {"alpha": 0.3, "beta": 0.0}, {"alpha": 0.8, "beta": 0.0}, {"phi": 0.95}):
            mm = F.backtest_metrics(F.backtest(q, min_train=12, model=F.SeasonalLevel(**params)))
            mm = mm[mm["model"] == "seizoensmodel"]
            print(f"     {str(params):<28} {mm['mae_ratio'].round(2).tolist()}  {mm['coverage80'].round(2).tolist()}")


def year_2022():
    print("\n== 2. Annual total 2022 from data up to 2021-Q4 (first applications + nareizigers) ==")
    rows = {}
    realised = 0.0
    sn_total = 0.0
    for series in ("eerste_aanvragen", "nareizigers"):
        q = F.quarterly_series(series)
        train = q[q["period_start"] < "2022-01-01"]
        fc = F.forecast(train, horizon=4)
        for label, g in fc.groupby("model"):
            r = rows.setdefault(label, {"y_pred": 0.0, "lo80": 0.0, "hi80": 0.0})
            for k in r:
                r[k] += g[k].sum()
        realised += q.loc[q["period"].str.startswith("2022"), "value"].sum()
        sn_total += train.loc[train["period"].str.startswith("2021"), "value"].sum()
    print(f"   realised 2022 (sum of the shipped quarters): {realised:,.0f}")
    print(f"   MPP first forecast 2022:                     {MPP_2022_FIRST:,.0f}  ({100 * (MPP_2022_FIRST / realised - 1):+.0f} %)")
    print(f"   seasonal naive (2021 total):                 {sn_total:,.0f}  ({100 * (sn_total / realised - 1):+.0f} %)")
    for label, r in rows.items():
        print(f"   {label:<14} point {r['y_pred']:,.0f} ({100 * (r['y_pred'] / realised - 1):+.0f} %); "
              f"sum of quarterly 80 % bounds {r['lo80']:,.0f}-{r['hi80']:,.0f} (wider than an 80 % interval for the year)")


def chain():
    print("\n== 3. Chain inflow -> national taakstelling vs published targets (realised inflow) ==")
    for lag in (1, 2, 3):
        c = T.compare_with_published(lag=lag)
        print(f"   rate {T.RECOGNITION_RATE}, lag {lag}: mean |error| {c['error'].abs().mean():,.0f} persons, "
              f"mean |pct| {c['pct'].abs().mean():.0f} %, median implied rate {c['implied_rate'].median():.2f}")
    c = T.compare_with_published()
    print(c.round({"estimate": 0, "error": 0, "pct": 1, "implied_rate": 2}).to_string(index=False))


if __name__ == "__main__":
    t0 = time.perf_counter()
    backtests()
    year_2022()
    chain()
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
