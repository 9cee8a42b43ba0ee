"""The collegedag scenario: one pipeline from settings to every figure.

:func:`run` takes the settings a facilitator or analyst changes
(:class:`Settings`) and returns every figure the dashboard, the report, the
maps and the command line show (:class:`Result`). It is the only way from
settings to figures: the CLI (``matching``, ``demo``), the dashboard and the
notebooks call it. The named stages, each a public function:

1. **national** (:func:`national_half_year`): first applications and
   nareizigers for the next four quarters (``toolkit.forecast``, scenario
   ``laag`` / ``midden`` / ``hoog`` or the user's own number per year) and the
   national half-year target of ``period`` (default the next half year): the
   published one where it exists, beyond it the rule that won the rolling
   backtest (``toolkit.taakstelling.national_target``), scaled by the
   scenario; or a number the user gives (``national_target``).
2. **targets** (:func:`region_targets`): municipal targets by population
   share (``toolkit.taakstelling``).
3. **households** (:func:`draw_households`): referent households in order
   from a synthetic caseload (``toolkit.households``, status ``synthetisch``)
   until the region's persons are reached, or the analyst's own caseload
   (all of it); final sizes after nareizigers, scaled when
   ``nareizigers_per_referent`` is set; singles unwilling to share flagged.
4. **supply** (:func:`dwelling_supply`): dwellings free for permit holders
   per municipality and size class (``toolkit.matching.supply_from_stock``
   on the shipped estimate or the analyst's own stock, status ``schatting``)
   plus the dwellings the user adds.
5. **matching** (:func:`solve_scope`): one solved ``MatchingModel`` per scope
   (solo, U10, U16 when they lie in the region, or ``scopes``), and the
   chosen ``scope``.
6. **indicators** (:func:`indicators`): the per-municipality table with
   lettings and displacement, the kostendelersnorm cost of sharing
   (``toolkit.benefits``) and the headline figures. The scope comparison
   (:attr:`Result.comparison`) and the compared scopes' models
   (:attr:`Result.models`) are computed when first read: a run solves the
   chosen scope and the first compared one (``solo``, the headline's
   baseline) only.

Stages 1-5 are cached by their inputs: the settings fields each stage reads
plus those of the stages upstream of it, so that changing one control
recomputes only the stages downstream of it (changing ``reserve`` re-solves the
matching but neither redraws the households nor rebuilds the supply). A stage
reads only the fields declared for it (``STAGE_FIELDS``; reading another one
raises), so the table below is the cache key, not just its documentation:

========== ================== ============ ==============================================================
stage      function           upstream     settings fields the stage reads
========== ================== ============ ==============================================================
national   national_half_year -            inflow, recognition_rate, national_target, period
targets    region_targets     national     region, year
households draw_households    targets      seed, nareizigers_per_referent, share_singles_sharing, caseload
supply     dwelling_supply    -            region, year, extra_dwellings, share_permit_holders, turnover,
                                           housing_stock
matching   solve_scope        targets,     region, year, final_size_dwellings, max_adults_sharing, reserve
                              households,  (and the scope it solves)
                              supply
indicators indicators         matching     scope, scopes (read by run to pick the models; not cached)
========== ================== ============ ==============================================================

Every cache keeps the :data:`CACHE_SIZE` most recently used entries per stage;
:func:`cache_info` counts hits and misses, :func:`stage_seconds` the seconds
spent computing each stage (the uncached ``indicators`` included),
:func:`clear_cache` empties them and resets both, ``run(..., cache=False)``
bypasses them. Everything is computed offline from the
shipped data unless the settings carry the analyst's own files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import numbers
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._labels import scope_key

__all__ = ["Settings", "Result", "run", "run_targets", "pooling_draws", "scopes_for", "DATASETS", "STAGE_FIELDS", "national_half_year",
           "region_targets", "draw_households", "dwelling_supply", "solve_scope", "indicators", "cache_info",
           "stage_seconds", "clear_cache"]

#: Registry names of the shipped datasets a scenario uses (for footers).
DATASETS = ("inflow", "taakstelling", "population", "municipalities", "regions", "housing_stock", "lettings",
            "benefit_norms")

INFLOW_SCENARIOS = ("laag", "midden", "hoog")
CASELOAD_SIZE = 20_000
MAX_PERSONS = 10
#: Entries kept per stage cache (least recently used dropped first).
CACHE_SIZE = 64

#: Settings fields each stage reads itself, and the stages whose output it uses (the module docstring's table).
STAGE_FIELDS = {
    "national": ("inflow", "recognition_rate", "national_target", "period"),
    "targets": ("region", "year"),
    "households": ("seed", "nareizigers_per_referent", "share_singles_sharing", "caseload"),
    "supply": ("region", "year", "extra_dwellings", "share_permit_holders", "turnover", "housing_stock"),
    "matching": ("region", "year", "final_size_dwellings", "max_adults_sharing", "reserve"),
    "indicators": ("scope", "scopes"),
}
UPSTREAM = {"national": (), "targets": ("national",), "households": ("targets",), "supply": (),
            "matching": ("targets", "households", "supply"), "indicators": ("matching",)}

_FRAMES = ("caseload", "housing_stock")


@dataclass(frozen=True, eq=False)
class Settings:
    """What a facilitator or analyst can change. Every field is keyword-only and checked by :func:`run`.

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
        Default ``"2017-I"`` (13,000 persons, published); ``None`` takes the
        next half year after the data: its published target where there is
        one, else the target rule of ``toolkit.taakstelling.national_target``.
    nareizigers_per_referent : float, optional
        Family members still to come per referent household, on average; they
        join the referents who are alone now. ``None`` keeps the caseload's
        own final sizes.
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
    scopes : tuple, optional
        The scopes compared (names or tuples of codes); default
        :func:`scopes_for` the region.
    share_permit_holders : float, optional
        Share of social-housing lettings that goes to permit holders; default
        ``toolkit.matching.default_supply_rates`` (national 2022, 0.068).
    turnover : float, optional
        Social-housing lettings per dwelling per year; default
        ``toolkit.matching.default_supply_rates`` (U16 2014 over 2017, 0.060).
    caseload : DataFrame, optional
        The analyst's own caseload (``schemas.CASELOAD`` columns, e.g. from
        ``toolkit.io.read_caseload``, which validates it): every household in
        it is matched, in file order. Default: the synthetic caseload.
    housing_stock : DataFrame, optional
        The analyst's own social-rental stock (``schemas.HOUSING_STOCK``, e.g.
        from ``toolkit.io.read_housing_stock``) covering the region. Default:
        the shipped estimate.
    seed : int
        Seed of the household draw.

    The two frames are copied when the settings are made; settings compare and
    hash by the frames' content, so they can key a cache.
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
    scopes: tuple | None = None
    share_permit_holders: float | None = None
    turnover: float | None = None
    caseload: pd.DataFrame | None = field(default=None, repr=False)
    housing_stock: pd.DataFrame | None = field(default=None, repr=False)
    seed: int = 0

    def __post_init__(self):
        for name in _FRAMES:
            v = getattr(self, name)
            if isinstance(v, pd.DataFrame):
                object.__setattr__(self, name, v.copy())
        if isinstance(self.scopes, list):
            object.__setattr__(self, "scopes", tuple(s if isinstance(s, str) else tuple(s) for s in self.scopes))
        object.__setattr__(self, "_frozen", {f.name: _freeze(getattr(self, f.name)) for f in dataclasses.fields(self)})

    def __eq__(self, other):
        return isinstance(other, Settings) and self._frozen == other._frozen

    def __hash__(self):
        return hash(tuple(self._frozen.values()))

    def replace(self, **changes):
        """A copy with some settings changed."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValidationError(
                f"Settings: unknown setting(s) {unknown}; known: {[f.name for f in dataclasses.fields(self)]}"
            )
        return dataclasses.replace(self, **changes)


def _freeze(v):
    """A hashable stand-in for a settings value (a frame by its content)."""
    if isinstance(v, pd.DataFrame):
        h = hashlib.sha256(repr((list(v.columns), [str(t) for t in v.dtypes], v.attrs.get("source"))).encode())
        h.update(pd.util.hash_pandas_object(v, index=False).to_numpy().tobytes())
        return ("frame", h.hexdigest())
    if isinstance(v, dict):
        return ("dict", tuple(sorted((str(k), _freeze(x)) for k, x in v.items())))
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    return v


@dataclass
class Result:
    """Everything a scenario produces.

    Attributes
    ----------
    settings : Settings
    national : dict
        applications, nareizigers, recognition_rate, persons (national half-year
        target), lo80, hi80, period, basis (``gepubliceerd``, ``doorgetrokken``,
        ``keten`` or ``combinatie``, each possibly `` x scenario``, or ``opgegeven``), reason (Dutch).
    targets : DataFrame
        ``taakstelling.municipal_targets`` columns: period, code, name, share, target, target_int.
    households : DataFrame
        Matching households: household_id, size, adults, children, final_size, period (+ needs flags).
    supply : DataFrame
        code, size_class, stock (social-rental dwellings), added (dwellings
        the user adds), dwellings (free for permit holders, after added
        dwellings, before reserve).
    comparison : DataFrame
        ``matching.scope_table`` for the compared scopes (``scopes`` or
        :func:`scopes_for`), computed on first use (it solves every compared
        scope and the baseline rules).
    models : Mapping
        The compared scopes' labels (``scope_key``) -> solved ``MatchingModel``,
        in scope order; a scope is solved on first use (through the stage
        cache), so a view that shows two scopes solves only those two.
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
        The solved model of the chosen scope (shared with the stage cache: read it, do not change it).
    """

    settings: Settings
    national: dict
    targets: pd.DataFrame
    households: pd.DataFrame
    supply: pd.DataFrame
    models: Mapping = field(repr=False)
    municipalities: pd.DataFrame
    sharing: pd.DataFrame
    headline: dict
    model: object = field(repr=False, default=None)
    _comparison: object = field(init=False, repr=False, compare=False, default=None)

    @property
    def comparison(self):
        if self._comparison is None:
            from .matching import scope_table

            self._comparison = scope_table(dict(self.models))
        return self._comparison


class _Models(Mapping):
    """Scope label -> solved model, each solved on first use with ``solve(scope)`` and kept."""

    def __init__(self, scopes, solve):
        self._scopes = {scope_key(s): s if isinstance(s, str) else tuple(s) for s in scopes}
        self._solve, self._solved, self._lock = solve, {}, threading.Lock()

    def __getitem__(self, label):
        scope = self._scopes[label]
        with self._lock:  # the dashboard's sweep thread and its views may ask for the same scope
            if label not in self._solved:
                self._solved[label] = self._solve(scope)
            return self._solved[label]

    def __iter__(self):
        return iter(self._scopes)

    def of(self, scope):
        """The solved model of ``scope``: the compared one when it is among them, else solved now."""
        scope = scope if isinstance(scope, str) else tuple(scope)
        label = scope_key(scope)
        return self[label] if self._scopes.get(label) == scope else self._solve(scope)

    def __len__(self):
        return len(self._scopes)


def _check_settings(s):
    if not isinstance(s, Settings):
        raise ValidationError(f"run: expected toolkit.scenario.Settings, found {type(s).__name__}")
    problems = []

    def number(name, lo=0.0, hi=1.0, *, open_hi=False, optional=False):
        v = getattr(s, name)
        if optional and v is None:
            return
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not lo <= float(v) <= hi or (open_hi and v >= hi):
            problems.append(f"{name}: expected a number between {lo:g} and {hi:g}{' or None' if optional else ''}, "
                            f"found {v!r}")

    number("recognition_rate")
    number("share_singles_sharing")
    number("reserve", open_hi=True)
    number("share_permit_holders", optional=True)
    number("turnover", optional=True)
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
    if s.scopes is not None and (not isinstance(s.scopes, tuple) or not s.scopes):
        problems.append(f"scopes: expected a non-empty tuple of scope names or code tuples, or None, found {s.scopes!r}")
    for name in _FRAMES:
        v = getattr(s, name)
        if v is not None and not isinstance(v, pd.DataFrame):
            problems.append(f"{name}: expected a DataFrame (e.g. from toolkit.io) or None, found {type(v).__name__}")
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


# ----------------------------------------------------------------- stage cache


class _StageView:
    """The settings as one stage sees them: reading an undeclared field is an error (it would miss the cache key)."""

    __slots__ = ("_settings", "_stage", "_fields")

    def __init__(self, settings, stage):
        self._settings, self._stage, self._fields = settings, stage, set(STAGE_FIELDS[stage])

    def __getattr__(self, name):
        if name not in self._fields:
            raise AttributeError(f"scenario stage {self._stage!r} reads setting {name!r}, which STAGE_FIELDS does "
                                 f"not list for it: add it there (and to the table in the module docstring)")
        return getattr(self._settings, name)


def _closure(stage):
    fields = list(STAGE_FIELDS[stage])
    for up in UPSTREAM[stage]:
        fields += [f for f in _closure(up) if f not in fields]
    return tuple(fields)


class _LRU:
    def __init__(self):
        self.data, self.hits, self.misses = OrderedDict(), 0, 0

    def get(self, key, compute):
        if key in self.data:
            self.hits += 1
            self.data.move_to_end(key)
            return self.data[key]
        self.misses += 1
        value = compute()
        self.data[key] = value
        while len(self.data) > CACHE_SIZE:
            self.data.popitem(last=False)
        return value


_CACHES = {stage: _LRU() for stage in ("national", "targets", "households", "supply", "matching")}


def _lookup(func, *args, name=None):
    """``func(*args)`` on the region tables (scopes, region codes), kept with those tables (``_tables.derived``).

    Emptied with the tables they come from (a data refresh), not by :func:`clear_cache`; callers do not change it.
    """
    from ._tables import derived

    return derived(("scenario." + (name or func.__name__),) + _freeze(args), lambda: func(*args))


_SECONDS = dict.fromkeys(STAGE_FIELDS, 0.0)


def _timed(stage, compute):
    start = time.perf_counter()
    try:
        return compute()
    finally:
        _SECONDS[stage] += time.perf_counter() - start


def _stage(stage, settings, func, *args, extra=(), cache=True, pause=None):
    """``func(view, *args)``, cached by the values of the stage's fields and its upstream stages' fields.

    ``pause()`` is called before the stage is computed (not when it is cached).
    """
    view = _StageView(settings, stage)

    def compute():
        if pause is not None:
            pause()
        return _timed(stage, lambda: func(view, *args))

    if not cache:
        return compute()
    key = tuple(settings._frozen[f] for f in _closure(stage)) + _freeze(tuple(extra))
    return _CACHES[stage].get(key, compute)


def cache_info():
    """Hits, misses and entries of each stage cache: ``{stage: {"hits", "misses", "size"}}``."""
    return {k: {"hits": c.hits, "misses": c.misses, "size": len(c.data)} for k, c in _CACHES.items()}


def stage_seconds():
    """Wall seconds spent computing each stage since the last :func:`clear_cache` (a cache hit costs none).

    ``{stage: seconds}`` for the stages of the module docstring, in order;
    ``matching`` sums every scope solved. For timing a run stage by stage
    (``benchmarks/national_scale.py``).
    """
    return dict(_SECONDS)


def clear_cache():
    """Empty the stage caches and reset their counts and seconds."""
    for c in _CACHES.values():
        c.__init__()
    _SECONDS.update(dict.fromkeys(_SECONDS, 0.0))


# ----------------------------------------------------------------- inputs that no setting changes


@lru_cache(maxsize=2)
def _inflow_forecasts():
    from . import forecast

    out = {}
    for series in ("eerste_aanvragen", "nareizigers"):
        fc = forecast.forecast(forecast.quarterly_series(series), horizon=4)
        out[series] = fc[fc["model"] == forecast.Combination.label].reset_index(drop=True)
    return out


@lru_cache(maxsize=4)
def _synthetic_households(seed):
    from .households import synthetic_caseload
    from .matching import households_from_caseload

    c = synthetic_caseload(CASELOAD_SIZE, seed=seed)
    # the largest dwelling class suits 10 persons: larger households are rare and left out here
    # (the matching model rejects them with a clear error when they come from a user's caseload)
    c = c[c["final_size"] <= MAX_PERSONS].reset_index(drop=True)
    hh = households_from_caseload(c)
    hh.attrs.update(status="synthetisch", source=c.attrs.get("source", ""))
    return hh


# ----------------------------------------------------------------- stages


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
    """Stage ``national``: the national half-year target in persons, where it came from and why.

    - ``national_target`` given: that number (basis ``opgegeven``);
    - otherwise the half year is ``period``, or without one the next half
      year after the data (the half year of the first forecast quarter). Its
      reference target is :func:`toolkit.taakstelling.national_target`: the
      published target where there is one (``geodata/taakstelling.csv``;
      a ``period`` without one is an error), and beyond the published ones
      the rule that won the rolling backtest (:func:`toolkit.taakstelling.target_rule`:
      the last target carried forward unless a forecast, the chain or the mean
      of chain and carry-forward, beats it), with its 80 % band;
    - the inflow scenario scales the reference by the scenario's forecast
      persons relative to the reference scenario (``midden`` at the default
      recognition rate), so the reference scenario shows the reference
      figure itself. Basis: ``gepubliceerd``, ``doorgetrokken``, ``keten`` or
      ``combinatie``, with `` x scenario`` appended when scaled.

    Returns a dict: applications, nareizigers (per year, forecast), recognition_rate,
    persons, lo80, hi80 (the reference's 80 % band, scaled alike; equal to
    persons when published or given), period, basis, reason (Dutch: which
    target was used and why).
    """
    from ._format import fmt_int, fmt_num
    from .data import load_taakstelling
    from .taakstelling import national_target

    fcs = _inflow_forecasts()
    apps, nar, persons = _forecast_persons(settings.inflow, settings.recognition_rate)
    out = {"applications": apps, "nareizigers": nar, "recognition_rate": settings.recognition_rate}
    period = settings.period or _half_year_label(fcs["eerste_aanvragen"]["period_start"].iloc[0])
    if settings.national_target is not None:
        t = float(settings.national_target)
        return {**out, "persons": t, "lo80": t, "hi80": t, "period": period, "basis": "opgegeven",
                "reason": "landelijke taakstelling opgegeven"}
    if settings.period is not None:
        published = load_taakstelling().set_index("period")["target"]
        if settings.period not in published.index:
            raise ValidationError(
                f"period: no published national target for {settings.period!r} in geodata/taakstelling.csv; "
                f"published: {list(published.index)}; or give national_target"
            )
    ref = national_target(period).iloc[0]
    _, _, reference = _forecast_persons("midden", Settings.recognition_rate)
    ratio = persons / reference
    code = {"gepubliceerd": "gepubliceerd", "keten": "keten", "combinatie": "combinatie"}.get(ref["basis"], "doorgetrokken")
    scaled = abs(ratio - 1) >= 1e-9
    if code == "gepubliceerd":
        reason = f"Gepubliceerde taakstelling {period}: {fmt_int(ref['target'])} personen."
    else:
        reason = f"Voor {period} is nog geen taakstelling gepubliceerd. {ref['reason']}"
    if scaled:
        reason += f" Geschaald naar het instroomscenario: x {fmt_num(ratio, 2)}."
    return {**out, "persons": float(ref["target"]) * ratio, "lo80": float(ref["lo80"]) * ratio,
            "hi80": float(ref["hi80"]) * ratio, "period": period,
            "basis": f"{code} x scenario" if scaled else code, "reason": reason}


def region_targets(settings, national):
    """Stage ``targets``: the national persons of :func:`national_half_year` apportioned by population share."""
    from .taakstelling import municipal_targets

    targets = municipal_targets(pd.DataFrame({"period": [national["period"]], "target": [national["persons"]]}),
                                year=settings.year, region=_region_arg(settings.region))
    # computed from published figures (the national target, the population), so an estimate, not a published figure
    targets.attrs.update(
        status="schatting",
        source=f"landelijke taakstelling {national['period']} ({national['basis']}) naar rato van het inwonertal op "
               f"1-1-{settings.year} (Huisvestingswet 2014; berekend, geen gepubliceerd gemeentecijfer); "
               "geodata/taakstelling.csv, geodata/population.csv",
    )
    return targets


def draw_households(settings, targets):
    """Stage ``households``: the households to house in the half year of ``targets``.

    Synthetic: referent households in caseload order until the region's
    persons (``targets.target_int``) are reached. The analyst's own
    ``caseload``: all its households, in file order.
    """
    from .matching import households_from_caseload

    if settings.caseload is not None:
        hh = households_from_caseload(settings.caseload)
        hh.attrs.update(status=settings.caseload.attrs.get("status") or "eigen bestand",
                        source=settings.caseload.attrs.get("source", "eigen bestand"))
    else:
        hh = _synthetic_households(settings.seed)
    final = hh["final_size"].to_numpy(dtype=float)
    size = hh["size"].to_numpy(dtype=float)
    if settings.nareizigers_per_referent is not None:
        # The user's average of family members still to come per referent household joins the
        # referents who are alone now (most nareizigers join a referent who travelled alone,
        # FACTS.md §4); stochastic rounding keeps the mean. An assumption for the scenario lever.
        rng = np.random.default_rng(settings.seed + 1)
        alone = size == 1
        per_alone = settings.nareizigers_per_referent * len(size) / max(int(alone.sum()), 1)
        pending = np.where(alone, np.floor(per_alone + rng.random(len(size))), 0.0)
        final = np.minimum(size + pending, MAX_PERSONS)
    n = len(hh)
    if settings.caseload is None:
        persons_needed = float(targets["target_int"].sum())
        n = int(np.searchsorted(np.cumsum(final), persons_needed) + 1) if persons_needed > 0 else 0
        if n > len(hh):
            raise ValidationError(
                f"run: the region needs {persons_needed:,.0f} persons in one half year, more than the "
                f"{len(hh):,} synthetic households hold; lower the inflow or the national target"
            )
    attrs = dict(hh.attrs)
    out = hh.iloc[:n].assign(final_size=final[:n].astype("int64"), period=str(targets["period"].iloc[0]))
    single = (out["final_size"] == 1) & (out["adults"] == 1) & (out["children"] == 0)
    rng = np.random.default_rng(settings.seed + 2)
    willing = rng.random(len(out)) < settings.share_singles_sharing
    # a needs flag that every municipality meets: it only keeps unwilling singles out of shared dwellings
    out["needs_eigen_woning"] = single & ~willing
    out.attrs = attrs
    return out.reset_index(drop=True)


def _spread(total, weights):
    from .taakstelling import largest_remainder

    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() == 0:
        return np.zeros(len(w), dtype="int64")
    return largest_remainder(total * w / w.sum(), total)


def dwelling_supply(settings):
    """Stage ``supply``: per municipality and size class the social-rental stock, the added and the free dwellings.

    Returns a frame with columns code, size_class, stock, added, dwellings
    (free for permit holders: ``supply_from_stock`` + added); ``attrs``
    status ``schatting``, source and derivation.
    """
    from .data import load_housing_stock
    from .matching import supply_from_stock
    from .regions import region_codes

    codes = _lookup(region_codes, _region_arg(settings.region), settings.year)
    own = settings.housing_stock is not None
    stock = settings.housing_stock if own else load_housing_stock(settings.year)
    free = supply_from_stock(stock, turnover=settings.turnover, share_permit_holders=settings.share_permit_holders)
    attrs = dict(free.attrs)
    stock = stock.assign(code=stock["code"].astype(str), size_class=stock["size_class"].astype(free["size_class"].dtype))
    base = free.merge(stock[["code", "size_class", "dwellings"]].rename(columns={"dwellings": "stock"}),
                      on=["code", "size_class"], how="left")
    base = base[base["code"].isin(codes)].reset_index(drop=True)
    missing = sorted(set(codes) - set(base["code"]))
    if missing:
        where = (f"the housing stock file {settings.housing_stock.attrs.get('source', '')!r}" if own else
                 f"the shipped housing stock for {settings.year} ({stock.attrs.get('dataset', 'housing_stock')}); load your "
                 "corporations' figures with toolkit.io.read_housing_stock")
        raise ValidationError(f"run: no housing stock for {missing} in {where}")
    extra = settings.extra_dwellings
    per_code = extra if isinstance(extra, dict) else {c: extra for c in codes}
    unknown = sorted(set(per_code) - set(codes))
    if unknown:
        raise ValidationError(f"extra_dwellings: municipalities {unknown} are not in the region {list(codes)}")
    base["added"] = 0
    for code, n in per_code.items():
        rows = base.index[base["code"] == code]
        if n:
            base.loc[rows, "added"] = _spread(int(n), base.loc[rows, "stock"].to_numpy())
    base["dwellings"] = base["dwellings"] + base["added"]
    out = base[["code", "size_class", "stock", "added", "dwellings"]]
    out.attrs = {**attrs, "own": own}
    return out


def solve_scope(settings, scope, households, supply, targets, alone=None, built=None):
    """Stage ``matching``: the ``MatchingModel`` of one scope, solved.

    The frames come from the stages before it, which validated the user's
    files at the boundary (``households_from_caseload``, ``supply_from_stock``)
    and build every other row themselves: they are not validated again.
    ``alone`` (a function returning the ``solo`` model of the same stages):
    the municipalities outside the scope's pool are placed as there
    (``MatchingModel.solve(alone=...)``), not solved again. ``built`` (a dict
    shared by the scopes of one run) keeps the unsolved model: households,
    links and arrays are the same for every scope, only the pools differ.
    """
    from .matching import MatchingModel, MatchingParams, resolve_scope
    from .regions import region_codes

    region = _region_arg(settings.region)
    codes = _lookup(region_codes, region, settings.year)
    params = MatchingParams(use_final_size=settings.final_size_dwellings, sharing=int(settings.max_adults_sharing),
                            reserve=float(settings.reserve), needs_places={"eigen_woning": list(codes)})
    sc = _lookup(lambda s, r, y: resolve_scope(s, region=r, year=y), scope, region, settings.year, name="resolve_scope")
    built = {} if built is None else built
    if "model" not in built:
        built["model"] = MatchingModel._from_valid(households, supply[["code", "size_class", "dwellings"]], targets,
                                                   scope=sc, region=region, year=settings.year, period=None,
                                                   params=params)
    model = built["model"]._rescoped(sc)
    outside = alone is not None and sc.label != "solo" and "solo" in sc.labels
    return model.solve(alone=alone() if outside else None)


def _lettings(supply):
    """Social-housing lettings per municipality in a half year (stock x turnover / 2 + added dwellings)."""
    per_code = supply.groupby("code")[["stock", "added"]].sum()
    return per_code["stock"] * supply.attrs["turnover"] / 2 + per_code["added"]


def indicators(national, targets, households, supply, models, model):
    """Stage ``indicators``: per-municipality table, sharing cost and headline figures.

    ``models`` maps the compared scopes' labels to their solved models (the
    first is the baseline of the gains; the others are not read) and
    ``model`` is the chosen scope's. Returns ``(municipalities, sharing,
    headline)`` (see :class:`Result`); the scope comparison is
    :attr:`Result.comparison`, computed when a view needs it.
    """
    from . import benefits

    first = models[next(iter(models))].summary_
    mun = model.municipalities_.copy()
    if len(model.dwellings_):
        sharing = benefits.sharing_cost(model.dwellings_[["code", "adults", "shared"]] if "shared" in model.dwellings_
                                        else model.dwellings_[["code", "adults"]])
    else:
        sharing = pd.DataFrame(columns=["code", "dwellings_saved", "benefit_lost"])
    dwellings_used = model.dwellings_.groupby("code").size() if len(model.dwellings_) else pd.Series(dtype=float)
    mun["dwellings_used"] = mun["code"].map(dwellings_used).fillna(0).astype("int64")
    # dwellings the municipality would let to permit holders to meet its part: used + still waiting
    mun["dwellings_needed"] = mun["dwellings_used"] + mun["linked_households_waiting"]
    mun["lettings"] = mun["code"].map(_lettings(supply))
    mun["displacement"] = mun["dwellings_needed"] / mun["lettings"]
    mun = mun.merge(sharing[["code", "dwellings_saved", "benefit_lost"]], on="code", how="left")
    mun[["dwellings_saved", "benefit_lost"]] = mun[["dwellings_saved", "benefit_lost"]].fillna(0)
    synthetic = households.attrs.get("status") == "synthetisch"
    mun.attrs.update(
        status="synthetisch" if synthetic else "schatting",
        source="toolkit.matching op " + ("synthetische huishoudens (toolkit.households)" if synthetic else
                                         f"huishoudens uit {households.attrs.get('source', 'eigen bestand')}")
               + (" en geschat woningaanbod (geodata/housing_stock.csv, schatting)" if not supply.attrs.get("own")
                  else f" en woningaanbod uit {supply.attrs.get('source', 'eigen bestand')} (schatting)"),
    )
    row = model.summary_
    headline = {
        "period": national["period"],
        "national_persons": national["persons"],
        "region_persons": float(targets["target"].sum()),
        "households": int(len(households)),
        "households_housed": int(row["households_housed"]),
        "households_waiting": int(row["households_waiting"]),
        "pct_target": float(row["pct_target"]),
        "gain_vs_solo": int(row["households_housed"] - first["households_housed"]),
        "persons_gain_vs_solo": int(row["persons_housed"] - first["persons_housed"]),
        "dwellings_saved": int(mun["dwellings_saved"].sum()),
        "benefit_lost": float(mun["benefit_lost"].sum()),
        "displacement": float(mun["dwellings_needed"].sum() / mun["lettings"].sum()),
    }
    return mun, sharing, headline


def _front(settings, cache, pause=None):
    national = _stage("national", settings, national_half_year, cache=cache, pause=pause)
    return national, _stage("targets", settings, region_targets, national, cache=cache, pause=pause)


def run_targets(settings=None, *, cache=True, **changes):
    """The stages ``national`` and ``targets`` of :func:`run` only: the municipal targets of the settings.

    For outputs that need the targets but no matching (the council maps of
    ``doorlopende-lijn kaart``). Same arguments as :func:`run`; returns the
    frame of :attr:`Result.targets`.

    >>> t = run_targets(region="U10", period="2016-II")
    >>> len(t), t.attrs["status"]
    (10, 'schatting')
    """
    settings = (settings or Settings()).replace(**changes)
    _check_settings(settings)
    return _front(settings, cache)[1].copy()


def run(settings=None, *, cache=True, pause=None, **changes):
    """Compute a scenario: the stages of the module docstring, in order.

    Parameters
    ----------
    settings : Settings, optional
        Default :class:`Settings` (U16, 2016 composition, midden).
    cache : bool
        Reuse the stages whose inputs did not change (default); ``False``
        computes every stage afresh and leaves the caches as they are.
    pause : callable, optional
        Called before each stage is computed (a scope solved later for
        :attr:`Result.models` included): the dashboard's background sweep
        waits there while a change is being computed.
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
    settings = (settings or Settings()).replace(**changes)
    _check_settings(settings)
    national, targets = _front(settings, cache, pause)
    hh = _stage("households", settings, draw_households, targets, cache=cache, pause=pause)
    supply = _stage("supply", settings, dwelling_supply, cache=cache, pause=pause)

    solo, built = [], {}  # the solo model, and the unsolved model every scope of this run starts from

    def solved(scope):
        if scope != "solo":  # the municipalities outside its pool are placed as in solo
            return _stage("matching", settings, solve_scope, scope, hh, supply, targets, lambda: solved("solo"), built,
                          extra=(scope,), cache=cache, pause=pause)
        if not solo:
            solo.append(_stage("matching", settings, solve_scope, scope, hh, supply, targets, None, built,
                               extra=(scope,), cache=cache, pause=pause))
        return solo[0]

    view = _StageView(settings, "indicators")
    models = _Models(view.scopes or _lookup(scopes_for, settings.region, settings.year), solved)
    model = models.of(view.scope)
    mun, sharing, headline = _timed("indicators", lambda: indicators(national, targets, hh, supply, models, model))
    return Result(settings=settings, national=dict(national), targets=targets.copy(), households=hh.copy(),
                  supply=supply.copy(), models=models, municipalities=mun, sharing=sharing,
                  headline=headline, model=model)


