"""Regional matching: which municipality can best house which household.

The model
---------
Households (grouped into *types* of identical households, so a U16 or a
national instance stays small) are placed in dwellings of four size classes
(1 / 2 / 3-4 / 5-10 persons) in the municipalities of their pool, or wait.
A household of ``need`` persons fits a class when ``need`` is at most the
class maximum (never overcrowding); ``need`` is the expected final size after
nareizigers when ``use_final_size`` is on, else the current size. A
``reserve`` share of the dwellings is kept free; an optional hard
``fairness_band`` keeps every municipality between a lower and an upper share
of its target; households with a hard need (``needs_<flag>``, an accessible
dwelling) are only placed where that need is met.

Priorities, in order (:data:`PRIORITIES`, Dutch labels in every result)
-------------------------------------------------------------------------
The solve is lexicographic on HiGHS (:func:`scipy.optimize.milp`): it
optimises priority 1, fixes that optimum as a constraint, optimises priority
2, and so on; a lower priority can never buy a worse value of a higher one.
Pools share nothing but the largest shortfall, so each pool is solved on its
own (the pools of one municipality together) and the shortfall is joined
exactly (:meth:`MatchingModel._lexicographic`).

1. most persons housed, counted at their *final* size (nareizigers included:
   they count towards the taakstelling);
2. most households housed;
3. fewest adults sharing a dwelling (kostendelersnorm): singles share only
   when that houses someone who would otherwise wait;
4. first come, first served: the most seniority housed (a household's
   seniority is its rank from the end of the arrival order, so an earlier
   household outweighs any later one of the same kind);
5. fewest households placed outside the municipality they are linked to;
6. the smallest largest shortfall against target (as a share of target);
7. best fit of dwelling size: fewest empty bed-spaces;
8. preferences (optional caseload columns, :data:`PREFERENCE_WEIGHTS`):
   work or study in a municipality, family there, newcomer education for
   school-age children.

What the priorities leave open (equal optima) is shown, per municipality,
by :meth:`MatchingModel.persons_range`.

Linking
-------
Every household is linked to a municipality: its ``code``, or, in arrival
order, the municipality with the largest remaining target, either among
those with a fitting dwelling still free (``linking="aanbod"``, the default:
supply-aware) or blind to dwellings (``linking="taakstelling"``, today's
practice). The ``scope`` says which municipalities pool: a household may be
housed anywhere in the pool of its linked municipality; ``solo``: every
municipality alone. Scope resolution is :func:`resolve_scope`.

Baselines (:meth:`MatchingModel.solve` ``method``): ``"arrival"`` takes
households in the order COA offers them, ``"largest_first"`` the largest
(final size) first; each goes to its linked municipality when it has a
fitting dwelling, else to the pool member with the largest remaining target
that has one, in the smallest fitting class. Today's practice is
``"arrival"`` with every municipality alone and blind linking
(:func:`practice_model`).

Nationality and sex are never inputs: the frame adapter does not read them.
Class limits, preference weights and the linking rules are assumptions
(``aanname``) of this toolkit, not published figures.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ._errors import InfeasibleError, ValidationError
from ._validate import Column, Schema, validate_frame
from .schemas import SIZE_CLASSES

__all__ = [
    "MatchingModel",
    "MatchingParams",
    "Scope",
    "PRIORITIES",
    "PREFERENCE_WEIGHTS",
    "HOUSEHOLDS",
    "SUPPLY",
    "TARGETS",
    "resolve_scope",
    "link_households",
    "households_from_caseload",
    "supply_from_stock",
    "default_supply_rates",
    "practice_model",
    "compare_scopes",
    "solve_scopes",
    "scope_table",
    "pooling_gain_range",
    "pooling_heading",
    "supply_rate_ranges",
    "SHARE_PERMIT_HOLDERS_RANGE",
    "rolling_plan",
    "fairness_report",
    "RollingPlan",
]

CLASS_MIN = {"1": 1, "2": 2, "3-4": 3, "5+": 5}
CLASS_MAX = {"1": 1, "2": 2, "3-4": 4, "5+": 10}

#: The priorities of the lexicographic solve, in order: (key, Dutch label, sense).
PRIORITIES = (
    ("persons", "1. zoveel mogelijk personen een woning (eindgrootte, nareizigers meegeteld)", "max"),
    ("households", "2. zoveel mogelijk huishoudens een woning", "max"),
    ("sharing", "3. alleen delen (kostendelersnorm) als iemand anders zou wachten", "min"),
    ("seniority", "4. wie het eerst kwam, gaat voor (wachttijd)", "max"),
    ("outside", "5. zo weinig mogelijk plaatsingen buiten de gekoppelde gemeente", "min"),
    ("shortfall", "6. het grootste tekort ten opzichte van de taakstelling zo klein mogelijk", "min"),
    ("fit", "7. best passende woninggrootte (zo min mogelijk lege bedplaatsen)", "min"),
    ("preferences", "8. voorkeuren: werk of studie, familie, nieuwkomersonderwijs", "max"),
)

#: Default weights of the preference priority (aanname), per household:
#: housed in the municipality of its work or study place, in the municipality
#: where family lives, and per school-age child in a municipality with
#: newcomer education (``school_codes``). Only the order among placements of
#: the same higher priorities depends on them.
PREFERENCE_WEIGHTS = {"work": 3.0, "family": 2.0, "school": 1.0}

HOUSEHOLDS = Schema(
    "matching_households",
    (
        Column("household_id", description="unique id of the household"),
        Column("size", "int", min=1, description="persons now (at least 1)"),
        Column("adults", "int", min=0, description="adults now"),
        Column("children", "int", min=0, description="children now; adults + children = size"),
        Column("period", required=False, nullable=True, description="half year of arrival, e.g. '2017-I'"),
        Column("final_size", "int", required=False, nullable=True, min=1,
               description="expected size after nareizigers (default: size)"),
        Column("code", "code", required=False, nullable=True,
               description="municipality the household is linked to (optional)"),
        Column("work_code", "code", required=False, nullable=True,
               description="municipality of a job offer or study place (optional, preference)"),
        Column("family_code", "code", required=False, nullable=True,
               description="municipality where family already lives (optional, preference)"),
        Column("school_children", "int", required=False, nullable=True, min=0,
               description="children of school age (optional, preference for newcomer education)"),
    ),
    key=("household_id",),
    description="Households to house; optional boolean needs_<flag> columns (needs_accessible: only accessible dwellings).",
)

SUPPLY = Schema(
    "matching_supply",
    (
        Column("code", "code", aliases=("gemeentecode",)),
        Column("size_class", allowed=SIZE_CLASSES, aliases=("grootteklasse", "klasse")),
        Column("dwellings", "int", min=0, aliases=("woningen", "aantal"),
               description="dwellings free for permit holders"),
        Column("accessible", "int", required=False, nullable=True, min=0, aliases=("toegankelijk",),
               description="of which accessible (optional; default 0)"),
        Column("period", required=False, nullable=True),
    ),
)

TARGETS = Schema(
    "matching_targets",
    (
        Column("code", "code"),
        Column("target", "float", min=0, description="persons to house"),
        Column("target_int", "int", required=False, nullable=True, min=0,
               description="whole persons; used instead of target when present"),
        Column("period", required=False, nullable=True),
        Column("name", required=False, nullable=True),
    ),
)

_STATUS_HOUSED = "gehuisvest"
_STATUS_WAITING = "wachtend"
_METHODS = ("optimal", "arrival", "largest_first")
_LINKING = ("aanbod", "taakstelling")


# --------------------------------------------------------------------------
# parameters and scope
# --------------------------------------------------------------------------


def _number(v):
    return not isinstance(v, bool) and isinstance(v, (int, float, np.number))


@dataclass(frozen=True)
class MatchingParams:
    """The options of a matching model, checked once.

    Parameters
    ----------
    use_final_size : bool
        Families waiting for nareizigers get a dwelling for the final size.
    sharing : int
        Maximum adults per dwelling for singles (one adult, no children, final
        size 1, no needs flags, no preference columns) linked to the same
        municipality; 1 = nobody shares. Sharing is priority 3: only where it
        houses someone who would otherwise wait.
    reserve : float
        Share of the dwellings kept free: per municipality ``reserve`` x its
        dwellings, rounded half up; the model chooses which stay free.
    fairness_band : tuple (low, high), optional
        Hard band: each municipality houses between ``floor(low x target)``
        and ``ceil(high x target)`` persons; either may be None.
    max_persons : dict, optional
        Class maximum persons, default ``CLASS_MAX`` (5+ up to 10).
    max_under_occupation : int, optional
        Most empty bed-spaces allowed in a dwelling.
    needs_places : dict, optional
        ``{flag: [codes]}``: households with ``needs_<flag>`` true may only be
        housed in those municipalities.
    linking : {"aanbod", "taakstelling"}
        How households without a ``code`` are linked (module docstring).
    school_codes : list of str, optional
        Municipalities with newcomer education (preference for households
        with school-age children); without, that preference is off.
    weights : dict, optional
        Preference weights, keys of :data:`PREFERENCE_WEIGHTS`.
    mip_rel_gap, time_limit : float
        HiGHS options per priority (the gap is tightened so that whole-number
        priorities are solved exactly).
    """

    use_final_size: bool = True
    sharing: int = 1
    reserve: float = 0.0
    fairness_band: tuple | None = None
    max_persons: dict | None = None
    max_under_occupation: int | None = None
    needs_places: dict | None = None
    linking: str = "aanbod"
    school_codes: tuple | None = None
    weights: dict | None = None
    mip_rel_gap: float = 1e-6
    time_limit: float | None = None

    def __post_init__(self):
        problems = []
        if not isinstance(self.use_final_size, (bool, np.bool_)):
            problems.append(f"use_final_size: expected True or False, found {self.use_final_size!r}")
        if isinstance(self.sharing, bool) or not isinstance(self.sharing, (int, np.integer)) or self.sharing < 1:
            problems.append(f"sharing: expected a whole number of adults per dwelling of at least 1, found {self.sharing!r}")
        if not _number(self.reserve) or not 0 <= self.reserve < 1:
            problems.append(f"reserve: expected a share between 0 and 1 (e.g. 0.1), found {self.reserve!r}")
        if self.linking not in _LINKING:
            problems.append(f"linking: expected one of {list(_LINKING)}, found {self.linking!r}")
        if self.max_under_occupation is not None and (not _number(self.max_under_occupation) or self.max_under_occupation < 0):
            problems.append(f"max_under_occupation: expected a number of at least 0 or None, found {self.max_under_occupation!r}")
        if self.max_persons is not None:
            unknown = sorted(set(self.max_persons) - set(SIZE_CLASSES))
            if unknown:
                problems.append(f"max_persons: expected keys among {list(SIZE_CLASSES)}, found {unknown}")
            else:
                bad = [k for k, v in self.max_persons.items() if not _number(v) or v < CLASS_MIN[k]]
                if bad:
                    problems.append(f"max_persons: class maximum below the class minimum {CLASS_MIN} for {bad}")
        if self.weights is not None:
            unknown = sorted(set(self.weights) - set(PREFERENCE_WEIGHTS))
            bad = [k for k, v in self.weights.items() if not _number(v) or v < 0]
            if unknown or bad:
                problems.append(f"weights: expected non-negative numbers for keys among {list(PREFERENCE_WEIGHTS)}, "
                                f"found {dict(self.weights)!r}")
        if not _number(self.mip_rel_gap) or self.mip_rel_gap < 0:
            problems.append(f"mip_rel_gap: expected a number of at least 0, found {self.mip_rel_gap!r}")
        if self.time_limit is not None and (not _number(self.time_limit) or self.time_limit <= 0):
            problems.append(f"time_limit: expected seconds (a positive number) or None, found {self.time_limit!r}")
        if problems:
            raise ValidationError("MatchingParams: " + "; ".join(problems), problems)
        object.__setattr__(self, "fairness_band", _check_band(self.fairness_band))

    @classmethod
    def build(cls, params=None, /, **changes):
        """``params`` (or the defaults) with ``changes``; unknown names are one clear error."""
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValidationError(f"MatchingParams: unknown parameter(s) {unknown}; known: {known}")
        if params is not None and not isinstance(params, cls):
            raise ValidationError(f"params: expected a MatchingParams, found {type(params).__name__}")
        return dataclasses.replace(params or cls(), **changes)

    @property
    def class_max(self):
        out = dict(CLASS_MAX)
        out.update({k: int(v) for k, v in (self.max_persons or {}).items()})
        return out

    @property
    def preference_weights(self):
        return {**PREFERENCE_WEIGHTS, **(self.weights or {})}


@dataclass(frozen=True)
class Scope:
    """Which municipalities take part and which of them pool.

    ``codes`` (the universe, in order), ``names``, ``blocks`` (pool id per
    municipality: equal ids pool), ``labels`` (the scope label or ``"solo"``
    per municipality), ``label`` (``"solo"``, the region name or
    ``"eigen selectie"``) and ``pool`` (codes that pool).
    """

    codes: tuple
    names: tuple
    blocks: tuple
    labels: tuple
    label: str
    pool: tuple
    year: int


def resolve_scope(scope="U16", *, region=None, year=2016, target_codes=None, target_names=None):
    """The :class:`Scope` for a scope name or list of codes within ``region``.

    Parameters
    ----------
    scope : str or list
        ``"solo"``, a region name (``"U10"``, ``"U16"``) or a list of codes.
    region : str or list, optional
        The municipalities taking part; default the scope's members (the
        ``target_codes`` for ``solo``).
    year : int
        Municipal division and region composition.
    target_codes, target_names : list, optional
        The codes with a target (the universe of a solo scope without
        region) and their names.

    >>> s = resolve_scope("U10", region="U16"); len(s.codes), len(s.pool), s.labels[:1]
    (16, 10, ('U10',))
    """
    from .regions import municipalities, region_codes

    known = municipalities(year)
    known_codes = set(known["code"])
    names = dict(zip(known["code"], known["name"]))
    names.update({c: n for c, n in zip(target_codes or [], target_names or []) if n is not None and not pd.isna(n)})
    if isinstance(scope, str) and scope.strip().lower() == "solo":
        pool, label = [], "solo"
    else:
        if scope is None or (not isinstance(scope, str) and len(scope) == 0):
            raise ValidationError("scope: expected 'solo', 'U10', 'U16' or a non-empty list of CBS codes, found an empty scope")
        pool = region_codes(scope, year)
        label = scope if isinstance(scope, str) else "eigen selectie"
    if region is not None:
        universe = region_codes(region, year)
    elif pool:
        universe = list(pool)
    else:
        universe = list(dict.fromkeys(target_codes or []))
    unknown = sorted(set(universe) - known_codes)
    if unknown:
        raise ValidationError(f"region: unknown municipality codes for {year}: {unknown}; known: {sorted(known_codes)}")
    outside = sorted(set(pool) - set(universe))
    if outside:
        raise ValidationError(f"scope: codes {outside} are not in the region {region!r}; add them to region")
    M = len(universe)
    members = set(pool)
    blocks = [M if c in members else i for i, c in enumerate(universe)]
    return Scope(codes=tuple(universe), names=tuple(str(names.get(c, c)) for c in universe), blocks=tuple(blocks),
                 labels=tuple(label if c in members else "solo" for c in universe), label=label,
                 pool=tuple(pool), year=int(year))


# --------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------


def _valid_inputs(households, supply, targets, period=None):
    """Validate the three input frames once and select ``period``.

    A caseload (``schemas.CASELOAD`` columns) is validated by :func:`households_from_caseload`; the
    households it builds from the valid caseload are not checked a second time.
    """
    if {"partner_present", "children_present"} <= set(getattr(households, "columns", [])):
        hh = _plain_index(households_from_caseload(households))
    else:
        hh = validate_frame(_plain_index(households), HOUSEHOLDS, source="households")
    sup = validate_frame(_plain_index(supply), SUPPLY, source="supply")
    tgt = validate_frame(_plain_index(targets), TARGETS, source="targets")
    return tuple(_select_period(f, period, name) for f, name in ((hh, "households"), (sup, "supply"), (tgt, "targets")))


def households_from_caseload(caseload, *, period=None):
    """Turn a ``schemas.CASELOAD`` frame into the households frame of this module.

    size = 1 + partner_present + children_present, adults = 1 +
    partner_present, children = children_present; final_size is taken from
    the caseload or, when empty, size + family_abroad. Nationality, sex and
    age are dropped: placement never uses them.

    Returns
    -------
    pandas.DataFrame
        Columns household_id, size, adults, children, final_size, and period
        (when given), and code, work_code, family_code, school_children and
        needs_accessible when the caseload has them.
    """
    from .schemas import CASELOAD

    c = validate_frame(caseload, CASELOAD, source="caseload")
    partner = c["partner_present"].astype(bool).astype("int64")
    children = c["children_present"].astype("int64")
    size = 1 + partner + children
    final = size + c["family_abroad"].astype("int64")
    if "final_size" in c.columns:
        given = pd.to_numeric(c["final_size"], errors="coerce")
        final = given.where(given.notna(), final).astype("int64")
    out = pd.DataFrame(
        {
            "household_id": c["household_id"].astype(str),
            "size": size,
            "adults": 1 + partner,
            "children": children,
            "final_size": np.maximum(final, size),
        }
    )
    if period is not None:
        out["period"] = str(period)
    for col in ("code", "work_code", "family_code", "school_children"):
        if col in c.columns and c[col].notna().any():
            out[col] = c[col]
    if "needs_accessible" in c.columns:
        out["needs_accessible"] = c["needs_accessible"].map(lambda v: bool(v) if v is not None and not pd.isna(v) else False)
    out.attrs.update(status=caseload.attrs.get("status", ""), source=caseload.attrs.get("source", ""))
    return out


def default_supply_rates():
    """Turnover and permit-holder share derived from ``geodata/lettings.csv``.

    turnover: U16 social-rental lettings in 2014 (6,220, RIGO via duic.nl)
    over the U16 social-rental stock in 2017 (103,960, rwu-utrecht.nl); the
    years differ, so it is an estimate. share_permit_holders: national
    lettings to permit holders in 2022 over all lettings (11,000 of 162,500,
    CBS); the 2016 share was not found (FACTS.md §11).

    >>> r = default_supply_rates(); round(r["turnover"], 4), round(r["share_permit_holders"], 4)
    (0.0598, 0.0677)
    """
    from .data import load_lettings

    let = load_lettings().set_index(["area", "year"])
    turnover = let.loc[("U16", 2014), "lettings"] / let.loc[("U16", 2017), "stock"]
    share = let.loc[("NL01", 2022), "lettings_permit_holders"] / let.loc[("NL01", 2022), "lettings"]
    return {"turnover": float(turnover), "share_permit_holders": float(share)}


def supply_from_stock(stock=None, *, turnover=None, share_permit_holders=None, periods=None):
    """Dwellings free for permit holders per municipality, size class and half year.

    dwellings = stock x turnover / 2 x share_permit_holders, rounded to whole
    dwellings (half up), the same for every period.

    Parameters
    ----------
    stock : pandas.DataFrame, optional
        Columns code, size_class, dwellings (the ``schemas.HOUSING_STOCK``
        layout, e.g. from ``toolkit.io.read_housing_stock``). Default: the
        shipped estimate ``toolkit.data.load_housing_stock()`` (schatting).
    turnover : float, optional
        Lettings per dwelling per year; default from
        :func:`default_supply_rates` (0.060).
    share_permit_holders : float, optional
        Share of lettings that goes to permit holders; default from
        :func:`default_supply_rates` (0.068, national 2022).
    periods : list of str, optional
        Half years, e.g. ``["2017-I", "2017-II"]``; without, no period column.

    Returns
    -------
    pandas.DataFrame
        Columns code, size_class, dwellings (and period). ``attrs``: status
        ``schatting``, the derivation and the rates used (``turnover``,
        ``share_permit_holders``).
    """
    from ._format import fmt_num
    from .data import load_housing_stock
    from .schemas import HOUSING_STOCK

    rates = default_supply_rates()
    turnover = rates["turnover"] if turnover is None else turnover
    share = rates["share_permit_holders"] if share_permit_holders is None else share_permit_holders
    for name, v in (("turnover", turnover), ("share_permit_holders", share)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not 0 <= float(v) <= 1:
            raise ValidationError(f"supply_from_stock: {name!r} must be a number between 0 and 1, found {v!r}")
    if stock is None:
        stock = load_housing_stock()
        source = stock.attrs.get("source", "geodata/housing_stock.csv")
    else:
        source = stock.attrs.get("source", "user file")
        stock = validate_frame(stock, HOUSING_STOCK, source="stock")
    base = stock[["code", "size_class", "dwellings"]].copy()
    base["code"] = base["code"].astype(str)
    base["dwellings"] = np.floor(base["dwellings"].to_numpy(float) * turnover / 2 * share + 0.5).astype("int64")
    if periods is not None:
        periods = [periods] if isinstance(periods, str) else list(periods)
        base = pd.concat([base.assign(period=str(p)) for p in periods], ignore_index=True)
    base.attrs.update(
        status="schatting",
        source=source,
        turnover=turnover,
        share_permit_holders=share,
        derivation=(
            f"voorraad x mutatiegraad {fmt_num(turnover, 4)} / 2 x aandeel statushouders {fmt_num(share, 4)} "
            "(aanname; standaard afgeleid uit geodata/lettings.csv)"
        ),
    )
    return base



# --------------------------------------------------------------------------


@dataclass
class RollingPlan:
    """Result of :func:`rolling_plan`: per period and municipality, the assignment, regional figures."""

    municipalities: pd.DataFrame
    assignment: pd.DataFrame
    regional: pd.DataFrame


#: ``method_`` of a model solved to the lexicographic optimum (``solve(method="optimal")``).
_OPTIMAL = "lexicografisch, milp-highs"


class MatchingModel:
    """Lexicographic matching of households to municipalities and dwelling classes.

    Build it with :meth:`from_arrays` (household types, supply and targets as
    arrays; the core) or :meth:`from_frames` (households, supply and targets
    as frames; the adapter), then call :meth:`solve`, which returns ``self``.
    Both constructors give the same result attributes and columns:

    - ``priorities_``: one row per priority (:data:`PRIORITIES`): key,
      priority (Dutch label), value (housed persons, households, sharing
      adults, seniority, households outside, largest shortfall as a share of
      target, empty bed-spaces, preference score);
    - ``flows_``: dwellings per arc, columns type, municipality (index),
      size_class, units (dwellings), under_occupation (per dwelling);
    - ``waiting_``: waiting households per type (array);
    - ``objective_``: the first priority as a cost (persons, at final size,
      left waiting), ``lp_bound_`` (a lower bound on it: the objective less
      what HiGHS's MIP gap leaves open), ``gap_`` (largest relative MIP gap
      over the priorities), ``method_``, ``groups_`` (the priorities solved
      together in the largest problem, see :meth:`_groups`; pools are solved
      apart, see :meth:`_lexicographic`);
    - ``summary_``: regional figures (Series: households,
      households_housed, households_waiting, persons, persons_housed,
      persons_waiting (persons at final size), target, pct_target,
      dwellings_used, under_occupation, expected_overcrowding, mismatch,
      over_target, households_outside, sharing_adults, max_shortfall,
      objective, lp_bound, gap, method, scope, shared_dwellings,
      reserve_dwellings);
    - ``municipalities_``: one row per municipality: code, name, scope,
      target, persons_housed, pct_target, households_housed,
      dwellings_available, reserve_dwellings, dwellings_<class> (used),
      dwellings_free, shared_dwellings, under_occupation,
      expected_overcrowding, over_target, short_of_target,
      linked_households_waiting, households_outside (placed here, linked
      elsewhere), band_low, band_high;
    - ``assignment_``, one row per household: household_id, (period), size,
      adults, children, final_size, need, linked_code, code, name,
      size_class, status (gehuisvest / wachtend), dwelling_id, shared,
      adults_in_dwelling, under_occupation and expected_overcrowding (of the
      dwelling), outside (placed outside the linked municipality),
      preference (its score), reason (Dutch; each component named); and
      ``dwellings_``, one row per occupied dwelling: dwelling_id, code, name,
      size_class, households, persons, adults, shared, under_occupation,
      expected_overcrowding.

    From arrays the households are anonymous (household_id ``E1``, ...;
    adults and children unknown).
    """

    def __init__(self, need, persons, count, origin, supply, targets, *, params=None, blocks=None, class_min=None,
                 class_max=None, class_names=None, allowed=None, class_allowed=None, base=None, multiplier=None,
                 preference=None, unit_type=None, scope=None):
        self.need = need
        self.persons = persons
        self.count = count
        self.origin = origin
        self.supply = supply
        self.targets = targets
        self.params = params
        self.blocks = blocks
        self.class_min = class_min
        self.class_max = class_max
        self.class_names = class_names
        self.allowed = allowed
        self.class_allowed = class_allowed
        self.base = base
        self.multiplier = multiplier
        self.preference = preference
        self.unit_type = unit_type
        self.scope = scope
        self._meta = None
        self._weights = None  # seniority per household (a block model keeps the whole model's)
        self._x = None
        self._frames = None
        self._assignment = None

    # ---- constructors ----------------------------------------------------

    @classmethod
    def from_arrays(cls, need, persons, count, origin, supply, targets, *, params=None, **arrays):
        """Build the model from plain arrays (the core constructor).

        Parameters
        ----------
        need : array of int, shape (T,)
            Persons the dwelling must fit, per unit type.
        persons : array of int, shape (T,)
            Persons counted towards the target (final size), per unit type.
        count : array of int, shape (T,)
            Units of each type.
        origin : array of int, shape (T,), or None
            Index of the municipality each type is linked to; None: no
            linking, every type may go anywhere (one pool).
        supply : array of int, shape (M, C)
            Dwellings per municipality and class (the reserve share of
            ``params`` is kept free).
        targets : array of float, shape (M,)
            Persons to house per municipality.
        params : MatchingParams, optional
            ``reserve``, ``fairness_band``, ``max_under_occupation`` and the
            solver options apply here; the others belong to the frame adapter.
        **arrays
            ``blocks`` (M,) pool ids (default: all in one pool);
            ``class_min``/``class_max``/``class_names`` (C,); ``allowed``
            (T, M) and ``class_allowed`` (T, C) bool (hard needs);
            ``preference`` (T, M) score per household; ``unit_type`` (U,):
            the type of each household in arrival order (default: types in
            index order). Shared dwellings: a type with ``base[t] = b`` and
            ``multiplier[t] = k`` is a group of ``k`` units of type ``b``
            sharing one dwelling (its own ``count`` is 0).
        """
        model = cls(need, persons, count, origin, supply, targets, params=MatchingParams.build(params), **arrays)
        model._check_arrays()
        return model

    def _check_arrays(self):
        need = np.asarray(self.need, dtype=np.int64)
        T = len(need)
        supply = np.asarray(self.supply)
        if supply.ndim != 2:
            raise ValidationError(f"supply: expected an array (municipalities x size classes), found shape {supply.shape}")
        M, C = supply.shape
        if M == 0:
            raise ValidationError("scope: expected at least one municipality, found none")
        problems = []
        if (supply < 0).any():
            m, c = np.argwhere(supply < 0)[0]
            problems.append(f"supply: dwellings must be at least 0, found {supply[m, c]} (municipality {m}, class {c})")
        for name in ("persons", "count") + (("origin",) if self.origin is not None else ()):
            if len(np.atleast_1d(getattr(self, name))) != T:
                problems.append(f"{name}: expected {T} values (one per type), found {len(np.atleast_1d(getattr(self, name)))}")
        if len(np.atleast_1d(self.targets)) != M:
            problems.append(f"targets: expected {M} values (one per municipality), found {len(np.atleast_1d(self.targets))}")
        if T and (need < 1).any():
            problems.append(f"need: household size must be at least 1, found {need[need < 1][:5].tolist()}")
        cmax = np.asarray(self.class_max if self.class_max is not None else list(CLASS_MAX.values()))
        if len(cmax) != C:
            problems.append(f"class_max: expected {C} values (one per size class), found {len(cmax)}")
        elif T and (need > cmax.max()).any():
            problems.append(
                f"need: {int((need > cmax.max()).sum())} unit type(s) larger than any dwelling class "
                f"(largest fits {int(cmax.max())} persons), found {sorted(set(need[need > cmax.max()].tolist()))}"
            )
        if self.unit_type is not None:
            ut = np.asarray(self.unit_type, dtype=np.int64)
            if not np.array_equal(np.bincount(ut, minlength=T)[:T], np.asarray(self.count, dtype=np.int64)):
                problems.append("unit_type: expected each type as often as its count")
        if problems:
            raise ValidationError("MatchingModel: " + "; ".join(problems), problems)

    @classmethod
    def from_frames(cls, households, supply, targets, *, scope="U16", region=None, year=2016, period=None,
                    params=None, **changes):
        """Build the model from households, supply and targets frames (the adapter).

        Parameters
        ----------
        households : pandas.DataFrame
            Columns household_id, size, adults, children, and optional period,
            final_size, code (linked municipality), work_code, family_code,
            school_children and boolean ``needs_<flag>`` columns (see
            :data:`HOUSEHOLDS`; ``needs_accessible``: only accessible
            dwellings); rows are in arrival order and may come from several
            periods (households still waiting). A ``schemas.CASELOAD`` frame
            is converted with :func:`households_from_caseload`. Other columns
            are not read.
        supply : pandas.DataFrame
            Columns code, size_class ('1', '2', '3-4', '5+'), dwellings, and
            optional accessible (of which accessible) and period
            (:func:`supply_from_stock`).
        targets : pandas.DataFrame
            Columns code, target (persons) and optional target_int, period,
            name (``toolkit.taakstelling.municipal_targets``).
        scope, region, year
            See :func:`resolve_scope`. Targets, supply and households outside
            the region are an error.
        period : str, optional
            Select this period from frames with a ``period`` column.
        params : MatchingParams, optional
        **changes
            Fields of :class:`MatchingParams` to change, e.g. ``sharing=2``.
        """
        params = MatchingParams.build(params, **changes)
        hh, sup, tgt = _valid_inputs(households, supply, targets, period)
        return cls._from_valid(hh, sup, tgt, scope=scope, region=region, year=year, period=period, params=params)

    @classmethod
    def _from_valid(cls, hh, sup, tgt, *, scope, region, year, period, params):
        """:meth:`from_frames` on inputs already checked by :func:`_valid_inputs`.

        ``scope`` may be a :class:`Scope` already resolved for ``region`` and ``year`` (the scenario keeps them).
        """
        if isinstance(scope, Scope):
            sc = scope
        else:
            target_codes = list(dict.fromkeys(tgt["code"].astype(str)))
            sc = resolve_scope(scope, region=region, year=year, target_codes=target_codes,
                               target_names=list(tgt["name"]) if "name" in tgt else None)
        _check_codes(sc, hh, sup, tgt, region)
        hh, flags = _household_needs(hh, params)
        universe = list(sc.codes)
        M = len(universe)
        midx = {c: i for i, c in enumerate(universe)}
        accessible = "accessible" in sup and sup["accessible"].notna().any()
        classes = list(SIZE_CLASSES) + ([f"{k} toegankelijk" for k in SIZE_CLASSES] if accessible else [])
        K0 = len(SIZE_CLASSES)
        raw = np.zeros((M, len(classes)), dtype=np.int64)
        for c, k, d, a in zip(sup["code"].astype(str), sup["size_class"], sup["dwellings"],
                              sup["accessible"] if accessible else [0] * len(sup)):
            a = 0 if pd.isna(a) else int(a)
            if a > int(d):
                raise ValidationError(f"supply: accessible dwellings ({a}) above all dwellings ({int(d)}) for {c}, class {k}")
            ci = SIZE_CLASSES.index(k)
            raw[midx[c], ci] += int(d) - a
            if accessible:
                raw[midx[c], K0 + ci] += a
        cmax = params.class_max
        tcol = "target_int" if "target_int" in tgt and tgt["target_int"].notna().all() else "target"
        tmap = dict(zip(tgt["code"].astype(str), tgt[tcol].astype(float)))
        target = np.array([tmap[c] for c in universe], dtype=float)
        blocks = np.asarray(sc.blocks)

        units = _make_units(hh, flags=flags)
        pref_cols = [c for c in ("work_code", "family_code", "school_children") if c in hh]
        # linked on the supply before the reserve: which dwellings stay free is the model's choice, and links
        # that moved with the reserve would let a larger reserve house more (a counterexample in the tests)
        units = _link_units(units, target, midx, raw if params.linking == "aanbod" else None,
                            np.array([cmax[k] for k in SIZE_CLASSES] * (len(classes) // K0)), 0.0,
                            _preference(units, universe, params) if pref_cols else None)
        key_cols = ["origin", "need", "persons", "sole"] + flags + pref_cols
        types = units.drop_duplicates(key_cols)[key_cols].reset_index(drop=True)
        units = units.merge(types.reset_index().rename(columns={"index": "type"}), on=key_cols, how="left")
        units = units.sort_values("order", kind="stable").reset_index(drop=True)
        count = np.bincount(units["type"], minlength=len(types))
        types["base"] = np.arange(len(types))
        types["mult"] = 1
        if params.sharing > 1:
            groups = [
                {**row, "need": k, "persons": k, "base": i, "mult": k}
                for i, row in types[types["sole"]].iterrows() for k in range(2, params.sharing + 1)
            ]
            if groups:
                types = pd.concat([types, pd.DataFrame(groups)], ignore_index=True)
                count = np.concatenate([count, np.zeros(len(groups), dtype=np.int64)])
        T = len(types)
        allowed = np.ones((T, M), dtype=bool)
        for f, codes in (params.needs_places or {}).items():
            allowed[types[f"needs_{f}"].to_numpy(bool)] &= np.isin(universe, _region_codes(codes, year))
        class_allowed = np.ones((T, len(classes)), dtype=bool)
        if "needs_accessible" in types:
            class_allowed[types["needs_accessible"].to_numpy(bool), :K0] = False
        preference = _preference(types, universe, params) if pref_cols else None
        model = cls.from_arrays(
            types["need"].to_numpy(np.int64), types["persons"].to_numpy(np.int64), count,
            types["origin"].to_numpy(np.int64), raw, target, params=params, blocks=blocks,
            class_min=[CLASS_MIN[k] for k in SIZE_CLASSES] * (len(classes) // K0),
            class_max=[cmax[k] for k in SIZE_CLASSES] * (len(classes) // K0), class_names=classes,
            allowed=allowed, class_allowed=class_allowed, base=types["base"].to_numpy(np.int64),
            multiplier=types["mult"].to_numpy(np.int64), preference=preference,
            unit_type=units["type"].to_numpy(np.int64), scope=sc,
        )
        model._meta = {
            "units": units, "households": hh, "use_final_size": bool(params.use_final_size),
            "households_status": hh.attrs.get("status", ""), "period": period,
            "supply_status": sup.attrs.get("status", ""), "targets_status": tgt.attrs.get("status", ""),
            "inputs": (hh, sup, tgt, region, year, period),
        }
        return model

    def _rescoped(self, scope):
        """This model, unsolved, with another :class:`Scope` over the same municipalities: only the pools differ.

        Households, links, types and supply do not depend on the scope (linking reads
        neither the scope nor the reserve), so the scenario builds them once for all its scopes.
        """
        if self.scope is None or tuple(scope.codes) != tuple(self.scope.codes) or scope.year != self.scope.year:
            raise ValidationError(f"scope: {scope.label!r} has other municipalities than the model's {self.scope.label!r}")
        out = copy.copy(self)
        out.blocks, out.scope = np.asarray(scope.blocks), scope
        for name in ("arcs_", "flows_", "waiting_", "objective_", "lp_bound_", "gap_", "method_", "groups_", "summary_",
                     "municipalities_", "priorities_", "_parts", "_z_star", "_open"):
            out.__dict__.pop(name, None)
        out._x = out._frames = out._assignment = None
        return out

    # ---- arrays ------------------------------------------------------------

    def _get(self, *names):
        """The model's arrays by name, as numpy arrays with their defaults filled in."""
        need = np.asarray(self.need, dtype=np.int64)
        T = len(need)
        raw = np.asarray(self.supply, dtype=np.int64)
        M, C = raw.shape
        arrays = {
            "need": lambda: need,
            "persons": lambda: np.asarray(self.persons, dtype=np.int64),
            "count": lambda: np.asarray(self.count, dtype=np.int64),
            "origin": lambda: None if self.origin is None else np.asarray(self.origin, dtype=np.int64),
            "raw": lambda: raw,
            "kept": lambda: self._reserve_kept(raw),
            "supply": lambda: raw,
            "budget": lambda: raw.sum(axis=1) - self._reserve_kept(raw),
            "targets": lambda: np.asarray(self.targets, dtype=float),
            "blocks": lambda: np.zeros(M, dtype=np.int64) if self.blocks is None else np.asarray(self.blocks),
            "cmin": lambda: np.asarray(list(CLASS_MIN.values()) if self.class_min is None else self.class_min, dtype=np.int64),
            "cmax": lambda: np.asarray(list(CLASS_MAX.values()) if self.class_max is None else self.class_max, dtype=np.int64),
            "allowed": lambda: np.ones((T, M), dtype=bool) if self.allowed is None else np.asarray(self.allowed, dtype=bool),
            "class_allowed": lambda: (np.ones((T, C), dtype=bool) if self.class_allowed is None
                                      else np.asarray(self.class_allowed, dtype=bool)),
            "base": lambda: np.arange(T) if self.base is None else np.asarray(self.base, dtype=np.int64),
            "mult": lambda: np.ones(T, dtype=np.int64) if self.multiplier is None else np.asarray(self.multiplier, dtype=np.int64),
            "pref": lambda: np.zeros((T, M)) if self.preference is None else np.asarray(self.preference, dtype=float),
            "unit_type": lambda: (np.repeat(np.arange(T), np.asarray(self.count, dtype=np.int64)) if self.unit_type is None
                                  else np.asarray(self.unit_type, dtype=np.int64)),
        }
        return tuple(arrays[n]() for n in names)

    def _reserve_kept(self, raw):
        """Dwellings kept free per municipality: ``reserve`` x its dwellings, rounded half up.

        The model chooses which ones stay free. Per municipality and rounded
        this way, one more dwelling never means one fewer to use, and a larger
        reserve never one more.
        """
        return np.floor(raw.sum(axis=1) * float(self.params.reserve) + 0.5).astype(np.int64)

    def _build_arcs(self, *, every_class=False):
        """Arcs (type, municipality, class) that fit; ``every_class`` also where no dwelling is free."""
        need, count, origin, supply, blocks, cmin, cmax, allowed, callowed, base, mult = self._get(
            "need", "count", "origin", "supply", "blocks", "cmin", "cmax", "allowed", "class_allowed", "base", "mult")
        under = np.maximum(cmin[None, :] - need[:, None], 0)  # (T, C)
        fits = (need[:, None] <= cmax[None, :]) & callowed
        if self.params.max_under_occupation is not None:
            fits &= under <= int(self.params.max_under_occupation)
        reach = allowed if origin is None else allowed & (blocks[None, :] == blocks[origin][:, None])  # (T, M)
        mask = (reach[:, :, None] & fits[:, None, :] & ((supply[None, :, :] > 0) | every_class)
                & (count[base] // mult > 0)[:, None, None])
        t, m, c = np.nonzero(mask)
        return t, m, c, under[t, c]

    def _pooled_arcs(self):
        """Arcs of a pool with every municipality linked: home arcs per type, away arcs per kind.

        A kind is the types that differ only by their linked municipality. A
        household placed outside its linked municipality counts once on
        priority 5 wherever it goes, so its dwelling is an arc of its kind
        (not of its type) and variables a say how many of each type are
        placed away. Exact: any solution splits back into types
        (:meth:`_split_pooled`) with at most as many placed outside; at the
        optimum of priority 5 no household of a municipality is counted away
        while a dwelling of its kind there is taken by one from elsewhere.
        Returns (t, m, c, under, (away, kind per arc, kind per type)); an away
        arc's t is a type of its kind.
        """
        need, count, origin, supply, cmin, cmax, allowed, callowed, base, mult, pref = self._get(
            "need", "count", "origin", "supply", "cmin", "cmax", "allowed", "class_allowed", "base", "mult", "pref")
        under = np.maximum(cmin[None, :] - need[:, None], 0)
        fits = (need[:, None] <= cmax[None, :]) & callowed
        if self.params.max_under_occupation is not None:
            fits &= under <= int(self.params.max_under_occupation)
        live = count[base] // mult > 0
        signature = np.column_stack([need, self._get("persons")[0], mult, need[base], allowed, fits, pref[base]])
        _, kind_type = np.unique(signature, axis=0, return_inverse=True)
        kind_type = kind_type.ravel()
        n_k = int(kind_type.max(initial=-1)) + 1
        rep = np.full(n_k, -1)
        rep[kind_type[live][::-1]] = np.nonzero(live)[0][::-1]  # the first live type of each kind
        th, ch = np.nonzero(fits & live[:, None])
        mh = origin[th]
        keep = allowed[th, mh] & (supply[mh, ch] > 0)
        th, mh, ch = th[keep], mh[keep], ch[keep]
        kinds = np.nonzero(rep >= 0)[0]
        r = rep[kinds]
        ka, ma, ca = np.nonzero(allowed[r][:, :, None] & fits[r][:, None, :] & (supply[None, :, :] > 0))
        ka = kinds[ka]
        t = np.concatenate([th, rep[ka]])
        c = np.concatenate([ch, ca])
        is_away = np.concatenate([np.zeros(len(th), dtype=bool), np.ones(len(ka), dtype=bool)])
        kind_arc = np.concatenate([kind_type[th], ka])
        return t, np.concatenate([mh, ma]), c, under[t, c], (is_away, kind_arc, kind_type)

    def _split_pooled(self, t, m, c, away, x, a):
        """Flows of :meth:`_pooled_arcs` (dwellings ``x``, away households ``a``) as flows on :meth:`_build_arcs`."""
        origin, = self._get("origin")
        is_away, kind_arc, kind_type = away
        M, C = np.asarray(self.supply).shape
        ft, fm, fc, fx = [t[~is_away]], [m[~is_away]], [c[~is_away]], [x[~is_away]]
        for kind in np.unique(kind_arc[is_away & (x > 0)]):
            types = [[int(ty), int(a[ty])] for ty in np.nonzero((kind_type == kind) & (a > 0))[0]]
            i = 0
            for k in np.nonzero(is_away & (kind_arc == kind) & (x > 0))[0]:
                left = int(x[k])
                while left > 0:  # types placed away, in type order, fill the kind's away dwellings in arc order
                    take = min(left, types[i][1])
                    ft.append([types[i][0]]), fm.append([m[k]]), fc.append([c[k]]), fx.append([take])
                    types[i][1] -= take
                    left -= take
                    i += types[i][1] == 0
        t0, m0, c0, _ = self._build_arcs()
        key0 = (t0 * M + m0) * C + c0
        key = (np.concatenate(ft) * M + np.concatenate(fm)) * C + np.concatenate(fc)
        idx = np.searchsorted(key0, key)
        out = np.zeros(len(t0), dtype=np.int64)
        np.add.at(out, idx, np.concatenate(fx).astype(np.int64))
        return out

    def _system(self, t, m, c, *, extra_supply=False, away=None):
        """Constraints over the variables [x (arcs), y (households, arrival order), z (largest shortfall)].

        Returns (constraints, bounds, integrality, n_x, n_y); with ``extra_supply``
        also variables e (M x C, extra dwellings) after z. With ``away`` (from
        :meth:`_pooled_arcs`) the arcs marked away carry dwellings of a kind
        of household, not of one type; variables a (T, households of each
        type placed away) follow z.
        """
        persons, supply, targets, base, mult, unit_type = self._get("persons", "supply", "targets", "base", "mult", "unit_type")
        count, = self._get("count")
        M, C = supply.shape
        K, U, T = len(t), len(unit_type), len(persons)
        n_e = M * C if extra_supply else 0
        nvar = K + U + 1 + n_e
        arcs = np.arange(K)

        def block(*parts):
            return sparse.hstack(parts, format="csr")

        zero = lambda rows, cols: sparse.csr_matrix((rows, cols))  # noqa: E731
        sup = sparse.csr_matrix((np.ones(K), (m * C + c, arcs)), shape=(M * C, K))
        e_part = [-sparse.identity(n_e, format="csr")] if extra_supply else []
        cons = [LinearConstraint(block(sup, zero(M * C, U + 1), *e_part), -np.inf, supply.reshape(-1).astype(float))]
        budget, = self._get("budget")
        if (budget < supply.sum(axis=1)).any():  # the reserve: at most budget dwellings used per municipality
            e_sum = [sparse.kron(sparse.identity(M), np.ones((1, C)), format="csr") * -1] if extra_supply else []
            cons.append(LinearConstraint(block(sparse.csr_matrix((np.ones(K), (m, arcs)), shape=(M, K)),
                                               zero(M, U + 1), *e_sum), -np.inf, budget.astype(float)))
        # households housed of each type = its earliest units' y (sum y - sum mult x = 0)
        home = arcs if away is None else arcs[~away[0]]
        link = block(sparse.csr_matrix((-mult[t[home]].astype(float), (base[t[home]], home)), shape=(T, K)),
                     sparse.csr_matrix((np.ones(U), (unit_type, np.arange(U))), shape=(T, U)), zero(T, 1 + n_e))
        link_at = len(cons)
        cons.append(LinearConstraint(link, 0, 0))
        pm = sparse.csr_matrix((persons[t].astype(float), (m, arcs)), shape=(M, K))
        low, high = self._band_limits(targets)
        if low is not None or high is not None:
            cons.append(LinearConstraint(block(pm, zero(M, U + 1 + n_e)),
                                         -np.inf if low is None else low, np.inf if high is None else high))
        pos = np.nonzero(targets > 0)[0]
        if len(pos):
            rel = sparse.diags(1 / targets[pos]) @ pm[pos]
            cons.append(LinearConstraint(block(rel, zero(len(pos), U), sparse.csr_matrix(np.ones((len(pos), 1))),
                                               zero(len(pos), n_e)), 1, np.inf))
        ub = np.concatenate([count[base[t]] // mult[t], np.ones(U), [1.0], np.full(n_e, np.inf)]).astype(float)
        integrality = np.zeros(nvar)
        integrality[:K] = 1
        if away is not None:  # a: away households per type, in its link row and in its kind's balance with the away arcs
            is_away, kind_arc, kind_type = away
            cons = [LinearConstraint(block(k.A, zero(k.A.shape[0], T)), k.lb, k.ub) for k in cons]
            cons[link_at] = LinearConstraint(block(link, sparse.csr_matrix((-mult.astype(float), (base, np.arange(T))),
                                                                           shape=(T, T))), 0, 0)
            n_k = int(kind_type.max(initial=-1)) + 1
            bal = block(sparse.csr_matrix((-np.ones(is_away.sum()), (kind_arc[is_away], arcs[is_away])), shape=(n_k, K)),
                        zero(n_k, U + 1), sparse.csr_matrix((np.ones(T), (kind_type, np.arange(T))), shape=(n_k, T)))
            cons.append(LinearConstraint(bal, 0, 0))
            ub[:K][is_away] = np.inf
            ub = np.concatenate([ub, count[base] // mult]).astype(float)
            integrality = np.concatenate([integrality, np.ones(T)])
        return cons, Bounds(np.zeros(len(ub)), ub), integrality, K, U

    def _level_costs(self, t, m, under, away=None):
        """Cost vectors (to minimise) over [x, y, z] (and a, see :meth:`_system`) per priority, in the order of :data:`PRIORITIES`."""
        persons, origin, base, mult, pref, unit_type = self._get("persons", "origin", "base", "mult", "pref", "unit_type")
        K, U = len(t), len(unit_type)
        extra = np.zeros(0 if away is None else len(persons))

        def vec(x=None, y=None, z=0.0):
            return np.concatenate([np.zeros(K) if x is None else x, np.zeros(U) if y is None else y, [z], extra]).astype(float)

        seniority = self._seniority()
        outside = np.zeros(K) if origin is None else (mult[t] * (m != origin[t])).astype(float)
        if away is not None:
            outside[away[0]] = mult[t[away[0]]]
        return {
            "persons": vec(-persons[t]),
            "households": vec(-mult[t]),
            "sharing": vec(mult[t] * (mult[t] > 1)),
            "seniority": vec(y=-seniority),
            "outside": vec(outside),
            "shortfall": vec(z=1.0),
            "fit": vec(under),
            "preferences": vec(-mult[t] * pref[base[t], m]),
        }

    def _band_limits(self, targets):
        band = self.params.fairness_band
        if band is None:
            return None, None
        lo, hi = band
        low = None if lo is None else np.floor(lo * targets + 1e-9)
        high = None if hi is None else np.ceil(hi * targets - 1e-9)
        return low, high

    # ---- solving -----------------------------------------------------------

    def solve(self, *, method="optimal", merge=True, decompose=True, alone=None):
        """Solve and fill the result attributes; returns ``self``.

        Parameters
        ----------
        method : {"optimal", "arrival", "largest_first"}
            ``optimal``: the lexicographic solve over :data:`PRIORITIES`.
            ``arrival`` and ``largest_first``: the baseline rules of the
            module docstring (no sharing; they ignore the fairness band).
        merge : bool
            Solve consecutive whole-valued priorities as one with weights that
            provably keep their order (fewer HiGHS runs); ``False`` solves one
            priority at a time (the same optimum, slower).
        decompose : bool
            Solve each pool (block) on its own (:meth:`_lexicographic`; the
            same optimum, much faster with many pools); ``False`` solves all
            pools as one problem.
        alone : MatchingModel, optional
            This input solved with every municipality alone (scope ``solo``,
            same households, supply, targets and parameters). The
            municipalities outside every pool take its placements instead of
            being solved again: each one's lexicographic optimum is its own
            (pools share nothing), and a region's scopes then show them alike.
            With the national division this skips the largest problem of a
            pooled scope. An ``alone`` of another input is an error.

        Raises
        ------
        InfeasibleError
            When the hard fairness band cannot be met; the message names the
            municipality, size class and shortfall, and what would relax it.
        """
        if method not in _METHODS:
            raise ValidationError(f"solve: method must be one of {list(_METHODS)}, found {method!r}")
        t, m, c, under = self._build_arcs()
        self.arcs_ = (t, m, c, under)
        self._parts = None
        if method == "optimal":
            x = self._lexicographic(t, m, c, under, merge=merge, decompose=decompose, alone=alone)
        else:
            x = self._rule(t, m, c, order=method)
            self._open, self.gap_, self.method_ = np.nan, np.nan, method
        self._finish(x)
        return self

    #: Largest bound on a merged priority's value: weights stay exact in double precision and HiGHS's gap.
    MERGE_LIMIT = 1e6

    def _seniority(self):
        """Seniority per household in arrival order: its rank from the end (a block model keeps the whole model's)."""
        if self._weights is not None:
            return self._weights
        U = len(self._get("unit_type")[0])
        return (U - np.arange(U)).astype(float)

    def _ranges(self):
        """Upper bounds on the (absolute) value of each priority, from the counts."""
        persons, count, cmin, pref, unit_type = self._get("persons", "count", "cmin", "pref", "unit_type")
        U = len(unit_type)
        return {"persons": float((persons * count).sum()), "households": U, "sharing": U, "seniority": float(self._seniority().sum()),
                "outside": U, "shortfall": 1.0, "fit": float((cmin.max(initial=1) - 1) * U),
                "preferences": float(pref.max(axis=1, initial=0)[unit_type].sum())}

    def _groups(self, costs, *, merge=True):
        """Consecutive priorities solved as one, with weights that provably keep their order.

        Within a group, priority i gets weight ``w_i = 1 + sum_{j>i} w_j R_j``
        (``R_j``: the range of priority j, last weight 1). Every priority but
        the last of a group is whole-valued, so one unit better on it outweighs
        anything the later ones can gain. A group grows while its value stays
        below :attr:`MERGE_LIMIT`; the shortfall (a share) stands alone;
        preferences join the fit priority as its last member.
        """
        ranges = self._ranges()
        active = [k for k, _, _ in PRIORITIES if costs[k].any()]
        groups, current = [], []

        def bound(keys):
            w, total = 1.0, 0.0
            for k in reversed(keys):
                total += w * ranges[k]
                w = 1 + total
            return total

        for k in active:
            whole = k not in ("shortfall", "preferences")
            if merge and current and current[-1] not in ("shortfall", "preferences") and (whole or k == "preferences") \
                    and k != "shortfall" and bound(current + [k]) <= self.MERGE_LIMIT:
                current.append(k)
            else:
                if current:
                    groups.append(current)
                current = [k]
        if current:
            groups.append(current)
        out = []
        for keys in groups:
            w, total, cost = 1.0, 0.0, np.zeros_like(costs[keys[0]])
            for k in reversed(keys):
                cost = cost + w * costs[k]
                total += w * ranges[k]
                top, w = w, 1 + total
            out.append((keys, cost, all(k not in ("shortfall", "preferences") for k in keys), total, top))
        return out

    def _lexicographic(self, t, m, c, under, *, merge=True, decompose=True, alone=None):
        """The lexicographic optimum, pool by pool (exact block decomposition).

        Municipalities of different pools share no household, dwelling or
        constraint, and every priority but the largest shortfall is a sum over
        pools; so the optimal set of priorities 1-5 is the product of each
        pool's own, the largest shortfall ``z*`` is the largest of each pool's
        own smallest largest shortfall (given its priorities 1-5), and the
        priorities after it are again solved per pool with every municipality
        housing at least ``ceil(target x (1 - z*))``. A pool of one
        municipality, or one whose solution already has a largest shortfall
        at most the ``z*`` found so far or the bound of
        :meth:`_Lexicographic.least_shortfall`, needs no shortfall solve (its
        priority 1 fixes its persons housed, or it cannot raise ``z*``). A
        pool of several municipalities is solved on the arcs of
        :meth:`_pooled_arcs` (far fewer than one per type and municipality).
        ``decompose=False``: everything as one problem on the arcs of
        :meth:`_build_arcs` (the reference the tests compare with).
        """
        parts = self._pools(t) if decompose else None
        origin, = self._get("origin")
        if not decompose:
            runs = [_Lexicographic(self, self, merge)]
        elif parts is None:  # one pool
            runs = [_Lexicographic(self, self, merge, pooled=origin is not None and len(self._get("targets")[0]) > 1)]
        else:
            # the pools of one municipality as one problem (fixed per pool), each larger pool on its own
            single = [q for q in parts if len(q[1]) == 1]
            parts = [q for q in parts if len(q[1]) > 1]
            runs = [_Lexicographic(self._block_model(types, munis), self, merge, pooled=True) for types, munis, _ in parts]
            if single:
                parts.append(tuple(np.sort(np.concatenate([q[i] for q in single])) for i in range(3)))
                block = self._block_model(*parts[-1][:2])
                runs.append(_Lexicographic(block, self, merge, singles=len(single) > 1) if alone is None else
                            _Alone(block, self, alone, *parts[-1]))
        if not decompose:
            runs[0].run()
            z_star = runs[0].shortfall()
        else:
            for r in runs:  # priorities 1-5 (before the largest shortfall)
                r.run(until="shortfall")
            # z* is at least each pool of one municipality's shortfall and each pool's bound from its dwellings
            z_star = max([r.shortfall() for r in runs if r.single] + [r.least_shortfall() for r in runs], default=0.0)
            for r in sorted((r for r in runs if not r.single), key=lambda r: -r.shortfall()):
                if r.shortfall() > z_star:  # only then can this pool's own optimum raise z*
                    r.solve_shortfall()
                    z_star = max(z_star, r.shortfall())
            for r in runs:
                r.pass_shortfall(z_star)
                r.run()
        self.gap_ = max((g for r in runs for g in r.gaps), default=0.0)
        self._open = float(sum(r.open for r in runs))
        self.method_ = _OPTIMAL
        largest = max(runs, key=lambda r: r.K, default=None)  # the groups of the largest problem (smaller ones may merge more)
        self.groups_ = [] if largest is None else [keys for keys, *_ in largest.groups]
        self._parts = None if parts is None else [(p, r) for p, r in zip(parts, runs)]
        self._z_star = z_star
        if parts is None:
            return runs[0].flows()
        x = np.zeros(len(t), dtype=np.int64)
        for (_, _, arcs), r in zip(parts, runs):
            x[arcs] = r.flows()
        return x

    def _pools(self, t):
        """Per pool with arcs or a target: (its types, its municipalities, the global index of its arcs); None for one pool."""
        origin, blocks, count, base, targets = self._get("origin", "blocks", "count", "base", "targets")
        if origin is None:
            return None
        ids = np.unique(blocks)
        if len(ids) == 1:
            return None
        type_block = blocks[origin]

        def groups(of):  # the indices of each pool id, ascending within each (as np.nonzero(of == b) for every b)
            order = np.argsort(of, kind="stable")
            return np.split(order, np.searchsorted(of[order], ids[1:]))

        out = []
        for types, munis, arcs in zip(groups(type_block), groups(blocks), groups(type_block[t])):
            if len(arcs) or (targets[munis] > 0).any():
                out.append((types, munis, arcs))
        return out

    def _block_model(self, types, munis):
        """The model restricted to one pool: its types, municipalities and households (seniority kept)."""
        T, M = len(self._get("need")[0]), len(self._get("targets")[0])
        need, persons, count, origin, raw, targets, cmin, cmax, allowed, callowed, base, mult, unit_type = self._get(
            "need", "persons", "count", "origin", "raw", "targets", "cmin", "cmax", "allowed", "class_allowed", "base",
            "mult", "unit_type")
        tmap = np.full(T, -1)
        tmap[types] = np.arange(len(types))
        mmap = np.full(M, -1)
        mmap[munis] = np.arange(len(munis))
        units = np.isin(unit_type, types)
        blocks, = self._get("blocks")
        sub = MatchingModel(need[types], persons[types], count[types], mmap[origin[types]], raw[munis], targets[munis],
                            params=self.params, blocks=blocks[munis], class_min=cmin,
                            class_max=cmax, class_names=self.class_names, allowed=allowed[np.ix_(types, munis)],
                            class_allowed=callowed[types], base=tmap[base[types]], multiplier=mult[types],
                            preference=None if self.preference is None else np.asarray(self.preference, float)[np.ix_(types, munis)],
                            unit_type=tmap[unit_type[units]])
        sub._weights = self._seniority()[units]
        return sub

    @staticmethod
    def _level(cost, integrality, bounds, cons, K, options):
        """One group of priorities on HiGHS (again without presolve after a numerical failure)."""
        res = milp(cost, integrality=integrality, bounds=bounds, constraints=cons, options=options)
        if res.status == 4:
            res = milp(cost, integrality=integrality, bounds=bounds, constraints=cons, options={**options, "presolve": False})
        return res

    def _fix(self, keys, cost, value, whole, t, m, x=None):
        """The constraint that keeps a solved group at its optimum.

        A whole-valued group: its cost at most the optimum + 0.5. The largest
        shortfall ``z*``: every municipality houses at least
        ``ceil(target x (1 - z*))`` persons (whole numbers, so no tolerance
        on a share is needed).
        """
        if whole:
            return LinearConstraint(sparse.csr_matrix(cost), -np.inf, value + 0.5)
        persons, targets = self._get("persons", "targets")
        K, M = len(t), len(targets)
        pm = sparse.csr_matrix((persons[t].astype(float), (m, np.arange(K))), shape=(M, len(cost)))
        if x is not None:  # the share from whole persons, not from the solver's z (within its tolerance)
            housed = np.bincount(m, weights=persons[t] * np.round(x[:K]), minlength=M)
            pos = targets > 0
            value = float(np.max(np.maximum(1 - housed[pos] / targets[pos], 0), initial=0.0))
        low = np.where(targets > 0, np.ceil(targets * (1 - value) - 1e-6), -np.inf)
        return LinearConstraint(pm, low, np.inf)

    def _rule(self, t, m, c, *, order):
        """A baseline rule: units one by one, own municipality first, smallest fitting class."""
        need, persons, supply, targets, origin, base, mult, unit_type = self._get(
            "need", "persons", "supply", "targets", "origin", "base", "mult", "unit_type")
        avail = supply.copy()
        budget, = self._get("budget")
        budget = budget.copy()
        remaining = targets.astype(float).copy()
        C = len(SIZE_CLASSES)
        arcs = np.nonzero(mult[t] == 1)[0]
        arcs = arcs[np.argsort(t[arcs], kind="stable")]  # by type, each type's arcs in arc order
        start = np.searchsorted(t[arcs], np.arange(len(need) + 1))
        units = unit_type if order == "arrival" else unit_type[np.argsort(-persons[unit_type], kind="stable")]
        x = np.zeros(len(t), dtype=np.int64)
        for ty in units:
            ks = arcs[start[ty]:start[ty + 1]]
            ks = ks[(avail[m[ks], c[ks]] > 0) & (budget[m[ks]] > 0)]
            if not len(ks):
                continue
            home = m[ks] == origin[ty] if origin is not None else np.zeros(len(ks), dtype=bool)
            if home.any():
                ks = ks[home]
            else:
                ks = ks[remaining[m[ks]] == remaining[m[ks]].max()]
            # smallest fitting class, then the first municipality; the first such arc (as min() over them in order)
            ks = ks[c[ks] % C == (c[ks] % C).min()]
            k = ks[np.argmin(m[ks])]
            avail[m[k], c[k]] -= 1
            budget[m[k]] -= 1
            remaining[m[k]] -= persons[ty]
            x[k] += 1
        return x

    def _infeasible(self):
        """An InfeasibleError whose message explains the shortfall; ``.shortfalls`` holds it as a frame.

        The explanation solves the model with extra dwellings allowed at the
        cost of their class minimum (the fewest extra bed-spaces) and reports
        where they are needed. ``shortfalls`` columns: code, name, target,
        lower_bound, max_alone (persons the municipality could house with its
        own dwellings), size_class, dwellings_short, dwellings_available.
        """
        persons, count, supply, targets, cmin, kept = self._get("persons", "count", "supply", "targets", "cmin", "kept")
        M, C = supply.shape
        tt, mm, cc, uu = self._build_arcs(every_class=True)
        cons, bounds, _, K, U = self._system(tt, mm, cc, extra_supply=True)
        cost = np.concatenate([1e-4 * uu / (1.0 + uu.max(initial=0)), np.zeros(U + 1), np.tile(cmin.astype(float), M)])
        A = sparse.vstack([k.A for k in cons], format="csr")
        lo = np.concatenate([np.broadcast_to(k.lb, k.A.shape[0]) for k in cons])
        hi = np.concatenate([np.broadcast_to(k.ub, k.A.shape[0]) for k in cons])
        res = linprog(cost, A_ub=sparse.vstack([A, -A], format="csr"),
                      b_ub=np.concatenate([np.where(np.isfinite(hi), hi, 1e18), np.where(np.isfinite(lo), -lo, 1e18)]),
                      bounds=np.column_stack([bounds.lb, bounds.ub]), method="highs")
        codes, names, _ = self._labels()
        classes = self._classes()
        low, _ = self._band_limits(targets)
        band = self.params.fairness_band
        lines = [f"MatchingModel: the fairness band {band} cannot be met (fewest extra bed-spaces shown)."]
        rows = []
        if res.status != 0:
            lines.append(
                f"Even with unlimited dwellings the households cannot reach every lower bound "
                f"({int(low.sum()) if low is not None else 0} persons needed, {int((persons * count).sum())} persons to house). "
                "Relax: lower fairness_band[0], or widen the scope so more households may be placed"
            )
        else:
            extra = np.ceil(res.x[-M * C:].reshape(M, C) - 1e-6).astype(int)
            for mi in np.nonzero(extra.sum(axis=1))[0]:
                short = ", ".join(f"size class '{classes[ci]}' short by {extra[mi, ci]} dwelling(s) "
                                  f"({supply[mi, ci]} available)" for ci in np.nonzero(extra[mi])[0])
                reach = self._max_persons(mi)
                rows += [{"code": codes[mi], "name": names[mi], "target": targets[mi], "lower_bound": int(low[mi]),
                          "max_alone": reach, "size_class": classes[ci], "dwellings_short": int(extra[mi, ci]),
                          "dwellings_available": int(supply[mi, ci])} for ci in np.nonzero(extra[mi])[0]]
                head = (f"{names[mi]} ({codes[mi]}): needs at least {int(low[mi])} persons "
                        f"({100 * band[0]:.0f} % of target {targets[mi]:g})")
                if reach < low[mi]:
                    pct = 100 * reach / targets[mi] if targets[mi] > 0 else 0.0
                    lines.append(f"{head} but can house at most {reach} with its own dwellings: {short}."
                                 f" Relax: lower fairness_band[0] to {math.floor(pct)} % or less.")
                else:
                    lines.append(f"{head}; it could alone, but not together with the other lower bounds "
                                 f"from the same households and dwellings: {short}.")
            tips = ["add dwellings in the classes named (supply)"]
            if kept.sum() > 0:
                tips.insert(0, f"lower reserve (now {self.params.reserve:.0%}, keeps {int(kept.sum())} dwellings free)")
            if self.scope is not None and self.scope.label == "solo":
                tips.append("use a regional scope (U10, U16)")
            lines.append("Other ways to relax: " + "; ".join(tips) + ".")
        err = InfeasibleError(" ".join(lines))
        err.shortfalls = pd.DataFrame(rows, columns=["code", "name", "target", "lower_bound", "max_alone", "size_class",
                                                     "dwellings_short", "dwellings_available"])
        return err

    def _max_persons(self, mi):
        """Most persons municipality ``mi`` can house with its own dwellings (band ignored)."""
        need, persons, count, supply, base, mult = self._get("need", "persons", "count", "supply", "base", "mult")
        t, m, c, _ = self._build_arcs()
        keep = m == mi
        t, c = t[keep], c[keep]
        if len(t) == 0:
            return 0
        C = supply.shape[1]
        A = sparse.vstack([
            sparse.csr_matrix((np.ones(len(t)), (c, np.arange(len(t)))), shape=(C, len(t))),
            sparse.csr_matrix((mult[t].astype(float), (base[t], np.arange(len(t)))), shape=(len(need), len(t))),
        ], format="csr")
        budget, = self._get("budget")
        A = sparse.vstack([A, sparse.csr_matrix(np.ones((1, len(t))))], format="csr")
        b = np.concatenate([supply[mi], count, [budget[mi]]]).astype(float)
        res = milp(-persons[t].astype(float), integrality=np.ones(len(t)), constraints=[LinearConstraint(A, -np.inf, b)],
                   bounds=Bounds(0, np.inf))
        return int(round(-res.fun)) if res.x is not None else 0

    def persons_range(self):
        """Per municipality, the fewest and most persons it houses over all equal optima.

        Solves, with every priority fixed at its optimum, two extra problems
        per municipality (min and max persons housed there). The figures of
        :attr:`municipalities_` are one point of this range.

        Returns
        -------
        pandas.DataFrame
            code, name, persons_housed, persons_min, persons_max, pct_min, pct_max.
        """
        if getattr(self, "method_", None) != _OPTIMAL:
            raise ValidationError("persons_range: solve() the model with method='optimal' first")
        M = len(self._get("targets")[0])
        lo, hi = np.zeros(M), np.zeros(M)
        if self._parts is None:
            lo, hi = self._range_open(self.arcs_, self.priorities_.set_index("key")["cost"])
        for (_, munis, _), r in self._parts or ():
            costs = r.model._level_costs(r.t, r.m, r.under, away=r.away)
            values = {k: self._z_star if k == "shortfall" else 0.0 if r.x is None else float(v @ r.x) for k, v in costs.items()}
            lo[munis], hi[munis] = r.model._range_open(r.model._build_arcs(), values)
        mun = self.municipalities_
        tg = mun["target"].where(mun["target"] > 0)
        return pd.DataFrame({"code": mun["code"], "name": mun["name"], "persons_housed": mun["persons_housed"],
                             "persons_min": np.round(lo).astype(np.int64), "persons_max": np.round(hi).astype(np.int64),
                             "pct_min": 100 * np.asarray(lo) / tg, "pct_max": 100 * np.asarray(hi) / tg})

    def _range_open(self, arcs, values):
        """Fewest and most persons per municipality with every priority at ``values`` (costs, by key)."""
        t, m, c, under = arcs
        persons, targets = self._get("persons", "targets")
        cons, bounds, integrality, K, U = self._system(t, m, c)
        for key, cost in self._level_costs(t, m, under).items():
            if cost.any():
                if key == "preferences":
                    cons.append(LinearConstraint(sparse.csr_matrix(cost), -np.inf, values[key] + 1e-6 * max(1.0, abs(values[key]))))
                else:
                    value = values[key] if key == "shortfall" else float(np.round(values[key]))
                    cons.append(self._fix([key], cost, value, key != "shortfall", t, m))
        lo, hi = np.zeros(len(targets)), np.zeros(len(targets))
        for mi in range(len(targets)):
            cost = np.zeros(K + U + 1)
            cost[:K] = persons[t] * (m == mi)
            out = []
            for sign in (1, -1):
                res = milp(sign * cost, integrality=integrality, bounds=bounds, constraints=cons)
                out.append(sign * res.fun if res.x is not None else np.nan)
            lo[mi], hi[mi] = out
        return lo, hi

    # ---- results -------------------------------------------------------------

    def _labels(self):
        M = np.asarray(self.supply).shape[0]
        if self.scope is not None:
            return list(self.scope.codes), list(self.scope.names), list(self.scope.labels)
        blocks, = self._get("blocks")
        shared = pd.Series(blocks).map(pd.Series(blocks).value_counts()) > 1
        codes = [str(i) for i in range(M)]
        return codes, codes, ["samen" if s else "solo" for s in shared]

    def _classes(self):
        C = np.asarray(self.supply).shape[1]
        if self.class_names is not None:
            return list(self.class_names)
        return list(SIZE_CLASSES) if C == len(SIZE_CLASSES) else [str(i) for i in range(C)]

    def _households(self):
        """The households frame in arrival order (anonymous from arrays)."""
        if self._meta is not None:
            return self._meta["households"], self._meta["units"]
        need, persons, unit_type = self._get("need", "persons", "unit_type")
        U = len(unit_type)
        hh = pd.DataFrame({"household_id": [f"E{i + 1}" for i in range(U)], "size": persons[unit_type],
                           "adults": pd.array([pd.NA] * U, dtype="Int64"),
                           "children": pd.array([pd.NA] * U, dtype="Int64"),
                           "final_size": persons[unit_type], "need": need[unit_type]})
        units = pd.DataFrame({"row": np.arange(U), "order": np.arange(U), "type": unit_type,
                              "persons": persons[unit_type], "final_size": persons[unit_type],
                              "need": need[unit_type], "adults": pd.array([pd.NA] * U, dtype="Int64")})
        return hh, units

    def _finish(self, x):
        """Regional and municipal figures and the priorities from the arc flows ``x`` (per-household frames on first use)."""
        persons, count, supply, raw, kept, targets, cmin, cmax, base, mult, origin, pref, unit_type = self._get(
            "persons", "count", "supply", "raw", "kept", "targets", "cmin", "cmax", "base", "mult", "origin", "pref",
            "unit_type")
        t, m, c, under = self.arcs_
        M, C = supply.shape
        classes = self._classes()
        codes, names, labels = self._labels()
        self._x = x
        self._frames = None
        housed_by_type = np.bincount(base[t], weights=mult[t] * x, minlength=len(count)).astype(np.int64)
        self.waiting_ = count - housed_by_type
        keep = x > 0
        self.flows_ = pd.DataFrame({"type": t[keep], "municipality": m[keep],
                                    "size_class": np.asarray(classes, dtype=object)[c[keep]],
                                    "units": x[keep], "under_occupation": under[keep]})
        group = mult[t] > 1
        over_c = np.maximum(persons[t] - cmax[c], 0)  # expected overcrowding of the dwelling (final size)
        outside = np.zeros(len(t), dtype=bool) if origin is None else m != origin[t]
        per_m = lambda w: np.bincount(m, weights=w * x, minlength=M)  # noqa: E731
        housed_persons = per_m(persons[t])
        used = np.zeros((M, C), dtype=np.int64)
        np.add.at(used, (m, c), x)
        # the earliest households of each type are the ones housed
        U = len(unit_type)
        position = np.zeros(U, dtype=np.int64)
        order = np.argsort(unit_type, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(unit_type, minlength=len(count)))[:-1]])
        position[order] = np.arange(U) - starts[unit_type[order]]
        housed_unit = position < housed_by_type[unit_type]

        low, high = self._band_limits(targets)
        persons_m = housed_persons.astype(np.int64)
        waiting_origin = np.zeros(M, dtype=np.int64) if origin is None else np.bincount(
            origin[unit_type[~housed_unit]], minlength=M).astype(np.int64)
        columns = {"code": codes, "name": names, "scope": labels, "target": targets, "persons_housed": persons_m,
                   "pct_target": 100 * persons_m / np.where(targets > 0, targets, np.nan),
                   "households_housed": per_m(mult[t]).astype(np.int64), "dwellings_available": raw.sum(axis=1),
                   "reserve_dwellings": kept}
        columns.update({f"dwellings_{kname}": used[:, ci] for ci, kname in enumerate(classes)})
        columns.update({
            "dwellings_free": supply.sum(axis=1) - kept - used.sum(axis=1),
            "shared_dwellings": per_m(group).astype(np.int64), "under_occupation": per_m(under).astype(np.int64),
            "expected_overcrowding": per_m(over_c).astype(np.int64),
            "over_target": np.maximum(persons_m - targets, 0), "short_of_target": np.maximum(targets - persons_m, 0),
            "linked_households_waiting": waiting_origin,
            "households_outside": per_m(mult[t] * outside).astype(np.int64),
            "band_low": low if low is not None else np.full(M, np.nan),
            "band_high": high if high is not None else np.full(M, np.nan),
        })
        mun = pd.DataFrame(columns)  # one frame at once: a column at a time cost more than the figures
        self.municipalities_ = mun

        pos = targets > 0
        shortfall = float(np.max(np.maximum(1 - housed_persons[pos] / targets[pos], 0), initial=0.0))
        value = {
            "persons": float(housed_persons.sum()), "households": float((mult[t] * x).sum()),
            "sharing": float((mult[t] * group * x).sum()), "seniority": float(self._seniority()[housed_unit].sum()),
            "outside": float((mult[t] * outside * x).sum()), "shortfall": shortfall, "fit": float((under * x).sum()),
            "preferences": float((mult[t] * pref[base[t], m] * x).sum()),
        }
        sign = {k: (-1 if s == "max" else 1) for k, _, s in PRIORITIES}
        self.priorities_ = pd.DataFrame({"key": [k for k, _, _ in PRIORITIES], "priority": [lb for _, lb, _ in PRIORITIES],
                                         "value": [value[k] for k, _, _ in PRIORITIES],
                                         "cost": [sign[k] * value[k] for k, _, _ in PRIORITIES]})
        total_persons = int((persons * count).sum())
        self.objective_ = float(total_persons - housed_persons.sum())
        self.lp_bound_ = self.objective_ - self._open
        self.summary_ = pd.Series({
            "households": U,
            "households_housed": int(housed_unit.sum()),
            "households_waiting": int(U - housed_unit.sum()),
            "persons": total_persons,
            "persons_housed": int(housed_persons.sum()),
            "persons_waiting": int(total_persons - housed_persons.sum()),
            "target": float(targets.sum()),
            "pct_target": 100 * housed_persons.sum() / targets.sum() if targets.sum() > 0 else np.nan,
            "dwellings_used": int(used.sum()),
            "under_occupation": int(value["fit"]),
            "expected_overcrowding": int((over_c * x).sum()),
            "mismatch": int(value["fit"] + (over_c * x).sum()),
            "over_target": float(mun["over_target"].sum()),
            "households_outside": int(value["outside"]),
            "sharing_adults": int(value["sharing"]),
            "max_shortfall": shortfall,
            "objective": self.objective_,
            "lp_bound": self.lp_bound_,
            "gap": self.gap_,
            "method": self.method_,
            "scope": self.scope.label if self.scope is not None else ("solo" if set(labels) == {"solo"} else "samen"),
            "shared_dwellings": int((group * x).sum()),
            "reserve_dwellings": int(kept.sum()),
        })

    def _placement(self):
        """Per household: municipality, class and dwelling (earliest of each type first); the dwellings frame."""
        if self._frames is not None:
            return self._frames
        x = self._x
        cmin, cmax, base, mult, origin, pref = self._get("cmin", "cmax", "base", "mult", "origin", "pref")
        t, m, c, _ = self.arcs_
        codes, names, _ = self._labels()
        codes, names = np.asarray(codes, dtype=object), np.asarray(names, dtype=object)
        classes = np.asarray(self._classes(), dtype=object)
        _, units = self._households()
        units = units.copy()
        n = len(units)
        # own dwellings first, then shared ones, each sorted by municipality and class
        slots = {}
        for k in np.lexsort((c, m, mult[t], base[t])):
            if x[k] > 0:
                slots.setdefault(int(base[t[k]]), []).extend([(int(m[k]), int(c[k]), int(mult[t[k]]))] * int(x[k]))
        place_m, place_c, dwelling = np.full(n, -1), np.full(n, -1), np.full(n, -1)
        next_id = 0
        for ty, idx in units.groupby("type", sort=False).indices.items():
            pos = 0
            for mi, ci, k in slots.get(int(ty), []):
                members = idx[pos:pos + k]
                pos += k
                place_m[members], place_c[members], dwelling[members] = mi, ci, next_id
                next_id += 1
        housed = place_m >= 0
        units["dwelling"], units["m"], units["c"] = dwelling, place_m, place_c
        units["origin"] = -1 if origin is None else origin[units["type"].to_numpy()]
        units["pref"] = np.where(housed, pref[units["type"].to_numpy(), np.maximum(place_m, 0)], 0.0)
        h = units[housed]
        dw = h.groupby("dwelling", sort=True).agg(
            m=("m", "first"), c=("c", "first"), persons=("persons", "sum"), need=("need", "sum"),
            final_size=("final_size", "sum"), adults=("adults", "sum"), households=("row", "size"))
        dw["under_occupation"] = np.maximum(cmin[dw["c"]] - dw["need"], 0)
        dw["expected_overcrowding"] = np.maximum(dw["final_size"] - cmax[dw["c"]], 0)
        dw["shared"] = dw["households"] > 1
        dw["dwelling_id"] = [f"W{i + 1:05d}" for i in range(len(dw))]
        dwellings = pd.DataFrame({
            "dwelling_id": dw["dwelling_id"].to_numpy(), "code": codes[dw["m"]], "name": names[dw["m"]],
            "size_class": classes[dw["c"]], "households": dw["households"].to_numpy(),
            "persons": dw["persons"].to_numpy(), "adults": dw["adults"].to_numpy(), "shared": dw["shared"].to_numpy(),
            "under_occupation": dw["under_occupation"].to_numpy(),
            "expected_overcrowding": dw["expected_overcrowding"].to_numpy(),
        })
        outside = housed & (units["origin"].to_numpy() >= 0) & (place_m != units["origin"].to_numpy())
        self._frames = (units, dw, housed, place_m, place_c, outside, dwellings)
        return self._frames

    @property
    def dwellings_(self):
        """One row per occupied dwelling (built on first use; see the class docstring)."""
        if getattr(self, "_x", None) is None:
            raise AttributeError("dwellings_: solve() the model first")
        return self._placement()[-1]

    @property
    def assignment_(self):
        """One row per household (built on first use; see the class docstring)."""
        if getattr(self, "_x", None) is None:
            raise AttributeError("assignment_: solve() the model first")
        if getattr(self, "_assignment", None) is None or self._assignment[0] is not self._x:
            self._assignment = (self._x, self._assignment_frame())
        return self._assignment[1]

    def _assignment_frame(self):
        units, dw, housed, place_m, place_c, outside, _ = self._placement()
        targets, persons = self._get("targets", "persons")
        t, m, _, _ = self.arcs_
        housed_persons = np.bincount(m, weights=persons[t] * self._x, minlength=len(targets))
        codes, names, _ = self._labels()
        codes, names = np.asarray(codes, dtype=object), np.asarray(names, dtype=object)
        classes = np.asarray(self._classes(), dtype=object)
        per = dw.reindex(units["dwelling"].to_numpy())
        hh, _ = self._households()
        a = hh.loc[units["row"].to_numpy(), ["household_id", "size", "adults", "children", "final_size", "need"]]
        a = a.reset_index(drop=True)
        if "period" in hh:
            a.insert(1, "period", hh.loc[units["row"].to_numpy(), "period"].to_numpy())
        origin = units["origin"].to_numpy()
        a["linked_code"] = np.where(origin >= 0, codes[np.maximum(origin, 0)], None)
        a["code"] = np.where(housed, codes[np.maximum(place_m, 0)], None)
        a["name"] = np.where(housed, names[np.maximum(place_m, 0)], None)
        a["size_class"] = np.where(housed, classes[np.maximum(place_c, 0)], None)
        a["status"] = np.where(housed, _STATUS_HOUSED, _STATUS_WAITING)
        a["dwelling_id"] = np.where(housed, per["dwelling_id"].to_numpy(), None)
        a["shared"] = np.where(housed, per["shared"].fillna(False).to_numpy(bool), False)
        a["adults_in_dwelling"] = np.where(housed, per["adults"].fillna(0).to_numpy(), 0).astype(np.int64)
        a["under_occupation"] = np.where(housed, per["under_occupation"].fillna(0).to_numpy(), 0).astype(np.int64)
        a["expected_overcrowding"] = np.where(housed, per["expected_overcrowding"].fillna(0).to_numpy(), 0).astype(np.int64)
        a["outside"] = outside
        a["preference"] = units["pref"].to_numpy()
        over_m = housed_persons > targets + 1e-9
        meta_hh = self._meta["households"] if self._meta is not None else None
        extra = meta_hh.loc[units["row"].to_numpy()].reset_index(drop=True) if meta_hh is not None else None
        weights = self.params.preference_weights
        schools = set(self.params.school_codes or ())
        a["reason"] = [
            _reason(r, over_m[pm] if pm >= 0 else False, self._meta is not None and self._meta["use_final_size"],
                    None if extra is None else extra.iloc[i], weights, schools)
            for i, (r, pm) in enumerate(zip(a.itertuples(index=False), place_m))
        ]
        status = (self._meta or {}).get("households_status", ""), (self._meta or {}).get("supply_status", "")
        a.attrs.update(status="synthetisch" if "synthetisch" in status else "schatting")
        return a


class _Lexicographic:
    """The lexicographic solve of one model (a pool), group by group; it can stop at the largest shortfall.

    ``owner`` is the whole model (its error messages name the municipalities).
    """

    def __init__(self, model, owner, merge, *, singles=False, pooled=False):
        self.model, self.owner = model, owner
        self.away = None
        if pooled:
            self.t, self.m, self.c, self.under, self.away = model._pooled_arcs()
        else:
            self.t, self.m, self.c, self.under = model._build_arcs()
        self.cons, self.bounds, self.integrality, self.K, U = model._system(self.t, self.m, self.c, away=self.away)
        self.U = U
        costs = model._level_costs(self.t, self.m, self.under, away=self.away)
        self.single = singles or len(model._get("targets")[0]) == 1
        self.var_block = None
        if singles:  # pools of one municipality: priority 1 fixes each one's shortfall; each pool fixed on its own
            costs["shortfall"] = np.zeros_like(costs["shortfall"])
            origin, unit_type = model._get("origin", "unit_type")
            self.var_block = np.concatenate([self.m, origin[unit_type], [0]])
        self.groups = model._groups(costs, merge=merge)
        self.options = {} if model.params.time_limit is None else {"time_limit": float(model.params.time_limit)}
        self.i, self.x, self.gaps, self.open = 0, None, [], 0.0

    def run(self, until=None):
        """Solve the groups in order, each fixed at its optimum, up to (not including) the one holding ``until``."""
        while self.i < len(self.groups) and (until is None or until not in self.groups[self.i][0]):
            self._step(fix=True)

    def _step(self, *, fix):
        keys, cost, whole, scale, top = self.groups[self.i]
        mdl = self.model
        gap = min(float(mdl.params.mip_rel_gap), 0.25 / max(scale, 1.0)) if whole else mdl.params.mip_rel_gap
        res = mdl._level(cost, self.integrality, self.bounds, self.cons, self.K, {**self.options, "mip_rel_gap": gap})
        if res.x is None:
            if res.status == 2 or self.i == 0:
                raise self.owner._infeasible()
            raise InfeasibleError(f"MatchingModel: the solver stopped without a solution at priorities {keys} ({res.message})")
        if self.i == 0:  # what the MIP gap leaves open on the first priority, in persons
            bound = getattr(res, "mip_dual_bound", None)
            bound = float(bound) if bound is not None and np.isfinite(bound) else float(res.fun)
            self.open = max(0.0, float(res.fun) - bound) / top
        self.gaps.append(float(getattr(res, "mip_gap", 0.0) or 0.0))
        self.x = res.x
        self.i += 1
        if fix and self.i < len(self.groups):
            self.cons.append(self._fix(keys, cost, float(res.fun), whole, res.x))

    def _fix(self, keys, cost, value, whole, x):
        """The model's fixing row, or with ``var_block`` one row per pool at that pool's optimum.

        A separable optimum is optimal in every pool, and the tightened MIP gap
        (under one unit in all) makes each pool's value its exact optimum.
        """
        if self.var_block is None or not whole:
            return self.model._fix(keys, cost, value, whole, self.t, self.m, x)
        nz = np.nonzero(cost)[0]
        rows = self.var_block[nz]
        n = int(self.var_block.max()) + 1
        value = np.round(np.bincount(rows, weights=cost[nz] * x[nz], minlength=n))
        return LinearConstraint(sparse.csr_matrix((cost[nz], (rows, nz)), shape=(n, len(cost))), value - 0.5, value + 0.5)

    def flows(self):
        """Dwellings per arc of the model's :meth:`MatchingModel._build_arcs`."""
        if self.x is None:
            return np.zeros(len(self.model._build_arcs()[0]), dtype=np.int64)
        x = np.round(self.x[:self.K]).astype(np.int64)
        if self.away is None:
            return x
        a = np.round(self.x[self.K + self.U + 1:]).astype(np.int64)
        return self.model._split_pooled(self.t, self.m, self.c, self.away, x, a)

    def _at_shortfall(self):
        return self.i < len(self.groups) and "shortfall" in self.groups[self.i][0]

    def solve_shortfall(self):
        """This pool's own smallest largest shortfall (given the priorities before it), not yet fixed."""
        if self._at_shortfall():
            self._step(fix=False)
            self.i -= 1

    def shortfall(self):
        """The largest shortfall (share of target) of the current solution, from whole persons."""
        persons, targets = self.model._get("persons", "targets")
        x = np.zeros(self.K) if self.x is None else np.round(self.x[:self.K])
        housed = np.bincount(self.m, weights=persons[self.t] * x, minlength=len(targets))
        pos = targets > 0
        return float(np.max(np.maximum(1 - housed[pos] / targets[pos], 0), initial=0.0))

    def least_shortfall(self):
        """A lower bound on the largest shortfall: each municipality's dwellings, each taken by its largest fitting household."""
        persons, targets, supply, budget = self.model._get("persons", "targets", "supply", "budget")
        M, C = supply.shape
        most = np.zeros((M, C))
        np.maximum.at(most, (self.m, self.c), persons[self.t].astype(float))
        cap = np.minimum((supply * most).sum(axis=1), budget * most.max(axis=1, initial=0.0))
        pos = targets > 0
        return float(np.max(np.maximum(1 - cap[pos] / targets[pos], 0), initial=0.0))

    def pass_shortfall(self, z_star):
        """Pass the largest-shortfall group: every municipality houses at least ``ceil(target x (1 - z_star))``.

        Redundant in a pool of one municipality (priority 1 fixed its persons housed).
        """
        if self._at_shortfall():
            keys, cost, whole, _, _ = self.groups[self.i]
            self.i += 1
            if self.i < len(self.groups) and not self.single and z_star < 1:
                self.cons.append(self.model._fix(keys, cost, z_star, whole, self.t, self.m))


class _Alone(_Lexicographic):
    """The pools of one municipality, placed as in ``alone`` (the same input solved with every municipality alone).

    ``types``, ``munis`` and ``arcs`` index the pools' types, municipalities
    and arcs in ``owner``. Nothing is solved: the arcs, the placements, the
    MIP gaps and what the gap leaves open are those of ``alone``'s solve of
    these municipalities.
    """

    _SAME = ("need", "persons", "count", "origin", "raw", "targets", "cmin", "cmax", "allowed", "class_allowed", "base",
             "mult", "pref", "unit_type")

    def __init__(self, model, owner, alone, types, munis, arcs):
        if (getattr(alone, "_x", None) is None or getattr(alone, "method_", None) != _OPTIMAL
                or alone.params != owner.params or len(np.unique(alone._get("blocks")[0])) != len(alone._get("targets")[0])
                or not all(np.array_equal(a, b) for a, b in zip(alone._get(*self._SAME), owner._get(*self._SAME)))):
            raise ValidationError("solve: alone must be this input solved with method='optimal' and every "
                                  "municipality alone (scope 'solo', same households, supply, targets and parameters)")
        self.model, self.owner, self.away, self.single, self.var_block = model, owner, None, True, None
        # alone's arcs of these types are this block's (they reach their own municipality only, there as here);
        # in the same order, as both come from np.nonzero over (type, municipality, class)
        ta, ma, ca, ua = alone.arcs_
        tmap = np.full(len(owner._get("need")[0]), -1)
        tmap[types] = np.arange(len(types))
        mmap = np.full(len(owner._get("targets")[0]), -1)
        mmap[munis] = np.arange(len(munis))
        sel = np.nonzero(tmap[ta] >= 0)[0]
        to, mo, co, _ = owner.arcs_
        if len(sel) != len(arcs) or not (np.array_equal(ta[sel], to[arcs]) and np.array_equal(ma[sel], mo[arcs])
                                         and np.array_equal(ca[sel], co[arcs])):
            raise ValidationError("solve: alone has other arcs for the municipalities outside the pools")
        self.t, self.m, self.c, self.under = tmap[ta[sel]], mmap[ma[sel]], ca[sel], ua[sel]
        self.K, self.U = len(self.t), len(model._get("unit_type")[0])
        x = alone._x[sel].astype(float)
        base, mult, unit_type = model._get("base", "mult", "unit_type")
        housed = np.bincount(base[self.t], weights=mult[self.t] * x, minlength=len(model._get("count")[0]))
        position = np.zeros(self.U, dtype=np.int64)
        order = np.argsort(unit_type, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(unit_type, minlength=len(housed)))[:-1]])
        position[order] = np.arange(self.U) - starts[unit_type[order]]
        y = (position < housed[unit_type]).astype(float)
        self.x = np.concatenate([x, y, [self.shortfall_of(x)]])
        source = [r for _, r in alone._parts] if alone._parts is not None else []
        self.gaps = [g for r in source for g in r.gaps] or [float(alone.gap_ or 0.0)]
        self.open = float(sum(r.open for r in source)) if source else float(alone._open)
        self.groups = max(source, key=lambda r: r.K).groups if source else [(list(k),) for k in alone.groups_]
        self.i = len(self.groups)  # solved: run() and pass_shortfall() have nothing left to do

    def shortfall_of(self, x):
        persons, targets = self.model._get("persons", "targets")
        housed = np.bincount(self.m, weights=persons[self.t] * x, minlength=len(targets))
        pos = targets > 0
        return float(np.max(np.maximum(1 - housed[pos] / targets[pos], 0), initial=0.0))


def _reason(u, over, final_size_used, extra, weights, schools):
    """Dutch explanation of one household's placement, naming each component."""
    wie = f"{u.size} pers." + (f", eindgrootte {u.final_size}" if u.final_size != u.size else "")
    if u.status == _STATUS_WAITING:
        return (f"wacht ({wie}): geen passende woning vrij binnen het samenwerkingsverband zonder dat "
                "meer personen, meer huishoudens of wie eerder kwam moeten wachten")
    if u.shared:
        parts = [f"deelt een woning van klasse {u.size_class} met {u.adults_in_dwelling - 1} andere alleenstaande(n), "
                 "omdat anders iemand zou wachten"]
    else:
        parts = [f"klasse {u.size_class} past bij {u.need} pers."]
    if final_size_used and u.final_size > u.size:
        parts.append("woning voor de verwachte gezinsgrootte na nareis")
    if u.under_occupation:
        parts.append(f"onderbezetting {u.under_occupation} (geen kleinere passende woning vrij)")
    if u.linked_code is not None and u.code != u.linked_code:
        parts.append(f"regionaal geplaatst (gekoppeld aan {u.linked_code})")
    if extra is not None:
        if "needs_accessible" in extra and bool(extra["needs_accessible"]):
            parts.append("toegankelijke woning (harde eis)")
        if "work_code" in extra and isinstance(extra["work_code"], str) and extra["work_code"] == u.code:
            parts.append(f"werk of studie in deze gemeente (+{weights['work']:g})")
        if "family_code" in extra and isinstance(extra["family_code"], str) and extra["family_code"] == u.code:
            parts.append(f"familie in deze gemeente (+{weights['family']:g})")
        kids = extra.get("school_children") if "school_children" in extra else None
        if kids is not None and not pd.isna(kids) and int(kids) > 0 and u.code in schools:
            parts.append(f"nieuwkomersonderwijs voor {int(kids)} schoolgaand(e) kind(eren) (+{weights['school'] * int(kids):g})")
    if over:
        parts.append("gemeente komt boven haar taakstelling")
    return "; ".join(parts)


def _plain_index(frame):
    """A copy with a fresh 0..n-1 index (duplicate labels confuse the row messages)."""
    if isinstance(frame, pd.DataFrame) and not frame.index.is_unique:
        return frame.reset_index(drop=True)
    return frame


def _check_band(band):
    if band is None:
        return None
    try:
        lo, hi = band
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"fairness_band: expected (low, high) shares of the target such as (0.8, 1.2), found {band!r}") from exc
    for v in (lo, hi):
        if v is not None and (not _number(v) or v < 0):
            raise ValidationError(f"fairness_band: expected non-negative shares such as (0.8, 1.2), found {band!r}")
    if lo is not None and hi is not None and lo > hi:
        raise ValidationError(f"fairness_band: the low share {lo} is above the high share {hi}")
    return (None if lo is None else float(lo), None if hi is None else float(hi))


def _select_period(frame, period, name):
    if "period" not in frame.columns:
        return frame
    if period is not None:
        out = frame[frame["period"].astype(str) == str(period)]
        if out.empty:
            raise ValidationError(f"{name}: no rows for period {period!r}; periods found: {sorted(frame['period'].dropna().astype(str).unique())}")
        return out
    periods = frame["period"].dropna().astype(str).unique()
    if len(periods) > 1 and name != "households":
        raise ValidationError(
            f"{name}: several periods {sorted(periods)}; pass period= to pick one, or use rolling_plan for all of them"
        )
    return frame


def _known_codes(year):
    """The codes of the municipalities of ``year`` (kept with the tables they come from)."""
    from ._tables import derived
    from .regions import municipalities

    return derived(("matching.known_codes", int(year)), lambda: frozenset(municipalities(year)["code"]))


def _region_codes(region, year):
    """``regions.region_codes`` of a list of codes, kept with the tables; anything else looked up each time."""
    from ._tables import derived
    from .regions import region_codes

    if isinstance(region, (list, tuple)) and all(isinstance(c, str) for c in region):
        return list(derived(("matching.region_codes", int(year), tuple(region)), lambda: tuple(region_codes(list(region), year))))
    return region_codes(region, year)


def _check_codes(sc, hh, sup, tgt, region):
    """Every code known for the year and inside the scope's universe; one target per municipality."""
    known_codes = _known_codes(sc.year)
    universe = set(sc.codes)
    given = {"targets": list(dict.fromkeys(tgt["code"].astype(str))), "supply": sup["code"].astype(str).unique()}
    for col in ("code", "work_code", "family_code"):
        if col in hh:
            given[f"households ({col})" if col != "code" else "households"] = hh[col].dropna().astype(str).unique()
    problems = []
    for what, codes in (("scope", sc.pool), *given.items()):
        unknown = sorted(set(codes) - known_codes)
        if unknown:
            problems.append(f"{what}: unknown municipality codes for {sc.year}: {unknown}; known: {sorted(known_codes)}")
    if problems:
        raise ValidationError("; ".join(problems), problems)
    for what in ("targets", "supply", "households"):
        outside = sorted(set(given.get(what, [])) - universe)
        if outside:
            raise ValidationError(
                f"{what}: municipalities outside the scope {sc.label!r}: {outside}; the scope holds "
                f"{list(sc.codes)}. Pass region= to let them take part alone (solo), or drop those rows"
            )
    missing = sorted(universe - set(given["targets"]))
    if missing:
        raise ValidationError(f"targets: no target for municipalities {missing} of the scope; give a target (0 is allowed)")
    if tgt.duplicated("code").any():
        raise ValidationError(f"targets: each municipality once per period, found duplicates {sorted(tgt.loc[tgt.duplicated('code'), 'code'].unique())}")
    dup = sup.duplicated(["code", "size_class"])
    if dup.any():
        raise ValidationError(f"supply: each (code, size_class) once per period, found duplicates in rows {sup.index[dup].tolist()[:8]}")


def _household_needs(hh, params):
    """Households with final_size, need and boolean needs flags; every problem in one error."""
    hh = hh.reset_index(drop=True)
    final = hh["final_size"] if "final_size" in hh else hh["size"]
    hh["final_size"] = pd.to_numeric(final, errors="coerce").fillna(hh["size"]).astype("int64")
    problems = []
    wrong = hh.index[hh["adults"] + hh["children"] != hh["size"]]
    if len(wrong):
        problems.append("column 'size': expected adults + children, found " + ", ".join(
            f"{hh.loc[i, 'size']} for household {hh.loc[i, 'household_id']!r} (adults {hh.loc[i, 'adults']}, children {hh.loc[i, 'children']})" for i in wrong[:8]))
    short = hh.index[hh["final_size"] < hh["size"]]
    if len(short):
        problems.append("column 'final_size': expected at least the current size, found " + ", ".join(
            f"{hh.loc[i, 'final_size']} < {hh.loc[i, 'size']} for household {hh.loc[i, 'household_id']!r}" for i in short[:8]))
    hh["need"] = hh["final_size"] if params.use_final_size else hh["size"]
    largest = max(params.class_max.values())
    big = hh.index[hh["need"] > largest]
    if len(big):
        problems.append(
            f"household larger than any dwelling class (largest '5+' fits {largest} persons, see max_persons): "
            + ", ".join(f"{hh.loc[i, 'household_id']!r} needs {hh.loc[i, 'need']}" for i in big[:8]))
    flags = sorted(c for c in hh.columns if str(c).startswith("needs_"))
    for f in flags:
        if pd.api.types.is_bool_dtype(hh[f].dtype) and not hh[f].isna().any():
            continue  # already true/false (the scenario's own flags): nothing to read
        vals = hh[f].map(lambda v: {"true": True, "1": True, "ja": True, "false": False, "0": False, "nee": False}.get(str(v).strip().lower()) if pd.notna(v) else False)
        if vals.isna().any():
            problems.append(f"column {f!r}: expected ja/nee or true/false, found {hh.loc[vals.isna(), f].tolist()[:5]}")
        hh[f] = vals.fillna(False).astype(bool)
    for f in params.needs_places or {}:
        if f"needs_{f}" not in flags:
            problems.append(f"needs_places: flag {f!r} has no column 'needs_{f}' in households (found {flags})")
    if "school_children" in hh:
        kids = pd.to_numeric(hh["school_children"], errors="coerce").fillna(0).astype("int64")
        over = hh.index[kids > hh["children"] + (hh["final_size"] - hh["size"])]
        if len(over):
            problems.append("column 'school_children': expected at most the children (now and expected), found "
                            + ", ".join(f"{kids[i]} for household {hh.loc[i, 'household_id']!r}" for i in over[:8]))
        hh["school_children"] = kids
    for col in ("work_code", "family_code"):
        if col in hh:
            hh[col] = hh[col].where(hh[col].notna(), None)
    if problems:
        raise ValidationError("households: " + "; ".join(problems), problems)
    return hh, flags


def _make_units(hh, *, flags):
    """One row per household in arrival order, with what the model needs (persons = final size)."""
    units = pd.DataFrame({
        "row": np.arange(len(hh)),
        "order": np.arange(len(hh)),
        "persons": hh["final_size"].to_numpy(np.int64),
        "final_size": hh["final_size"].to_numpy(np.int64),
        "need": hh["need"].to_numpy(np.int64),
        "adults": hh["adults"].to_numpy(np.int64),
    })
    sole = (hh["adults"] == 1) & (hh["children"] == 0) & (hh["final_size"] == 1)
    for f in flags:
        units[f] = hh[f].to_numpy(bool)
        sole &= ~hh[f]
    for col in ("work_code", "family_code", "school_children"):
        if col in hh:
            units[col] = hh[col].to_numpy(object if col != "school_children" else np.int64)
            sole &= hh[col].isna() if col != "school_children" else hh[col] == 0
    units["sole"] = sole.to_numpy(bool)
    if "code" in hh:
        units["code_given"] = hh["code"].to_numpy(object)
    return units


def link_households(need, persons, targets, *, supply=None, class_max=None, reserve=0.0, origin=None, preference=None):
    """Link households, in arrival order, to a municipality (index): the largest remaining target.

    Parameters
    ----------
    need, persons : array of int, shape (U,)
        Persons the dwelling must fit and persons counted (final size), per
        household in arrival order.
    targets : array of float, shape (M,)
    supply : array of int, shape (M, C), optional
        Supply-aware linking (``linking="aanbod"``): the choice is among
        municipalities with a fitting dwelling still free, first those still
        short of their target, then the best-fitting free dwelling (the
        smallest fitting class, which the household then takes), then the
        largest remaining target; blind to dwellings when none has one.
        Without: blind linking (``"taakstelling"``, today's practice).
    class_max : array of int, shape (C,)
        Default: 1, 2, 4, 10.
    reserve : float
        Share of the dwellings not counted as free.
    origin : array of int, shape (U,), optional
        Households already linked (index >= 0) keep their municipality.
    preference : array, shape (U, M), optional
        A municipality of work, study or family first among those still short.

    >>> link_households([2, 3], [2, 3], [2.0, 3.0], supply=[[0, 1, 0, 0], [0, 0, 1, 0]]).tolist()
    [0, 1]
    >>> link_households([2, 3], [2, 3], [2.0, 3.0]).tolist()
    [1, 0]
    """
    need, persons = np.asarray(need, dtype=np.int64), np.asarray(persons, dtype=np.int64)
    origin = np.full(len(need), -1) if origin is None else np.asarray(origin, dtype=np.int64).copy()
    remaining = np.asarray(targets, dtype=float).copy()
    cmax = np.asarray(list(CLASS_MAX.values()) if class_max is None else class_max)
    for i in np.nonzero(origin >= 0)[0]:
        remaining[origin[i]] -= persons[i]
    free = None if supply is None else np.floor(np.asarray(supply, dtype=float) * (1 - reserve) + 1e-9)
    pref = None if preference is None else np.asarray(preference, dtype=float)
    cmax_f = cmax.astype(float)
    best = {}  # need -> per municipality the smallest fitting class maximum with a dwelling free (inf: none)

    def smallest(n, rows):
        return np.where((cmax >= n) & (rows > 0), cmax_f, np.inf).min(axis=-1)

    for i in np.nonzero(origin < 0)[0]:
        n = need[i]
        if free is not None and n not in best:
            best[n] = smallest(n, free)
        b = None if free is None else best[n]
        cand = None if b is None else b < np.inf
        if cand is None or not cand.any():
            j = int(np.argmax(remaining))  # blind: the largest remaining target, the first of equals
        else:
            # the smallest (target reached, -preference, best class, -remaining target, index) among the candidates
            short = cand & (remaining > 0)
            if short.any():
                cand = short
            if pref is not None:
                p = np.where(cand, pref[i], -np.inf)
                cand = cand & (p == p.max())
            bc = np.where(cand, b, np.inf)
            cand = cand & (bc == bc.min())
            j = int(np.argmax(np.where(cand, remaining, -np.inf)))
            c = int(np.argmin(np.where((cmax >= n) & (free[j] > 0), cmax_f, np.inf)))
            free[j, c] -= 1
            if free[j, c] <= 0:  # a class ran out here: the best class of every need changes only here
                for m, arr in best.items():
                    arr[j] = smallest(m, free[j])
        origin[i] = j
        remaining[j] -= persons[i]
    return origin


#: The last links made (:func:`_link_units`), by the bytes of their inputs: every scope of a scenario,
#: and every reserve, links the same households to the same municipalities (linking reads neither).
_LINKS = OrderedDict()
_LINKS_LOCK = threading.Lock()
_LINKS_KEPT = 16


def _link_units(units, target, midx, supply, cmax, reserve, preference=None):
    """:func:`link_households` on the units frame (a given ``code`` keeps its municipality).

    The links of the last :data:`_LINKS_KEPT` inputs are kept: a function of
    its arrays only, so the same arrays give the same links.
    """
    origin = np.full(len(units), -1)
    if "code_given" in units:
        for i, cd in enumerate(units["code_given"]):
            if cd is not None and not pd.isna(cd):
                origin[i] = midx[str(cd)]
    need, persons = units["need"].to_numpy(np.int64), units["persons"].to_numpy(np.int64)
    arrays = [need, persons, np.asarray(target, dtype=float), origin.astype(np.int64), np.asarray(cmax, dtype=np.int64),
              np.asarray(reserve, dtype=float)] + [np.asarray(a, dtype=float) for a in (supply, preference) if a is not None]
    h = hashlib.sha256(repr([(a.shape, supply is None, preference is None) for a in arrays]).encode())
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    key = h.hexdigest()
    with _LINKS_LOCK:
        links = _LINKS.get(key)
        if links is not None:
            _LINKS.move_to_end(key)
    if links is None:
        links = link_households(need, persons, target, supply=supply, class_max=cmax, reserve=reserve, origin=origin,
                                preference=preference)
        with _LINKS_LOCK:
            _LINKS[key] = links
            while len(_LINKS) > _LINKS_KEPT:
                _LINKS.popitem(last=False)
    return units.assign(origin=links.copy())


def _preference(types, universe, params):
    """Preference score (T, M) per household of each type (weights of :data:`PREFERENCE_WEIGHTS`)."""
    w = params.preference_weights
    codes = np.asarray(universe, dtype=object)
    score = np.zeros((len(types), len(codes)))
    for col, key in (("work_code", "work"), ("family_code", "family")):
        if col in types:
            score += w[key] * (types[col].to_numpy(object)[:, None] == codes[None, :])
    if "school_children" in types and params.school_codes:
        from ._validate import normalise_code

        schools = np.isin(codes, [normalise_code(c) for c in params.school_codes])
        score += w["school"] * types["school_children"].to_numpy(float)[:, None] * schools[None, :]
    return score


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------


def practice_model(model):
    """Today's practice for the input of ``model``: each municipality alone, blind linking, in arrival order.

    Households are linked in arrival order to the municipality with the
    largest remaining target (blind to dwellings), and each municipality
    houses its own in the order COA offers them, in the smallest fitting
    free dwelling. Returns the solved model (method ``arrival``).
    """
    if model._meta is None:
        solo = copy.copy(model)
        solo.blocks = np.arange(len(np.atleast_1d(model.targets)))
        return solo.solve(method="arrival")
    hh, sup, tgt, _, year, period = model._meta["inputs"]
    params = dataclasses.replace(model.params, linking="taakstelling", sharing=1)
    return MatchingModel._from_valid(hh, sup, tgt, scope="solo", region=list(model.scope.codes), year=year,
                                     period=period, params=params).solve(method="arrival")


def compare_scopes(households, supply, targets, *, scopes=("solo", "U10", "U16"), region="U16", year=2016, **params):
    """The gains-from-cooperation table: the same input solved for each scope.

    Every scope is solved over the same ``region`` (the municipalities outside
    a scope stay solo) with the same linking, so the rows compare like with
    like and a larger pool is never lexicographically worse.

    Returns
    -------
    pandas.DataFrame
        See :func:`scope_table`.
    """
    models = solve_scopes(households, supply, targets, scopes=scopes, region=region, year=year, **params)
    return scope_table(models)


def solve_scopes(households, supply, targets, *, scopes=("solo", "U10", "U16"), region="U16", year=2016, period=None,
                 params=None, **changes):
    """Solve the same input for each scope; returns ``{label: solved MatchingModel}`` in scope order.

    The label is the scope name, or ``"eigen selectie"`` for a list of codes.
    ``params``/``changes``: :class:`MatchingParams`. :func:`scope_table`
    turns the models into the comparison table. With ``solo`` among the
    scopes, the municipalities outside a scope's pool are placed as in solo
    (:meth:`MatchingModel.solve` ``alone``), as ``toolkit.scenario.run`` does.
    """
    p = MatchingParams.build(params, **changes)
    hh, sup, tgt = _valid_inputs(households, supply, targets, period)  # once, not once per scope

    def build(s):
        return MatchingModel._from_valid(hh, sup, tgt, scope=s, region=region, year=year, period=period, params=p)

    alone = build("solo").solve() if any(isinstance(s, str) and s.strip().lower() == "solo" for s in scopes) else None
    models = {}
    for s in scopes:
        label = s if isinstance(s, str) else "eigen selectie"
        if isinstance(s, str) and s.strip().lower() == "solo":
            models[label] = alone
            continue
        model = build(s)
        models[label] = model.solve(alone=alone if alone is not None and "solo" in model.scope.labels else None)
    return models


_RULES = {"practice": "huidige praktijk (elke gemeente alleen, volgorde van COA)",
          "largest_first": "grootste huishouden eerst"}


def scope_table(models, *, baselines=True):
    """The comparison table of :func:`compare_scopes` from ``{label: solved model}``.

    Returns
    -------
    pandas.DataFrame
        One row per scope: scope, households, households_housed,
        households_waiting, persons_housed, persons_waiting (final size),
        target, pct_target, under_occupation, expected_overcrowding, mismatch,
        over_target, households_outside, sharing_adults, max_shortfall,
        municipalities_below_90pct, objective (persons waiting), gap,
        gain_vs_first (households housed more than in the first scope). With
        ``baselines`` also the rules side by side: practice_households_housed,
        practice_persons_housed (today's practice, the same for every row),
        largest_first_households_housed, largest_first_persons_housed (that
        rule in the row's scope), best_rule, gain_vs_best_rule (persons) and
        gain_vs_best_rule_households: the optimum against the better of the
        two rules (more persons, then more households). ``attrs['priorities']``:
        the Dutch priorities in order.
    """
    rows = []
    practice = None
    for label, model in models.items():
        r = model.summary_.copy()
        r["scope"] = label
        r["municipalities_below_90pct"] = int((model.municipalities_["pct_target"] < 90).sum())
        if baselines:
            practice = practice if practice is not None else practice_model(model).summary_
            lf = copy.copy(model).solve(method="largest_first").summary_
            rules = {"practice": practice, "largest_first": lf}
            for key, s in rules.items():
                r[f"{key}_households_housed"] = int(s["households_housed"])
                r[f"{key}_persons_housed"] = int(s["persons_housed"])
            best = max(rules, key=lambda k: (rules[k]["persons_housed"], rules[k]["households_housed"]))
            r["best_rule"] = _RULES[best]
            r["gain_vs_best_rule"] = int(r["persons_housed"] - rules[best]["persons_housed"])
            r["gain_vs_best_rule_households"] = int(r["households_housed"] - rules[best]["households_housed"])
        rows.append(r)
    out = pd.DataFrame(rows).reset_index(drop=True)
    cols = ["scope", "households", "households_housed", "households_waiting", "persons_housed", "persons_waiting",
            "target", "pct_target", "under_occupation", "expected_overcrowding", "mismatch", "over_target",
            "households_outside", "sharing_adults", "max_shortfall", "municipalities_below_90pct", "objective", "gap"]
    extra = [c for c in out.columns if c.startswith(("practice_", "largest_first_", "best_rule", "gain_vs_best"))]
    out = out[cols + extra]
    out.insert(len(cols), "gain_vs_first", out["households_housed"] - out["households_housed"].iloc[0])
    out.attrs["priorities"] = [label for _, label, _ in PRIORITIES]
    return out


#: Published range of the share of social-housing lettings that went to permit holders nationally:
#: 4-6 % in 2018-2021, almost 7 % in 2022, almost 8 % in 2023 (CBS; FACTS.md section 11). The 2016 share was not found.
SHARE_PERMIT_HOLDERS_RANGE = (0.04, 0.08)


def supply_rate_ranges():
    """The ranges of the two supply rates of :func:`supply_from_stock`: ``{"turnover": (low, high), "share_permit_holders": ...}``.

    turnover: U16 lettings in 2020 and in 2014 (RIGO via duic.nl) over the
    U16 stock of 2017; share_permit_holders: :data:`SHARE_PERMIT_HOLDERS_RANGE`.
    Both include the defaults of :func:`default_supply_rates`.

    >>> r = supply_rate_ranges(); [round(v, 4) for v in r["turnover"]], r["share_permit_holders"]
    ([0.0515, 0.0598], (0.04, 0.08))
    """
    from .data import load_lettings

    let = load_lettings().set_index(["area", "year"])
    stock = let.loc[("U16", 2017), "stock"]
    turnover = (float(let.loc[("U16", 2020), "lettings"] / stock), float(let.loc[("U16", 2014), "lettings"] / stock))
    return {"turnover": turnover, "share_permit_holders": SHARE_PERMIT_HOLDERS_RANGE}


_DRAW_COLUMNS = ("draw", "scope", "households_housed", "persons_housed")


def pooling_gain_range(draws):
    """What pooling gains over many draws: the scope comparison of each draw, summarised as a range.

    The draws come from the one pipeline (``toolkit.scenario.pooling_draws``:
    the scenario with other caseload seeds and supply rates within
    :func:`supply_rate_ranges`); this function only compares and summarises.

    Parameters
    ----------
    draws : pandas.DataFrame
        One row per draw and scope (e.g. :func:`scope_table` rows with a
        ``draw`` column): draw, scope, households_housed, persons_housed;
        optionally gain_vs_best_rule and best_rule (the baselines of
        :func:`scope_table`); other columns (seed, share_permit_holders,
        turnover) are kept. Every draw has the same scopes in the same order;
        the first is the reference (normally ``solo``).

    Returns
    -------
    pandas.DataFrame
        The rows with gain_persons and gain_households: housed more than the
        reference scope in the same draw. ``attrs['range']``: per scope
        draws, gain_persons_min, gain_persons_median, gain_persons_max,
        gain_households_min, gain_households_max, draws_with_gain (draws in
        which more persons are housed) and, with baselines, rule_gain_min,
        rule_gain_max (persons the optimum houses more than the better of the
        two simple rules in that scope), draws_with_rule_gain, best_rules;
        ``attrs['heading']`` and ``attrs['conclusion']``: Dutch text that says
        what the range says and no more (:func:`pooling_heading`).

    Examples
    --------
    >>> d = pd.DataFrame({"draw": [0, 0, 1, 1], "scope": ["solo", "U16"] * 2,
    ...                   "households_housed": [10, 12, 10, 10], "persons_housed": [30, 35, 30, 30]})
    >>> pooling_gain_range(d).attrs["heading"]
    'Samen als U16: geen zekere winst; 0 tot 5 personen meer gehuisvest dan elke gemeente alleen (meer in 1 van de 2 trekkingen)'
    """
    if not isinstance(draws, pd.DataFrame) or draws.empty:
        raise ValidationError("pooling_gain_range: expected a non-empty frame with one row per draw and scope")
    missing = [c for c in _DRAW_COLUMNS if c not in draws.columns]
    if missing:
        raise ValidationError(f"pooling_gain_range: missing column(s) {missing}; expected {list(_DRAW_COLUMNS)}")
    out = draws.reset_index(drop=True).copy()
    orders = out.groupby("draw", sort=False)["scope"].apply(tuple)
    if orders.nunique() != 1:
        raise ValidationError(f"pooling_gain_range: every draw needs the same scopes in the same order, found {sorted(set(orders))}")
    first = out.groupby("draw", sort=False)[["persons_housed", "households_housed"]].transform("first")
    out["gain_persons"] = (out["persons_housed"] - first["persons_housed"]).astype("int64")
    out["gain_households"] = (out["households_housed"] - first["households_housed"]).astype("int64")
    g = out.groupby("scope", sort=False)
    summary = g.agg(draws=("draw", "size"), gain_persons_min=("gain_persons", "min"),
                    gain_persons_median=("gain_persons", "median"), gain_persons_max=("gain_persons", "max"),
                    gain_households_min=("gain_households", "min"), gain_households_max=("gain_households", "max"),
                    draws_with_gain=("gain_persons", lambda v: int((v > 0).sum())))
    if "gain_vs_best_rule" in out.columns:
        summary["rule_gain_min"] = g["gain_vs_best_rule"].min()
        summary["rule_gain_max"] = g["gain_vs_best_rule"].max()
        summary["draws_with_rule_gain"] = g["gain_vs_best_rule"].agg(lambda v: int((v > 0).sum()))
        if "best_rule" in out.columns:
            summary["best_rules"] = g["best_rule"].agg(lambda v: ", ".join(sorted(set(v.astype(str)))))
    summary = summary.reset_index()
    heading, conclusion = pooling_heading(summary)
    out.attrs.update(range=summary, heading=heading, conclusion=conclusion)
    return out


def _span(lo, hi, one="", many=""):
    """``"5 tot 31 personen"``, ``"1 persoon"``: a range of whole numbers with its noun."""
    from ._format import nl_number

    text = nl_number(lo) if lo == hi else f"{nl_number(lo)} tot {nl_number(hi)}"
    noun = one if lo == hi and abs(lo) == 1 else many
    return f"{text} {noun}" if noun else text


_PERSONS, _HOUSEHOLDS = ("persoon", "personen"), ("huishouden", "huishoudens")


def pooling_heading(summary):
    """The Dutch heading and conclusion of a pooling range (``attrs['range']`` of :func:`pooling_gain_range`).

    The last scope is compared with the first. A gain is called a gain only
    when every draw shows one (the lowest gain above 0); a range that
    includes 0 is "geen zekere winst". The conclusion says the same of the
    optimum against the best simple rule: when that range includes 0 the
    text says a simple rule does as well in some draws, and claims nothing
    for the optimisation. Returns ``(heading, conclusion)``.
    """
    from ._labels import scope_label

    base = scope_label(summary["scope"].iloc[0])
    if len(summary) < 2:
        return "Eén schaal doorgerekend: geen vergelijking", ""
    r = summary.iloc[-1]
    pool = scope_label(r["scope"])
    pool = pool[0].upper() + pool[1:]
    n, k = int(r["draws"]), int(r["draws_with_gain"])
    lo, hi = int(r["gain_persons_min"]), int(r["gain_persons_max"])
    lo_h, hi_h = int(r["gain_households_min"]), int(r["gain_households_max"])
    draws = f"{n} trekkingen"
    every, none = (f"in alle {draws}", f"in geen van de {draws}") if n != 1 else ("in 1 trekking", "in 1 trekking niet")
    if lo > 0:
        households = "evenveel huishoudens" if lo_h == hi_h == 0 else _span(lo_h, hi_h, *_HOUSEHOLDS)
        heading = f"{pool} {_span(lo, hi, *_PERSONS)} ({households}) meer gehuisvest dan {base} ({every})"
    elif hi <= 0 and lo == 0:
        heading = f"{pool} {none} meer personen gehuisvest dan {base}"
    elif hi <= 0:
        heading = f"{pool} {none} meer personen gehuisvest dan {base} ({_span(lo, hi, *_PERSONS)})"
    else:
        heading = (f"{pool}: geen zekere winst; {_span(lo, hi, *_PERSONS)} meer gehuisvest dan {base} "
                   f"(meer in {k} van de {draws})")
    if "rule_gain_min" not in summary.columns:
        return heading, ""
    rlo, rhi, rk = int(r["rule_gain_min"]), int(r["rule_gain_max"]), int(r["draws_with_rule_gain"])
    rules = [x for x in str(r.get("best_rules", "")).split(", ") if x]
    against = f"de beste eenvoudige regel ({rules[0]})" if len(rules) == 1 else "de beste eenvoudige regel van elke trekking"
    if rlo > 0:
        conclusion = (f"{pool} huisvest de optimale verdeling {_span(rlo, rhi, *_PERSONS)} meer dan {against}, "
                      f"{every}.")
    elif rhi <= 0:
        conclusion = (f"{pool} huisvest de optimale verdeling {none} meer personen dan {against}: "
                      "die regel haalt hier hetzelfde.")
    else:
        conclusion = (f"{pool} huisvest de optimale verdeling {_span(rlo, rhi, *_PERSONS)} meer dan {against} "
                      f"(meer in {rk} van de {draws}): geen zekere winst van de optimalisatie boven die regel.")
    return heading, conclusion


def fairness_report(model):
    """Per municipality: target, housed, share of target, band and whether it was met.

    Returns
    -------
    pandas.DataFrame
        code, name, scope, target, persons_housed, pct_target, band_low,
        band_high, within_band, deviation (persons housed minus target),
        linked_households_waiting.
    """
    if not hasattr(model, "municipalities_") or "code" not in model.municipalities_:
        raise ValidationError("fairness_report: expected a MatchingModel built with from_frames and solved")
    mun = model.municipalities_
    low = mun["band_low"].fillna(-np.inf)
    high = mun["band_high"].fillna(np.inf)
    out = mun[["code", "name", "scope", "target", "persons_housed", "pct_target", "band_low", "band_high",
               "linked_households_waiting"]].copy()
    out["within_band"] = (mun["persons_housed"] >= low) & (mun["persons_housed"] <= high)
    out["deviation"] = mun["persons_housed"] - mun["target"]
    return out


def rolling_plan(households, supply, targets, *, periods=None, scope="U16", region=None, year=2016, **params):
    """Plan half year after half year, carrying waiting households and backlog.

    Each period: the households that arrived in it plus those still waiting;
    that period's supply; targets equal to the cumulative target minus the
    persons already housed (the backlog is carried over, a lead reduces the
    next target, never below 0). The over-target penalty then keeps each
    municipality's cumulative share near its cumulative target (allocation
    balancing).

    Parameters
    ----------
    households, supply, targets : pandas.DataFrame
        As for :meth:`MatchingModel.from_frames`, each with a ``period`` column.
    periods : list of str, optional
        Periods in order; default: the sorted periods of ``targets``.

    Returns
    -------
    RollingPlan
        ``municipalities``: period, code, name, target (this period's own),
        target_incl_backlog, persons_housed, cum_target, cum_housed, cum_pct,
        linked_households_waiting; ``assignment``: one row per household and
        period it was considered in; ``regional``: one row per period with
        the regional figures.
    """
    for name, f in (("households", households), ("supply", supply), ("targets", targets)):
        if "period" not in getattr(f, "columns", []):
            raise ValidationError(f"rolling_plan: {name} needs a 'period' column")
    periods = sorted(targets["period"].astype(str).unique(), key=_period_key) if periods is None else [str(p) for p in periods]
    if not periods:
        raise ValidationError("rolling_plan: expected at least one period")
    hh_all = households.copy()
    hh_all["period"] = hh_all["period"].astype(str)
    tcol = "target_int" if "target_int" in targets else "target"
    cum_target = {}
    cum_housed = {}
    carried = None
    mun_rows, assign_rows, reg_rows = [], [], []
    for p in periods:
        t_p = targets[targets["period"].astype(str) == p]
        if t_p.empty:
            raise ValidationError(f"rolling_plan: targets have no rows for period {p!r}")
        own = dict(zip(t_p["code"].astype(str), t_p[tcol].astype(float)))
        for c, v in own.items():
            cum_target[c] = cum_target.get(c, 0.0) + v
        eff = t_p.copy()
        eff[tcol] = [max(0.0, cum_target[c] - cum_housed.get(c, 0)) for c in eff["code"].astype(str)]
        if tcol == "target_int":
            eff["target"] = eff["target_int"]
        new = hh_all[hh_all["period"] == p]
        pool = new if carried is None else pd.concat([carried, new], ignore_index=True)
        if pool.empty:
            raise ValidationError(f"rolling_plan: no households to house in period {p!r}")
        sup_p = supply[supply["period"].astype(str) == p].drop(columns="period")
        if sup_p.empty:
            raise ValidationError(f"rolling_plan: supply has no rows for period {p!r}")
        model = MatchingModel.from_frames(pool, sup_p, eff.drop(columns="period"), scope=scope, region=region,
                                          year=year, **params).solve()
        mun = model.municipalities_
        for c, v in zip(mun["code"], mun["persons_housed"]):
            cum_housed[c] = cum_housed.get(c, 0) + int(v)
        mun_rows.append(pd.DataFrame({
            "period": p, "code": mun["code"], "name": mun["name"],
            "target": [own.get(c, 0.0) for c in mun["code"]], "target_incl_backlog": mun["target"],
            "persons_housed": mun["persons_housed"],
            "cum_target": [cum_target.get(c, 0.0) for c in mun["code"]],
            "cum_housed": [cum_housed[c] for c in mun["code"]],
            "linked_households_waiting": mun["linked_households_waiting"],
        }))
        a = model.assignment_.assign(plan_period=p)
        assign_rows.append(a)
        reg_rows.append(model.summary_.to_frame().T.assign(period=p))
        waiting_ids = set(a.loc[a["status"] == _STATUS_WAITING, "household_id"])
        link = dict(zip(a["household_id"], a["linked_code"]))
        carried = pool[pool["household_id"].astype(str).isin(waiting_ids)].copy()
        carried["code"] = carried["household_id"].astype(str).map(link)
    plan = pd.concat(mun_rows, ignore_index=True)
    plan["cum_pct"] = 100 * plan["cum_housed"] / plan["cum_target"].where(plan["cum_target"] > 0)
    regional = pd.concat(reg_rows, ignore_index=True)
    return RollingPlan(plan, pd.concat(assign_rows, ignore_index=True), regional)


def _period_key(p):
    year, _, half = str(p).partition("-")
    return (year, {"I": 1, "II": 2}.get(half, 0), half)
