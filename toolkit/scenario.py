"""The collegedag scenario: from inflow to targets, households, matching and indicators.

One function, :func:`run`, takes the settings a facilitator changes on the
dashboard (:class:`Settings`) and returns every figure the dashboard, the
report and the maps show (:class:`Result`). The steps:

1. **Inflow** (``toolkit.forecast``): first applications and nareizigers for
   the next four quarters, scenario ``laag`` / ``midden`` / ``hoog`` or the
   user's own number of first applications per year.
2. **National half-year target**: ``(applications x recognition rate +
   nareizigers) / 2`` persons, or a number the user gives
   (``national_target``, e.g. the published 13,000 for 2017-I).
3. **Municipal targets** by population share (``toolkit.taakstelling``).
4. **Households**: referent households drawn in order from a synthetic
   caseload (``toolkit.households``, status ``synthetisch``) until each
   region's persons are reached; their final size after nareizigers, scaled
   when the user sets ``nareizigers_per_referent``.
5. **Supply**: dwellings free for permit holders per municipality and size
   class (``toolkit.matching.supply_from_stock``, status ``schatting``) plus
   the dwellings the user adds.
6. **Matching** for every scope that fits in the region (solo, U10, U16),
   the per-municipality table of the chosen scope, the kostendelersnorm cost
   of sharing (``toolkit.benefits``) and a displacement indicator.

Everything is computed offline from the shipped data; heavy inputs that do not
depend on the settings (forecasts, the caseload) are cached.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from ._errors import ValidationError

__all__ = ["Settings", "Result", "run", "scopes_for", "DATASETS"]

#: Registry names of the shipped datasets a scenario uses (for footers).
DATASETS = ("inflow", "taakstelling", "population", "municipalities", "regions", "housing_stock", "lettings",
            "benefit_norms")

INFLOW_SCENARIOS = ("laag", "midden", "hoog")
CASELOAD_SIZE = 20_000
MAX_PERSONS = 10


@dataclass(frozen=True)
class Settings:
    """What a facilitator can change. Every field is keyword-only and checked by :func:`run`.

    Parameters
    ----------
    region : str or tuple of str
        The municipalities taking part (``"U16"``, ``"U10"`` or CBS codes).
    year : int
        Municipal division, region composition and population year.
    inflow : str or number
        ``"laag"``, ``"midden"``, ``"hoog"`` (the inflow forecast's scenarios)
        or first asylum applications per year.
    recognition_rate : float
        Share of first applications that leads to a permit (0-1; default the
        middle of the published 70-85 %, FACTS.md §2).
    national_target : number, optional
        Persons to house nationally in the half year; overrides steps 1-2.
    period : str, optional
        Half year with a published national target (e.g. ``"2017-I"``, the
        half year after the collegedag): that target is the reference, and
        the inflow scenario scales it (see :func:`national_half_year`).
        Default ``"2017-I"`` (13,000 persons, published); ``None`` uses the
        forecast for the next half year.
    nareizigers_per_referent : float, optional
        Family members still to come per referent household, on average; they
        join the referents who are alone now. ``None`` keeps the synthetic
        caseload's own final sizes.
    share_singles_sharing : float
        Share of single adults willing to share a dwelling (kostendelersnorm).
    max_adults_sharing : int
        Adults per shared dwelling at most.
    final_size_dwellings : bool
        Families waiting for nareizigers get a dwelling for their final size.
    reserve : float
        Share of free dwellings kept in reserve for new inflow.
    extra_dwellings : int or dict
        Social-housing dwellings added per municipality this half year (one
        number for every municipality, or ``{code: number}``), spread over
        the size classes like the municipality's stock.
    scope : str or tuple
        The scope whose per-municipality figures are shown (``"solo"``,
        ``"U10"``, ``"U16"`` or codes).
    seed : int
        Seed of the household draw.
    """

    region: str | tuple = "U16"
    year: int = 2016
    inflow: str | float = "midden"
    recognition_rate: float = 0.775
    national_target: float | None = None
    period: str | None = "2017-I"
    nareizigers_per_referent: float | None = None
    share_singles_sharing: float = 0.0
    max_adults_sharing: int = 3
    final_size_dwellings: bool = True
    reserve: float = 0.0
    extra_dwellings: int | dict = 0
    scope: str | tuple = "U16"
    seed: int = 0

    def replace(self, **changes):
        """A copy with some settings changed."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValidationError(
                f"Settings: unknown setting(s) {unknown}; known: {[f.name for f in dataclasses.fields(self)]}"
            )
        return dataclasses.replace(self, **changes)


