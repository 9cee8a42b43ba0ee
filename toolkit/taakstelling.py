"""The taakstelling: each municipality's share of the national housing target.

The minister sets a national number of permit holders to house per half year;
each municipality's share is proportional to its population (Huisvestingswet
2014). This module turns a national target into municipal targets, and builds
the chain from inflow to taakstelling:

1. :func:`permits_from_inflow`: first applications times a recognition rate,
   after a processing lag, plus nareizigers, per quarter;
2. :func:`half_year_estimate`: the national half-year estimate (sum of the
   two quarters; missing when a quarter is missing, never filled);
3. :func:`municipal_targets`: each municipality's share by population;
4. :func:`carry_over`: the backlog (or lead) carried into the next half year,
   from published realisation where known;
5. :func:`compare_with_published`: how close the chain gets to the published
   national targets 2019-I..2024-I.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ._errors import ValidationError
from .data import load_population, municipality_population

__all__ = [
    "municipal_shares",
    "municipal_targets",
    "largest_remainder",
    "RECOGNITION_RATE",
    "PROCESSING_LAG",
    "permits_from_inflow",
    "half_year_estimate",
    "half_year",
    "carry_over",
    "compare_with_published",
]

#: Share of first applications that leads to a permit. Default: the middle of
#: the "70-85 %" recognition rates before 2025 (FACTS.md §2, openrijk.nl);
#: they fell to about 40 % in Q1 2025. A rate of decisions, applied here to
#: applications: see :func:`compare_with_published` for what that does.
RECOGNITION_RATE = 0.775
#: Quarters from first application to permit. ``aanname`` (assumption): no
#: published average processing time was found for 2018-2024.
PROCESSING_LAG = 2


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


# --------------------------------------------------------------------------- the chain


def _check_rate(rate, name="recognition_rate"):
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1 or np.isnan(rate):
        raise ValidationError(f"'{name}' must be a share between 0 and 1 (0.775 for 77.5 %), got {rate!r}")
    return float(rate)


def _check_lag(lag):
    if isinstance(lag, bool) or not isinstance(lag, numbers.Integral) or not 0 <= lag <= 12:
        raise ValidationError(f"'lag' must be a whole number of quarters between 0 and 12, got {lag!r}")
    return int(lag)


def half_year(period):
    """The half year (``'2019-I'`` / ``'2019-II'``) a quarter belongs to.

    >>> half_year("2019-Q3")
    '2019-II'
    """
    p = pd.Period(str(period).upper().replace("-Q", "Q"), freq="Q")
    return f"{p.year}-{'I' if p.quarter <= 2 else 'II'}"


def permits_from_inflow(applications, nareizigers=None, *, recognition_rate=RECOGNITION_RATE, lag=PROCESSING_LAG):
    """Permit holders per quarter from first applications and nareizigers.

    ``permits[t] = recognition_rate * applications[t - lag]`` and
    ``permit_holders[t] = permits[t] + nareizigers[t]`` (nareizigers receive
    their permit on arrival). A quarter whose lagged applications or whose
    nareizigers are missing gets ``NaN``: gaps are not filled.

    Parameters
    ----------
    applications : pandas.Series or pandas.DataFrame
        First asylum applications per quarter (see
        :func:`toolkit.forecast.as_quarterly`), e.g.
        ``forecast.quarterly_series("eerste_aanvragen")``, possibly followed by
        a forecast scenario.
    nareizigers : pandas.Series or pandas.DataFrame, optional
        Nareizigers per quarter; ``None`` leaves them out (column is ``NaN``
        and permit_holders equals permits).
    recognition_rate : float
        Share of applications that leads to a permit, 0..1 (keyword-only);
        default :data:`RECOGNITION_RATE`.
    lag : int
        Quarters from application to permit (keyword-only); default
        :data:`PROCESSING_LAG` (an assumption).

    Returns
    -------
    pandas.DataFrame
        Columns period (``'2019-Q1'``), half_year, applications (of quarter
        ``t - lag``), permits, nareizigers, permit_holders.

    Examples
    --------
    >>> apps = pd.Series([1000.0, 2000.0], index=["2019-Q1", "2019-Q2"])
    >>> nar = pd.Series([100.0, 100.0, 100.0], index=["2019-Q2", "2019-Q3", "2019-Q4"])
    >>> permits_from_inflow(apps, nar, recognition_rate=0.5, lag=2)["permit_holders"].tolist()
    [nan, 600.0, 1100.0]
    """
    from .forecast import as_quarterly

    rate = _check_rate(recognition_rate)
    lag = _check_lag(lag)
    apps = as_quarterly(applications, name="permits_from_inflow: applications")
    shifted = apps.copy()
    shifted.index = shifted.index + lag
    parts = [shifted]
    nar = None
    if nareizigers is not None:
        nar = as_quarterly(nareizigers, name="permits_from_inflow: nareizigers")
        parts.append(nar)
    start = min(p.index[0] for p in parts)
    end = max(p.index[-1] for p in parts)
    grid = pd.period_range(start, end, freq="Q")
    a = shifted.reindex(grid)
    n = nar.reindex(grid) if nar is not None else pd.Series(np.nan, index=grid)
    permits = rate * a
    holders = permits + n if nar is not None else permits
    out = pd.DataFrame(
        {
            "period": [f"{p.year}-Q{p.quarter}" for p in grid],
            "half_year": [f"{p.year}-{'I' if p.quarter <= 2 else 'II'}" for p in grid],
            "applications": a.to_numpy(),
            "permits": permits.to_numpy(),
            "nareizigers": n.to_numpy(),
            "permit_holders": holders.to_numpy(),
        }
    )
    out.attrs.update(recognition_rate=rate, lag=lag)
    return out


def half_year_estimate(permits):
    """National half-year taakstelling estimate: permit holders in the half year.

    Parameters
    ----------
    permits : pandas.DataFrame
        Output of :func:`permits_from_inflow` (columns period, permit_holders).

    Returns
    -------
    pandas.DataFrame
        Columns period (``'2019-I'``), estimate (persons; ``NaN`` unless both
        quarters are known), quarters (how many of the two are known).

    Examples
    --------
    >>> p = pd.DataFrame({"period": ["2019-Q1", "2019-Q2", "2019-Q3"], "permit_holders": [10.0, 20.0, 5.0]})
    >>> half_year_estimate(p).to_dict("list")
    {'period': ['2019-I', '2019-II'], 'estimate': [30.0, nan], 'quarters': [2, 1]}
    """
    if not isinstance(permits, pd.DataFrame) or not {"period", "permit_holders"} <= set(permits.columns):
        raise ValidationError("half_year_estimate: expected the output of permits_from_inflow() with columns period, permit_holders")
    d = pd.DataFrame({"period": [half_year(p) for p in permits["period"]], "v": permits["permit_holders"].astype(float)})
    g = d.groupby("period", sort=False)["v"]
    out = pd.DataFrame({"estimate": g.sum(min_count=1), "quarters": g.count()}).reset_index()
    out.loc[out["quarters"] < 2, "estimate"] = np.nan
    out["quarters"] = out["quarters"].astype(int)
    return out


def _next_half(period):
    year, half = str(period).split("-")
    return f"{year}-II" if half == "I" else f"{int(year) + 1}-I"


def carry_over(table=None, *, initial_backlog=0.0):
    """Carry each half year's backlog (or lead) into the next one.

    ``target_incl_backlog = target + backlog_start`` and ``balance_end =
    housed - target_incl_backlog`` (negative: a backlog); the next half year
    starts with ``backlog_start = -balance_end``. Published figures are used
    where known (``backlog_start``, ``target_incl_backlog``, ``balance_end``
    in the table); the rest is computed. A half year whose predecessor is
    absent from the table, or whose realisation is unknown, leaves the
    backlog unknown (``NaN``) until a published figure restarts it.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Columns period (``'2019-I'``), target and optionally housed,
        backlog_start, target_incl_backlog, balance_end, and code (then each
        municipality is carried over separately). Default: the shipped
        national table (:func:`toolkit.data.load_taakstelling`).
    initial_backlog : float or None
        Backlog at the start of the first half year when the table does not
        give it (keyword-only); ``None`` means unknown. For the shipped table
        it is always unknown (2014 was not found).

    Returns
    -------
    pandas.DataFrame
        Columns (code,) period, target, backlog_start, target_incl_backlog,
        housed, balance_end, basis (``gepubliceerd`` when the end balance is
        published, ``berekend`` when computed, ``onbekend`` when it cannot be).

    Examples
    --------
    >>> t = pd.DataFrame({"period": ["2030-I", "2030-II", "2031-I"], "target": [100, 100, 100],
    ...                   "housed": [80, 130, None]})
    >>> carry_over(t)[["backlog_start", "target_incl_backlog", "balance_end"]].values.tolist()
    [[0.0, 100.0, -20.0], [20.0, 120.0, 10.0], [-10.0, 90.0, nan]]
    """
    if table is None:
        from .data import load_taakstelling

        table, initial_backlog = load_taakstelling(), None
    if not isinstance(table, pd.DataFrame) or not {"period", "target"} <= set(table.columns):
        found = list(table.columns) if isinstance(table, pd.DataFrame) else type(table).__name__
        raise ValidationError(f"carry_over: expected a frame with columns period, target (and housed), found {found}")
    d = table.copy()
    for col in ("target", "housed", "backlog_start", "target_incl_backlog", "balance_end"):
        d[col] = pd.to_numeric(d[col], errors="coerce").astype(float) if col in d.columns else np.nan
    bad = d.index[d["target"].isna() | (d["target"] < 0)].tolist()
    if bad:
        raise ValidationError(f"carry_over: column 'target' must hold non-negative numbers, found problems at rows {bad}")
    neg = d.index[d["housed"] < 0].tolist()
    if neg:
        raise ValidationError(f"carry_over: column 'housed' cannot be negative, found {d.loc[neg, 'housed'].tolist()} at rows {neg}")
    d["period"] = d["period"].astype(str).str.strip()
    wrong = ~d["period"].str.match(r"^\d{4}-(I|II)$")
    if wrong.any():
        raise ValidationError(f"carry_over: column 'period' must hold half years like '2019-I', found {d.loc[wrong, 'period'].tolist()}")
    keys = ["code"] if "code" in d.columns else []
    dup = d.duplicated(keys + ["period"])
    if dup.any():
        raise ValidationError(
            f"carry_over: each period once{' per code' if keys else ''}, found duplicates {d.loc[dup, 'period'].tolist()}"
        )
    d["_order"] = [int(p[:4]) * 2 + p.endswith("II") for p in d["period"]]
    start0 = np.nan if initial_backlog is None else float(initial_backlog)
    rows = []
    for _, g in d.groupby(keys, sort=False) if keys else [(None, d)]:
        prev_period, prev_balance = None, np.nan
        for _, r in g.sort_values("_order").iterrows():
            if pd.notna(r["backlog_start"]):
                start = r["backlog_start"]
            elif pd.notna(r["target_incl_backlog"]):
                start = r["target_incl_backlog"] - r["target"]
            elif prev_period is None:
                start = start0
            elif _next_half(prev_period) == r["period"]:
                start = -prev_balance
            else:
                start = np.nan
            incl = r["target_incl_backlog"] if pd.notna(r["target_incl_backlog"]) else r["target"] + start
            if pd.notna(r["balance_end"]):
                balance, basis = r["balance_end"], "gepubliceerd"
            elif pd.notna(r["housed"]) and pd.notna(incl):
                balance, basis = r["housed"] - incl, "berekend"
            else:
                balance, basis = np.nan, "onbekend"
            rows.append(
                {**{k: r[k] for k in keys}, "period": r["period"], "target": float(r["target"]),
                 "backlog_start": float(start), "target_incl_backlog": float(incl), "housed": float(r["housed"]),
                 "balance_end": float(balance), "basis": basis}
            )
            prev_period, prev_balance = r["period"], balance
    return pd.DataFrame(rows)


def compare_with_published(*, recognition_rate=RECOGNITION_RATE, lag=PROCESSING_LAG, start="2019-I", end="2024-I"):
    """How close the chain gets to the published national targets.

    Runs :func:`permits_from_inflow` and :func:`half_year_estimate` on the
    shipped quarterly series (realised inflow, so this checks the chain, not
    a forecast) and sets the result beside the published national target
    (without backlog) of each half year from ``start`` to ``end``.

    Returns
    -------
    pandas.DataFrame
        Columns period, published, estimate, error (estimate - published),
        pct (error as % of published), applications (lagged first
        applications in the half year), nareizigers, implied_rate (the
        recognition rate that would have hit the published target exactly:
        ``(published - nareizigers) / applications``). Half years whose
        inputs are incomplete keep ``NaN``.
    """
    from .data import load_taakstelling
    from .forecast import quarterly_series

    apps = quarterly_series("eerste_aanvragen")
    nar = quarterly_series("nareizigers")
    p = permits_from_inflow(apps, nar, recognition_rate=recognition_rate, lag=lag)
    est = half_year_estimate(p).set_index("period")["estimate"]
    g = p.groupby("half_year")
    full = g.count()["permit_holders"] == 2
    lagged = g["applications"].sum(min_count=2).where(full)
    narh = g["nareizigers"].sum(min_count=2).where(full)
    pub = load_taakstelling().set_index("period")["target"].astype(float)
    order = {q: int(q[:4]) * 2 + q.endswith("II") for q in pub.index}
    lo, hi = int(start[:4]) * 2 + start.endswith("II"), int(end[:4]) * 2 + end.endswith("II")
    periods = [q for q in pub.index if lo <= order[q] <= hi]
    out = pd.DataFrame({"period": periods, "published": pub[periods].to_numpy()})
    out["estimate"] = est.reindex(periods).to_numpy()
    out["error"] = out["estimate"] - out["published"]
    out["pct"] = 100 * out["error"] / out["published"]
    out["applications"] = lagged.reindex(periods).to_numpy()
    out["nareizigers"] = narh.reindex(periods).to_numpy()
    out["implied_rate"] = (out["published"] - out["nareizigers"]) / out["applications"]
    out.attrs.update(recognition_rate=recognition_rate, lag=lag)
    return out
