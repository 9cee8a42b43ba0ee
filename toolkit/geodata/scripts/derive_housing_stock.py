"""Derive the shipped estimate ``housing_stock.csv`` (status ``schatting``).

Social-rental stock per municipality and dwelling size class is not published
(FACTS.md section 7: "n.f."). This script derives an explicit, reproducible
estimate from published totals and a stated assumption:

1. Utrecht city: corporation stock 2017, 42,403 (utrecht-monitor.nl).
2. The other 15 U16 municipalities (2016 division) share the rest of the U16
   total of 103,960 independent social rental homes in 2017 (rwu-utrecht.nl)
   in proportion to their population on 1-1-2016 (population.csv).
3. Size classes (persons a dwelling suits: 1, 2, 3-4, 5+) follow an
   assumption (``aanname``) by population density on 1-1-2016: urban
   municipalities have more small dwellings, rural ones more family homes.
   The shares are below; replace them with corporations' figures
   (``toolkit.io.read_housing_stock``) as soon as those are available.

Counts are rounded with the largest-remainder method so that each
municipality's classes add up to its total. Run from the repository root::

    python toolkit/geodata/scripts/derive_housing_stock.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parents[1]
U16_TOTAL_2017 = 103_960
UTRECHT_2017 = 42_403
SIZE_CLASSES = ["1", "2", "3-4", "5+"]
# density (inhabitants per km2) -> shares of the size classes (aanname)
SHARES = {
    "stedelijk": (0.30, 0.30, 0.32, 0.08),  # >= 2,000 per km2
    "tussen": (0.20, 0.30, 0.40, 0.10),  # 750 - 2,000 per km2
    "landelijk": (0.12, 0.25, 0.48, 0.15),  # < 750 per km2
}


def _largest_remainder(total, shares):
    raw = np.asarray(shares, dtype=float) * total
    out = np.floor(raw).astype(int)
    out[np.argsort(-(raw - out))[: total - out.sum()]] += 1
    return out


def derive():
    mun = pd.read_csv(HERE / "municipalities.csv", dtype=str)
    pop = pd.read_csv(HERE / "population.csv", dtype={"code": str})
    pop = pop[pop["reference_date"] == "2016-01-01"].set_index("code")["population"]
    regions = pd.read_csv(HERE / "regions.csv", dtype=str)
    codes = regions.query("region == 'U16' and composition == '2016'")["code"].tolist()
    others = [c for c in codes if c != "GM0344"]
    rest = _largest_remainder(U16_TOTAL_2017 - UTRECHT_2017, pop[others] / pop[others].sum())
    totals = dict(zip(others, rest))
    totals["GM0344"] = UTRECHT_2017
    area = mun.set_index("code")["area_km2"].astype(float)
    rows = []
    for code in codes:
        density = pop[code] / area[code]
        kind = "stedelijk" if density >= 2000 else "tussen" if density >= 750 else "landelijk"
        counts = _largest_remainder(totals[code], SHARES[kind])
        for size_class, n in zip(SIZE_CLASSES, counts):
            rows.append(
                {
                    "code": code,
                    "size_class": size_class,
                    "dwellings": int(n),
                    "reference_year": 2017,
                    "density_class": kind,
                    "status": "schatting",
                }
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    derive().to_csv(HERE / "housing_stock.csv", index=False, lineterminator="\n")