@dataclass
class Result:
    """Everything a scenario produces.

    Attributes
    ----------
    settings : Settings
    national : dict
        applications, nareizigers, recognition_rate, persons (national half-year
        target), period, basis (``prognose`` or ``opgegeven``).
    targets : DataFrame
        ``taakstelling.municipal_targets`` columns: period, code, name, share, target, target_int.
    households : DataFrame
        Matching households: household_id, size, adults, children, final_size, period (+ needs flags).
    supply : DataFrame
        code, size_class, dwellings (after added dwellings, before reserve).
    comparison : DataFrame
        ``matching.compare_scopes`` for the scopes of :func:`scopes_for`.
    municipalities : DataFrame
        Per municipality of the chosen scope (``MatchingModel.municipalities_``)
        plus dwellings_used, dwellings_needed (used + linked households still
        waiting), lettings (social-housing lettings in the half year: stock x
        turnover / 2 + added dwellings, schatting), displacement
        (dwellings_needed / lettings: the share of lettings that would go to
        permit holders to meet the target) and the sharing cost columns
        dwellings_saved, benefit_lost.
    sharing : DataFrame
        ``benefits.sharing_cost`` per municipality (empty when nobody shares).
    headline : dict
        A few figures for the top of the dashboard and the report.
    model : MatchingModel
        The solved model of the chosen scope.
    """

    settings: Settings
    national: dict
    targets: pd.DataFrame
    households: pd.DataFrame
    supply: pd.DataFrame
    comparison: pd.DataFrame
    municipalities: pd.DataFrame
    sharing: pd.DataFrame
    headline: dict
    model: object = field(repr=False, default=None)


def _check_settings(s):
    if not isinstance(s, Settings):
        raise ValidationError(f"run: expected toolkit.scenario.Settings, found {type(s).__name__}")
    problems = []

    def share(name, lo=0.0, hi=1.0, *, open_hi=False):
        v = getattr(s, name)
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not lo <= float(v) <= hi or (open_hi and v >= hi):
            problems.append(f"{name}: expected a number between {lo:g} and {hi:g}, found {v!r}")

    share("recognition_rate")
    share("share_singles_sharing")
    share("reserve", open_hi=True)
    if isinstance(s.inflow, str):
        if s.inflow not in INFLOW_SCENARIOS:
            problems.append(f"inflow: expected one of {list(INFLOW_SCENARIOS)} or a number per year, found {s.inflow!r}")
    elif isinstance(s.inflow, bool) or not isinstance(s.inflow, numbers.Real) or s.inflow < 0:
        problems.append(f"inflow: expected one of {list(INFLOW_SCENARIOS)} or a non-negative number, found {s.inflow!r}")
    for name in ("national_target", "nareizigers_per_referent"):
        v = getattr(s, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real) or v < 0):
            problems.append(f"{name}: expected a non-negative number or None, found {v!r}")
    if isinstance(s.max_adults_sharing, bool) or not isinstance(s.max_adults_sharing, numbers.Integral) or s.max_adults_sharing < 2:
        problems.append(f"max_adults_sharing: expected a whole number of at least 2, found {s.max_adults_sharing!r}")
    extra = s.extra_dwellings.values() if isinstance(s.extra_dwellings, dict) else [s.extra_dwellings]
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0 for v in extra):
        problems.append(f"extra_dwellings: expected whole numbers of at least 0, found {s.extra_dwellings!r}")
    if problems:
        raise ValidationError("Settings: " + "; ".join(problems), problems)


def _region_arg(region):
    return region if isinstance(region, str) else list(region)


