"""National inflow forecasting: quarterly series, models, baselines, backtests.

The shipped inflow table (:func:`toolkit.data.load_inflow`) mixes monthly,
quarterly and yearly rows with gaps. :func:`quarterly_series` turns one series
(``eerste_aanvragen`` or ``nareizigers``) into quarters: a published quarterly
figure where there is one, otherwise the sum of three published months when
all three exist. A quarter without either stays missing: nothing is filled in.

Three forecasters follow scikit-learn's estimator contract (``fit`` returns
``self``, learned state ends in ``_``, ``predict`` checks it is fitted):

- :class:`SeasonalLevel` (label ``seizoensmodel``): damped-trend exponential
  smoothing of the deseasonalised log series, with quarter effects estimated
  by least squares with year effects;
- :class:`SeasonalNaive` (``seizoensnaief``): the latest observed value of the
  same quarter;
- :class:`Drift` (``drift``): the straight line through the first and the
  last observation.

Each gives a point forecast plus 80 % and 95 % intervals. The intervals are
split-conformal: at ``fit`` the model is re-fitted on every prefix of the
series (rolling origin) and the log errors of its own forecasts, divided by
the square root of the horizon and pooled over horizons, give the quantiles.

Gaps: every model works on the full quarterly grid with missing quarters as
``NaN``. A missing quarter is never a training target; smoothing simply skips
it (the state moves on by its trend); a seasonal-naive lag that falls in a gap
uses the same quarter one year further back; a backtest origin whose target
is missing produces no row.

:func:`backtest` runs a rolling-origin evaluation and returns a tidy frame;
:func:`backtest_metrics` turns it into MAE, MASE, MAE ratio against seasonal
naive, interval coverage and pinball loss per horizon. :func:`scenario` gives
the named scenarios ``laag`` / ``midden`` / ``hoog`` or a user's own annual
total.
"""

from __future__ import annotations

import math
import numbers
import re
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from ._errors import ValidationError
from ._validate import Column, Schema, validate_frame

__all__ = [
    "ShortSeriesWarning",
    "quarterly_series",
    "as_quarterly",
    "SeasonalLevel",
    "SeasonalNaive",
    "Drift",
    "MODELS",
    "forecast",
    "backtest",
    "backtest_metrics",
    "SCENARIOS",
    "scenario",
]

SEASON = 4  # quarters per year
LEVELS = (0.8, 0.95)
QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)
FORECAST_COLUMNS = ["period", "period_start", "horizon", "y_pred", "lo80", "hi80", "lo95", "hi95"]
SCENARIOS = {"laag": "lo80", "midden": "y_pred", "hoog": "hi80"}


class ShortSeriesWarning(UserWarning):
    """A series is too short for the chosen model; a simpler one was used."""


# --------------------------------------------------------------------------- data

INFLOW_INPUT = Schema(
    "inflow_input",
    (
        Column("period", description="'2018-01' (maand), '2018-Q1' (kwartaal) or '2018' (jaar)"),
        Column("granularity", required=False, allowed=("maand", "kwartaal", "jaar"),
               aliases=("granulariteit",), description="maand, kwartaal or jaar; inferred from period when absent"),
        Column("series", required=False, aliases=("reeks",), description="series name"),
        Column("value", "float", min=0, aliases=("waarde", "aantal"), description="persons"),
        Column("qualifier", required=False, nullable=True),
    ),
)

