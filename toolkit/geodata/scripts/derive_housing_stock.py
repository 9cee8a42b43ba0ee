"""Derive the shipped estimates ``housing_stock.csv`` and ``housing_stock_2024.csv`` (status ``schatting``).

Social-rental stock per municipality and dwelling size class is not published
(FACTS.md section 7: "n.f."). This script derives an explicit, reproducible
estimate from published totals and a stated assumption.

``housing_stock.csv``, the 2016 division (390 municipalities):

1. Utrecht city: corporation stock 2017, 42,403 (utrecht-monitor.nl).
2. The other 15 U16 municipalities share the rest of the U16 total of
   103,960 independent social rental homes in 2017 (rwu-utrecht.nl) in
   proportion to their population on 1-1-2016 (population.csv).
3. The 374 municipalities outside the U16 get the national corporation stock
   per inhabitant of 2016 (CBS 82900NED: 2,281,742 corporation dwellings;
   CBS 37230ned: 16,979,120 inhabitants on 1-1-2016) times their population
   on 1-1-2016 (reference year 2016).

``housing_stock_2024.csv``, the 2024-2026 division (342 municipalities):

4. The 26 municipalities of the province of Utrecht share the province's
   corporation stock of 2023 (CBS 82900NED: 163,310) in proportion to their
   population on 1-1-2024.
5. The others get the 2016 national stock per inhabitant (as in 3.) times
   their population on 1-1-2024: the newest national figure found is of
   2016, so this is the weakest part of the estimate.

Size classes (persons a dwelling suits: 1, 2, 3-4, 5+) follow an assumption
(``aanname``) by population density (population over the area in
municipal_points.csv): urban municipalities have more small dwellings, rural
ones more family homes. The shares are ``toolkit.cbs.SIZE_SHARES`` (the CBS
refresh splits CBS's corporation stock the same way). Replace the whole table with
corporations' figures (``toolkit.io.read_housing_stock``) or a CBS refresh
(``doorlopende-lijn data bijwerken``) as soon as those are available.

Counts are rounded with the largest-remainder method so that the shares of a
published total add up to it and each municipality's classes add up to its
total. Run from the repository root::

    python toolkit/geodata/scripts/derive_housing_stock.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.cbs import split_by_size  # the size-class assumption (SIZE_SHARES), shared with the CBS refresh

HERE = Path(__file__).resolve().parents[1]
U16_TOTAL_2017 = 103_960
UTRECHT_2017 = 42_403
NL_CORPORATION_2016 = 2_281_742
NL_POPULATION_2016 = 16_979_120
UTRECHT_PROVINCE_CORPORATION_2023 = 163_310


def _largest_remainder(total, shares):
    raw = np.asarray(shares, dtype=float) / np.sum(shares) * total
    out = np.floor(raw).astype(int)
    out[np.argsort(-(raw - out), kind="stable")[: total - out.sum()]] += 1
    return out


def _rows(totals, pop, area, year_of):
    codes = list(totals)
    out = split_by_size(pd.Series(totals)[codes], (pop / area)[codes])
    out["reference_year"] = out["code"].map(year_of)
    out["status"] = "schatting"
    return out[["code", "size_class", "dwellings", "reference_year", "density_class", "status"]]


def _population(date):
    pop = pd.read_csv(HERE / "population.csv", dtype={"code": str})
    pop = pop[(pop["reference_date"] == date) & (pop["code"] != "NL01")]
    return pop.set_index("code")["population"]


def derive_2016():
    pop = _population("2016-01-01")
    points = pd.read_csv(HERE / "municipal_points.csv", dtype={"division": str})
    area = points[points["division"] == "2016"].set_index("code")["area_km2"]
    regions = pd.read_csv(HERE / "regions.csv", dtype=str)
    u16 = regions.query("region == 'U16' and composition == '2016'")["code"].tolist()
    others = [c for c in u16 if c != "GM0344"]
    totals = dict(zip(others, _largest_remainder(U16_TOTAL_2017 - UTRECHT_2017, pop[others])))
    totals["GM0344"] = UTRECHT_2017
    year_of = {c: 2017 for c in u16}
    rest = [c for c in pop.index if c not in set(u16)]
    for code in rest:
        totals[code] = round(NL_CORPORATION_2016 * pop[code] / NL_POPULATION_2016)
        year_of[code] = 2016
    return _rows({c: totals[c] for c in u16 + rest}, pop, area, year_of)


def derive_2024():
    pop = _population("2024-01-01")
    mun = pd.read_csv(HERE / "municipalities.csv", dtype=str).set_index("code")
    points = pd.read_csv(HERE / "municipal_points.csv", dtype={"division": str})
    area = points[points["division"] == "2024"].set_index("code")["area_km2"]
    utrecht = [c for c in pop.index if mun.loc[c, "province"] == "Utrecht"]
    totals = dict(zip(utrecht, _largest_remainder(UTRECHT_PROVINCE_CORPORATION_2023, pop[utrecht])))
    for code in pop.index:
        if code not in totals:
            totals[code] = round(NL_CORPORATION_2016 * pop[code] / NL_POPULATION_2016)
    year_of = {c: 2023 if c in set(utrecht) else 2024 for c in pop.index}
    return _rows({c: totals[c] for c in pop.index}, pop, area, year_of)


if __name__ == "__main__":
    derive_2016().to_csv(HERE / "housing_stock.csv", index=False, lineterminator="\n")
    derive_2024().to_csv(HERE / "housing_stock_2024.csv", index=False, lineterminator="\n")