def scopes_for(region, year=2016):
    """The scopes to compare within ``region``: solo, then U10 and U16 when they lie inside it.

    >>> scopes_for("U16", 2016)
    ['solo', 'U10', 'U16']
    >>> scopes_for("U10", 2016)
    ['solo', 'U10']
    """
    from .regions import region_codes

    members = set(region_codes(_region_arg(region), year))
    scopes = ["solo"]
    for name in ("U10", "U16"):
        try:
            codes = set(region_codes(name, year))
        except ValidationError:
            continue
        if codes <= members:
            scopes.append(name)
    if len(scopes) == 1 or not isinstance(region, str):
        scopes.append(_region_arg(region) if not isinstance(region, str) else region)
    return scopes


# ----------------------------------------------------------------- cached inputs


@lru_cache(maxsize=2)
def _inflow_forecasts():
    from . import forecast

    out = {}
    for series in ("eerste_aanvragen", "nareizigers"):
        fc = forecast.forecast(forecast.quarterly_series(series), horizon=4)
        out[series] = fc[fc["model"] == "seizoensmodel"].reset_index(drop=True)
    return out


@lru_cache(maxsize=4)
def _caseload(seed):
    from .households import current_size, synthetic_caseload

    c = synthetic_caseload(CASELOAD_SIZE, seed=seed)
    c = c.assign(size=current_size(c))
    # the largest dwelling class suits 10 persons: larger households are rare and left out here
    # (the matching model rejects them with a clear error when they come from a user's caseload)
    return c[c["final_size"] <= MAX_PERSONS].reset_index(drop=True)


@lru_cache(maxsize=2)
def _base_supply():
    from .matching import supply_from_stock

    return supply_from_stock()


def _half_year_label(period_start):
    p = pd.Timestamp(period_start)
    return f"{p.year}-{'I' if p.month <= 6 else 'II'}"


def _forecast_persons(inflow, recognition_rate):
    """Applications and nareizigers per year and persons per half year under an inflow scenario."""
    from . import forecast

    fcs = _inflow_forecasts()
    apps = forecast.scenario(fcs["eerste_aanvragen"], inflow)["value"].head(4).sum()
    nar = forecast.scenario(fcs["nareizigers"], inflow if isinstance(inflow, str) else "midden")["value"].head(4).sum()
    return float(apps), float(nar), float((apps * recognition_rate + nar) / 2)


def national_half_year(settings):
    """Steps 1-2: the national half-year target in persons and where it came from.

    - ``national_target`` given: that number (basis ``opgegeven``);
    - ``period`` given with a published target (``geodata/taakstelling.csv``):
      the published target, scaled by the inflow scenario's persons relative
      to the reference (``midden`` at the default recognition rate), so the
      reference scenario shows the published figure (basis ``gepubliceerd``
      or ``gepubliceerd x scenario``);
    - otherwise the forecast for the next half year (basis ``prognose``).

    Returns a dict: applications, nareizigers (per year, forecast), recognition_rate,
    persons, period, basis.
    """
    from .data import load_taakstelling

    fcs = _inflow_forecasts()
    apps, nar, persons = _forecast_persons(settings.inflow, settings.recognition_rate)
    out = {"applications": apps, "nareizigers": nar, "recognition_rate": settings.recognition_rate}
    period = settings.period or _half_year_label(fcs["eerste_aanvragen"]["period_start"].iloc[0])
    if settings.national_target is not None:
        return {**out, "persons": float(settings.national_target), "period": period, "basis": "opgegeven"}
    if settings.period is not None:
        published = load_taakstelling().set_index("period")["target"]
        if settings.period not in published.index:
            raise ValidationError(
                f"period: no published national target for {settings.period!r} in geodata/taakstelling.csv; "
                f"published: {list(published.index)}; or give national_target"
            )
        _, _, reference = _forecast_persons("midden", Settings.recognition_rate)
        ratio = persons / reference
        basis = "gepubliceerd" if abs(ratio - 1) < 1e-9 else "gepubliceerd x scenario"
        return {**out, "persons": float(published[settings.period]) * ratio, "period": settings.period, "basis": basis}
    return {**out, "persons": persons, "period": period, "basis": "prognose"}


