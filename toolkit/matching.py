"""Regional matching: which municipality can best house which household.

A min-cost transportation model on HiGHS (through :func:`scipy.optimize.linprog`;
when the LP optimum is fractional, the variables it left fractional are solved
with :func:`scipy.optimize.milp`, and the whole model with ``milp`` if that does
not reach the LP bound). Identical households are grouped into *types*, so a
U16 or a national instance stays small; every arc is kept (no sparsification).

The model
---------
- A household of ``need`` persons fits a dwelling class when ``need`` is at
  most the class maximum (no overcrowding). ``need`` is the expected final
  size after nareizigers when ``use_final_size`` is on, else the current size.
- A dwelling whose class minimum exceeds the need is under-occupied; each
  empty bed-space costs ``under_penalty``.
- A household may wait (not housed this period); each waiting person costs
  ``wait_penalty``, more than any under-occupation, so housing wins.
- Singles (one adult, no children, final size 1) may share a dwelling, 2 to
  ``sharing`` adults, at ``share_penalty`` per sharing adult: the model shares
  only when that houses more people.
- Every household is linked to a municipality (its ``code``, or in arrival
  order to the municipality with the largest remaining target, like the
  taakstelling-based linking of permit holders). The ``scope`` says which
  municipalities pool: a household may be housed anywhere in the pool of its
  linked municipality. ``solo``: every municipality alone.
- Persons housed above a municipality's own target cost
  ``over_target_penalty`` each (allocation balancing inside a pool); an
  optional hard ``fairness_band`` keeps every municipality between a lower
  and an upper share of its target. Only the band can make the model
  infeasible; :class:`~toolkit.InfeasibleError` then names municipality, size
  class and shortfall, and the parameter that relaxes it.
- A ``reserve`` share of the dwellings is kept free.

Nationality and sex are never inputs: the frame adapter does not read them.

Default parameters are assumptions (``aanname``) of this toolkit, not
published figures: class limits 1 / 2 / 3-4 / 5-10 persons, under-occupation
1 per empty bed-space, waiting 10 per person, over-target 0.5 per person,
sharing 1 per sharing adult.
"""

from __future__ import annotations

import inspect
import math
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
    "HOUSEHOLDS",
    "SUPPLY",
    "TARGETS",
    "households_from_caseload",
    "supply_from_stock",
    "default_supply_rates",
    "compare_scopes",
    "solve_scopes",
    "scope_table",
    "rolling_plan",
    "fairness_report",
    "RollingPlan",
]

CLASS_MIN = {"1": 1, "2": 2, "3-4": 3, "5+": 5}
CLASS_MAX = {"1": 1, "2": 2, "3-4": 4, "5+": 10}
INTEGRAL_TOL = 1e-6

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
    ),
    key=("household_id",),
    description="Households to house; optional boolean needs_<flag> columns.",
)