_FORMATS = (
    ("maand", re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")),
    ("kwartaal", re.compile(r"^\d{4}-?Q[1-4]$", re.IGNORECASE)),
    ("jaar", re.compile(r"^\d{4}$")),
)


def _granularity_of(period):
    for name, rx in _FORMATS:
        if rx.match(str(period).strip()):
            return name
    return None


def _validate_inflow(data, source):
    """Validate a long inflow table (shipped layout or a user's file)."""
    df = validate_frame(data, INFLOW_INPUT, source=source)
    df["period"] = df["period"].astype(str).str.strip()
    inferred = df["period"].map(_granularity_of)
    bad = inferred.isna()
    if bad.any():
        raise ValidationError(
            f"{source}: column 'period': expected '2018-01', '2018-Q1' or '2018', found "
            + ", ".join(f"{p!r} at index {i}" for i, p in df.loc[bad, "period"].head(8).items())
        )
    if "series" not in df.columns:
        df["series"] = "reeks"
    if "granularity" not in df.columns:
        kinds = {s: sorted(g.unique()) for s, g in inferred.groupby(df["series"])}
        mixed = {s: k for s, k in kinds.items() if len(k) > 1}
        if mixed:
            raise ValidationError(
                f"{source}: periods of different granularity {mixed} in one series without a "
                "'granularity' column saying which is which; add a column granularity "
                "(maand/kwartaal/jaar) or pass one granularity per series"
            )
        df["granularity"] = inferred
    else:
        wrong = df["granularity"] != inferred
        if wrong.any():
            raise ValidationError(
                f"{source}: column 'granularity' does not match the period format at "
                + ", ".join(f"index {i} ({p!r} marked {g!r})" for i, p, g in
                            zip(df.index[wrong][:8], df.loc[wrong, "period"][:8], df.loc[wrong, "granularity"][:8]))
            )
    dup = df.duplicated(["series", "granularity", "period"], keep=False)
    if dup.any():
        raise ValidationError(
            f"{source}: expected each (series, granularity, period) once, found duplicates at "
            + ", ".join(f"index {i} ({s} {p})" for i, s, p in
                        zip(df.index[dup][:8], df.loc[dup, "series"][:8], df.loc[dup, "period"][:8]))
        )
    if "qualifier" not in df.columns:
        df["qualifier"] = None
    return df


def quarterly_series(series="eerste_aanvragen", *, data=None):
    """One inflow series by quarter, from quarterly rows and complete months.

    Parameters
    ----------
    series : str
        ``eerste_aanvragen``, ``nareizigers`` or ``totaal`` (the name in the
        ``series`` column of ``data``).
    data : pandas.DataFrame, optional
        A long table with columns period, value and optionally granularity,
        series, qualifier. Default: the shipped table
        (:func:`toolkit.data.load_inflow`). Without a granularity column the
        periods of one series must all have the same format.

    Returns
    -------
    pandas.DataFrame
        One row per quarter that could be built: period (``'2018-Q1'``),
        period_start, series, value, built_from (``kwartaal`` or ``maand``:
        three months summed), qualifier (the qualifiers of the rows used).
        Quarters with neither a quarterly row nor three monthly rows are
        absent; yearly rows are not used. ``attrs`` carry status and source.

    Raises
    ------
    ValidationError
        Negative or non-numeric values, duplicate periods, unknown period
        formats, mixed granularity without a granularity column, unknown series.

    Examples
    --------
    >>> q = quarterly_series("eerste_aanvragen")
    >>> q.loc[q["period"] == "2022-Q3", "value"].item()
    11015.0
    """
    attrs = {}
    if data is None:
        from .data import load_inflow

        raw = load_inflow()
        attrs = dict(raw.attrs)
        data = raw[["period", "granularity", "series", "value", "qualifier"]]
        source = "geodata/inflow.csv"
    else:
        source = "quarterly_series(data=...)"
    df = _validate_inflow(data, source)
    if series not in set(df["series"]):
        raise ValidationError(f"{source}: unknown series {series!r}; available: {sorted(df['series'].unique())}")
    df = df[df["series"] == series]
    rows = {}
    quarterly = df[df["granularity"] == "kwartaal"]
    for p, v, qual in zip(quarterly["period"], quarterly["value"], quarterly["qualifier"]):
        per = pd.Period(p.upper().replace("-Q", "Q"), freq="Q")
        rows[per] = (float(v), "kwartaal", qual)
    monthly = df[df["granularity"] == "maand"].copy()
    monthly["quarter"] = [pd.Period(p, freq="M").asfreq("Q") for p in monthly["period"]]
    for per, g in monthly.groupby("quarter"):
        if per in rows or len(g) != 3:
            continue
        quals = sorted({str(q) for q in g["qualifier"] if q is not None and pd.notna(q)})
        rows[per] = (float(g["value"].sum()), "maand", ", ".join(quals) or None)
    periods = sorted(rows)
    out = pd.DataFrame(
        {
            "period": [_label(p) for p in periods],
            "period_start": [p.start_time for p in periods],
            "series": series,
            "value": [rows[p][0] for p in periods],
            "built_from": [rows[p][1] for p in periods],
            "qualifier": [rows[p][2] for p in periods],
        }
    )
    out.attrs.update(attrs)
    return out


def _label(period):
    return f"{period.year}-Q{period.quarter}"


def _to_period(value, where):
    if isinstance(value, pd.Period):
        if value.freqstr.upper().startswith("Q"):
            return value.asfreq("Q")
        raise ValidationError(f"{where}: expected quarters, found period {value} with frequency {value.freqstr}")
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(value)
        if ts != pd.Period(ts, freq="Q").start_time:
            raise ValidationError(f"{where}: expected the first day of a quarter, found {ts.date()}")
        return pd.Period(ts, freq="Q")
    text = str(value).strip()
    if _granularity_of(text) != "kwartaal":
        kind = _granularity_of(text) or "unknown"
        raise ValidationError(
            f"{where}: expected a quarter like '2018-Q1', found {text!r} ({kind}); "
            "build quarters with forecast.quarterly_series() first"
        )
    return pd.Period(text.upper().replace("-Q", "Q"), freq="Q")


def as_quarterly(y, *, name="y"):
    """Check a quarterly count series and put it on a full quarterly grid.

    Parameters
    ----------
    y : pandas.Series or pandas.DataFrame
        A Series indexed by quarters (``pandas.Period``, ``'2018-Q1'`` or the
        first day of the quarter), or a frame with columns period and value
        (such as :func:`quarterly_series` returns; a ``granularity`` column,
        if present, must say ``kwartaal`` everywhere).
    name : str
        Argument name used in error messages.

    Returns
    -------
    pandas.Series
        Float values indexed by a gap-free quarterly ``PeriodIndex`` from the
        first to the last observed quarter; missing quarters are ``NaN``.

    Raises
    ------
    ValidationError
        Empty input, non-numeric or negative values, duplicate or unsorted
        periods, periods that are not quarters.

    Examples
    --------
    >>> s = as_quarterly(pd.Series([5.0, 7.0], index=["2020-Q1", "2020-Q3"]))
    >>> s.isna().tolist()
    [False, True, False]
    """
    if isinstance(y, pd.DataFrame):
        missing = [c for c in ("period", "value") if c not in y.columns]
        if missing:
            raise ValidationError(f"{name}: expected a frame with columns ['period', 'value'], found {list(y.columns)}")
        if "granularity" in y.columns and (y["granularity"] != "kwartaal").any():
            found = sorted(y["granularity"].astype(str).unique())
            raise ValidationError(
                f"{name}: column 'granularity' must be 'kwartaal' in every row, found {found}; "
                "build quarters with forecast.quarterly_series() first"
            )
        index, values = list(y["period"]), list(y["value"])
    elif isinstance(y, pd.Series):
        index, values = list(y.index), list(y.values)
    else:
        raise ValidationError(f"{name}: expected a pandas Series or DataFrame, found {type(y).__name__}")
    if not index:
        raise ValidationError(f"{name}: the series is empty")
    periods = [_to_period(p, f"{name}, period {i}") for i, p in enumerate(index)]
    vals = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype(float)
    bad = [i for i, (v, raw) in enumerate(zip(vals, values)) if np.isnan(v) and raw is not None and not pd.isna(raw)]
    if bad:
        raise ValidationError(f"{name}: expected numbers, found {[values[i] for i in bad[:8]]} at positions {bad[:8]}")
    neg = [i for i, v in enumerate(vals) if v < 0]
    if neg:
        raise ValidationError(
            f"{name}: counts cannot be negative, found "
            + ", ".join(f"{vals[i]:g} in {_label(periods[i])}" for i in neg[:8])
        )
    seen = pd.Series(periods)
    if seen.duplicated().any():
        dups = sorted({_label(p) for p in seen[seen.duplicated()]})
        raise ValidationError(f"{name}: each quarter once, found duplicates {dups}")
    order = [periods[i] < periods[i + 1] for i in range(len(periods) - 1)]
    if not all(order):
        i = order.index(False)
        raise ValidationError(
            f"{name}: periods must be sorted in time, found {_label(periods[i])} before {_label(periods[i + 1])}"
        )
    s = pd.Series(vals.to_numpy(), index=pd.PeriodIndex(periods, freq="Q"), name=name)
    s = s.dropna()
    if s.empty:
        raise ValidationError(f"{name}: no observed values")
    grid = pd.period_range(s.index[0], s.index[-1], freq="Q")
    return s.reindex(grid)


# --------------------------------------------------------------------------- models


def _seasonal_effects(logy, quarters, years):
    """Quarter effects (sum zero) by least squares with one effect per year.

    Only observed quarters enter; a year with a single observation carries no
    information on the season and is dropped by the year effect.
    """
    obs = ~np.isnan(logy)
    uy = np.unique(years[obs])
    X = np.zeros((obs.sum(), len(uy) + SEASON - 1))
    yi = np.searchsorted(uy, years[obs])
    X[np.arange(obs.sum()), yi] = 1.0
    q = quarters[obs]
    for k in range(1, SEASON):
        X[:, len(uy) + k - 1] = q == k + 1
    coef, *_ = np.linalg.lstsq(X, logy[obs], rcond=None)
    eff = np.concatenate([[0.0], coef[len(uy):]])
    return eff - eff.mean()


class _QuarterlyForecaster(BaseEstimator):
    """Shared fit / predict / conformal intervals; subclasses give ``_point``."""

    label = ""
    min_obs = 2

    def _point(self, s, horizon):  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_length(self, s):
        n = int(s.notna().sum())
        if n < self.min_obs:
            raise ValidationError(
                f"{type(self).__name__}: needs at least {self.min_obs} observed quarters, found {n} "
                f"({_label(s.index[0])} to {_label(s.index[-1])})"
            )

    def fit(self, y):
        """Fit on a quarterly series (see :func:`as_quarterly`); returns ``self``."""
        s = as_quarterly(y, name=f"{type(self).__name__}.fit: y")
        self._check_length(s)
        self._validate_params()
        self.series_ = s
        self.n_obs_ = int(s.notna().sum())
        self.last_period_ = s.index[-1]
        self.residuals_ = self._calibration_residuals(s)
        self.interval_scale_ = {}
        r = np.sort(np.abs(self.residuals_["std_error"].to_numpy()))
        for level in LEVELS:
            if len(r) == 0:
                self.interval_scale_[level] = np.nan
                continue
            k = math.ceil((len(r) + 1) * level)
            # with too few residuals the exact conformal bound is infinite;
            # the largest residual is used instead (documented in the class)
            self.interval_scale_[level] = float(r[min(k, len(r)) - 1])
        return self

    def _validate_params(self):
        pass

    def _calibration_residuals(self, s, *, horizon=4):
        """Log errors of the model's own forecasts from every earlier origin."""
        rows = []
        obs_pos = np.flatnonzero(s.notna().to_numpy())
        logv = np.log1p(s.to_numpy())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ShortSeriesWarning)
            for pos in obs_pos:
                prefix = s.iloc[: pos + 1]
                if prefix.notna().sum() < self.calib_min_obs:
                    continue
                h_max = min(horizon, len(s) - pos - 1)
                if h_max < 1:
                    continue
                pred = self._point(prefix, h_max)
                for h in range(1, h_max + 1):
                    if np.isnan(logv[pos + h]):
                        continue
                    err = logv[pos + h] - np.log1p(pred[h - 1])
                    rows.append((pos, h, err, err / math.sqrt(h)))
        return pd.DataFrame(rows, columns=["origin_pos", "horizon", "log_error", "std_error"])

    @property
    def calib_min_obs(self):
        return max(self.min_obs, 2 * SEASON)

    def predict(self, horizon=4):
        """Forecast the next ``horizon`` quarters after the last observation.

        Returns
        -------
        pandas.DataFrame
            Columns period (``'2025-Q1'``), period_start, horizon (1..h),
            y_pred, lo80, hi80, lo95, hi95 (persons per quarter; the bounds
            are ``NaN`` when the series was too short to calibrate them).
        """
        check_is_fitted(self, "residuals_")
        if not isinstance(horizon, numbers.Integral) or isinstance(horizon, bool) or horizon < 1:
            raise ValidationError(f"predict: 'horizon' must be a whole number of quarters >= 1, got {horizon!r}")
        pred = np.maximum(self._point(self.series_, int(horizon)), 0.0)
        periods = [self.last_period_ + h for h in range(1, horizon + 1)]
        out = pd.DataFrame(
            {
                "period": [_label(p) for p in periods],
                "period_start": [p.start_time for p in periods],
                "horizon": np.arange(1, horizon + 1),
                "y_pred": pred,
            }
        )
        root = np.sqrt(out["horizon"].to_numpy(dtype=float))
        for level in LEVELS:
            q = self.interval_scale_[level] * root
            tag = int(round(level * 100))
            out[f"lo{tag}"] = np.expm1(np.log1p(pred) - q).clip(min=0)
            out[f"hi{tag}"] = np.expm1(np.log1p(pred) + q)
        return out[FORECAST_COLUMNS]