def _households(settings, persons_needed, period):
    """Step 4: referent households in caseload order until ``persons_needed`` persons."""
    from .matching import households_from_caseload

    c = _caseload(settings.seed)
    final = c["final_size"].to_numpy(dtype=float)
    size = c["size"].to_numpy(dtype=float)
    if settings.nareizigers_per_referent is not None:
        # The user's average of family members still to come per referent household joins the
        # referents who are alone now (most nareizigers join a referent who travelled alone,
        # FACTS.md §4); stochastic rounding keeps the mean. An assumption for the scenario lever.
        rng = np.random.default_rng(settings.seed + 1)
        alone = size == 1
        per_alone = settings.nareizigers_per_referent * len(size) / max(int(alone.sum()), 1)
        pending = np.where(alone, np.floor(per_alone + rng.random(len(size))), 0.0)
        final = np.minimum(size + pending, MAX_PERSONS)
    cum = np.cumsum(final)
    n = int(np.searchsorted(cum, persons_needed) + 1) if persons_needed > 0 else 0
    if n > len(c):
        raise ValidationError(
            f"run: the region needs {persons_needed:,.0f} persons in one half year, more than the "
            f"{len(c):,} synthetic households hold; lower the inflow or the national target"
        )
    chosen = c.iloc[:n].assign(final_size=final[:n].astype("int64"))
    hh = households_from_caseload(chosen, period=period)
    single = (hh["final_size"] == 1) & (hh["adults"] == 1) & (hh["children"] == 0)
    rng = np.random.default_rng(settings.seed + 2)
    willing = rng.random(len(hh)) < settings.share_singles_sharing
    # a needs flag that every municipality meets: it only keeps unwilling singles out of shared dwellings
    hh["needs_eigen_woning"] = single & ~willing
    hh.attrs.update(status="synthetisch", source=c.attrs.get("source", ""))
    return hh


def _spread(total, weights):
    from .taakstelling import largest_remainder

    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() == 0:
        return np.zeros(len(w), dtype="int64")
    return largest_remainder(total * w / w.sum(), total)


def _supply(settings, codes):
    """Step 5: free dwellings per municipality and class, plus the added dwellings."""
    from .data import load_housing_stock

    base = _base_supply()
    base = base[base["code"].isin(codes)].copy()
    missing = sorted(set(codes) - set(base["code"]))
    if missing:
        raise ValidationError(
            f"run: no housing stock shipped for {missing} (geodata/housing_stock.csv covers the 2016 U16 "
            "division); pass year=2016 or load your corporations' figures with toolkit.io.read_housing_stock"
        )
    extra = settings.extra_dwellings
    per_code = extra if isinstance(extra, dict) else {c: extra for c in codes}
    unknown = sorted(set(per_code) - set(codes))
    if unknown:
        raise ValidationError(f"extra_dwellings: municipalities {unknown} are not in the region {list(codes)}")
    stock = load_housing_stock()
    base["added"] = 0
    for code, n in per_code.items():
        if not n:
            continue
        rows = base.index[base["code"] == code]
        weights = stock.set_index(["code", "size_class"]).loc[[(code, k) for k in base.loc[rows, "size_class"]], "dwellings"]
        base.loc[rows, "added"] = _spread(int(n), weights.to_numpy())
    base["dwellings"] = base["dwellings"] + base["added"]
    return base.reset_index(drop=True)


def _lettings(settings, codes):
    """Social-housing lettings per municipality in a half year (stock x turnover / 2 + added dwellings)."""
    from .data import load_housing_stock
    from .matching import default_supply_rates

    stock = load_housing_stock()
    stock = stock[stock["code"].isin(codes)].groupby("code")["dwellings"].sum()
    lettings = stock * default_supply_rates()["turnover"] / 2
    extra = settings.extra_dwellings
    added = pd.Series(extra if isinstance(extra, dict) else {c: extra for c in codes}, dtype=float).reindex(lettings.index).fillna(0)
    return lettings + added


