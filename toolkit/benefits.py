"""Benefits: the kostendelersnorm and the cost of letting permit holders share.

Under the Participatiewet (art. 22a) the monthly norm of a person who shares a
dwelling with other adults falls with the number of adults ``A`` (21 and over,
main residence in the dwelling)::

    norm per person = (40 % + A x 30 %) / A x B

with ``B`` the couple norm (``gehuwden``). Per person that is 70 % of ``B`` for
one adult, 50 % for two, 43.33 % for three, 40 % for four and 38 % for five
(FACTS.md §6). Norms by date come from ``geodata/benefit_norms.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._validate import Column, Schema, validate_frame
from .data import load_benefit_norms

__all__ = ["couple_norm", "kostendeler_norm", "sharing_cost", "SHARED_DWELLINGS"]

BASE_SHARE = 0.40
PER_ADULT_SHARE = 0.30

SHARED_DWELLINGS = Schema(
    "shared_dwellings",
    (
        Column("code", "code", description="CBS code of the municipality of the dwelling"),
        Column("adults", "int", min=1, description="adults (21+) on a benefit sharing the dwelling"),
    ),
)


def couple_norm(date="2016-01-01"):
    """Return ``(amount, row)``: the couple norm in force on ``date`` and its table row.

    Raises ValidationError when no norm is shipped for that date.
    """
    try:
        when = pd.Timestamp(date)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"date: expected a date like '2016-01-01', found {date!r}") from exc
    norms = load_benefit_norms()
    couple = norms[(norms["household_type"] == "gehuwden") & (norms["date"] <= when)]
    if couple.empty:
        known = sorted(norms["date"].dt.strftime("%Y-%m-%d").unique())
        raise ValidationError(
            f"date: no Participatiewet couple norm in force on {when:%Y-%m-%d}; "
            f"geodata/benefit_norms.csv has norms from {known}"
        )
    row = couple.sort_values("date").iloc[-1]
    return float(row["amount_eur_month"]), row


def kostendeler_norm(adults, *, date="2016-01-01"):
    """Monthly benefit per person and in total when ``adults`` share a dwelling.

    Parameters
    ----------
    adults : int or sequence of int
        Number of adults (21 and over) with their main residence in the
        dwelling; each must be at least 1.
    date : str or Timestamp
        Date whose norms apply (the latest shipped norms on or before it).

    Returns
    -------
    pandas.DataFrame
        One row per value of ``adults``: adults, share_of_couple_norm (per
        person), per_person (euro per month), total (euro per month for the
        dwelling), couple_norm, norm_date. ``attrs`` carry status and source.

    Examples
    --------
    >>> kostendeler_norm([1, 4])["per_person"].round(2).tolist()
    [972.7, 555.83]
    """
    scalar = np.ndim(adults) == 0
    values = [adults] if scalar else list(adults)
    bad = [a for a in values if isinstance(a, bool) or not float(a).is_integer() or a < 1] if values else ["(none)"]
    if bad:
        raise ValidationError(f"kostendeler_norm: 'adults' must be whole numbers of at least 1, found {bad}")
    amount, row = couple_norm(date)
    a = np.asarray(values, dtype=float)
    share = (BASE_SHARE + PER_ADULT_SHARE * a) / a
    out = pd.DataFrame(
        {
            "adults": a.astype("int64"),
            "share_of_couple_norm": share,
            "per_person": share * amount,
            "total": share * a * amount,
            "couple_norm": amount,
            "norm_date": row["date"],
        }
    )
    out.attrs.update(status=row["status"], source=f"{row['source']}; Participatiewet art. 22a")
    return out


def sharing_cost(dwellings, *, date="2016-01-01", benefit_share=1.0):
    """Dwellings saved against benefit income lost per month, per municipality.

    Compares adults who share a dwelling with the same adults each living
    alone: sharing ``A`` adults saves ``A - 1`` dwellings and lowers their
    combined benefit from ``A x 70 %`` to ``(40 % + A x 30 %)`` of the couple
    norm, a loss of 40 % of the couple norm per dwelling saved.

    Parameters
    ----------
    dwellings : pandas.DataFrame
        One row per dwelling: code, adults (adults 21+ in it) and optional
        shared (bool; rows with False, such as a couple with children, are
        not counted). Rows with one adult are not shared.
        ``MatchingModel.dwellings_`` has these columns.
    date : str
        Date whose norms apply (keyword-only).
    benefit_share : float
        Share of those adults who live on a benefit (keyword-only; default 1,
        an upper bound: CBS found 90 % of the 2014 cohort on a benefit after
        1.5 years, FACTS.md §10).

    Returns
    -------
    pandas.DataFrame
        One row per municipality: code, shared_dwellings, adults_sharing,
        dwellings_saved, benefit_alone (euro per month if each lived alone),
        benefit_shared (euro per month under the kostendelersnorm),
        benefit_lost (difference), lost_per_dwelling_saved.
    """
    if not 0 <= float(benefit_share) <= 1:
        raise ValidationError(f"sharing_cost: 'benefit_share' must be between 0 and 1, found {benefit_share!r}")
    d = validate_frame(dwellings, SHARED_DWELLINGS, source="sharing_cost: dwellings")
    amount, row = couple_norm(date)
    a = d["adults"].to_numpy(dtype=float)
    shared = a > 1
    if "shared" in dwellings.columns:
        flag = dwellings["shared"].to_numpy()
        if not pd.Series(flag).isin([True, False]).all():
            raise ValidationError("sharing_cost: column 'shared' must hold True/False")
        shared &= flag.astype(bool)
    alone = a * (BASE_SHARE + PER_ADULT_SHARE) * amount * benefit_share
    together = (BASE_SHARE + PER_ADULT_SHARE * a) * amount * benefit_share
    frame = pd.DataFrame(
        {
            "code": d["code"].astype(str),
            "shared_dwellings": shared.astype("int64"),
            "adults_sharing": np.where(shared, a, 0).astype("int64"),
            "dwellings_saved": np.where(shared, a - 1, 0).astype("int64"),
            "benefit_alone": np.where(shared, alone, 0.0),
            "benefit_shared": np.where(shared, together, 0.0),
        }
    )
    out = frame.groupby("code", sort=True).sum().reset_index()
    out["benefit_lost"] = out["benefit_alone"] - out["benefit_shared"]
    saved = out["dwellings_saved"].where(out["dwellings_saved"] > 0)
    out["lost_per_dwelling_saved"] = out["benefit_lost"] / saved
    out.attrs.update(status=row["status"], source=f"{row['source']}; Participatiewet art. 22a", norm_date=row["date"])
    return out