class SeasonalLevel(_QuarterlyForecaster):
    """Damped-trend smoothing of the deseasonalised log series.

    On ``log(1 + y)``: quarter effects are estimated by least squares with
    one effect per calendar year (so level changes between years do not leak
    into the season); the deseasonalised values are smoothed with Holt's
    damped trend. Missing quarters are skipped: the level moves on by the
    damped trend and is not updated.

    Parameters
    ----------
    alpha : float
        Level smoothing weight in (0, 1]; 0.5 gives the last quarter half the
        weight.
    beta : float
        Trend smoothing weight in [0, 1]; 0 means no trend (level only).
    phi : float
        Trend damping in [0, 1]: the trend added at horizon ``h`` is
        ``phi + phi**2 + ... + phi**h`` times the current trend.

    The defaults (0.5, 0.2, 0.8) were set before any backtest on the shipped
    series and were not tuned to it; ``benchmarks/forecast_backtest.py``
    prints a few alternatives as a sensitivity check.

    Attributes
    ----------
    seasonal_ : numpy.ndarray
        Quarter effects Q1..Q4 on the log scale (sum zero; zeros when the
        series had fewer than two years and the model fell back to level and
        trend only, with a :class:`ShortSeriesWarning`).
    level_, trend_ : float
        Final smoothed level and trend (log scale).
    residuals_ : pandas.DataFrame
        Calibration errors (origin_pos, horizon, log_error, std_error).
    interval_scale_ : dict
        Conformal quantile of ``|log error| / sqrt(h)`` per interval level. With
        fewer than ``1 / (1 - level) - 1`` residuals (19 for 95 %) it is the
        largest residual, so the interval may cover less than promised.

    Examples
    --------
    >>> y = pd.Series([100.0, 200, 300, 200] * 3, index=pd.period_range("2018Q1", periods=12, freq="Q"))
    >>> m = SeasonalLevel(beta=0.0).fit(y)
    >>> m.predict(2)["y_pred"].round().tolist()
    [100.0, 200.0]
    """

    label = "seizoensmodel"
    min_obs = 2

    def __init__(self, alpha=0.5, beta=0.2, phi=0.8):
        self.alpha = alpha
        self.beta = beta
        self.phi = phi

    def _validate_params(self):
        for pname, lo, hi, lo_open in (("alpha", 0, 1, True), ("beta", 0, 1, False), ("phi", 0, 1, False)):
            v = getattr(self, pname)
            ok = isinstance(v, numbers.Real) and (lo < v <= hi if lo_open else lo <= v <= hi)
            if not ok:
                rng = f"({lo}, {hi}]" if lo_open else f"[{lo}, {hi}]"
                raise ValidationError(f"SeasonalLevel: parameter {pname!r} must be in {rng}, got {v!r}")

    def fit(self, y):
        s = as_quarterly(y, name="SeasonalLevel.fit: y")
        if s.notna().sum() < 2 * SEASON and s.notna().sum() >= self.min_obs:
            warnings.warn(
                f"SeasonalLevel: {int(s.notna().sum())} observed quarters is fewer than two seasons "
                f"({2 * SEASON}); fitted without quarter effects (level and trend only)",
                ShortSeriesWarning,
                stacklevel=2,
            )
        super().fit(s)
        seasonal, level, trend = self._state(self.series_)
        self.seasonal_, self.level_, self.trend_ = seasonal, level, trend
        return self

    def _state(self, s):
        logy = np.log1p(s.to_numpy())
        quarters = np.asarray(s.index.quarter)
        years = np.asarray(s.index.year)
        if np.sum(~np.isnan(logy)) >= 2 * SEASON:
            seasonal = _seasonal_effects(logy, quarters, years)
        else:
            seasonal = np.zeros(SEASON)
        x = logy - seasonal[quarters - 1]
        level, trend = None, 0.0
        for v in x:
            if level is None:
                level = v  # the grid starts at an observation
                continue
            pred = level + self.phi * trend
            if np.isnan(v):
                level, trend = pred, self.phi * trend
                continue
            new = self.alpha * v + (1 - self.alpha) * pred
            trend = self.beta * (new - level) + (1 - self.beta) * self.phi * trend
            level = new
        return seasonal, level, trend

    def _point(self, s, horizon):
        seasonal, level, trend = self._state(s)
        damp = np.cumsum(self.phi ** np.arange(1, horizon + 1))
        q = np.array([(s.index[-1] + h).quarter for h in range(1, horizon + 1)])
        return np.expm1(level + damp * trend + seasonal[q - 1])


