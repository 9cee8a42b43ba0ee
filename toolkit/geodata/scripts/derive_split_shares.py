"""Area shares of 2016 municipalities over their 2024 successors (status ``schatting``).

Three municipalities of the 2016 division were split over several successors:
Littenseradiel (2018: Leeuwarden, Súdwest-Fryslân, Waadhoeke), Winsum (2019:
Het Hogeland, Westerkwartier) and Haaren (2021: Boxtel, Oisterwijk, Tilburg,
Vught). CBS publishes which successors received a part, not how many people
moved with each part. This script measures the share of each 2016 polygon's
area that lies inside each 2024 polygon; the shipped ``code_changes.csv``
carries those shares (column ``share``) for the split municipalities, so a
2016 figure can be spread over the successors. An area share is not a
population share: the result is an estimate.

The boundary files are CBS municipality polygons (PDOK ``cbs_gemeente_2016``
and ``cbs_gemeente_2024``, column ``statcode``); pass them on the command line::

    python toolkit/geodata/scripts/derive_split_shares.py GEMEENTE_2016.geojson GEMEENTE_2024.geojson

It prints one line per (2016 code, 2024 code) pair whose overlap is at least
``MIN_SHARE`` of the 2016 area: smaller overlaps are slivers of the
generalised polygons, not territory that changed hands.
"""

import sys

import geopandas as gpd
import numpy as np

RD_NEW = "EPSG:28992"
MIN_SHARE = 0.03
SPLIT = ("GM0140", "GM0053", "GM0788")  # Littenseradiel, Winsum, Haaren


def shares(path_2016, path_2024, codes=SPLIT):
    old = gpd.read_file(path_2016).to_crs(RD_NEW)[["statcode", "geometry"]]
    new = gpd.read_file(path_2024).to_crs(RD_NEW)[["statcode", "geometry"]]
    old = old[old["statcode"].isin(codes)]
    old["area_old"] = old.area
    pieces = gpd.overlay(old, new, how="intersection", keep_geom_type=True)
    pieces["share"] = pieces.area / pieces["area_old"]
    out = pieces[pieces["share"] >= MIN_SHARE][["statcode_1", "statcode_2", "share"]]
    out = out.rename(columns={"statcode_1": "old_code", "statcode_2": "new_code"})
    # rescale so that each old code's kept pieces add up to exactly 1.000 (largest remainder on thousandths)
    out["share"] = out["share"] / out.groupby("old_code")["share"].transform("sum")
    out["share"] = out.groupby("old_code")["share"].transform(_thousandths)
    return out.sort_values(["old_code", "share"], ascending=[True, False]).reset_index(drop=True)


def _thousandths(shares):
    raw = shares.to_numpy() * 1000
    whole = np.floor(raw).astype(int)
    whole[np.argsort(-(raw - whole), kind="stable")[: 1000 - whole.sum()]] += 1
    return whole / 1000


if __name__ == "__main__":
    print(shares(sys.argv[1], sys.argv[2]).to_csv(index=False), end="")