def run(settings=None, **changes):
    """Compute a collegedag scenario.

    Parameters
    ----------
    settings : Settings, optional
        Default :class:`Settings` (U16, 2016 composition, midden).
    **changes
        Settings to change, e.g. ``run(scope="U10", reserve=0.1)``.

    Returns
    -------
    Result

    Examples
    --------
    >>> r = run(national_target=13000)
    >>> r.comparison["scope"].tolist()
    ['solo', 'U10', 'U16']
    >>> bool(r.comparison["objective"].is_monotonic_decreasing)
    True
    """
    from . import benefits, matching
    from .regions import region_codes
    from .taakstelling import municipal_targets

    settings = (settings or Settings()).replace(**changes)
    _check_settings(settings)
    region = _region_arg(settings.region)
    codes = region_codes(region, settings.year)
    national = national_half_year(settings)
    targets = municipal_targets(pd.DataFrame({"period": [national["period"]], "target": [national["persons"]]}),
                                year=settings.year, region=region)
    targets.attrs.update(
        status="gepubliceerd" if national["basis"] == "gepubliceerd" else "schatting",
        source=f"landelijke taakstelling ({national['basis']}) naar rato van de bevolking (Huisvestingswet 2014); "
               "geodata/taakstelling.csv, geodata/population.csv",
    )
    hh = _households(settings, float(targets["target_int"].sum()), national["period"])
    supply = _supply(settings, codes)
    params = dict(use_final_size=settings.final_size_dwellings, sharing=int(settings.max_adults_sharing),
                  reserve=float(settings.reserve), needs_places={"eigen_woning": list(codes)})
    sup = supply[["code", "size_class", "dwellings"]]
    scopes = scopes_for(settings.region, settings.year)
    scope = _region_arg(settings.scope)
    label = scope if isinstance(scope, str) else "eigen selectie"
    models = matching.solve_scopes(hh, sup, targets, scopes=scopes, region=region, year=settings.year, **params)
    comparison = matching.scope_table(models)
    model = models.get(label)
    if model is None or (label == "eigen selectie" and list(scope) != list(scopes[-1])):  # not among the compared scopes
        model = matching.MatchingModel.from_frames(hh, sup, targets, scope=scope, region=region, year=settings.year,
                                                   **params).solve()
    mun = model.municipalities_.copy()
    if len(model.dwellings_):
        sharing = benefits.sharing_cost(model.dwellings_[["code", "adults", "shared"]] if "shared" in model.dwellings_
                                        else model.dwellings_[["code", "adults"]])
    else:
        sharing = pd.DataFrame(columns=["code", "dwellings_saved", "benefit_lost"])
    dwellings_used = model.dwellings_.groupby("code").size() if len(model.dwellings_) else pd.Series(dtype=float)
    lettings = _lettings(settings, codes)
    mun["dwellings_used"] = mun["code"].map(dwellings_used).fillna(0).astype("int64")
    # dwellings the municipality would let to permit holders to meet its part: used + still waiting
    mun["dwellings_needed"] = mun["dwellings_used"] + mun["linked_households_waiting"]
    mun["lettings"] = mun["code"].map(lettings)
    mun["displacement"] = mun["dwellings_needed"] / mun["lettings"]
    mun = mun.merge(sharing[["code", "dwellings_saved", "benefit_lost"]], on="code", how="left")
    mun[["dwellings_saved", "benefit_lost"]] = mun[["dwellings_saved", "benefit_lost"]].fillna(0)
    mun.attrs.update(
        status="synthetisch",
        source="toolkit.matching op synthetische huishoudens (toolkit.households) en geschat woningaanbod "
               "(geodata/housing_stock.csv, schatting)",
    )
    row = model.summary_
    headline = {
        "period": national["period"],
        "national_persons": national["persons"],
        "region_persons": float(targets["target"].sum()),
        "households": int(len(hh)),
        "households_housed": int(row["households_housed"]),
        "households_waiting": int(row["households_waiting"]),
        "pct_target": float(row["pct_target"]),
        "gain_vs_solo": int(row["households_housed"] - comparison["households_housed"].iloc[0]),
        "persons_gain_vs_solo": int(row["persons_housed"] - comparison["persons_housed"].iloc[0]),
        "dwellings_saved": int(mun["dwellings_saved"].sum()),
        "benefit_lost": float(mun["benefit_lost"].sum()),
        "displacement": float(mun["dwellings_needed"].sum() / mun["lettings"].sum()),
    }
    return Result(settings=settings, national=national, targets=targets, households=hh, supply=supply,
                  comparison=comparison, municipalities=mun, sharing=sharing, headline=headline, model=model)