def pooling_draws(settings=None, *, draws=10, cache=True, **changes):
    """The scope comparison of :func:`run` over draws of the caseload and of the supply within its range.

    Draw 0 is the scenario itself. Draw ``i > 0`` is the same scenario with
    seed ``settings.seed + i`` (another synthetic caseload; with the
    analyst's own caseload only the nareizigers and sharing draws change) and,
    unless the settings fix them, a permit-holder share and a turnover drawn
    uniformly from ``toolkit.matching.supply_rate_ranges()`` (seeded by the
    seed and ``i``). Every draw goes through :func:`run` with the scopes
    ``solo`` and the chosen ``scope``, so it has the scenario's stages,
    matching settings and baselines.

    Parameters
    ----------
    settings : Settings, optional
    draws : int
        Number of draws (at least 1); each costs about one :func:`run`.
    cache, **changes
        As for :func:`run`.

    Returns
    -------
    pandas.DataFrame
        ``toolkit.matching.pooling_gain_range`` of the comparison rows (one
        row per draw and scope, with seed, share_permit_holders, turnover):
        ``attrs['range']``, ``attrs['heading']``, ``attrs['conclusion']``;
        status ``synthetisch`` or ``schatting``.
    """
    from . import matching
    from ._format import nl_number

    settings = (settings or Settings()).replace(**changes)
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral) or draws < 1:
        raise ValidationError(f"pooling_draws: draws must be a whole number of at least 1, found {draws!r}")
    scopes = tuple(dict.fromkeys(["solo", settings.scope]))
    ranges = matching.supply_rate_ranges()
    rows = []
    for i in range(int(draws)):
        change = {"scopes": scopes}
        if i:
            rng = np.random.default_rng([int(settings.seed), i])
            change["seed"] = settings.seed + i
            for name in ("share_permit_holders", "turnover"):
                drawn = float(rng.uniform(*ranges[name]))
                if getattr(settings, name) is None:
                    change[name] = drawn
        s = settings.replace(**change)
        r = run(s, cache=cache)
        rows.append(r.comparison.assign(draw=i, seed=s.seed, share_permit_holders=r.supply.attrs["share_permit_holders"],
                                        turnover=r.supply.attrs["turnover"]))
    out = matching.pooling_gain_range(pd.concat(rows, ignore_index=True))
    synthetic = settings.caseload is None
    (s_lo, s_hi), (t_lo, t_hi) = ranges["share_permit_holders"], ranges["turnover"]
    out.attrs.update(
        status="synthetisch" if synthetic else "schatting",
        source=f"toolkit.scenario.pooling_draws: het scenario in {draws} trekkingen van "
               + ("de synthetische huishoudens" if synthetic else "nareizigers en delers")
               + f" en van het woningaanbod binnen zijn bereik (aandeel statushouders "
               f"{nl_number(s_lo, percent=True)} tot {nl_number(s_hi, percent=True)}, mutatiegraad "
               f"{nl_number(t_lo, 3)} tot {nl_number(t_hi, 3)}); trekking 0 is het scenario zelf",
    )
    return out