class SeasonalNaive(_QuarterlyForecaster):
    """Baseline: each quarter equals the latest observed value of the same quarter.

    For a gap-free series this is the usual seasonal naive forecast
    ``y[t + h - 4k]``; when that quarter is missing it goes back one more
    year. Needs every quarter observed at least once.

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4, 5], index=pd.period_range("2018Q1", periods=5, freq="Q"))
    >>> SeasonalNaive().fit(y).predict(3)["y_pred"].tolist()
    [2.0, 3.0, 4.0]
    """

    label = "seizoensnaief"
    min_obs = SEASON

    def _check_length(self, s):
        super()._check_length(s)
        seen = set(s.dropna().index.quarter)
        if len(seen) < SEASON:
            missing = sorted(set(range(1, SEASON + 1)) - seen)
            raise ValidationError(f"SeasonalNaive: every quarter must be observed at least once; never observed: Q{missing}")

    def _point(self, s, horizon):
        last = s.dropna().groupby(s.dropna().index.quarter).last()
        return np.array([last.get((s.index[-1] + h).quarter, np.nan) for h in range(1, horizon + 1)], dtype=float)


class Drift(_QuarterlyForecaster):
    """Baseline: the line through the first and the last observation, extended.

    ``y[T] + h * (y[T] - y[first]) / (quarters between them)``, floored at 0.

    Examples
    --------
    >>> y = pd.Series([10.0, 20, 30], index=pd.period_range("2018Q1", periods=3, freq="Q"))
    >>> Drift().fit(y).predict(2)["y_pred"].tolist()
    [40.0, 50.0]
    """

    label = "drift"
    min_obs = 2

    def _point(self, s, horizon):
        obs = s.dropna()
        span = (obs.index[-1] - obs.index[0]).n
        slope = (obs.iloc[-1] - obs.iloc[0]) / span if span > 0 else 0.0
        return np.maximum(obs.iloc[-1] + slope * np.arange(1, horizon + 1), 0.0)