SUPPLY = Schema(
    "matching_supply",
    (
        Column("code", "code", aliases=("gemeentecode",)),
        Column("size_class", allowed=SIZE_CLASSES, aliases=("grootteklasse", "klasse")),
        Column("dwellings", "int", min=0, aliases=("woningen", "aantal"),
               description="dwellings free for permit holders"),
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


# --------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------


def _valid_inputs(households, supply, targets, period=None):
    """Validate the three input frames once (converting a caseload) and select ``period``."""
    if {"partner_present", "children_present"} <= set(getattr(households, "columns", [])):
        households = households_from_caseload(households)
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
        (when given) and code (when the caseload has one).
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
    if "code" in c.columns and c["code"].notna().any():
        out["code"] = c["code"]
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
        ``schatting`` and the derivation.
    """
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
        derivation=(
            f"voorraad x mutatiegraad {turnover:.4f} / 2 x aandeel statushouders {share:.4f} "
            "(aanname; standaard afgeleid uit geodata/lettings.csv)"
        ),
    )
    return base


# --------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------


@dataclass
class RollingPlan:
    """Result of :func:`rolling_plan`: per period and municipality, the assignment, regional figures."""

    municipalities: pd.DataFrame
    assignment: pd.DataFrame
    regional: pd.DataFrame


class MatchingModel:
    """Min-cost matching of dwelling units to municipalities and size classes.

    Build it with :meth:`from_arrays` (household types, supply and targets as
    arrays) or :meth:`from_frames` (households, supply and targets as
    frames), then call :meth:`solve`. After solving:

    - ``flows_``: dwellings per arc, columns type, municipality (index),
      size_class, units (dwellings), under_occupation (per dwelling);
    - ``waiting_``: waiting households per type (array);
    - ``objective_``, ``lp_bound_`` (LP relaxation), ``gap_`` (relative gap
      of the objective to the LP bound), ``method_``;
    - ``summary_``: regional figures (Series: households, households_housed,
      households_waiting, persons, persons_housed, persons_waiting, target,
      pct_target, dwellings_used, under_occupation, expected_overcrowding,
      mismatch, over_target, objective, lp_bound, gap, method; from frames
      also scope, shared_dwellings, reserve_dwellings);
    - ``municipalities_``: one row per municipality. From frames: code,
      name, scope, target, persons_housed, pct_target, households_housed,
      dwellings_available, reserve_dwellings, dwellings_1, dwellings_2,
      dwellings_3-4, dwellings_5+ (used), dwellings_free, shared_dwellings,
      under_occupation, expected_overcrowding, over_target, short_of_target,
      linked_households_waiting, band_low, band_high;
    - from frames also ``assignment_``, one row per household: household_id,
      (period), size, adults, children, final_size, need, linked_code, code,
      name, size_class, status (gehuisvest / wachtend), dwelling_id, shared,
      adults_in_dwelling, under_occupation and expected_overcrowding (of the
      dwelling), cost_under_occupation, cost_sharing, cost_waiting,
      cost_total (its share of the objective; the over-target part is per
      municipality) and reason (Dutch); and
      ``dwellings_``, one row per occupied dwelling: dwelling_id, code, name,
      size_class, households, persons, adults, shared, under_occupation,
      expected_overcrowding.

    Parameters are stored by ``__init__``; the constructors fill them.
    """

    def __init__(self, need, persons, count, origin, supply, targets, *, blocks=None, class_min=None,
                 class_max=None, allowed=None, under_penalty=1.0, wait_penalty=10.0, over_target_penalty=0.5,
                 fairness_band=None, max_under_occupation=None, base=None, multiplier=None, type_cost=None,
                 mip_rel_gap=1e-6, time_limit=None):
        self.need = need
        self.persons = persons
        self.count = count
        self.origin = origin
        self.supply = supply
        self.targets = targets
        self.blocks = blocks
        self.class_min = class_min
        self.class_max = class_max
        self.allowed = allowed
        self.under_penalty = under_penalty
        self.wait_penalty = wait_penalty
        self.over_target_penalty = over_target_penalty
        self.fairness_band = fairness_band
        self.max_under_occupation = max_under_occupation
        self.base = base
        self.multiplier = multiplier
        self.type_cost = type_cost
        self.mip_rel_gap = mip_rel_gap
        self.time_limit = time_limit
        self._meta = None

    # ---- constructors ----------------------------------------------------

    @classmethod
    def from_arrays(cls, need, persons, count, origin, supply, targets, **params):
        """Build the model from plain arrays.

        Parameters
        ----------
        need : array of int, shape (T,)
            Persons the dwelling must fit, per unit type.
        persons : array of int, shape (T,)
            Persons counted towards the target, per unit type.
        count : array of int, shape (T,)
            Units of each type.
        origin : array of int, shape (T,)
            Index of the municipality each type is linked to.
        supply : array of int, shape (M, C)
            Dwellings available per municipality and size class (after reserve).
        targets : array of float, shape (M,)
            Persons to house per municipality.
        **params
            ``blocks`` (array (M,) of pool ids; default: all in one pool),
            ``class_min``/``class_max`` (C,), ``allowed`` (T, M) bool,
            ``under_penalty``, ``wait_penalty``, ``over_target_penalty``,
            ``fairness_band`` ((low, high) shares of target or None),
            ``max_under_occupation``, ``mip_rel_gap``, ``time_limit``.
            Shared dwellings: a type with ``base[t] = b`` and
            ``multiplier[t] = k`` is a group of ``k`` units of type ``b``
            sharing one dwelling (its own ``count`` is 0); ``type_cost`` (T,)
            is an extra cost per unit of each type (e.g. for sharing).
        """
        model = cls(need, persons, count, origin, supply, targets, **params)
        model._check_arrays()
        return model

    def _check_arrays(self):
        self.fairness_band = _check_band(self.fairness_band)
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
        for name in ("persons", "count", "origin"):
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
        if problems:
            raise ValidationError("MatchingModel: " + "; ".join(problems), problems)

    @classmethod
    def from_frames(cls, households, supply, targets, *, scope="U16", region=None, year=2016, period=None,
                    use_final_size=True, sharing=1, reserve=0.0, fairness_band=None, under_penalty=1.0,
                    wait_penalty=10.0, over_target_penalty=0.5, share_penalty=1.0, max_persons=None,
                    max_under_occupation=None, needs_places=None, mip_rel_gap=1e-6, time_limit=None):
        """Build the model from households, supply and targets frames.

        Parameters
        ----------
        households : pandas.DataFrame
            Columns household_id, size, adults, children, and optional period,
            final_size, code (linked municipality) and boolean ``needs_<flag>``
            columns (see :data:`HOUSEHOLDS`); rows are in arrival order and may
            come from several periods (households still waiting). A
            ``schemas.CASELOAD`` frame is converted with
            :func:`households_from_caseload`. Other columns are not read.
        supply : pandas.DataFrame
            Columns code, size_class ('1', '2', '3-4', '5+'), dwellings, and
            optional period (:func:`supply_from_stock`).
        targets : pandas.DataFrame
            Columns code, target (persons) and optional target_int, period,
            name (``toolkit.taakstelling.municipal_targets``).
        scope : str or list
            ``"solo"``, a region name (``"U10"``, ``"U16"``) or a list of codes:
            the municipalities that pool. The others in ``region`` stay solo.
        region : str or list, optional
            The municipalities taking part; default the scope's members (all
            target codes for ``solo``). Targets outside it are an error.
        year : int
            Municipal division and region composition.
        period : str, optional
            Select this period from frames with a ``period`` column.
        use_final_size : bool
            Families waiting for nareizigers get a dwelling for the final size.
        sharing : int
            Maximum adults per dwelling for singles (one adult, no children,
            final size 1, no needs flags): the model may put 2 to ``sharing``
            of them in one dwelling, at ``share_penalty`` per sharing adult,
            when that lets more people be housed. 1 = nobody shares.
        reserve : float
            Share of the dwellings kept free: ``reserve`` x all dwellings,
            rounded, spread over municipalities and classes by largest
            remainder.
        fairness_band : tuple (low, high), optional
            Hard band: each municipality houses between ``low`` and ``high``
            times its target in persons (``floor(low x target)`` to
            ``ceil(high x target)``); either may be None.
        max_persons : dict, optional
            Class maximum persons, default ``CLASS_MAX`` (5+ up to 10).
        needs_places : dict, optional
            ``{flag: [codes]}``: households with ``needs_<flag>`` true may only
            be housed in those municipalities.
        under_penalty, wait_penalty, over_target_penalty, share_penalty, max_under_occupation,
        mip_rel_gap, time_limit
            See the module docstring and :meth:`from_arrays`.
        """
        hh, sup, tgt = _valid_inputs(households, supply, targets, period)
        return cls._from_valid(hh, sup, tgt, scope=scope, region=region, year=year, period=period,
                               use_final_size=use_final_size,
                               sharing=sharing, reserve=reserve, fairness_band=fairness_band,
                               under_penalty=under_penalty, wait_penalty=wait_penalty,
                               over_target_penalty=over_target_penalty, share_penalty=share_penalty,
                               max_persons=max_persons, max_under_occupation=max_under_occupation,
                               needs_places=needs_places, mip_rel_gap=mip_rel_gap, time_limit=time_limit)

    @classmethod
    def _from_valid(cls, hh, sup, tgt, *, scope, region, year, period, use_final_size, sharing, reserve, fairness_band,
                    under_penalty, wait_penalty, over_target_penalty, share_penalty, max_persons,
                    max_under_occupation, needs_places, mip_rel_gap, time_limit):
        """:meth:`from_frames` on inputs already checked by :func:`_valid_inputs`."""
        from .regions import municipalities, region_codes

        # --- parameters
        if not isinstance(share_penalty, (int, float, np.number)) or share_penalty < 0:
            raise ValidationError(f"share_penalty: expected a number of at least 0, found {share_penalty!r}")
        if isinstance(sharing, bool) or not isinstance(sharing, (int, np.integer)) or sharing < 1:
            raise ValidationError(f"sharing: expected a whole number of adults per dwelling of at least 1, found {sharing!r}")
        if not isinstance(reserve, (int, float, np.number)) or not 0 <= reserve < 1:
            raise ValidationError(f"reserve: expected a share between 0 and 1 (e.g. 0.1), found {reserve!r}")
        band = _check_band(fairness_band)
        cmax = dict(CLASS_MAX)
        if max_persons is not None:
            unknown = sorted(set(max_persons) - set(SIZE_CLASSES))
            if unknown:
                raise ValidationError(f"max_persons: expected keys among {list(SIZE_CLASSES)}, found {unknown}")
            cmax.update({k: int(v) for k, v in max_persons.items()})
        bad = [k for k in SIZE_CLASSES if cmax[k] < CLASS_MIN[k]]
        if bad:
            raise ValidationError(f"max_persons: class maximum below the class minimum {CLASS_MIN} for {bad}")

        # --- municipalities: scope, region, known codes
        known = municipalities(year)
        known_codes = set(known["code"])
        names = dict(zip(known["code"], known["name"]))
        if isinstance(scope, str) and scope.strip().lower() == "solo":
            pool, scope_label = [], "solo"
        else:
            if scope is None or (not isinstance(scope, str) and len(scope) == 0):
                raise ValidationError("scope: expected 'solo', 'U10', 'U16' or a non-empty list of CBS codes, found an empty scope")
            pool = region_codes(scope, year)
            scope_label = scope if isinstance(scope, str) else "eigen selectie"
        target_codes = list(dict.fromkeys(tgt["code"].astype(str)))
        if region is not None:
            universe = region_codes(region, year)
        elif pool:
            universe = list(pool)
        else:
            universe = target_codes
        problems = []
        for what, codes in (("scope", pool), ("region", universe), ("targets", target_codes),
                            ("supply", sup["code"].astype(str).unique()),
                            ("households", hh["code"].dropna().astype(str).unique() if "code" in hh else [])):
            unknown = sorted(set(codes) - known_codes)
            if unknown:
                problems.append(f"{what}: unknown municipality codes for {year}: {unknown}; known: {sorted(known_codes)}")
        if problems:
            raise ValidationError("; ".join(problems), problems)
        outside = sorted(set(pool) - set(universe))
        if outside:
            raise ValidationError(f"scope: codes {outside} are not in the region {region!r}; add them to region")
        for what, codes in (("targets", target_codes), ("supply", sup["code"].astype(str).unique()),
                            ("households", hh["code"].dropna().astype(str).unique() if "code" in hh else [])):
            outside = sorted(set(codes) - set(universe))
            if outside:
                raise ValidationError(
                    f"{what}: municipalities outside the scope {scope_label!r}: {outside}; the scope holds "
                    f"{universe}. Pass region= to let them take part alone (solo), or drop those rows"
                )
        missing = sorted(set(universe) - set(target_codes))
        if missing:
            raise ValidationError(f"targets: no target for municipalities {missing} of the scope; give a target (0 is allowed)")
        if tgt.duplicated("code").any():
            raise ValidationError(f"targets: each municipality once per period, found duplicates {sorted(tgt.loc[tgt.duplicated('code'), 'code'].unique())}")
        dup = sup.duplicated(["code", "size_class"])
        if dup.any():
            raise ValidationError(f"supply: each (code, size_class) once per period, found duplicates in rows {sup.index[dup].tolist()[:8]}")

        # --- households: consistency and need
        hh = hh.reset_index(drop=True)
        final = hh["final_size"] if "final_size" in hh else hh["size"]
        final = pd.to_numeric(final, errors="coerce").fillna(hh["size"]).astype("int64")
        hh["final_size"] = final
        problems = []
        wrong = hh.index[hh["adults"] + hh["children"] != hh["size"]]
        if len(wrong):
            problems.append("column 'size': expected adults + children, found " + ", ".join(
                f"{hh.loc[i, 'size']} for household {hh.loc[i, 'household_id']!r} (adults {hh.loc[i, 'adults']}, children {hh.loc[i, 'children']})" for i in wrong[:8]))
        short = hh.index[hh["final_size"] < hh["size"]]
        if len(short):
            problems.append("column 'final_size': expected at least the current size, found " + ", ".join(
                f"{hh.loc[i, 'final_size']} < {hh.loc[i, 'size']} for household {hh.loc[i, 'household_id']!r}" for i in short[:8]))
        hh["need"] = hh["final_size"] if use_final_size else hh["size"]
        largest = max(cmax.values())
        big = hh.index[hh["need"] > largest]
        if len(big):
            problems.append(
                f"household larger than any dwelling class (largest '5+' fits {largest} persons, see max_persons): "
                + ", ".join(f"{hh.loc[i, 'household_id']!r} needs {hh.loc[i, 'need']}" for i in big[:8]))
        flags = sorted(c for c in hh.columns if str(c).startswith("needs_"))
        for f in flags:
            vals = hh[f].map(lambda v: {"true": True, "1": True, "ja": True, "false": False, "0": False, "nee": False}.get(str(v).strip().lower()) if pd.notna(v) else False)
            if vals.isna().any():
                problems.append(f"column {f!r}: expected ja/nee or true/false, found {hh.loc[vals.isna(), f].tolist()[:5]}")
            hh[f] = vals.fillna(False).astype(bool)
        needs_places = dict(needs_places or {})
        for f in needs_places:
            if f"needs_{f}" not in flags:
                problems.append(f"needs_places: flag {f!r} has no column 'needs_{f}' in households (found {flags})")
        if problems:
            raise ValidationError("households: " + "; ".join(problems), problems)

        # --- arrays over the universe
        M = len(universe)
        midx = {c: i for i, c in enumerate(universe)}
        cidx = {c: i for i, c in enumerate(SIZE_CLASSES)}
        raw = np.zeros((M, len(SIZE_CLASSES)), dtype=np.int64)
        for c, k, d in zip(sup["code"].astype(str), sup["size_class"], sup["dwellings"]):
            raw[midx[c], cidx[k]] += int(d)
        from .taakstelling import largest_remainder

        share = raw.reshape(-1) * float(reserve)
        kept = largest_remainder(share, math.floor(share.sum() + 0.5)).reshape(raw.shape).astype(np.int64)
        available = raw - kept
        tcol = "target_int" if "target_int" in tgt and tgt["target_int"].notna().all() else "target"
        tmap = dict(zip(tgt["code"].astype(str), tgt[tcol].astype(float)))
        target = np.array([tmap[c] for c in universe], dtype=float)
        tnames = dict(zip(tgt["code"].astype(str), tgt["name"])) if "name" in tgt else {}
        mun_names = [str(tnames.get(c) or names.get(c, c)) for c in universe]
        blocks = np.arange(M)
        if pool:
            blocks[[midx[c] for c in pool]] = M  # one shared id for the pool
        block_label = [scope_label if pool and c in set(pool) else "solo" for c in universe]

        units = _make_units(hh, flags=flags)
        units = _link_units(units, target, midx)
        allowed_by_flag = {f: np.isin(universe, region_codes(codes, year)) for f, codes in needs_places.items()}
        key_cols = ["block", "need", "persons", "sole"] + flags
        units["block"] = blocks[units["origin"].to_numpy()]
        types = units.drop_duplicates(key_cols)[key_cols + ["origin"]].reset_index(drop=True)
        units = units.merge(types[key_cols].reset_index().rename(columns={"index": "type"}), on=key_cols, how="left")
        units = units.sort_values("order", kind="stable").reset_index(drop=True)
        count = np.bincount(units["type"], minlength=len(types))
        types["base"] = np.arange(len(types))
        types["mult"] = 1
        types["type_cost"] = 0.0
        if sharing > 1:
            groups = [
                {**row, "need": k, "persons": k, "base": i, "mult": k, "type_cost": float(share_penalty) * k}
                for i, row in types[types["sole"]].iterrows() for k in range(2, sharing + 1)
            ]
            if groups:
                types = pd.concat([types, pd.DataFrame(groups)], ignore_index=True)
                count = np.concatenate([count, np.zeros(len(groups), dtype=np.int64)])
        allowed = np.ones((len(types), M), dtype=bool)
        for f, mask in allowed_by_flag.items():
            allowed[types[f"needs_{f}"].to_numpy(bool)] &= mask
        model = cls.from_arrays(
            types["need"].to_numpy(np.int64), types["persons"].to_numpy(np.int64), count,
            types["origin"].to_numpy(np.int64), available, target, blocks=blocks,
            class_min=[CLASS_MIN[k] for k in SIZE_CLASSES], class_max=[cmax[k] for k in SIZE_CLASSES],
            allowed=allowed, under_penalty=under_penalty, wait_penalty=wait_penalty,
            over_target_penalty=over_target_penalty, fairness_band=band,
            max_under_occupation=max_under_occupation, base=types["base"].to_numpy(np.int64),
            multiplier=types["mult"].to_numpy(np.int64), type_cost=types["type_cost"].to_numpy(float),
            mip_rel_gap=mip_rel_gap, time_limit=time_limit,
        )
        model._meta = {
            "codes": universe, "names": mun_names, "block_label": block_label, "raw_supply": raw,
            "reserve_kept": kept, "units": units, "households": hh, "scope": scope_label,
            "reserve": float(reserve), "sharing": int(sharing), "use_final_size": bool(use_final_size),
            "share_penalty": float(share_penalty), "households_status": hh.attrs.get("status", ""),
            "period": period, "class_max": cmax,
            "supply_status": sup.attrs.get("status", ""), "targets_status": tgt.attrs.get("status", ""),
        }
        return model

    # ---- solving -----------------------------------------------------------

    def _get(self, *names):
        """The model's arrays by name, as numpy arrays with their defaults filled in."""
        need = np.asarray(self.need, dtype=np.int64)
        T = len(need)
        supply = np.asarray(self.supply, dtype=np.int64)
        M = supply.shape[0]
        arrays = {
            "need": lambda: need,
            "persons": lambda: np.asarray(self.persons, dtype=np.int64),
            "count": lambda: np.asarray(self.count, dtype=np.int64),
            "origin": lambda: np.asarray(self.origin, dtype=np.int64),
            "supply": lambda: supply,
            "targets": lambda: np.asarray(self.targets, dtype=float),
            "blocks": lambda: np.zeros(M, dtype=np.int64) if self.blocks is None else np.asarray(self.blocks),
            "cmin": lambda: np.asarray(list(CLASS_MIN.values()) if self.class_min is None else self.class_min, dtype=np.int64),
            "cmax": lambda: np.asarray(list(CLASS_MAX.values()) if self.class_max is None else self.class_max, dtype=np.int64),
            "allowed": lambda: np.ones((T, M), dtype=bool) if self.allowed is None else np.asarray(self.allowed, dtype=bool),
            "base": lambda: np.arange(T) if self.base is None else np.asarray(self.base, dtype=np.int64),
            "mult": lambda: np.ones(T, dtype=np.int64) if self.multiplier is None else np.asarray(self.multiplier, dtype=np.int64),
            "tcost": lambda: np.zeros(T) if self.type_cost is None else np.asarray(self.type_cost, dtype=float),
        }
        return tuple(arrays[n]() for n in names)

    def _build_arcs(self, *, every_class=False):
        """Arcs (type, municipality, class) that fit; ``every_class`` also where no dwelling is free."""
        need, count, origin, supply, blocks, cmin, cmax, allowed = self._get("need", "count", "origin", "supply", "blocks", "cmin", "cmax", "allowed")
        base, mult = self._get("base", "mult")
        under = np.maximum(cmin[None, :] - need[:, None], 0)  # (T, C)
        fits = need[:, None] <= cmax[None, :]
        if self.max_under_occupation is not None:
            fits &= under <= int(self.max_under_occupation)
        reach = allowed & (blocks[None, :] == blocks[origin][:, None])  # (T, M)
        mask = reach[:, :, None] & fits[:, None, :] & ((supply[None, :, :] > 0) | every_class) & (count[base] // mult > 0)[:, None, None]
        t, m, c = np.nonzero(mask)
        return t, m, c, under[t, c]

    def _lp(self, t, m, c, under, *, extra_supply=False, residual=None):
        """Return cost, A_ub, b_ub, A_eq, b_eq, bounds, n_int (integer variables first).

        ``residual`` (count, supply, targets, low, high) replaces the right-hand
        sides, for the remainder left after fixing the integral part of an LP.
        """
        need, persons, count, supply, targets = self._get("need", "persons", "count", "supply", "targets")
        base, mult, tcost = self._get("base", "mult", "tcost")
        low, high = self._band_limits(targets)
        if residual is not None:
            count, supply, targets, low, high = residual
        T, (M, C), K = len(need), supply.shape, len(t)
        n_x, n_w, n_o = K, T, M
        n_e = M * C if extra_supply else 0
        nvar = n_x + n_w + n_o + n_e
        cost = np.concatenate([
            float(self.under_penalty) * under + tcost[t],
            float(self.wait_penalty) * persons,
            np.full(M, float(self.over_target_penalty)),
            np.zeros(n_e),
        ]).astype(float)
        rows_eq = sparse.hstack([
            sparse.csr_matrix((mult[t].astype(float), (base[t], np.arange(K))), shape=(T, K)),
            sparse.identity(T, format="csr"),
            sparse.csr_matrix((T, n_o + n_e)),
        ], format="csr")
        b_eq = count.astype(float)
        mc = m * C + c
        sup_rows = sparse.csr_matrix((np.ones(K), (mc, np.arange(K))), shape=(M * C, K))
        sup_block = [sup_rows, sparse.csr_matrix((M * C, n_w + n_o))]
        if extra_supply:
            sup_block.append(-sparse.identity(M * C, format="csr"))
        A_sup = sparse.hstack(sup_block, format="csr")
        b_sup = supply.reshape(-1).astype(float)
        pm = sparse.csr_matrix((persons[t].astype(float), (m, np.arange(K))), shape=(M, K))
        A_over = sparse.hstack([pm, sparse.csr_matrix((M, n_w)), -sparse.identity(M, format="csr"),
                                sparse.csr_matrix((M, n_e))], format="csr")
        blocks_ub = [A_sup, A_over]
        b_ub = [b_sup, targets]
        zeros = sparse.csr_matrix((M, n_w + n_o + n_e))
        if low is not None:
            blocks_ub.append(sparse.hstack([-pm, zeros], format="csr"))
            b_ub.append(-low)
        if high is not None:
            blocks_ub.append(sparse.hstack([pm, zeros], format="csr"))
            b_ub.append(high)
        A_ub = sparse.vstack(blocks_ub, format="csr")
        b_ub = np.concatenate(b_ub)
        ub = np.concatenate([count[base[t]] // mult[t], count, np.full(n_o + n_e, np.inf)]).astype(float)
        bounds = np.column_stack([np.zeros(nvar), ub])
        return cost, A_ub, b_ub, rows_eq, b_eq, bounds, n_x + n_w

    def _band_limits(self, targets):
        band = self.fairness_band
        if band is None:
            return None, None
        lo, hi = band
        low = None if lo is None else np.floor(lo * targets + 1e-9)
        high = None if hi is None else np.ceil(hi * targets - 1e-9)
        return low, high

    def solve(self, *, method="optimal"):
        """Solve and fill the result attributes; returns ``self``.

        Parameters
        ----------
        method : {"optimal", "greedy"}
            ``optimal``: the min-cost model (LP on HiGHS, ``milp`` when the LP
            optimum is fractional). ``greedy``: the baseline that takes units in
            arrival order and gives each to the municipality in its pool with
            the largest remaining target that has a fitting dwelling (smallest
            fitting class); it ignores the fairness band.

        Raises
        ------
        InfeasibleError
            When the hard fairness band cannot be met; the message names the
            municipality, size class and shortfall, and what would relax it.
        """
        if method not in ("optimal", "greedy"):
            raise ValidationError(f"solve: method must be 'optimal' or 'greedy', found {method!r}")
        t, m, c, under = self._build_arcs()
        self.arcs_ = (t, m, c, under)
        if method == "greedy":
            x, w = self._greedy(t, m, c)
            self.lp_bound_ = np.nan
            self.method_ = "greedy"
        else:
            x, w = self._optimal(t, m, c, under)
        self._finish(x, w)
        return self

    def _optimal(self, t, m, c, under):
        cost, A_ub, b_ub, A_eq, b_eq, bounds, n_int = self._lp(t, m, c, under)
        res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status == 2:
            raise self._infeasible()
        if res.status != 0:
            raise InfeasibleError(f"MatchingModel: the solver stopped without an optimum ({res.message})")
        self.lp_bound_ = float(res.fun)
        z = res.x
        K = len(t)
        if np.abs(z[:n_int] - np.round(z[:n_int])).max(initial=0) <= INTEGRAL_TOL:
            self.method_ = "linprog-highs (integral)"
            return np.round(z[:K]).astype(np.int64), np.round(z[K:n_int]).astype(np.int64)
        # fractional: fix the variables the LP left integral, solve the small remainder as a MIP
        whole = np.abs(z[:n_int] - np.round(z[:n_int])) <= INTEGRAL_TOL
        fixed = np.where(whole, np.round(z[:n_int]), 0).astype(np.int64)
        x_f, w_f = fixed[:K], fixed[K:]
        rest = self._residual(t, m, c, x_f, w_f)
        r = self._milp(*self._lp(t, m, c, under, residual=rest))
        if r is not None:
            x, w = x_f + np.round(r[:K]).astype(np.int64), w_f + np.round(r[K:n_int]).astype(np.int64)
            obj = self._objective(x, w)
            if obj - self.lp_bound_ <= self.mip_rel_gap * max(abs(obj), 1.0):
                self.method_ = "linprog-highs + milp on the fractional remainder"
                return x, w
        z = self._milp(cost, A_ub, b_ub, A_eq, b_eq, bounds, n_int, full=True)
        self.method_ = "milp-highs"
        return np.round(z[:K]).astype(np.int64), np.round(z[K:n_int]).astype(np.int64)

    def _residual(self, t, m, c, x_f, w_f):
        persons, count, supply, targets = self._get("persons", "count", "supply", "targets")
        base, mult = self._get("base", "mult")
        M, C = supply.shape
        placed = np.bincount(m, weights=persons[t] * x_f, minlength=M)
        used = np.zeros((M, C), dtype=np.int64)
        np.add.at(used, (m, c), x_f)
        low, high = self._band_limits(targets)
        return (
            count - np.bincount(base[t], weights=mult[t] * x_f, minlength=len(count)).astype(np.int64) - w_f,
            supply - used,
            targets - placed,
            None if low is None else low - placed,
            None if high is None else high - placed,
        )

    def _milp(self, cost, A_ub, b_ub, A_eq, b_eq, bounds, n_int, *, full=False):
        integrality = np.zeros(len(cost))
        integrality[:n_int] = 1
        options = {"mip_rel_gap": self.mip_rel_gap}
        if self.time_limit is not None:
            options["time_limit"] = self.time_limit
        res = milp(cost, integrality=integrality, bounds=Bounds(bounds[:, 0], bounds[:, 1]),
                   constraints=[LinearConstraint(A_ub, -np.inf, b_ub), LinearConstraint(A_eq, b_eq, b_eq)],
                   options=options)
        if res.x is not None or not full:
            return res.x
        if res.status == 2:
            raise self._infeasible()
        raise InfeasibleError(f"MatchingModel: milp found no integer solution ({res.message})")

    def _objective(self, x, w):
        persons, targets = self._get("persons", "targets")
        tcost, = self._get("tcost")
        t, m, _, under = self.arcs_
        housed = np.bincount(m, weights=persons[t] * x, minlength=len(targets))
        return float(
            (self.under_penalty * under * x).sum() + (tcost[t] * x).sum() + self.wait_penalty * (persons * w).sum()
            + self.over_target_penalty * np.maximum(housed - targets, 0).sum()
        )

    def _greedy(self, t, m, c):
        need, persons, supply, targets = self._get("need", "persons", "supply", "targets")
        T, (M, C) = len(need), supply.shape
        avail = supply.copy()
        remaining = targets.astype(float).copy()
        order = self._unit_order()
        x_dense = np.zeros((T, M, C), dtype=np.int64)
        w = np.zeros(T, dtype=np.int64)
        arc_mask = np.zeros((T, M, C), dtype=bool)
        arc_mask[t, m, c] = True
        for ty in order:
            ok = arc_mask[ty] & (avail > 0)  # (M, C)
            cand = ok.any(axis=1)
            if not cand.any():
                w[ty] += 1
                continue
            mi = int(np.argmax(np.where(cand, remaining, -np.inf)))
            ci = int(np.argmax(ok[mi]))  # smallest fitting class with a free dwelling
            avail[mi, ci] -= 1
            remaining[mi] -= persons[ty]
            x_dense[ty, mi, ci] += 1
        return x_dense[t, m, c], w

    def _unit_order(self):
        if self._meta is not None:
            return self._meta["units"]["type"].to_numpy()
        return np.repeat(np.arange(len(np.atleast_1d(self.count))), np.asarray(self.count, dtype=np.int64))

    def _infeasible(self):
        """An InfeasibleError whose message explains the shortfall; ``.shortfalls`` holds it as a frame.

        The explanation solves the model with extra dwellings allowed at the
        cost of their class minimum (the fewest extra bed-spaces) and reports
        where they are needed. ``shortfalls`` columns: code, name, target,
        lower_bound, max_alone (persons the municipality could house with its
        own dwellings), size_class, dwellings_short, dwellings_available.
        """
        need, persons, count, supply, targets, cmin = self._get("need", "persons", "count", "supply", "targets", "cmin")
        M, C = supply.shape
        # arcs to every class that fits, also where no dwelling is free now
        tt, mm, cc, uu = self._build_arcs(every_class=True)
        cost, A_ub, b_ub, A_eq, b_eq, bounds, _ = self._lp(tt, mm, cc, uu, extra_supply=True)
        # fewest extra dwellings first; the usual costs (scaled down) pick the best-fitting class
        cost = cost * 1e-4 / max(1.0, float(self.wait_penalty) * float(np.max(persons, initial=1)))
        cost[-M * C:] = np.tile(cmin.astype(float), M)
        res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
        names = self._meta["names"] if self._meta else [f"municipality {i}" for i in range(M)]
        codes = self._meta["codes"] if self._meta else [str(i) for i in range(M)]
        classes = list(SIZE_CLASSES) if C == len(SIZE_CLASSES) else [str(i) for i in range(C)]
        low, _ = self._band_limits(targets)
        band = self.fairness_band
        lines = [f"MatchingModel: the fairness band {band} cannot be met (fewest extra bed-spaces shown)."]
        rows = []
        if res.status != 0:
            pool = np.array([persons[i] * count[i] for i in range(len(need))])
            lines.append(
                f"Even with unlimited dwellings the households cannot reach every lower bound "
                f"({int(low.sum()) if low is not None else 0} persons needed, {int(pool.sum())} persons to house). "
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
            kept = self._meta["reserve_kept"] if self._meta else None
            tips = ["add dwellings in the classes named (supply)"]
            if kept is not None and kept.sum() > 0:
                tips.insert(0, f"lower reserve (now {self._meta['reserve']:.0%}, keeps {int(kept.sum())} dwellings free)")
            if self._meta and self._meta["scope"] == "solo":
                tips.append("use a regional scope (U10, U16)")
            lines.append("Other ways to relax: " + "; ".join(tips) + ".")
        err = InfeasibleError(" ".join(lines))
        err.shortfalls = pd.DataFrame(rows, columns=["code", "name", "target", "lower_bound", "max_alone", "size_class",
                                                     "dwellings_short", "dwellings_available"])
        return err

    def _max_persons(self, mi):
        """Most persons municipality ``mi`` can house with its own dwellings (band ignored)."""
        need, persons, count, supply = self._get("need", "persons", "count", "supply")
        base, mult = self._get("base", "mult")
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
        b = np.concatenate([supply[mi], count]).astype(float)
        res = milp(-persons[t].astype(float), integrality=np.ones(len(t)), constraints=[LinearConstraint(A, -np.inf, b)],
                   bounds=Bounds(0, np.inf))
        return int(round(-res.fun)) if res.x is not None else 0

    # ---- results -------------------------------------------------------------

    def _finish(self, x, w):
        persons, count, supply, targets = self._get("persons", "count", "supply", "targets")
        t, m, c, under = self.arcs_
        M, C = supply.shape
        classes = list(SIZE_CLASSES) if C == len(SIZE_CLASSES) else [str(i) for i in range(C)]
        housed_persons = np.bincount(m, weights=persons[t] * x, minlength=M)
        over = np.maximum(housed_persons - targets, 0)
        self.objective_ = self._objective(x, w)
        if self.method_ == "greedy":
            self.gap_ = np.nan
        else:
            self.gap_ = max(0.0, (self.objective_ - self.lp_bound_) / max(abs(self.objective_), 1e-9))
        keep = x > 0
        self.flows_ = pd.DataFrame({
            "type": t[keep], "municipality": m[keep], "size_class": np.asarray(classes)[c[keep]],
            "units": x[keep], "under_occupation": under[keep],
        })
        self.waiting_ = w
        used = np.zeros((M, C), dtype=np.int64)
        np.add.at(used, (m, c), x)
        if self._meta is not None:
            self._frames(x, w, used)
            return
        mun = pd.DataFrame({"municipality": np.arange(M), "target": targets, "persons_housed": housed_persons})
        mun["pct_target"] = 100 * mun["persons_housed"] / mun["target"].where(mun["target"] > 0)
        for ci, k in enumerate(classes):
            mun[f"dwellings_{k}"] = used[:, ci]
        mun["under_occupation"] = np.bincount(m, weights=under * x, minlength=M)
        mun["over_target"] = over
        self.municipalities_ = mun
        self.summary_ = self._summary(
            units=int(count.sum()), units_housed=int((self._get("mult")[0][t] * x).sum()),
            persons=int((persons * count).sum()),
            persons_housed=int(housed_persons.sum()), target=float(targets.sum()),
            under=int((under * x).sum()), overcrowding=0, over=float(over.sum()), dwellings=int(x.sum()),
        )

    def _summary(self, *, units, units_housed, persons, persons_housed, target, under, overcrowding, over, dwellings):
        return pd.Series({
            "households": units,
            "households_housed": units_housed,
            "households_waiting": units - units_housed,
            "persons": persons,
            "persons_housed": persons_housed,
            "persons_waiting": persons - persons_housed,
            "target": target,
            "pct_target": 100 * persons_housed / target if target > 0 else np.nan,
            "dwellings_used": dwellings,
            "under_occupation": under,
            "expected_overcrowding": overcrowding,
            "mismatch": under + overcrowding,
            "over_target": over,
            "objective": self.objective_,
            "lp_bound": self.lp_bound_,
            "gap": self.gap_,
            "method": self.method_,
        })

    @property
    def assignment_(self):
        """One row per household (built on first use; see the class docstring)."""
        if getattr(self, "_assignment", None) is None:
            if getattr(self, "_assignment_inputs", None) is None:
                raise AttributeError("assignment_: solve() a model built with from_frames first")
            self._assignment = self._assignment_frame()
        return self._assignment

    def _assignment_frame(self):
        meta = self._meta
        targets = self._get("targets")[0]
        units, dw, housed, place_m, place_c, housed_persons = self._assignment_inputs
        codes, names = np.asarray(meta["codes"], dtype=object), np.asarray(meta["names"], dtype=object)
        classes = np.asarray(SIZE_CLASSES, dtype=object)
        per = dw.reindex(units["dwelling"].to_numpy())
        k = per["households"].fillna(1).to_numpy()
        hh = meta["households"]
        a = hh.loc[units["row"].to_numpy(), ["household_id", "size", "adults", "children", "final_size", "need"]]
        a = a.reset_index(drop=True)
        if "period" in hh:
            a.insert(1, "period", hh.loc[units["row"].to_numpy(), "period"].to_numpy())
        a["linked_code"] = codes[units["origin"].to_numpy()]
        a["code"] = np.where(housed, codes[np.maximum(place_m, 0)], None)
        a["name"] = np.where(housed, names[np.maximum(place_m, 0)], None)
        a["size_class"] = np.where(housed, classes[np.maximum(place_c, 0)], None)
        a["status"] = np.where(housed, _STATUS_HOUSED, _STATUS_WAITING)
        a["dwelling_id"] = np.where(housed, per["dwelling_id"].to_numpy(), None)
        a["shared"] = np.where(housed, per["shared"].fillna(False).to_numpy(bool), False)
        a["adults_in_dwelling"] = np.where(housed, per["adults"].fillna(0).to_numpy(), 0).astype(np.int64)
        a["under_occupation"] = np.where(housed, per["under_occupation"].fillna(0).to_numpy(), 0).astype(np.int64)
        a["expected_overcrowding"] = np.where(housed, per["expected_overcrowding"].fillna(0).to_numpy(), 0).astype(np.int64)
        a["cost_under_occupation"] = self.under_penalty * a["under_occupation"] / k
        a["cost_sharing"] = np.where(a["shared"], self._share_cost_per_adult(), 0.0)
        a["cost_waiting"] = np.where(housed, 0.0, self.wait_penalty * a["size"])
        a["cost_total"] = a["cost_under_occupation"] + a["cost_sharing"] + a["cost_waiting"]
        over_m = housed_persons > targets + 1e-9
        a["reason"] = [
            _reason(r, over_m[pm] if pm >= 0 else False, meta) for r, pm in zip(a.itertuples(index=False), place_m)
        ]
        a.attrs.update(status="synthetisch" if "synthetisch" in (meta["households_status"], meta["supply_status"])
                       else "schatting")
        return a

    def _frames(self, x, w, used):
        meta = self._meta
        supply, targets, cmin, cmax = self._get("supply", "targets", "cmin", "cmax")
        base, mult = self._get("base", "mult")
        t, m, c, _ = self.arcs_
        units = meta["units"].copy()
        codes, names = np.asarray(meta["codes"], dtype=object), np.asarray(meta["names"], dtype=object)
        M = supply.shape[0]
        n = len(units)
        # hand out each type's dwellings to its households in arrival order (earliest first):
        # own dwellings first, then shared ones, each sorted by municipality and class
        slots = {}
        for k in np.lexsort((c, m, mult[t], base[t])):
            if x[k] > 0:
                slots.setdefault(int(base[t[k]]), []).extend([(int(m[k]), int(c[k]), int(mult[t[k]]))] * int(x[k]))
        place_m = np.full(n, -1)
        place_c = np.full(n, -1)
        dwelling = np.full(n, -1)
        next_id = 0
        for ty, idx in units.groupby("type", sort=False).indices.items():
            pos = 0
            for mi, ci, k in slots.get(int(ty), []):
                members = idx[pos:pos + k]
                pos += k
                place_m[members], place_c[members], dwelling[members] = mi, ci, next_id
                next_id += 1
        housed = place_m >= 0
        classes = np.asarray(SIZE_CLASSES, dtype=object)
        units["dwelling"] = dwelling
        units["m"] = place_m
        units["c"] = place_c

        # one row per occupied dwelling
        h = units[housed]
        dw = h.groupby("dwelling", sort=True).agg(
            m=("m", "first"), c=("c", "first"), persons=("persons", "sum"), need=("need", "sum"),
            final_size=("final_size", "sum"), adults=("adults", "sum"), households=("row", "size"),
        )
        dw["under_occupation"] = np.maximum(cmin[dw["c"]] - dw["need"], 0)
        dw["expected_overcrowding"] = np.maximum(dw["final_size"] - cmax[dw["c"]], 0)
        dw["shared"] = dw["households"] > 1
        dw["dwelling_id"] = [f"W{i + 1:05d}" for i in range(len(dw))]
        self.dwellings_ = pd.DataFrame({
            "dwelling_id": dw["dwelling_id"].to_numpy(), "code": codes[dw["m"]], "name": names[dw["m"]],
            "size_class": classes[dw["c"]], "households": dw["households"].to_numpy(),
            "persons": dw["persons"].to_numpy(), "adults": dw["adults"].to_numpy(), "shared": dw["shared"].to_numpy(),
            "under_occupation": dw["under_occupation"].to_numpy(),
            "expected_overcrowding": dw["expected_overcrowding"].to_numpy(),
        })

        housed_persons = np.bincount(place_m[housed], weights=units.loc[housed, "persons"], minlength=M)
        self._assignment_inputs = (units, dw, housed, place_m, place_c, housed_persons)
        self._assignment = None

        low, high = self._band_limits(targets)
        mun = pd.DataFrame({"code": codes, "name": names, "scope": meta["block_label"], "target": targets})
        mun["persons_housed"] = housed_persons.astype(np.int64)
        mun["pct_target"] = 100 * mun["persons_housed"] / mun["target"].where(mun["target"] > 0)
        mun["households_housed"] = np.bincount(place_m[housed], minlength=M).astype(np.int64)
        mun["dwellings_available"] = meta["raw_supply"].sum(axis=1)
        mun["reserve_dwellings"] = meta["reserve_kept"].sum(axis=1)
        for ci, kname in enumerate(SIZE_CLASSES):
            mun[f"dwellings_{kname}"] = used[:, ci]
        mun["dwellings_free"] = supply.sum(axis=1) - used.sum(axis=1)
        mun["shared_dwellings"] = np.bincount(dw["m"], weights=dw["shared"], minlength=M).astype(np.int64)
        mun["under_occupation"] = np.bincount(dw["m"], weights=dw["under_occupation"], minlength=M).astype(np.int64)
        mun["expected_overcrowding"] = np.bincount(dw["m"], weights=dw["expected_overcrowding"], minlength=M).astype(np.int64)
        mun["over_target"] = np.maximum(mun["persons_housed"] - mun["target"], 0)
        mun["short_of_target"] = np.maximum(mun["target"] - mun["persons_housed"], 0)
        mun["linked_households_waiting"] = np.bincount(units.loc[~housed, "origin"], minlength=M).astype(np.int64)
        mun["band_low"] = low if low is not None else np.nan
        mun["band_high"] = high if high is not None else np.nan
        self.municipalities_ = mun

        self.summary_ = self._summary(
            units=n, units_housed=int(housed.sum()), persons=int(units["persons"].sum()),
            persons_housed=int(housed_persons.sum()), target=float(targets.sum()),
            under=int(dw["under_occupation"].sum()), overcrowding=int(dw["expected_overcrowding"].sum()),
            over=float(mun["over_target"].sum()), dwellings=int(used.sum()),
        )
        self.summary_["scope"] = meta["scope"]
        self.summary_["shared_dwellings"] = int(dw["shared"].sum())
        self.summary_["reserve_dwellings"] = int(meta["reserve_kept"].sum())

    def _share_cost_per_adult(self):
        return float(self._meta["share_penalty"]) if self._meta else 0.0


def _reason(u, over, meta):
    """Dutch explanation of one household's placement."""
    wie = f"{u.size} pers." + (f", eindgrootte {u.final_size}" if u.final_size != u.size else "")
    if u.status == _STATUS_WAITING:
        return (f"wacht ({wie}): geen passende woning vrij binnen het samenwerkingsverband, "
                f"of gelijke huishoudens die eerder kwamen gingen voor")
    if u.shared:
        parts = [f"deelt een woning van klasse {u.size_class} met {u.adults_in_dwelling - 1} andere alleenstaande(n)"]
    else:
        parts = [f"klasse {u.size_class} past bij {u.need} pers."]
    if meta["use_final_size"] and u.final_size > u.size:
        parts.append("woning voor de verwachte gezinsgrootte na nareis")
    if u.under_occupation:
        parts.append(f"onderbezetting {u.under_occupation} (geen kleinere passende woning vrij)")
    if u.code != u.linked_code:
        parts.append(f"regionaal geplaatst (gekoppeld aan {u.linked_code})")
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
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or v < 0):
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


def _make_units(hh, *, flags):
    """One row per household in arrival order, with what the model needs."""
    units = pd.DataFrame({
        "row": np.arange(len(hh)),
        "order": np.arange(len(hh)),
        "persons": hh["size"].to_numpy(np.int64),
        "final_size": hh["final_size"].to_numpy(np.int64),
        "need": hh["need"].to_numpy(np.int64),
        "adults": hh["adults"].to_numpy(np.int64),
    })
    sole = (hh["adults"] == 1) & (hh["children"] == 0) & (hh["final_size"] == 1)
    for f in flags:
        units[f] = hh[f].to_numpy(bool)
        sole &= ~hh[f]
    units["sole"] = sole.to_numpy(bool)
    if "code" in hh:
        units["code_given"] = hh["code"].to_numpy(object)
    return units


def _link_units(units, target, midx):
    """Link units without a municipality, in arrival order, to the largest remaining target."""
    origin = np.full(len(units), -1)
    remaining = np.asarray(target, dtype=float).copy()
    if "code_given" in units:
        for i, cd in enumerate(units["code_given"]):
            if cd is not None and not pd.isna(cd):
                origin[i] = midx[str(cd)]
                remaining[origin[i]] -= units["persons"].iat[i]
    persons = units["persons"].to_numpy()
    for i in np.nonzero(origin < 0)[0]:
        j = int(np.argmax(remaining))
        origin[i] = j
        remaining[j] -= persons[i]
    return units.assign(origin=origin)


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------


def compare_scopes(households, supply, targets, *, scopes=("solo", "U10", "U16"), region="U16", year=2016, **params):
    """The gains-from-cooperation table: the same input solved for each scope.

    Every scope is solved over the same ``region`` (the municipalities outside
    a scope stay solo), so the rows compare like with like and the objective
    can only fall as the pool grows.

    Returns
    -------
    pandas.DataFrame
        One row per scope: scope, households, households_housed,
        households_waiting, persons_housed, persons_waiting, target,
        pct_target, under_occupation, expected_overcrowding, mismatch,
        over_target, municipalities_below_90pct, objective, gap,
        gain_vs_first (households housed more than in the first scope, solo
        by default).
    """
    models = solve_scopes(households, supply, targets, scopes=scopes, region=region, year=year, **params)
    return scope_table(models)


def solve_scopes(households, supply, targets, *, scopes=("solo", "U10", "U16"), region="U16", year=2016, **params):
    """Solve the same input for each scope; returns ``{label: solved MatchingModel}`` in scope order.

    The label is the scope name, or ``"eigen selectie"`` for a list of codes.
    :func:`scope_table` turns the models into the comparison table.
    """
    hh, sup, tgt = _valid_inputs(households, supply, targets, params.get("period"))  # once, not once per scope
    defaults = {k: v.default for k, v in inspect.signature(MatchingModel.from_frames).parameters.items()
                if v.kind is inspect.Parameter.KEYWORD_ONLY}
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValidationError(f"solve_scopes: unknown parameter(s) {unknown}; known: {sorted(defaults)}")
    models = {}
    for s in scopes:
        label = s if isinstance(s, str) else "eigen selectie"
        kw = {**defaults, **params, "scope": s, "region": region, "year": year}
        models[label] = MatchingModel._from_valid(hh, sup, tgt, **kw).solve()
    return models


def scope_table(models):
    """The comparison table of :func:`compare_scopes` from ``{label: solved model}``."""
    rows = []
    for label, model in models.items():
        r = model.summary_.copy()
        r["scope"] = label
        r["municipalities_below_90pct"] = int((model.municipalities_["pct_target"] < 90).sum())
        rows.append(r)
    out = pd.DataFrame(rows).reset_index(drop=True)
    cols = ["scope", "households", "households_housed", "households_waiting", "persons_housed", "persons_waiting",
            "target", "pct_target", "under_occupation", "expected_overcrowding", "mismatch", "over_target",
            "municipalities_below_90pct", "objective", "gap"]
    out = out[cols]
    out["gain_vs_first"] = out["households_housed"] - out["households_housed"].iloc[0]
    return out


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
