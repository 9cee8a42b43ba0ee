"""Nareizigers and household sizes: the caseload, a synthetic caseload and a size model.

A *caseload* has one row per referent household (the permit holder who applies
for family reunification), in the layout :data:`toolkit.schemas.CASELOAD`:
household_id, nationality_group, referent_age, referent_sex, partner_present,
children_present, family_abroad, months_since_permit and final_size (the
household size once reunification is over; empty while it is not known).
The *current* size is ``1 + partner_present + children_present``.

:func:`synthetic_caseload` draws a caseload by the documented process below,
calibrated on the published figures in :data:`PARAMETERS` (status
``synthetisch``). :class:`HouseholdSizeModel` predicts the distribution of the
final household size; :func:`error_report`, :func:`reliability_table` and
:func:`calibration_by_size` show how well it does, next to the baseline
:class:`GroupMeanBaseline` (mean size per nationality group).

The generating process (one referent household, all draws independent unless
stated):

1. nationality group ``g`` with the shares of first asylum applications 2023;
2. sex of the referent (``v`` with probability ``female``), age
   ``18 + Gamma(age_shape, age_scale)``, whole years;
3. kind of household: *accompanied* (travelled with family, probability
   ``1 - travelled_alone[g]``), *family abroad* (travelled alone, family
   declared abroad, probability ``family_abroad[g]``, see below) or *single*;
4. family of accompanied and family-abroad households: a partner with
   probability ``partner_m`` / ``partner_v`` by the referent's sex, and
   ``Poisson(lambda(age))`` children with
   ``lambda = min(child_max, child_base + child_slope * (age - 18))``; at least
   one member (no partner and no children gives one child);
5. reunification of a family abroad: it succeeds (the whole declared family
   comes) with probability ``success[g]``, after ``Gamma(lag_shape,
   lag_mean / lag_shape)`` months; otherwise nobody comes;
6. the caseload is a snapshot ``months_since_permit ~ U{0..months_max}`` after
   the permit: a family that has come by then is *present*
   (``family_abroad = 0``), otherwise it is still *abroad*;
7. ``final_size = 1 + partner + children`` for accompanied households and
   successful reunifications, otherwise the current size.

``family_abroad[g]`` is not read from a source but solved from the published
share of referents whose family came within a year:
``reunited_12m[g] = family_abroad[g] * success[g] * P(lag <= 12)``.
So, for a household whose declared family has not come after ``m`` months,
the chance that it still comes is, by construction,
``s (1 - F(m)) / (s (1 - F(m)) + 1 - s)`` with ``s = success[g]`` and ``F``
the lag distribution: that is the truth a model can be checked against.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ._errors import ValidationError
from ._format import fmt_num
from ._validate import validate_frame
from .schemas import CASELOAD

__all__ = [
    "NATIONALITY_GROUPS",
    "PARAMETERS",
    "parameter_table",
    "validate_caseload",
    "current_size",
    "synthetic_caseload",
    "HouseholdSizeModel",
    "GroupMeanBaseline",
    "final_size_distribution",
    "error_report",
    "reliability_table",
    "calibration_by_size",
]

NATIONALITY_GROUPS = ("syrisch", "eritrees", "jemenitisch", "iraaks", "somalisch", "overig")

# Loose spellings of the groups (lower case, stripped); anything else is 'overig'.
_GROUP_ALIASES = {
    "syrie": "syrisch", "syrië": "syrisch", "syria": "syrisch", "syrian": "syrisch", "syriër": "syrisch",
    "eritrea": "eritrees", "eritrean": "eritrees", "eritreeër": "eritrees",
    "jemen": "jemenitisch", "yemen": "jemenitisch", "yemeni": "jemenitisch",
    "irak": "iraaks", "iraq": "iraaks", "iraqi": "iraaks",
    "somalie": "somalisch", "somalië": "somalisch", "somalia": "somalisch", "somali": "somalisch",
    "overige": "overig", "other": "overig", "anders": "overig",
}

# First asylum applications / nareizigers by nationality, 2023 (CBS 80059NED, FACTS §4);
# 'overig' is the national total (38,375 / 10,125) minus the five named groups.
_FIRST_2023 = {"syrisch": 13030, "eritrees": 2345, "jemenitisch": 1980, "iraaks": 1495, "somalisch": 1805}
_NAREIS_2023 = {"syrisch": 6695, "eritrees": 195, "jemenitisch": 820, "iraaks": 255, "somalisch": 90}
_FIRST_2023["overig"] = 38375 - sum(_FIRST_2023.values())
_NAREIS_2023["overig"] = 10125 - sum(_NAREIS_2023.values())


def _ratio(g):
    return _NAREIS_2023[g] / _FIRST_2023[g]


def _reunited_12m(g):
    # published for Syrians (30 %) and Eritreans (3 %); others scaled by nareizigers per first application
    return {"syrisch": 0.30, "eritrees": 0.03}.get(g, 0.30 * _ratio(g) / _ratio("syrisch"))


_SRC_CBS2023 = "CBS 80059NED, eerste aanvragen / nareizigers 2023"
_SRC_NRC = "CBS-cohort 2014 via nrc.nl 22-6-2017"

#: Every parameter of :func:`synthetic_caseload`: (parameter, group or None, value,
#: status, basis). Status ``gepubliceerd``: typed in from the source named;
#: ``afgeleid``: computed from published figures with a stated rule;
#: ``aanname``: an assumption of this project, to be replaced by local figures.
PARAMETERS = (
    *(
        ("share", g, _FIRST_2023[g] / 38375, "gepubliceerd",
         f"aandeel in de eerste asielaanvragen 2023 ({fmt_num(_FIRST_2023[g], 0)} van 38.375); {_SRC_CBS2023}")
        for g in NATIONALITY_GROUPS
    ),
    ("travelled_alone", "syrisch", 0.46, "gepubliceerd", f"46 % van de Syriërs reisde alleen; {_SRC_NRC}"),
    ("travelled_alone", "eritrees", 0.86, "gepubliceerd", f"86 % van de Eritreeërs reisde alleen; {_SRC_NRC}"),
    *(
        ("travelled_alone", g, 0.60, "aanname", "niet gevonden; tussen Syriërs (46 %) en Eritreeërs (86 %)")
        for g in NATIONALITY_GROUPS[2:]
    ),
    ("reunited_12m", "syrisch", 0.30, "gepubliceerd", f"30 % haalde binnen een jaar gezin over; {_SRC_NRC}"),
    ("reunited_12m", "eritrees", 0.03, "gepubliceerd", f"3 % haalde binnen een jaar gezin over; {_SRC_NRC}"),
    *(
        ("reunited_12m", g, _reunited_12m(g), "afgeleid",
         f"30 % (Syriërs) x nareizigers per eerste aanvraag t.o.v. Syriërs "
         f"({fmt_num(_ratio(g), 3)} / {fmt_num(_ratio('syrisch'), 3)}); {_SRC_CBS2023}")
        for g in NATIONALITY_GROUPS[2:]
    ),
    ("success", "eritrees", 0.60, "aanname",
     "kans dat het opgegeven gezin uiteindelijk komt; lager gezet (documenten moeilijk te krijgen)"),
    *(
        ("success", g, 0.85, "aanname", "kans dat het opgegeven gezin uiteindelijk komt")
        for g in NATIONALITY_GROUPS if g != "eritrees"
    ),
    *(
        ("female", g, 0.25, "aanname",
         "aandeel vrouwelijke referenten; negen op tien nareizigers zijn vrouwen en kinderen (CBS 2016/04)")
        for g in NATIONALITY_GROUPS
    ),
    ("age_shape", None, 2.5, "aanname", "leeftijd referent = 18 + Gamma(2,5; 5): gemiddeld 30,5 jaar"),
    ("age_scale", None, 5.0, "aanname", "zie age_shape"),
    ("partner_m", None, 0.85, "aanname", "kans op een partner in het gezin, mannelijke referent"),
    ("partner_v", None, 0.35, "aanname", "kans op een partner in het gezin, vrouwelijke referent"),
    ("child_base", None, 0.7, "aanname",
     "kinderen ~ Poisson(min(child_max, child_base + child_slope x (leeftijd - 18))); samen met partner "
     "gemiddeld ongeveer 2,5-3 gezinsleden in het buitenland (IND: 'ongeveer 3', VWN: 1,2 per statushouder)"),
    ("child_slope", None, 0.1, "aanname", "zie child_base"),
    ("child_max", None, 3.5, "aanname", "zie child_base"),
    ("lag_mean", None, 8.0, "aanname",
     "maanden van vergunning tot aankomst gezin (beslistermijn IND 3-6 maanden plus reis), Gamma-verdeeld"),
    ("lag_shape", None, 2.0, "aanname", "vorm van de Gamma-verdeling van de wachttijd"),
    ("months_max", None, 36, "aanname", "momentopname: vergunning 0 t/m 36 maanden geleden, gelijk verdeeld"),
)


def parameter_table():
    """Return :data:`PARAMETERS` as a frame with the derived ``family_abroad`` share.

    Columns: parameter, group (empty for global parameters), value, status
    (gepubliceerd / afgeleid / aanname), basis (Dutch, with the source).

    >>> t = parameter_table()
    >>> t.loc[(t.parameter == "travelled_alone") & (t.group == "syrisch"), "value"].item()
    0.46
    """
    rows = [dict(zip(("parameter", "group", "value", "status", "basis"), p)) for p in PARAMETERS]
    params = _resolve_parameters(None)
    for g in NATIONALITY_GROUPS:
        rows.append(
            {
                "parameter": "family_abroad",
                "group": g,
                "value": params["family_abroad"][g],
                "status": "afgeleid",
                "basis": "reunited_12m / (success x P(wachttijd <= 12 maanden)); rest van 'alleen gereisd' is alleenstaand",
            }
        )
    return pd.DataFrame(rows)


def _lag_cdf(months, params):
    shape = params["lag_shape"]
    return stats.gamma.cdf(months, shape, scale=params["lag_mean"] / shape)


def _resolve_parameters(overrides):
    """Return {name: value or {group: value}} with overrides applied and family_abroad derived."""
    params = {}
    for name, group, value, _status, _basis in PARAMETERS:
        if group is None:
            params[name] = value
        else:
            params.setdefault(name, {})[group] = value
    for name, value in dict(overrides or {}).items():
        if name not in params:
            raise ValidationError(
                f"synthetic_caseload: unknown parameter {name!r}; known parameters are {sorted(params)}"
            )
        if isinstance(params[name], dict):
            if isinstance(value, dict):
                unknown = set(value) - set(NATIONALITY_GROUPS)
                if unknown:
                    raise ValidationError(
                        f"synthetic_caseload: parameter {name!r} has unknown groups {sorted(unknown)}; "
                        f"expected some of {list(NATIONALITY_GROUPS)}"
                    )
                params[name] = {**params[name], **value}
            else:
                params[name] = dict.fromkeys(NATIONALITY_GROUPS, value)
        else:
            params[name] = value
    shares = np.array([params["share"][g] for g in NATIONALITY_GROUPS], dtype=float)
    if (shares < 0).any() or shares.sum() <= 0:
        raise ValidationError(f"synthetic_caseload: parameter 'share' must be non-negative, found {params['share']}")
    params["share"] = dict(zip(NATIONALITY_GROUPS, shares / shares.sum()))
    f12 = float(_lag_cdf(12, params))
    params["family_abroad"] = {}
    for g in NATIONALITY_GROUPS:
        for name in ("travelled_alone", "reunited_12m", "success", "female"):
            if not 0 <= params[name][g] <= 1:
                raise ValidationError(
                    f"synthetic_caseload: parameter {name!r} for {g!r} must lie between 0 and 1, found {params[name][g]}"
                )
        reach = params["success"][g] * f12
        f = params["reunited_12m"][g] / reach if reach > 0 else (np.inf if params["reunited_12m"][g] else 0.0)
        if f > params["travelled_alone"][g] + 1e-12:
            raise ValidationError(
                f"synthetic_caseload: for {g!r}, reunited_12m={params['reunited_12m'][g]} needs "
                f"{f:.3f} of referents with family abroad, more than travelled_alone={params['travelled_alone'][g]}; "
                "raise 'success' or 'travelled_alone'"
            )
        params["family_abroad"][g] = f
    return params


def synthetic_caseload(n, *, seed=0, parameters=None):
    """Draw a synthetic caseload of ``n`` referent households.

    The process is described in the module docstring; every parameter, its
    value and which published figure sets it are in :func:`parameter_table`.

    Parameters
    ----------
    n : int
        Number of referent households.
    seed : int
        Seed of the random generator (keyword-only).
    parameters : dict, optional
        Overrides: ``{name: value}`` (a global value, or one value for every
        group) or ``{name: {group: value}}``, names as in :data:`PARAMETERS`.

    Returns
    -------
    pandas.DataFrame
        Columns household_id, nationality_group, referent_age, referent_sex
        ('m'/'v'), partner_present (bool), children_present,
        family_abroad (declared members still abroad), months_since_permit,
        final_size (the hidden truth). ``attrs['status']`` is ``synthetisch``.

    Examples
    --------
    >>> c = synthetic_caseload(5, seed=1)
    >>> list(c.columns)[:3], c.attrs["status"]
    (['household_id', 'nationality_group', 'referent_age'], 'synthetisch')
    >>> bool(((1 + c.partner_present + c.children_present + c.family_abroad) >= c.final_size).all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValidationError(f"synthetic_caseload: 'n' must be a positive whole number, found {n!r}")
    p = _resolve_parameters(parameters)
    rng = np.random.default_rng(seed)
    groups = np.array(NATIONALITY_GROUPS)
    gi = rng.choice(len(groups), size=n, p=[p["share"][g] for g in groups])

    def per_group(name):
        return np.array([p[name][g] for g in groups])[gi]

    female = rng.random(n) < per_group("female")
    age = np.clip(np.floor(18 + rng.gamma(p["age_shape"], p["age_scale"], n)), 18, 90).astype("int64")
    u = rng.random(n)
    accompanied = u < 1 - per_group("travelled_alone")
    abroad = ~accompanied & (u < 1 - per_group("travelled_alone") + per_group("family_abroad"))
    family = accompanied | abroad
    partner = family & (rng.random(n) < np.where(female, p["partner_v"], p["partner_m"]))
    lam = np.minimum(p["child_max"], p["child_base"] + p["child_slope"] * (age - 18))
    children = np.where(family, rng.poisson(lam), 0)
    children = np.where(family & ~partner & (children == 0), 1, children)
    months = rng.integers(0, int(p["months_max"]) + 1, n)
    success = rng.random(n) < per_group("success")
    lag = rng.gamma(p["lag_shape"], p["lag_mean"] / p["lag_shape"], n)
    arrived = abroad & success & (lag <= months)
    present = accompanied | arrived
    members = partner.astype("int64") + children
    out = pd.DataFrame(
        {
            "household_id": [f"syn-{i:06d}" for i in range(1, n + 1)],
            "nationality_group": groups[gi],
            "referent_age": age,
            "referent_sex": np.where(female, "v", "m"),
            "partner_present": partner & present,
            "children_present": np.where(present, children, 0).astype("int64"),
            "family_abroad": np.where(abroad & ~arrived, members, 0).astype("int64"),
            "months_since_permit": months.astype("int64"),
            "final_size": (1 + np.where(accompanied | (abroad & success), members, 0)).astype("int64"),
        }
    )
    out.attrs.update(
        dataset="synthetic_caseload",
        status="synthetisch",
        source=f"toolkit.households.synthetic_caseload(n={n}, seed={seed}), afgestemd op gepubliceerde CBS- en IND-cijfers",
    )
    return out


def _normalise_group(value):
    key = str(value).strip().lower()
    return key if key in NATIONALITY_GROUPS else _GROUP_ALIASES.get(key)


def validate_caseload(caseload, *, source="caseload", row_base=None, require_final=False, known_codes=None):
    """Check a caseload against :data:`toolkit.schemas.CASELOAD`; return a clean copy.

    Column names may be loose (``leeftijd``, ``geslacht``, ...). Nationality
    groups are matched to :data:`NATIONALITY_GROUPS` (also Dutch and English
    country names); unknown groups become ``overig`` with a warning that names
    them.

    Raises
    ------
    ValidationError
        Naming the source, rows and columns (missing columns, bad values, or
        no known final size when ``require_final``).
    """
    out = validate_frame(caseload, CASELOAD, source=source, row_base=row_base, known_codes=known_codes)
    mapped = out["nationality_group"].map(_normalise_group)
    unknown = mapped.isna()
    if unknown.any():
        counts = out.loc[unknown, "nationality_group"].value_counts()
        listing = ", ".join(f"{k!r} ({v}x)" for k, v in counts.head(8).items())
        warnings.warn(
            f"{source}: column 'nationality_group': unknown groups {listing} mapped to 'overig'; "
            f"known groups are {list(NATIONALITY_GROUPS)}",
            UserWarning,
            stacklevel=2,
        )
    out["nationality_group"] = mapped.fillna("overig").astype(str)
    out["referent_sex"] = out["referent_sex"].astype(str)
    out["partner_present"] = out["partner_present"].astype(bool)
    if "final_size" in out.columns:
        out["final_size"] = pd.to_numeric(out["final_size"]).astype("Int64")
        cur = current_size(out)
        lower = out["final_size"].notna() & (out["final_size"] < cur)
        if lower.any():
            rows = ", ".join(str(i) if row_base is None else str(i + row_base) for i in out.index[lower][:8])
            raise ValidationError(
                f"{source}: column 'final_size': expected at least the current size "
                f"(1 + partner_present + children_present), found smaller values in rows {rows}"
            )
    if require_final and ("final_size" not in out.columns or out["final_size"].isna().all()):
        raise ValidationError(
            f"{source}: column 'final_size': expected known final household sizes to learn from, found none"
        )
    out.attrs = dict(getattr(caseload, "attrs", {}))
    return out


def current_size(caseload):
    """Current household size ``1 + partner_present + children_present`` (a Series)."""
    return (1 + caseload["partner_present"].astype("int64") + caseload["children_present"].astype("int64")).rename(
        "current_size"
    )


_SEXES = ("m", "v", "x")


def _target(c, y, max_size, who):
    if y is None:
        if "final_size" not in c.columns:
            raise ValidationError(f"{who}: column 'final_size' is missing; pass y or a caseload with final sizes")
        y = c["final_size"]
    y = np.asarray(pd.to_numeric(pd.Series(np.asarray(y)), errors="coerce"), dtype=float)
    if len(y) != len(c):
        raise ValidationError(f"{who}: y has {len(y)} values for {len(c)} households; expected one final size per household")
    y = pd.Series(y, index=c.index)
    known = y.notna()
    if not known.any():
        raise ValidationError(f"{who}: column 'final_size': expected known final household sizes, found none")
    if (y[known] < 1).any():
        raise ValidationError(f"{who}: column 'final_size': expected values of at least 1, found {sorted(y[y < 1].unique())}")
    return known.to_numpy(), np.minimum(y[known].to_numpy(), max_size).astype("int64"), y[known].to_numpy()


class HouseholdSizeModel(ClassifierMixin, BaseEstimator):
    """Predict the distribution of the final household size of referent households.

    The final size counts the referent, partner and children once
    reunification is over: ``final = current + arriving``, where ``current =
    1 + partner_present + children_present`` and ``arriving`` is the number of
    family members still to come. The model has two transparent parts:

    1. whether anyone still comes: for households with declared family abroad,
       a logistic regression on nationality group, sex and age of the
       referent, the declared number abroad, the current size and months since
       the permit (a spline, so the chance can fall as the wait grows); for
       households without declared family, the observed rate;
    2. how many come when someone comes: per declared number abroad (capped
       at ``max_size - 1``), the observed frequencies of the number that came, with
       ``prior_weight`` pseudo-households in which the whole declared family
       came (one member when none was declared).

    Classes are final sizes ``1 .. max_size``; the last means that many or more.

    Parameters
    ----------
    max_size : int
        Largest class ("this many or more").
    C : float
        Inverse regularisation strength of the logistic regression.
    n_knots : int
        Knots of the spline in months since the permit.
    prior_weight : float
        Pseudo-households of the prior in part 2.

    Attributes
    ----------
    classes_ : ndarray, final sizes 1 .. max_size
    arrival_model_ : fitted pipeline of part 1 (None when no training household had family abroad)
    undeclared_rate_ : share of households without declared family abroad where someone still came
    arriving_table_ : frame, rows declared number abroad 0..max_size-1, columns number arriving 1..max_size-1,
        probabilities given that someone comes
    baseline_ : :class:`GroupMeanBaseline` fitted on the same households
    top_class_mean_ : mean final size of the training households in the last class
    n_train_ : households with a known final size used for fitting

    Examples
    --------
    >>> c = synthetic_caseload(600, seed=2)
    >>> m = HouseholdSizeModel().fit(c)
    >>> m.predict_proba(c).shape
    (600, 8)
    """

    def __init__(self, *, max_size=8, C=10.0, n_knots=5, prior_weight=1.0):
        self.max_size = max_size
        self.C = C
        self.n_knots = n_knots
        self.prior_weight = prior_weight

    def fit(self, X, y=None):
        """Fit on a caseload; ``y`` defaults to its ``final_size`` (rows without one are skipped)."""
        if isinstance(self.max_size, bool) or not isinstance(self.max_size, (int, np.integer)) or self.max_size < 2:
            raise ValidationError(
                f"HouseholdSizeModel: 'max_size' must be a whole number of at least 2, found {self.max_size!r}"
            )
        c = validate_caseload(X, source="HouseholdSizeModel.fit")
        known, _target_capped, raw = _target(c, y, self.max_size, "HouseholdSizeModel.fit")
        c = c[known]
        cur = current_size(c).to_numpy()
        if (raw < cur).any():
            raise ValidationError(
                "HouseholdSizeModel.fit: y must be at least the current size (1 + partner_present + children_present)"
            )
        arriving = (raw - cur).astype("int64")
        declared = c["family_abroad"].to_numpy()
        pending = declared > 0
        self.classes_ = np.arange(1, self.max_size + 1)
        came = arriving > 0
        self.arrival_model_ = None
        self.arrival_constant_ = None
        if pending.any():
            if came[pending].all() or not came[pending].any():
                self.arrival_constant_ = float(came[pending].mean())
            else:
                self.arrival_model_ = _arrival_pipeline(self.C, self.n_knots).fit(
                    _arrival_features(c[pending]), came[pending]
                )
        self.undeclared_rate_ = float(came[~pending].mean()) if (~pending).any() else 0.0
        n_extra = self.max_size - 1
        table = np.zeros((n_extra + 1, n_extra))
        for k in range(n_extra + 1):
            table[k, min(max(k, 1), n_extra) - 1] += self.prior_weight
        kk = np.minimum(declared[came], n_extra)
        ee = np.minimum(arriving[came], n_extra)
        np.add.at(table, (kk, ee - 1), 1.0)
        self.arriving_table_ = pd.DataFrame(
            table / table.sum(axis=1, keepdims=True),
            index=pd.RangeIndex(0, n_extra + 1, name="declared_abroad"),
            columns=pd.RangeIndex(1, n_extra + 1, name="arriving"),
        )
        top = raw[raw >= self.max_size]
        self.top_class_mean_ = float(top.mean()) if len(top) else float(self.max_size)
        self.baseline_ = GroupMeanBaseline(max_size=self.max_size).fit(c, raw)
        self.n_train_ = int(len(c))
        return self

    def predict_arrival(self, X):
        """Probability that at least one more family member comes, per household."""
        check_is_fitted(self)
        c = validate_caseload(X, source="HouseholdSizeModel.predict")
        return self._arrival(c)

    def _arrival(self, c):
        pending = (c["family_abroad"] > 0).to_numpy()
        p = np.full(len(c), self.undeclared_rate_)
        if pending.any():
            if self.arrival_model_ is not None:
                p[pending] = self.arrival_model_.predict_proba(_arrival_features(c[pending]))[:, 1]
            elif self.arrival_constant_ is not None:
                p[pending] = self.arrival_constant_
            else:  # no training household had family abroad: the undeclared rate is all we know
                p[pending] = self.undeclared_rate_
        return p

    def predict_proba(self, X):
        """Probability of each final size (columns follow ``classes_``), one row per household."""
        check_is_fitted(self)
        c = validate_caseload(X, source="HouseholdSizeModel.predict")
        p_any = self._arrival(c)
        cur = np.minimum(current_size(c).to_numpy(), self.max_size)
        rows = np.arange(len(c))
        out = np.zeros((len(c), self.max_size))
        out[rows, cur - 1] = 1 - p_any
        n_extra = self.max_size - 1
        given = self.arriving_table_.to_numpy()[np.minimum(c["family_abroad"].to_numpy(), n_extra)]
        for e in range(1, self.max_size):
            np.add.at(out, (rows, np.minimum(cur + e, self.max_size) - 1), p_any * given[:, e - 1])
        return out

    def predict(self, X):
        """Most probable final size per household."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_mean(self, X):
        """Expected final size (the last class counts as ``top_class_mean_``)."""
        return self.predict_proba(X) @ _class_values(self.classes_, self.top_class_mean_)


def _arrival_features(c):
    return pd.DataFrame(
        {
            "nationality_group": c["nationality_group"].to_numpy(),
            "referent_sex": c["referent_sex"].to_numpy(),
            "referent_age": c["referent_age"].to_numpy(float),
            "current_size": current_size(c).to_numpy(float),
            "family_abroad": c["family_abroad"].to_numpy(float),
            "months_since_permit": c["months_since_permit"].to_numpy(float),
        }
    )


def _arrival_pipeline(C, n_knots):
    # imported here: the synthetic caseload and the size distribution, which every scenario uses, need none of them
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(categories=[list(NATIONALITY_GROUPS), list(_SEXES)], drop="first"),
             ["nationality_group", "referent_sex"]),
            ("num", StandardScaler(), ["referent_age", "current_size", "family_abroad"]),
            ("months", SplineTransformer(n_knots=n_knots, degree=3, extrapolation="linear"), ["months_since_permit"]),
        ]
    )
    return Pipeline([("features", pre), ("logit", LogisticRegression(C=C, max_iter=1000))])


def _class_values(classes, top_mean):
    v = classes.astype(float).copy()
    v[-1] = top_mean
    return v


class GroupMeanBaseline(BaseEstimator):
    """Baseline: per nationality group, the mean final size and the size frequencies.

    ``predict_mean`` gives the group's mean final size; ``predict_proba`` the
    group's relative frequencies of each size (add-``alpha`` smoothed so no
    observed size gets probability 0). Groups unseen in fitting get the
    overall figures.

    >>> c = synthetic_caseload(300, seed=3)
    >>> b = GroupMeanBaseline().fit(c)
    >>> bool(np.allclose(b.predict_proba(c).sum(axis=1), 1))
    True
    """

    def __init__(self, *, max_size=8, alpha=0.5):
        self.max_size = max_size
        self.alpha = alpha

    def fit(self, X, y=None):
        c = validate_caseload(X, source="GroupMeanBaseline.fit")
        known, target, raw = _target(c, y, self.max_size, "GroupMeanBaseline.fit")
        self.classes_ = np.arange(1, self.max_size + 1)
        groups = c.loc[known, "nationality_group"].to_numpy()
        self.means_, self.proba_ = {}, {}
        for g in [*np.unique(groups), None]:
            sel = np.ones(len(groups), bool) if g is None else groups == g
            counts = np.bincount(target[sel] - 1, minlength=self.max_size).astype(float) + self.alpha
            self.proba_[g] = counts / counts.sum()
            self.means_[g] = float(raw[sel].mean())
        return self

    def _rows(self, X):
        check_is_fitted(self)
        c = validate_caseload(X, source="GroupMeanBaseline.predict")
        return [g if g in self.means_ else None for g in c["nationality_group"]]

    def predict_proba(self, X):
        return np.array([self.proba_[g] for g in self._rows(X)])

    def predict_mean(self, X):
        return np.array([self.means_[g] for g in self._rows(X)])


def _log_loss(proba, classes, y, max_size):
    idx = np.minimum(np.asarray(y, dtype="int64"), max_size) - classes[0]
    p = proba[np.arange(len(idx)), idx]
    return -np.log(np.clip(p, 1e-15, 1))


def _evaluation_set(model, caseload, pending_only, who):
    check_is_fitted(model)
    c = validate_caseload(caseload, source=who)
    if "final_size" not in c.columns:
        raise ValidationError(f"{who}: column 'final_size' is missing; errors need known final sizes")
    keep = c["final_size"].notna()
    if pending_only:
        keep &= c["family_abroad"] > 0
    c = c[keep]
    if c.empty:
        what = "households with family abroad and a known final size" if pending_only else "households with a known final size"
        raise ValidationError(f"{who}: no {what} to evaluate")
    return c, c["final_size"].to_numpy(dtype=float)


def error_report(model, caseload, *, pending_only=True):
    """Errors of the model and of the baseline, overall, per nationality group and per sex.

    Parameters
    ----------
    model : HouseholdSizeModel (fitted); its ``baseline_`` is the baseline
    caseload : pandas.DataFrame
        Held-out households with known ``final_size``.
    pending_only : bool
        Only households with family members still abroad (the ones the
        prediction is for). Keyword-only.

    Returns
    -------
    pandas.DataFrame
        Columns dimension ('alle', 'nationality_group', 'referent_sex'),
        group, n, mean_observed, mean_predicted, mae_model, mae_baseline
        (absolute error of the expected size, persons), log_loss_model,
        log_loss_baseline (mean negative log probability of the observed
        size, nats; lower is better).
    """
    c, y = _evaluation_set(model, caseload, pending_only, "error_report")
    pm = model.predict_proba(c)
    pb = model.baseline_.predict_proba(c)
    frame = pd.DataFrame(
        {
            "nationality_group": c["nationality_group"].to_numpy(),
            "referent_sex": c["referent_sex"].to_numpy(),
            "y": y,
            "pred": pm @ _class_values(model.classes_, model.top_class_mean_),
            "ae_m": np.abs(pm @ _class_values(model.classes_, model.top_class_mean_) - y),
            "ae_b": np.abs(model.baseline_.predict_mean(c) - y),
            "ll_m": _log_loss(pm, model.classes_, y, model.max_size),
            "ll_b": _log_loss(pb, model.classes_, y, model.max_size),
        }
    )
    rows = []
    for dim, key in (("alle", None), ("nationality_group", "nationality_group"), ("referent_sex", "referent_sex")):
        parts = [("alle", frame)] if key is None else list(frame.groupby(key, sort=True))
        for group, f in parts:
            rows.append(
                {
                    "dimension": dim,
                    "group": group,
                    "n": len(f),
                    "mean_observed": f["y"].mean(),
                    "mean_predicted": f["pred"].mean(),
                    "mae_model": f["ae_m"].mean(),
                    "mae_baseline": f["ae_b"].mean(),
                    "log_loss_model": f["ll_m"].mean(),
                    "log_loss_baseline": f["ll_b"].mean(),
                }
            )
    out = pd.DataFrame(rows)
    out.attrs.update(status=caseload.attrs.get("status", ""), pending_only=pending_only)
    return out


def reliability_table(model, caseload, *, n_bins=10, pending_only=True):
    """Predicted probability against observed frequency, in bins of predicted probability.

    Every (household, size) pair is one prediction "this household ends with
    this size" with its probability; pairs are binned by probability.

    Returns
    -------
    pandas.DataFrame
        Columns bin_lo, bin_hi, n (pairs), mean_predicted, observed (share of
        pairs that came true) and se (binomial standard error of ``observed``
        if the model were calibrated: ``sqrt(p (1 - p) / n)``). Empty bins are
        left out.
    """
    c, y = _evaluation_set(model, caseload, pending_only, "reliability_table")
    p = model.predict_proba(c)
    hit = np.minimum(y, model.max_size)[:, None] == model.classes_[None, :]
    p, hit = p.ravel(), hit.ravel()
    edges = np.linspace(0, 1, n_bins + 1)
    b = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
    rows = []
    for k in range(n_bins):
        sel = b == k
        if not sel.any():
            continue
        mp = p[sel].mean()
        rows.append(
            {
                "bin_lo": edges[k],
                "bin_hi": edges[k + 1],
                "n": int(sel.sum()),
                "mean_predicted": mp,
                "observed": hit[sel].mean(),
                "se": math.sqrt(max(mp * (1 - mp), 1e-12) / sel.sum()),
            }
        )
    return pd.DataFrame(rows)


def calibration_by_size(model, caseload, *, pending_only=True):
    """Expected against observed number of households per final size.

    Returns
    -------
    pandas.DataFrame
        Columns final_size (the last one means "or more"), expected (sum of
        the model's probabilities), expected_baseline, observed (households).
    """
    c, y = _evaluation_set(model, caseload, pending_only, "calibration_by_size")
    observed = np.bincount(np.minimum(y, model.max_size).astype("int64") - 1, minlength=model.max_size)
    labels = [str(k) for k in model.classes_[:-1]] + [f"{model.classes_[-1]}+"]
    return pd.DataFrame(
        {
            "final_size": labels,
            "expected": model.predict_proba(c).sum(axis=0),
            "expected_baseline": model.baseline_.predict_proba(c).sum(axis=0),
            "observed": observed,
        }
    )


def final_size_distribution(model=None, caseload=None, *, n=20000, seed=0):
    """Share of households by final size, as a Series indexed by size 1, 2, ...

    With ``model`` and ``caseload``: the mean of the model's predicted
    distributions over the caseload (households whose final size is known
    count with that size). Without them: the observed final sizes of a
    synthetic caseload of ``n`` households (status ``synthetisch``). In both
    cases the last size means "this many or more" (``attrs['open_top']``;
    ``attrs['top_mean']`` is the mean size of those households).

    >>> d = final_size_distribution(n=2000)
    >>> round(float(d.sum()), 6), d.attrs["status"]
    (1.0, 'synthetisch')
    """
    if (model is None) != (caseload is None):
        raise ValidationError("final_size_distribution: pass both 'model' and 'caseload', or neither")
    if model is None:
        c = synthetic_caseload(n, seed=seed)
        max_size = HouseholdSizeModel().max_size
        counts = np.bincount(np.minimum(c["final_size"], max_size) - 1, minlength=max_size)
        out = pd.Series(counts / counts.sum(), index=pd.RangeIndex(1, max_size + 1, name="size"), name="share")
        top = c.loc[c["final_size"] >= max_size, "final_size"]
        out.attrs.update(
            status="synthetisch", source=c.attrs["source"], open_top=True,
            top_mean=float(top.mean()) if len(top) else float(max_size),
        )
        return out
    check_is_fitted(model)
    c = validate_caseload(caseload, source="final_size_distribution")
    p = model.predict_proba(c)
    if "final_size" in c.columns:
        known = c["final_size"].notna().to_numpy()
        idx = np.minimum(c.loc[known, "final_size"].to_numpy("int64"), model.max_size) - 1
        p[known] = 0.0
        p[np.flatnonzero(known), idx] = 1.0
    out = pd.Series(p.mean(axis=0), index=pd.RangeIndex(1, model.max_size + 1, name="size"), name="share")
    status = "synthetisch" if caseload.attrs.get("status") == "synthetisch" else "schatting"
    out.attrs.update(
        status=status, source="HouseholdSizeModel over de caseload", open_top=True, top_mean=model.top_class_mean_
    )
    return out