MODELS = {"seizoensmodel": SeasonalLevel, "seizoensnaief": SeasonalNaive, "drift": Drift}


def _models(model):
    """The model plus both baselines, keyed by label."""
    main = SeasonalLevel() if model is None else model
    if not isinstance(main, _QuarterlyForecaster):
        raise ValidationError(
            f"'model' must be a forecaster from toolkit.forecast (e.g. SeasonalLevel(alpha=0.3)), got {type(main).__name__}"
        )
    out = {main.label: main}
    if not isinstance(main, SeasonalNaive):
        out["seizoensnaief"] = SeasonalNaive()
    if not isinstance(main, Drift):
        out["drift"] = Drift()
    return out


def forecast(y, *, horizon=4, model=None):
    """Forecast a quarterly series with a model and both baselines.

    Parameters
    ----------
    y : pandas.Series or pandas.DataFrame
        Quarterly counts (see :func:`as_quarterly`), e.g. the output of
        :func:`quarterly_series`.
    horizon : int
        Quarters ahead (keyword-only).
    model : forecaster, optional
        Default ``SeasonalLevel()``. Seasonal naive and drift are always added.

    Returns
    -------
    pandas.DataFrame
        Columns model (the model's label: ``seizoensmodel``, ``seizoensnaief``, ``drift``),
        period, period_start, horizon, y_pred, lo80, hi80, lo95, hi95.
    """
    frames = []
    for label, m in _models(model).items():
        f = clone(m).fit(y).predict(horizon)
        f.insert(0, "model", label)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def backtest(y, *, horizon=4, min_train=12, model=None):
    """Rolling-origin evaluation of a model and both baselines.

    From every observed quarter with at least ``min_train`` observed quarters
    up to it (the origin), each model is fitted on the data up to the origin
    and forecasts ``horizon`` quarters. Targets that are missing give no row;
    an origin where a model cannot be fitted (for example seasonal naive
    before every quarter has been observed once, because of gaps) is skipped
    for all models and listed in ``attrs["skipped_origins"]``.

    Parameters
    ----------
    y : pandas.Series or pandas.DataFrame
        Quarterly counts (see :func:`as_quarterly`).
    horizon : int
        Quarters ahead (keyword-only).
    min_train : int
        Observed quarters needed before the first origin (at least 8, two
        seasons, so that the intervals can be calibrated).
    model : forecaster, optional
        Default ``SeasonalLevel()``.

    Returns
    -------
    pandas.DataFrame
        Columns origin (last quarter used), period (the forecast quarter),
        horizon, model, y_true, y_pred, lo80, hi80, lo95, hi95 and scale (the
        in-sample mean absolute seasonal-naive error up to the origin, for MASE).
    """
    if not isinstance(min_train, numbers.Integral) or min_train < 2 * SEASON:
        raise ValidationError(f"backtest: 'min_train' must be a whole number >= {2 * SEASON}, got {min_train!r}")
    s = as_quarterly(y, name="backtest: y")
    n_obs = int(s.notna().sum())
    if n_obs <= min_train:
        raise ValidationError(
            f"backtest: needs more than min_train={min_train} observed quarters, found {n_obs}; lower min_train"
        )
    models = _models(model)
    rows, skipped = [], []
    for pos in np.flatnonzero(s.notna().to_numpy()):
        prefix = s.iloc[: pos + 1]
        if prefix.notna().sum() < min_train or pos == len(s) - 1:
            continue
        sn = (prefix - prefix.shift(SEASON)).abs()
        scale = float(sn.mean()) if sn.notna().any() else np.nan
        h_max = min(horizon, len(s) - pos - 1)
        try:
            fitted = {label: clone(m).fit(prefix) for label, m in models.items()}
        except ValidationError as err:
            skipped.append((_label(s.index[pos]), str(err)))
            continue
        for label, m in fitted.items():
            f = m.predict(h_max)
            f["y_true"] = s.iloc[pos + 1: pos + 1 + h_max].to_numpy()
            f["origin"] = _label(s.index[pos])
            f["model"] = label
            f["scale"] = scale
            rows.append(f)
    if not rows:
        raise ValidationError(f"backtest: no origin could be evaluated; first problem: {skipped[0][1]}")
    out = pd.concat(rows, ignore_index=True).dropna(subset=["y_true"])
    cols = ["origin", "period", "horizon", "model", "y_true", "y_pred", "lo80", "hi80", "lo95", "hi95", "scale"]
    out = out[cols].reset_index(drop=True)
    out.attrs["skipped_origins"] = skipped
    return out


