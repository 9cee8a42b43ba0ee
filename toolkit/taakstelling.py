"""The taakstelling: each municipality's share of the national housing target.

The minister sets a national number of permit holders to house per half year;
each municipality's share is proportional to its population (Huisvestingswet
2014). This module turns a national target into municipal targets, and builds
the chain from inflow to taakstelling:

1. :func:`permits_from_inflow`: the route applications -> decisions (after a
   processing lag) -> grants (the published grant rate of the decision's
   period, :func:`grant_rates`) -> permits, plus nareizigers, per quarter;
2. :func:`half_year_estimate`: the national half-year estimate (sum of the
   two quarters; missing when a quarter is missing, never filled);
3. :func:`municipal_targets`: each municipality's share by population;
4. :func:`carry_over`: the backlog (or lead) carried into the next half year,
   from published realisation where known;
5. :func:`compare_with_published`: how close the chain gets to the published
   national targets 2019-I..2024-I;
6. :func:`target_backtest`, :func:`target_scores` and :func:`target_rule`:
   the chain, fed by the forecasts made when the target was set, and the mean
   of chain and carry-forward, against "last target carried forward" over
   2019-I..2025-II; a forecast becomes the default only when it beats
   carry-forward on the same half years and over the whole window, else
   carry-forward is; :func:`national_target` uses the published target where
   it exists and otherwise the chosen rule, with its 80 % band;
7. :func:`check_published_targets`: municipal targets that contradict the
   national one.
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
    "grant_rates",
    "permits_from_inflow",
    "half_year_estimate",
    "half_year",
    "carry_over",
    "compare_with_published",
    "TARGET_LEAD",
    "target_backtest",
    "TARGET_RULES",
    "target_scores",
    "target_rule",
    "national_target",
    "check_published_targets",
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


def _quarter_label(p):
    return f"{p.year}-Q{p.quarter}"


def grant_rates(periods, *, known_at=None):
    """Grant rate per quarter from the published rates (``geodata/grant_rates.csv``).

    A published yearly rate holds for the four quarters of that year, a
    quarterly one for its quarter. Between and after publications the last
    published rate is carried forward, and before the first one (2022) the
    middle of the published 70-85 % range (:data:`RECOGNITION_RATE`) is
    used; both are assumptions and say so in ``basis``.

    Parameters
    ----------
    periods : iterable of quarters (``'2023-Q1'`` or ``pandas.Period``)
    known_at : date-like, optional
        Use only the rates whose cited publication (column ``published``) is
        on or before this date: what a planner could have known then (the
        backtest's origin). Default: every shipped rate.

    Returns
    -------
    pandas.DataFrame
        Columns period, grant_rate (share 0..1), basis (``gepubliceerd``,
        ``aanname: laatst gepubliceerd`` or ``aanname: midden 70-85 %``).

    Examples
    --------
    >>> grant_rates(["2021-Q4", "2022-Q3", "2024-Q1", "2025-Q1"])["grant_rate"].tolist()
    [0.775, 0.78, 0.62, 0.4]
    """
    from .data import load_grant_rates

    pub = load_grant_rates()
    if known_at is not None:
        pub = pub[pub["published"] <= pd.Timestamp(known_at)]
    known = {}
    for period, gran, rate in zip(pub["period"], pub["granularity"], pub["grant_rate"]):
        if gran == "jaar":
            for q in range(1, 5):
                known.setdefault(pd.Period(f"{period}Q{q}", freq="Q"), float(rate))
        else:
            known[pd.Period(period.replace("-Q", "Q"), freq="Q")] = float(rate)
    order = sorted(known)
    rows = []
    for p in periods:
        q = p if isinstance(p, pd.Period) else pd.Period(str(p).upper().replace("-Q", "Q"), freq="Q")
        if q in known:
            rows.append((_quarter_label(q), known[q], "gepubliceerd"))
            continue
        before = [k for k in order if k < q]
        if before:
            rows.append((_quarter_label(q), known[before[-1]], "aanname: laatst gepubliceerd"))
        else:
            rows.append((_quarter_label(q), RECOGNITION_RATE, "aanname: midden 70-85 %"))
    return pd.DataFrame(rows, columns=["period", "grant_rate", "basis"])


def permits_from_inflow(applications, nareizigers=None, *, recognition_rate=RECOGNITION_RATE, lag=PROCESSING_LAG):
    """Permit holders per quarter, stage by stage, from first applications and nareizigers.

    ``decisions[t] = applications[t - lag]`` (every application is decided
    after the processing lag), ``permits[t] = grant_rate[t] * decisions[t]``
    and ``permit_holders[t] = permits[t] + nareizigers[t]`` (nareizigers
    receive their permit on arrival). A quarter whose lagged applications or
    whose nareizigers are missing gets ``NaN``: gaps are not filled.

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
    recognition_rate : float or ``"gepubliceerd"`` or pandas.Series
        The grant rate (share of decisions that grant a permit, 0..1;
        keyword-only): one number for every quarter, ``"gepubliceerd"`` for
        the published rate of each decision quarter (:func:`grant_rates`), or
        a Series of rates indexed by quarter. Default :data:`RECOGNITION_RATE`.
    lag : int
        Quarters from application to decision (keyword-only); default
        :data:`PROCESSING_LAG` (an assumption).

    Returns
    -------
    pandas.DataFrame
        Columns period (``'2019-Q1'``), half_year, applications (filed in the
        quarter), decisions (applications of quarter ``t - lag``),
        grant_rate, grant_rate_basis, permits, nareizigers, permit_holders.

    Raises
    ------
    ValidationError
        A rate outside 0..1, a bad lag, or fewer observed application
        quarters than the lag (no decision would fall inside the data).

    Examples
    --------
    >>> apps = pd.Series([1000.0, 2000.0], index=["2019-Q1", "2019-Q2"])
    >>> nar = pd.Series([100.0, 100.0, 100.0], index=["2019-Q2", "2019-Q3", "2019-Q4"])
    >>> permits_from_inflow(apps, nar, recognition_rate=0.5, lag=2)["permit_holders"].tolist()
    [nan, 600.0, 1100.0]
    """
    from .forecast import as_quarterly

    lag = _check_lag(lag)
    apps = as_quarterly(applications, name="permits_from_inflow: applications")
    n_obs = int(apps.notna().sum())
    if 0 < lag and n_obs < lag:
        raise ValidationError(
            f"permits_from_inflow: applications: {n_obs} observed quarter(s) "
            f"({_quarter_label(apps.index[0])}..{_quarter_label(apps.index[-1])}) is shorter than the processing "
            f"lag of {lag} quarters, so no decision falls inside the data; give a longer series or a shorter lag"
        )
    shifted = apps.copy()
    shifted.index = shifted.index + lag
    parts = [shifted]
    nar = None
    if nareizigers is not None:
        nar = as_quarterly(nareizigers, name="permits_from_inflow: nareizigers")
        parts.append(nar)
    grid = pd.period_range(min(p.index[0] for p in parts), max(p.index[-1] for p in parts), freq="Q")
    rates = _rates_for(recognition_rate, grid)
    a = apps.reindex(grid)
    d = shifted.reindex(grid)
    n = nar.reindex(grid) if nar is not None else pd.Series(np.nan, index=grid)
    permits = rates["grant_rate"].to_numpy() * d.to_numpy()
    holders = permits + n.to_numpy() if nar is not None else permits
    out = pd.DataFrame(
        {
            "period": [_quarter_label(p) for p in grid],
            "half_year": [f"{p.year}-{'I' if p.quarter <= 2 else 'II'}" for p in grid],
            "applications": a.to_numpy(),
            "decisions": d.to_numpy(),
            "grant_rate": rates["grant_rate"].to_numpy(),
            "grant_rate_basis": rates["basis"].to_numpy(),
            "permits": permits,
            "nareizigers": n.to_numpy(),
            "permit_holders": holders,
        }
    )
    out.attrs.update(recognition_rate=recognition_rate if isinstance(recognition_rate, (str, float)) else "per kwartaal", lag=lag)
    return out


def _rates_for(rate, grid):
    """Per-quarter grant rates on ``grid`` from a number, 'gepubliceerd' or a Series."""
    if isinstance(rate, str):
        if rate != "gepubliceerd":
            raise ValidationError(f"'recognition_rate' must be a share between 0 and 1, 'gepubliceerd' or a Series, got {rate!r}")
        return grant_rates(grid)
    if isinstance(rate, pd.Series):
        from .forecast import as_quarterly

        try:
            r = as_quarterly(rate, name="recognition_rate")
        except ValidationError as err:
            raise ValidationError(f"'recognition_rate' as a Series: {err}") from None
        bad = r[(r < 0) | (r > 1)]
        if len(bad):
            raise ValidationError(
                f"'recognition_rate' must hold shares between 0 and 1, found {bad.iloc[0]:g} in {_quarter_label(bad.index[0])}"
            )
        r = r.reindex(grid)
        if r.isna().any():
            raise ValidationError(
                f"'recognition_rate' as a Series has no rate for {_quarter_label(r.index[r.isna()][0])}; "
                "give a rate for every decision quarter (or 'gepubliceerd')"
            )
        return pd.DataFrame({"grant_rate": r.to_numpy(), "basis": "opgegeven"})
    return pd.DataFrame({"grant_rate": np.full(len(grid), _check_rate(rate)), "basis": "opgegeven"})


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
        pct (error as % of published), applications (decisions: lagged first
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
    lagged = g["decisions"].sum(min_count=2).where(full)
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


# --------------------------------------------------------------------------- targets beyond the published ones

#: Quarters between the last quarter of data and the start of the half year
#: whose target is being set: the target for 2023-I was published on
#: 30-9-2022, when inflow data up to 2022-Q2 could be known.
TARGET_LEAD = 3


def _half_order(period):
    return int(period[:4]) * 2 + period.endswith("II")


def _half_quarters(period):
    first = pd.Period(f"{period[:4]}Q{1 if period.endswith('-I') else 3}", freq="Q")
    return first, first + 1


def _chain_half_year(apps, nar, period, origin, *, recognition_rate, lag, model, rates_as_of_origin=True):
    """Chain estimate of one half year from the data up to ``origin`` plus the model's forecasts.

    ``rates_as_of_origin``: with ``recognition_rate="gepubliceerd"``, only the
    grant rates published by the end of the origin quarter (a backtest);
    ``False`` takes every shipped rate (a forecast made today).
    """
    from sklearn.base import clone

    from .forecast import Combination

    first, last = _half_quarters(period)
    ext = []
    for s in (apps, nar):
        known = s[s.index <= origin].dropna()
        h = (last - known.index[-1]).n
        if h > 0:
            m = clone(model if model is not None else Combination()).fit(known)
            fc = m.predict(h)
            fut = pd.Series(fc["y_pred"].to_numpy(), index=pd.PeriodIndex(fc["period"].str.replace("-Q", "Q"), freq="Q"))
            known = pd.concat([known, fut])
        ext.append(known)
    if rates_as_of_origin and isinstance(recognition_rate, str) and recognition_rate == "gepubliceerd":
        quarters = pd.period_range(ext[0].index[0], ext[0].index[-1] + lag, freq="Q")
        known = grant_rates(quarters, known_at=origin.end_time)
        recognition_rate = pd.Series(known["grant_rate"].to_numpy(), index=quarters)
    p = permits_from_inflow(ext[0], ext[1], recognition_rate=recognition_rate, lag=lag).set_index("period")
    labels = [_quarter_label(first), _quarter_label(last)]
    if not set(labels) <= set(p.index):
        return np.nan
    return float(p.loc[labels, "permit_holders"].sum(min_count=2))


def target_backtest(start="2019-I", end="2025-II", *, lead=TARGET_LEAD, recognition_rate="gepubliceerd",
                    lag=PROCESSING_LAG, model=None):
    """Rolling backtest of the national half-year target: the chain against carry-forward.

    For every half year from ``start`` to ``end`` with a published target:

    - ``carry_forward``: the last target published before it (the simple rule);
    - ``chain``: :func:`permits_from_inflow` fed with the inflow known
      ``lead`` quarters before the half year starts and the model's
      forecasts after that (what could have been computed when the target
      was set), summed over the half year;
    - ``combination``: the mean of ``chain`` and ``carry_forward``;
    - ``chain_realised``: the chain with the realised inflow (a check of the
      chain itself, not a forecast).

    With ``recognition_rate="gepubliceerd"`` the chain uses only the grant
    rates published by the end of the origin quarter (column ``published``
    of ``grant_rates.csv``: 2022 and 2023 from 2-2-2024, 2025-Q1's 40 % from
    26-9-2025), carried forward as :func:`grant_rates` does, so the
    backtest has no look-ahead on the rates. ``chain_realised`` uses every
    shipped rate.

    Returns
    -------
    pandas.DataFrame
        Columns period, published, carry_forward, carry_forward_from, origin,
        chain, chain_realised, combination, and per estimate the error err_*
        (estimate - published) and pct_* (% of published) for carry_forward,
        chain and combination.
    """
    from .data import load_taakstelling
    from .forecast import as_quarterly, quarterly_series

    apps = as_quarterly(quarterly_series("eerste_aanvragen"), name="eerste_aanvragen")
    nar = as_quarterly(quarterly_series("nareizigers"), name="nareizigers")
    pub = load_taakstelling()[["period", "target"]]
    pub = pub.assign(order=pub["period"].map(_half_order)).sort_values("order")
    real = half_year_estimate(permits_from_inflow(apps, nar, recognition_rate=recognition_rate, lag=lag)).set_index("period")
    rows = []
    for period, target, order in zip(pub["period"], pub["target"], pub["order"]):
        if not _half_order(start) <= order <= _half_order(end):
            continue
        before = pub[pub["order"] < order]
        first, _ = _half_quarters(period)
        origin = first - lead
        chain = np.nan
        if (apps.index[0] + 8) <= origin:  # two seasons of data before the origin
            chain = _chain_half_year(apps, nar, period, origin, recognition_rate=recognition_rate, lag=lag, model=model)
        rows.append({
            "period": period, "published": float(target),
            "carry_forward": float(before["target"].iloc[-1]) if len(before) else np.nan,
            "carry_forward_from": before["period"].iloc[-1] if len(before) else None,
            "origin": _quarter_label(origin), "chain": chain,
            "chain_realised": float(real["estimate"].get(period, np.nan)),
        })
    out = _with_combination(pd.DataFrame(rows))
    for col in ("carry_forward", "chain", "combination"):
        out[f"err_{col}"] = out[col] - out["published"]
        out[f"pct_{col}"] = 100 * out[f"err_{col}"] / out["published"]
    out.attrs.update(lead=lead, lag=lag, recognition_rate=recognition_rate)
    return out


#: The candidate rules for a half year without a published target, in the order they are shown:
#: method code -> (column of :func:`target_backtest`, Dutch name).
TARGET_RULES = {
    "doortrekken": ("carry_forward", "doortrekken van de vorige taakstelling"),
    "keten": ("chain", "de keten (instroom x inwilligingspercentage + nareizigers)"),
    "combinatie": ("combination", "het gemiddelde van keten en doortrekken"),
}


def _with_combination(bt):
    """``bt`` with column combination: the mean of chain and carry_forward (missing when either is)."""
    return bt.assign(combination=(bt["chain"] + bt["carry_forward"]) / 2)


def _pct(estimate, published):
    return 100 * (estimate - published) / published


def target_scores(bt=None):
    """Every candidate rule's error in the target backtest, on the same half years and on the whole window.

    The candidates (:data:`TARGET_RULES`): ``doortrekken`` (the last
    published target carried forward), ``keten`` (the chain fed by the
    forecasts made when the target was set) and ``combinatie`` (the mean of
    the two: an equal-weights forecast combination, nothing fitted).
    ``overlap`` is the half years where every candidate exists, ``window``
    every half year of ``bt`` where the candidate exists.

    Parameters
    ----------
    bt : pandas.DataFrame, optional
        Columns period, published, carry_forward, chain (as
        :func:`target_backtest`); default the backtest on the shipped data,
        2019-I..2025-II.

    Returns
    -------
    pandas.DataFrame
        One row per candidate: method, n_overlap, mape_overlap, bias_overlap
        (mean % error, estimate - published), n_window, mape_window,
        bias_window, closer (overlap half years where the candidate is
        closer to the published target than carry-forward; ``NaN`` for
        carry-forward itself) and eligible (see :func:`target_rule`).

    Examples
    --------
    >>> bt = pd.DataFrame({"period": ["2030-I", "2030-II", "2031-I"], "published": [100.0, 100.0, 100.0],
    ...                    "carry_forward": [130.0, 90.0, 100.0], "chain": [None, 110.0, 104.0]})
    >>> target_scores(bt).set_index("method")[["n_overlap", "mape_overlap", "mape_window"]].round(1).values.tolist()
    [[2.0, 5.0, 13.3], [2.0, 7.0, 7.0], [2.0, 1.0, 1.0]]
    """
    bt = _default_backtest() if bt is None else bt
    need = {"period", "published", "carry_forward", "chain"}
    if not isinstance(bt, pd.DataFrame) or not need <= set(bt.columns):
        found = list(bt.columns) if isinstance(bt, pd.DataFrame) else type(bt).__name__
        raise ValidationError(f"target_scores: expected the output of target_backtest() with columns {sorted(need)}, found {found}")
    bt = _with_combination(bt)
    pct = pd.DataFrame({m: _pct(bt[col].astype(float), bt["published"].astype(float)) for m, (col, _) in TARGET_RULES.items()})
    overlap = pct.notna().all(axis=1)
    if not overlap.any():
        raise ValidationError("target_scores: no half year has both a carry-forward and a chain estimate")
    rows = []
    for m in TARGET_RULES:
        o, w = pct.loc[overlap, m], pct[m].dropna()
        closer = np.nan if m == "doortrekken" else float((o.abs() < pct.loc[overlap, "doortrekken"].abs()).sum())
        rows.append({"method": m, "n_overlap": int(len(o)), "mape_overlap": float(o.abs().mean()),
                     "bias_overlap": float(o.mean()), "n_window": int(len(w)), "mape_window": float(w.abs().mean()),
                     "bias_window": float(w.mean()), "closer": closer})
    out = pd.DataFrame(rows)
    cf = out.set_index("method").loc["doortrekken"]
    out["eligible"] = (out["method"] == "doortrekken") | (
        (out["mape_overlap"] < cf["mape_overlap"]) & (out["mape_window"] < cf["mape_window"]))
    out.attrs.update(window=f"{bt['period'].iloc[0]} t/m {bt['period'].iloc[-1]}")
    return out


def target_rule(bt=None):
    """Which rule sets the national target beyond the published ones, and why.

    The criterion (issue 13): a forecast rule (``keten`` or ``combinatie``,
    see :func:`target_scores`) becomes the default only when its mean
    absolute percentage error (MAPE) in the rolling backtest
    (:func:`target_backtest`)

    1. is below carry-forward's on the same half years, **and**
    2. is below carry-forward's MAPE over the whole window (2019-I..2025-II
       for the shipped data: every half year with a previous target).

    Of the forecast rules that pass both, the one with the lowest MAPE wins;
    when none passes, carry-forward (``doortrekken``) is the default. The
    80 % band of the chosen rule is the conformal quantile
    (:func:`toolkit.forecast.conformal_quantile`) of its own
    ``|log(published / estimate)|`` over every half year of the window where
    it exists.

    Caveats: the window has 13 half years and the forecasts exist for 9 of
    them, so one half year moves a MAPE by several points; the combination
    was added as a candidate after the chain's backtest was known (it has no
    fitted weights, but the choice of candidates is not blind), and the band
    comes from the same errors that chose the rule.

    Returns
    -------
    pandas.DataFrame
        One row: method (``doortrekken``, ``keten`` or ``combinatie``), mape,
        bias (mean % error) and n (half years) of the chosen rule over the
        window, mape_carry_forward (carry-forward over the window), band80
        (log factor), reason (Dutch: which rule and why).

    Examples
    --------
    >>> bt = pd.DataFrame({"period": ["2030-I", "2030-II", "2031-I"], "published": [100.0, 100.0, 100.0],
    ...                    "carry_forward": [130.0, 90.0, 100.0], "chain": [None, 110.0, 104.0]})
    >>> target_rule(bt)["method"].item()
    'combinatie'
    """
    from ._format import fmt_num
    from .forecast import conformal_quantile

    bt = _default_backtest() if bt is None else bt
    scores = target_scores(bt).set_index("method")
    passing = scores[scores["eligible"] & (scores.index != "doortrekken")]
    method = passing["mape_window"].idxmin() if len(passing) else "doortrekken"
    est = _with_combination(bt)[TARGET_RULES[method][0]]
    ok = est.notna()
    ratio = np.abs(np.log(bt.loc[ok, "published"].astype(float) / est[ok]))
    band = conformal_quantile(ratio, 0.8)
    if np.isinf(band):
        band = float(ratio.max())
    s, cf = scores.loc[method], scores.loc["doortrekken"]
    pct = lambda v: f"{fmt_num(v, 1)} %"  # noqa: E731
    name = {m: label for m, (_, label) in TARGET_RULES.items()}
    window = scores.attrs["window"]
    rule = (f"een prognose wordt alleen de standaard als ze doortrekken op dezelfde halfjaren verslaat én onder de "
            f"{pct(cf['mape_window'])} van doortrekken over het hele venster blijft")
    others = "; ".join(f"{name[m]} {pct(scores.loc[m, 'mape_window'])}" for m in TARGET_RULES if m not in ("doortrekken", method))
    if method == "doortrekken":
        reason = (f"Gekozen: {name[method]}. In de terugblik {window} zat dat gemiddeld {pct(cf['mape_window'])} naast "
                  f"de gepubliceerde taakstelling ({int(cf['n_window'])} halfjaren); op de {int(cf['n_overlap'])} "
                  f"halfjaren met een prognose {pct(cf['mape_overlap'])}, tegen {others}. Regel: {rule}. Geen "
                  f"prognose haalt dat, dus doortrekken, met een 80 %-band uit de eigen fouten van die regel.")
    else:
        reason = (f"Gekozen: {name[method]}. In de terugblik {window} zat dat gemiddeld {pct(s['mape_window'])} naast "
                  f"de gepubliceerde taakstelling ({int(s['n_window'])} halfjaren, {int(s['closer'])} keer dichterbij "
                  f"dan doortrekken), doortrekken {pct(cf['mape_overlap'])} op dezelfde halfjaren en "
                  f"{pct(cf['mape_window'])} over alle {int(cf['n_window'])}; {others}. Regel: {rule}.")
    return pd.DataFrame([{"method": method, "mape": float(s["mape_window"]), "bias": float(s["bias_window"]),
                          "n": int(s["n_window"]), "mape_carry_forward": float(cf["mape_window"]),
                          "band80": float(band), "reason": reason}])


_BACKTEST_CACHE = {}


def _default_backtest():
    if "bt" not in _BACKTEST_CACHE:
        _BACKTEST_CACHE["bt"] = target_backtest()
    return _BACKTEST_CACHE["bt"].copy()


def national_target(period, *, rule=None):
    """The national target of a half year: published where it exists, else the chosen rule with a band.

    Parameters
    ----------
    period : str
        Half year like ``'2026-I'``.
    rule : pandas.DataFrame, optional
        Output of :func:`target_rule`; default the rule on the shipped data.

    Returns
    -------
    pandas.DataFrame
        One row: period, target, lo80, hi80 (equal to target when
        published), basis (``gepubliceerd``, ``laatste taakstelling
        doorgetrokken``, ``keten`` or ``combinatie``), method, reason.
    """
    from .data import load_taakstelling

    period = str(period).strip()
    if not pd.Series([period]).str.match(r"^\d{4}-(I|II)$").item():
        raise ValidationError(f"national_target: 'period' must be a half year like '2026-I', got {period!r}")
    pub = load_taakstelling().set_index("period")["target"].astype(float)
    if period in pub.index:
        t = float(pub[period])
        return pd.DataFrame([{"period": period, "target": t, "lo80": t, "hi80": t, "basis": "gepubliceerd",
                              "method": "gepubliceerd", "reason": "gepubliceerde taakstelling"}])
    rule = target_rule() if rule is None else rule
    method, band = rule["method"].item(), float(rule["band80"].item())
    if method not in TARGET_RULES:
        raise ValidationError(f"national_target: rule method must be one of {list(TARGET_RULES)}, got {method!r}")
    estimates = {}
    if method in ("doortrekken", "combinatie"):
        earlier = [p for p in pub.index if _half_order(p) < _half_order(period)]
        if not earlier:
            raise ValidationError(f"national_target: no published target before {period} to carry forward")
        estimates["doortrekken"] = float(pub[max(earlier, key=_half_order)])
    if method in ("keten", "combinatie"):
        from .forecast import as_quarterly, quarterly_series

        apps = as_quarterly(quarterly_series("eerste_aanvragen"), name="eerste_aanvragen")
        nar = as_quarterly(quarterly_series("nareizigers"), name="nareizigers")
        origin = min(apps.index[-1], nar.index[-1])
        estimates["keten"] = _chain_half_year(apps, nar, period, origin, recognition_rate="gepubliceerd",
                                              lag=PROCESSING_LAG, model=None, rates_as_of_origin=False)
    target = float(np.mean(list(estimates.values())))
    basis = "laatste taakstelling doorgetrokken" if method == "doortrekken" else method
    return pd.DataFrame([{"period": period, "target": target, "lo80": target * np.exp(-band),
                          "hi80": target * np.exp(band), "basis": basis, "method": method,
                          "reason": rule["reason"].item()}])


def check_published_targets(national, municipal, *, complete=False, source="municipal targets"):
    """Raise when municipal targets contradict the published national target.

    Each municipal target is the national one times a population share,
    rounded to whole persons, so ``n`` municipalities can differ from their
    exact share by at most ``n / 2`` persons in total. The municipal targets
    of a period may therefore not add up to more than ``national + n / 2``;
    with ``complete=True`` (all municipalities of the country) they must lie
    within ``n / 2`` of it.

    Parameters
    ----------
    national : number or pandas.DataFrame
        One target, or a frame with columns period, target.
    municipal : pandas.DataFrame
        Columns period (when ``national`` is a frame), code, target.
    complete : bool
        The table holds every municipality (keyword-only).
    source : str
        Name of the table for the message (keyword-only).

    Returns
    -------
    pandas.DataFrame
        Per period: period, national, municipal_sum, n.

    Examples
    --------
    >>> m = pd.DataFrame({"code": ["GM0344", "GM0307"], "target": [300, 90]})
    >>> check_published_targets(1000, m)["municipal_sum"].item()
    390.0
    """
    if not isinstance(municipal, pd.DataFrame) or not {"code", "target"} <= set(municipal.columns):
        raise ValidationError(f"{source}: expected a table with columns code, target")
    m = municipal.copy()
    m["target"] = pd.to_numeric(m["target"], errors="coerce")
    if m["target"].isna().any() or (m["target"] < 0).any():
        i = int(np.flatnonzero(m["target"].isna().to_numpy() | (m["target"] < 0).to_numpy())[0])
        raise ValidationError(f"{source}: column 'target', row {i + 2}: expected a non-negative number, found {municipal['target'].iloc[i]!r}")
    if isinstance(national, numbers.Number) and not isinstance(national, bool):
        nat = {None: float(national)}
        m["period"] = None
    elif isinstance(national, pd.DataFrame) and {"period", "target"} <= set(national.columns):
        nat = dict(zip(national["period"], pd.to_numeric(national["target"], errors="coerce").astype(float)))
        if "period" not in m.columns:
            raise ValidationError(f"{source}: expected a column 'period' to match the national targets per period")
    else:
        raise ValidationError("check_published_targets: 'national' must be a number or a frame with columns period, target")
    rows = []
    for period, g in m.groupby("period", dropna=False, sort=False):
        key = None if pd.isna(period) else period
        if key not in nat:
            raise ValidationError(f"{source}: period {period!r} has no published national target")
        total, n, target = float(g["target"].sum()), len(g), nat[key]
        label = f"period {period}: " if key is not None else ""
        if total > target + n / 2:
            raise ValidationError(
                f"{source}: {label}the {n} municipal targets add up to {total:,.0f}, more than the national target "
                f"{target:,.0f} allows (at most {target + n / 2:,.0f} with rounding)"
            )
        if complete and abs(total - target) > n / 2:
            raise ValidationError(
                f"{source}: {label}the {n} municipal targets of the whole country add up to {total:,.0f}, "
                f"but the national target is {target:,.0f} (allowed difference from rounding: {n / 2:,.0f})"
            )
        rows.append({"period": key, "national": target, "municipal_sum": total, "n": n})
    return pd.DataFrame(rows)
