"""Dwelling demand: from persons to house to households by dwelling size class.

A municipality's taakstelling is a number of *persons* per half year. Those
persons come as households, and a household needs a dwelling that suits its
*final* size (after family reunification, see :mod:`toolkit.households`).
:func:`dwelling_demand` turns persons into expected households per size class,
with an interval, by simulation.

Size classes (``toolkit.schemas.SIZE_CLASSES``) say how many persons a
dwelling suits, and a household of ``s`` persons needs a dwelling of class:

======== ============
persons  size class
======== ============
1        ``'1'``
2        ``'2'``
3 or 4   ``'3-4'``
5+       ``'5+'``
======== ============

The simulation, per municipality and half year with ``P`` persons to house:
households are drawn one by one from the household-size distribution until
their members reach ``P``; the household that crosses ``P`` is included with
probability ``(P - persons before it) / its size``. So households stay whole
and the expected number of persons is exactly ``P``. Repeating this
``n_sims`` times gives the mean and the interval (e.g. the 10th and 90th
percentile for 80 %) of the number of households per class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._validate import Column, Schema, validate_frame
from .households import final_size_distribution
from .schemas import SIZE_CLASSES

__all__ = ["SIZE_CLASSES", "TARGETS", "size_class", "simulate_households", "dwelling_demand"]

TARGETS = Schema(
    "targets",
    (
        Column("period", nullable=True, description="half year, e.g. '2016-II'"),
        Column("code", "code", description="CBS municipality code"),
        Column("target", "float", min=0, description="persons to house in the period"),
    ),
    key=("period", "code"),
)

_MAX_CELLS = 2_000_000  # random draws held in memory at once


def size_class(persons):
    """Dwelling size class for household sizes: 1 -> '1', 2 -> '2', 3-4 -> '3-4', 5+ -> '5+'.

    >>> size_class([1, 2, 3, 4, 5, 9]).tolist()
    ['1', '2', '3-4', '3-4', '5+', '5+']
    """
    s = np.asarray(persons, dtype=float)
    if np.any(s < 1) or np.any(np.isnan(s)):
        raise ValidationError(f"size_class: household sizes must be at least 1, found {sorted(set(s[(s < 1) | np.isnan(s)]))}")
    idx = np.select([s < 2, s < 3, s < 5], [0, 1, 2], 3)
    return np.array(SIZE_CLASSES, dtype=object)[idx]


def _distribution(size_distribution, who):
    """Return (sizes as float, probabilities, status, source) from a Series or dict."""
    if isinstance(size_distribution, dict):
        size_distribution = pd.Series(size_distribution, dtype=float)
    if not isinstance(size_distribution, pd.Series) or size_distribution.empty:
        raise ValidationError(
            f"{who}: 'size_distribution' must be a Series or dict {{household size: share}}, "
            f"found {type(size_distribution).__name__}"
        )
    sizes = pd.to_numeric(pd.Series(size_distribution.index), errors="coerce").to_numpy(float)
    share = pd.to_numeric(size_distribution, errors="coerce").to_numpy(float)
    if np.isnan(sizes).any() or (sizes < 1).any() or (sizes % 1 != 0).any():
        raise ValidationError(
            f"{who}: 'size_distribution' index must hold household sizes 1, 2, ..., found {list(size_distribution.index)}"
        )
    if np.isnan(share).any() or (share < 0).any() or share.sum() <= 0:
        raise ValidationError(
            f"{who}: 'size_distribution' must hold non-negative shares with a positive sum, found {share.tolist()}"
        )
    attrs = size_distribution.attrs
    if attrs.get("open_top") and attrs.get("top_mean"):
        # the last size means "this many or more": its members count as the observed mean
        sizes = sizes.copy()
        sizes[np.argmax(sizes)] = max(float(attrs["top_mean"]), sizes.max())
    return sizes, share / share.sum(), attrs.get("status", "schatting"), attrs.get("source", "size_distribution")


def simulate_households(persons, size_distribution, *, n_sims=2000, seed=0):
    """Draw households until ``persons`` are housed, ``n_sims`` times.

    Parameters
    ----------
    persons : float
        Persons to house (need not be whole: the crossing household is
        included with probability ``remaining / size``).
    size_distribution : pandas.Series or dict
        Share of households by size, indexed by size (1, 2, ...).
    n_sims : int
        Number of simulations (keyword-only).
    seed : int or numpy.random.Generator

    Returns
    -------
    households : ndarray, shape (n_sims, n_sizes)
        Households of each size (columns in the order of the sizes, ascending)
        per simulation.
    sizes : ndarray
        The sizes (persons per household) of the columns.

    Examples
    --------
    >>> h, sizes = simulate_households(10, {2: 1.0}, n_sims=3)
    >>> h.tolist(), sizes.tolist()
    ([[5], [5], [5]], [2.0])
    """
    sizes, share, _status, _source = _distribution(size_distribution, "simulate_households")
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims < 1:
        raise ValidationError(f"simulate_households: 'n_sims' must be a positive whole number, found {n_sims!r}")
    try:
        persons = float(persons)
    except (TypeError, ValueError):
        persons = float("nan")
    if not np.isfinite(persons) or persons < 0:
        raise ValidationError(f"simulate_households: 'persons' must be a non-negative number, found {persons!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return _simulate(persons, sizes, share, n_sims, rng)


def _simulate(persons, sizes, share, n_sims, rng):
    order = np.argsort(sizes)
    sizes, share = sizes[order], share[order]
    out = np.zeros((n_sims, len(sizes)), dtype="int64")
    if persons == 0:
        return out, sizes
    cdf = np.cumsum(share)
    cdf[-1] = 1.0
    mean = float(sizes @ share)
    k = int(np.ceil(persons / mean * 1.2 + 6 * np.sqrt(persons / mean) + 10))
    chunk = max(1, _MAX_CELLS // k)
    for start in range(0, n_sims, chunk):
        rows = min(chunk, n_sims - start)
        out[start:start + rows] = _simulate_rows(persons, sizes, cdf, rows, k, rng)
    return out, sizes


def _simulate_rows(persons, sizes, cdf, rows, k, rng):
    while True:
        idx = np.searchsorted(cdf, rng.random((rows, k)), side="right")
        drawn = sizes[idx]
        cum = np.cumsum(drawn, axis=1)
        if (cum[:, -1] >= persons).all():
            break
        k *= 2  # too few households drawn for some rows: draw again with more
    before = cum - drawn
    started = before < persons
    crossing = started & (cum > persons)
    frac = np.where(crossing, (persons - before) / drawn, 0.0).sum(axis=1)
    keep_crossing = rng.random(rows) < frac
    include = (started & ~crossing) | (crossing & keep_crossing[:, None])
    return np.stack([(include & (idx == j)).sum(axis=1) for j in range(len(sizes))], axis=1)


def dwelling_demand(
    targets,
    *,
    size_distribution=None,
    model=None,
    caseload=None,
    n_sims=2000,
    seed=0,
    interval=0.8,
    column="target",
):
    """Expected households by dwelling size class per municipality and half year.

    Parameters
    ----------
    targets : pandas.DataFrame
        Columns period, code and ``column`` (persons to house), e.g. the output
        of :func:`toolkit.taakstelling.municipal_targets`; one row per period
        and municipality.
    size_distribution : pandas.Series or dict, optional
        Share of households by final size (index 1, 2, ...). Default: the
        model's predicted final sizes over ``caseload`` when both are given
        (:func:`toolkit.households.final_size_distribution`), else the final
        sizes of a synthetic caseload (status ``synthetisch``).
    model : toolkit.households.HouseholdSizeModel, optional
    caseload : pandas.DataFrame, optional
        Households to house (caseload layout); needs ``model``.
    n_sims : int
        Simulations per municipality and period.
    seed : int
        Seed of the simulations; the same seed gives the same result.
    interval : float
        Coverage of the interval ``households_lo .. households_hi`` (0.8: the
        10th and 90th percentile of the simulated counts).
    column : str
        The column of ``targets`` holding persons (``"target_int"`` for whole
        persons).

    Returns
    -------
    pandas.DataFrame
        One row per period, municipality and size class ('1', '2', '3-4',
        '5+'): period, code, size_class, households (mean over the
        simulations), households_lo, households_hi (whole households),
        persons (mean members of those households; over the classes they add
        up to the target in expectation). ``attrs``: status and source of the
        size distribution, ``size_distribution`` (the shares used), n_sims,
        interval.

    Examples
    --------
    >>> t = pd.DataFrame({"period": ["2016-II"], "code": ["GM0344"], "target": [460.0]})
    >>> d = dwelling_demand(t, size_distribution={1: 0.5, 4: 0.5}, n_sims=500)  # mean size 2.5
    >>> d[["size_class", "households"]].round(0).values.tolist()
    [['1', 92.0], ['2', 0.0], ['3-4', 92.0], ['5+', 0.0]]
    """
    if size_distribution is not None and (model is not None or caseload is not None):
        raise ValidationError("dwelling_demand: pass 'size_distribution' or 'model' with 'caseload', not both")
    if (model is None) != (caseload is None):
        raise ValidationError("dwelling_demand: 'model' and 'caseload' go together; pass both or neither")
    if not isinstance(interval, (int, float)) or not 0 < interval < 1:
        raise ValidationError(f"dwelling_demand: 'interval' must lie strictly between 0 and 1, found {interval!r}")
    if not isinstance(targets, pd.DataFrame):
        raise ValidationError(f"dwelling_demand: 'targets' must be a frame with columns period, code, target, found {type(targets).__name__}")
    if column not in targets.columns:
        raise ValidationError(
            f"dwelling_demand: 'targets' has no column {column!r}; expected columns period, code and {column!r}, "
            f"found {list(targets.columns)}"
        )
    frame = targets[[c for c in ("period", "code") if c in targets.columns] + [column]].rename(columns={column: "target"})
    t = validate_frame(frame, TARGETS, source="dwelling_demand: targets")
    if size_distribution is None:
        size_distribution = final_size_distribution(model, caseload) if model is not None else final_size_distribution()
    sizes, share, status, source = _distribution(size_distribution, "dwelling_demand")
    dist = pd.Series(share, index=pd.Index(sizes, name="size"), name="share")
    classes = size_class(sizes)
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims < 1:
        raise ValidationError(f"dwelling_demand: 'n_sims' must be a positive whole number, found {n_sims!r}")
    rng = np.random.default_rng(seed)
    lo_q, hi_q = (1 - interval) / 2, 1 - (1 - interval) / 2
    rows = []
    for period, code, target in zip(t["period"], t["code"], t["target"]):
        counts, sim_sizes = _simulate(float(target), sizes, share, n_sims, rng)
        sim_classes = size_class(sim_sizes)
        for label in SIZE_CLASSES:
            sel = sim_classes == label
            h = counts[:, sel].sum(axis=1)
            rows.append(
                {
                    "period": period,
                    "code": code,
                    "size_class": label,
                    "households": h.mean(),
                    "households_lo": int(np.quantile(h, lo_q, method="inverted_cdf")),
                    "households_hi": int(np.quantile(h, hi_q, method="inverted_cdf")),
                    "persons": (counts[:, sel] @ sim_sizes[sel]).mean(),
                }
            )
    out = pd.DataFrame(rows, columns=["period", "code", "size_class", "households", "households_lo", "households_hi", "persons"])
    out["code"] = out["code"].astype(str)
    out.attrs.update(
        status=status,
        source=source,
        size_distribution=dist,
        size_classes=dict(zip(sizes.tolist(), classes.tolist())),
        n_sims=n_sims,
        interval=interval,
    )
    return out