def _pinball(y, q, tau):
    d = y - q
    return np.maximum(tau * d, (tau - 1) * d)


def backtest_metrics(bt):
    """Per horizon and model: accuracy, interval coverage and pinball loss.

    Parameters
    ----------
    bt : pandas.DataFrame
        Output of :func:`backtest`.

    Returns
    -------
    pandas.DataFrame
        Columns horizon, model, n (forecasts scored), MAE, MASE (mean of
        ``|error| / scale``), mae_ratio (the model's MAE divided by seasonal
        naive's MAE on the same origins; below 1 beats it), coverage80,
        coverage95 (share of actual values inside the interval) and pinball
        (mean pinball loss over the quantiles 2.5, 10, 50, 90 and 97.5 %,
        reading the bounds as those quantiles and the point as the median).

    Examples
    --------
    >>> bt = pd.DataFrame({"origin": ["a", "a"], "period": ["p", "p"], "horizon": [1, 1],
    ...     "model": ["seizoensmodel", "seizoensnaief"], "y_true": [10.0, 10.0], "y_pred": [9.0, 14.0],
    ...     "lo80": [8.0, 12.0], "hi80": [11.0, 16.0], "lo95": [7.0, 11.0], "hi95": [12.0, 17.0], "scale": [2.0, 2.0]})
    >>> backtest_metrics(bt)[["model", "MAE", "MASE", "mae_ratio", "coverage80"]].to_dict("records")[0]
    {'model': 'seizoensmodel', 'MAE': 1.0, 'MASE': 0.5, 'mae_ratio': 0.25, 'coverage80': 1.0}
    """
    need = {"origin", "horizon", "model", "y_true", "y_pred", "lo80", "hi80", "lo95", "hi95", "scale"}
    if not isinstance(bt, pd.DataFrame) or not need <= set(bt.columns):
        found = sorted(bt.columns) if isinstance(bt, pd.DataFrame) else type(bt).__name__
        raise ValidationError(f"backtest_metrics: expected the output of backtest() with columns {sorted(need)}, found {found}")
    d = bt.copy()
    d["abs_error"] = (d["y_true"] - d["y_pred"]).abs()
    d["scaled"] = d["abs_error"] / d["scale"]
    d["in80"] = (d["y_true"] >= d["lo80"]) & (d["y_true"] <= d["hi80"])
    d["in95"] = (d["y_true"] >= d["lo95"]) & (d["y_true"] <= d["hi95"])
    cols = ("lo95", "lo80", "y_pred", "hi80", "hi95")
    d["pinball"] = sum(_pinball(d["y_true"], d[c], t) for c, t in zip(cols, QUANTILES)) / len(QUANTILES)
    sn = d[d["model"] == "seizoensnaief"].set_index(["origin", "horizon"])["abs_error"]
    rows = []
    for (h, label), g in d.groupby(["horizon", "model"], sort=True):
        ref = sn.reindex(pd.MultiIndex.from_arrays([g["origin"], g["horizon"]]))
        both = ref.notna().to_numpy()
        ratio = g["abs_error"].to_numpy()[both].mean() / ref.to_numpy()[both].mean() if both.any() else np.nan
        rows.append(
            {
                "horizon": int(h),
                "model": label,
                "n": len(g),
                "MAE": float(g["abs_error"].mean()),
                "MASE": float(g["scaled"].mean()),
                "mae_ratio": float(ratio),
                "coverage80": float(g["in80"].mean()),
                "coverage95": float(g["in95"].mean()),
                "pinball": float(g["pinball"].mean()),
            }
        )
    return pd.DataFrame(rows)


