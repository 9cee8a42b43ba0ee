"""Regions as named, dated lists of municipality codes.

``U10`` and ``U16`` change over time (Vianen became part of Vijfheerenlanden
in 2019; the U10 grew to 12 members by 2023), so a region is resolved for a
year. Any list of CBS codes works as a region too.
"""

from __future__ import annotations

import pandas as pd

from ._errors import ValidationError
from ._validate import normalise_code

U10 = "U10"
U16 = "U16"

__all__ = ["U10", "U16", "region_codes", "municipalities", "region_names"]


def region_names():
    """Names of the shipped regions."""
    from .data import load_regions

    return sorted(load_regions()["region"].unique())


def _jan1(year):
    return pd.Timestamp(year=int(year), month=1, day=1)


def municipalities(year=2016, region=None):
    """Shipped municipalities that exist on 1 January ``year``, optionally within a region.

    Returns the columns of :func:`toolkit.data.load_municipalities`.
    """
    from .data import load_municipalities

    mun = load_municipalities()
    d = _jan1(year)
    alive = (mun["valid_from"].isna() | (mun["valid_from"] <= d)) & (mun["valid_to"].isna() | (mun["valid_to"] >= d))
    mun = mun[alive]
    if region is not None:
        codes = region_codes(region, year)
        missing = [c for c in codes if c not in set(mun["code"])]
        if missing:
            raise ValidationError(
                f"municipalities: codes {missing} do not exist on 1-1-{int(year)} in the shipped data; "
                f"known codes then are {sorted(mun['code'])}"
            )
        mun = mun.set_index("code").loc[codes].reset_index()
    return mun.reset_index(drop=True)


def region_codes(region, year=2016):
    """Return the member codes of ``region`` on 1 January ``year``.

    Parameters
    ----------
    region : str or list of str
        ``"U10"``, ``"U16"`` (case-insensitive), ``"alle"`` for every shipped
        municipality of that year, or a list of CBS codes (loose spellings
        are normalised).
    year : int

    Examples
    --------
    >>> len(region_codes("U16", 2016)), "GM1961" in region_codes("U16", 2024)
    (16, True)
    """
    from .data import load_regions

    if isinstance(region, str) and region.strip().lower() in ("alle", "all"):
        return municipalities(year)["code"].tolist()
    if isinstance(region, str):
        regions = load_regions()
        name = region.strip().upper()
        rows = regions[regions["region"].str.upper() == name]
        if rows.empty:
            raise ValidationError(
                f"Unknown region {region!r}; expected one of {region_names()}, 'alle', or a list of CBS codes"
            )
        d = _jan1(year)
        rows = rows[(rows["valid_from"].isna() | (rows["valid_from"] <= d)) & (rows["valid_to"].isna() | (rows["valid_to"] >= d))]
        if rows.empty:
            known = (
                regions[regions["region"].str.upper() == name]
                .groupby("composition")
                .agg(valid_from=("valid_from", "min"), valid_to=("valid_to", "max"))
            )
            spans = ", ".join(
                f"{c}: {'' if pd.isna(r.valid_from) else r.valid_from.year}-{'' if pd.isna(r.valid_to) else r.valid_to.year}"
                for c, r in known.iterrows()
            )
            raise ValidationError(
                f"No known composition of {name} on 1-1-{year} (known: {spans}); pass a list of codes instead"
            )
        return rows["code"].tolist()
    if region is None or len(region) == 0:
        raise ValidationError("region: expected 'U10', 'U16', 'alle' or a non-empty list of CBS codes, got an empty value")
    codes = []
    bad = []
    for c in region:
        try:
            codes.append(normalise_code(c))
        except ValueError:
            bad.append(c)
    if bad:
        raise ValidationError(f"region: expected CBS municipality codes like 'GM0344', found {bad}")
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ValidationError(f"region: codes listed more than once: {dup}")
    return codes
