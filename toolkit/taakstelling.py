"""The taakstelling: each municipality's share of the national housing target.

The minister sets a national number of permit holders to house per half year;
each municipality's share is proportional to its population (Huisvestingswet
2014). This module turns a national target into municipal targets.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ._errors import ValidationError
from .data import load_population, municipality_population

__all__ = ["municipal_shares", "municipal_targets", "largest_remainder"]


def largest_remainder(values, total):
    """Round ``values`` to whole numbers that add up to ``total``.

    Each value is rounded down, and the units still missing go to the values
    with the largest fractional parts (ties to the first).

    >>> largest_remainder([1.5, 1.5, 1.0], 4).tolist()
    [2, 1, 1]
    """
    values = np.asarray(values, dtype=float)
    total = int(round(total))
    floor = np.floor(values).astype("int64")
    short = total - int(floor.sum())
    if short < 0 or short > len(values):
        raise ValidationError(f"largest_remainder: values add up to {values.sum():g}, which cannot round to {total}")
    order = np.argsort(-(values - floor), kind="stable")
    floor[order[:short]] += 1
    return floor


def municipal_shares(year=2016, region="U16"):
    """Population share of each municipality in the national population.

    Parameters
    ----------
    year : int
        Population on 1 January of this year, in that year's municipal division.
    region : str or list of str
        Anything :func:`toolkit.regions.region_codes` accepts.

    Returns
    -------
    pandas.DataFrame
        Columns code, name, population, share (municipal population divided by
        the national population on the same date). ``attrs`` names the
        national count used.

    Examples
    --------
    >>> s = municipal_shares(2016, "U16")
    >>> s.loc[s["code"] == "GM0344", "share"].round(4).item()
    0.02
    """
    pop = municipality_population(year, region)
    date = pd.Timestamp(year=int(year), month=1, day=1)
    national = load_population()
    national = national[(national["code"] == "NL01") & (national["reference_date"] == date)]
    if national.empty:
        raise ValidationError(
            f"municipal_shares: no national population (NL01) on 1-1-{year} in geodata/population.csv; "
            "the share of the national target cannot be computed"
        )
    total = int(national["population"].iloc[0])
    out = pop[["code", "name", "population"]].copy()
    out["share"] = out["population"] / total
    out.attrs.update(national_population=total, reference_date=date, source=national["source"].iloc[0])
    return out


def municipal_targets(national, *, year=2016, region="U16"):
    """Apportion a national target over the municipalities of a region.

    Parameters
    ----------
    national : number or pandas.DataFrame
        The national target in persons: one number, or a frame with columns
        ``period`` (half year like ``"2016-II"``) and ``target``.
    year : int
        Population year for the shares (keyword-only).
    region : str or list of str
        The municipalities (keyword-only).

    Returns
    -------
    pandas.DataFrame
        One row per period and municipality: period, code, name, share,
        target (persons, float) and target_int (whole persons; the region's
        total of ``target`` rounded, split with :func:`largest_remainder`).

    Examples
    --------
    >>> t = municipal_targets(23000, year=2016, region="U16")
    >>> int(t["target_int"].sum()) == round(t["target"].sum())
    True
    """
    if isinstance(national, numbers.Number) and not isinstance(national, bool):
        national = pd.DataFrame({"period": [None], "target": [national]})
    if not isinstance(national, pd.DataFrame) or not {"period", "target"} <= set(national.columns):
        found = list(national.columns) if isinstance(national, pd.DataFrame) else type(national).__name__
        raise ValidationError(
            f"municipal_targets: 'national' must be a number or a frame with columns ['period', 'target'], found {found}"
        )
    target = pd.to_numeric(national["target"], errors="coerce")
    bad = national.index[target.isna() | (target < 0)].tolist()
    if bad:
        raise ValidationError(
            f"municipal_targets: column 'target' must hold non-negative numbers, found "
            f"{[national.loc[i, 'target'] for i in bad]} at rows {bad}"
        )
    if national["period"].duplicated().any():
        dup = sorted(national.loc[national["period"].duplicated(), "period"].astype(str).unique())
        raise ValidationError(f"municipal_targets: each period once, found duplicates {dup}")
    shares = municipal_shares(year, region)
    frames = []
    for period, tgt in zip(national["period"], target):
        f = shares[["code", "name", "share"]].copy()
        f.insert(0, "period", period)
        f["target"] = f["share"] * float(tgt)
        f["target_int"] = largest_remainder(f["target"], round(f["target"].sum()))
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(shares.attrs)
    return out