def scenario(fc, which="midden"):
    """A named scenario or a user's own annual total, per quarter.

    Parameters
    ----------
    fc : pandas.DataFrame
        One model's forecast (``Model.predict()`` or the rows of one model
        from :func:`forecast`).
    which : str or number
        ``laag`` (each quarter at its lower 80 % bound), ``midden`` (the point
        forecast) or ``hoog`` (each quarter at its upper 80 % bound); or a
        number: persons per year, spread over the quarters in the shape of
        the point forecast (four quarters add up to the number). ``laag`` and
        ``hoog`` are pessimistic and optimistic paths: every quarter at its
        bound, which is wider than an 80 % interval for the total.

    Returns
    -------
    pandas.DataFrame
        Columns period, period_start, value, scenario.

    Examples
    --------
    >>> fc = pd.DataFrame({"period": ["2025-Q1", "2025-Q2"], "period_start": pd.to_datetime(["2025-01-01", "2025-04-01"]),
    ...     "y_pred": [100.0, 300.0], "lo80": [50.0, 200.0], "hi80": [150.0, 400.0]})
    >>> scenario(fc, 4000)["value"].tolist()
    [500.0, 1500.0]
    """
    if not isinstance(fc, pd.DataFrame) or not {"period", "y_pred", "lo80", "hi80"} <= set(fc.columns):
        raise ValidationError("scenario: 'fc' must be a forecast frame with columns period, y_pred, lo80, hi80")
    if "model" in fc.columns and fc["model"].nunique() > 1:
        raise ValidationError(
            f"scenario: 'fc' holds several models {sorted(fc['model'].unique())}; pass the rows of one model"
        )
    out = fc[[c for c in ("period", "period_start") if c in fc.columns]].copy()
    if isinstance(which, str):
        if which not in SCENARIOS:
            raise ValidationError(f"scenario: expected one of {list(SCENARIOS)} or a number of persons per year, got {which!r}")
        out["value"] = fc[SCENARIOS[which]].to_numpy(dtype=float)
        out["scenario"] = which
    elif isinstance(which, numbers.Real) and not isinstance(which, bool) and np.isfinite(which) and which >= 0:
        shape = fc["y_pred"].to_numpy(dtype=float)
        share = shape / shape.sum() * len(shape) / SEASON if shape.sum() > 0 else np.full(len(shape), 1 / SEASON)
        out["value"] = float(which) * share
        out["scenario"] = f"eigen: {float(which):,.0f} per jaar".replace(",", ".")
    else:
        raise ValidationError(
            f"scenario: expected one of {list(SCENARIOS)} or a non-negative number of persons per year, got {which!r}"
        )
    return out.reset_index(drop=True)
