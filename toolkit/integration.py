"""Integration from day one: a monthly cohort (stock-flow) model of permit holders.

Each month a cohort of adult permit holders (18+) arrives in a municipality.
The model follows every cohort month by month along three *dimensions*; within
a dimension the states are **exclusive** and add up to the cohort, so totals
are conserved month by month in each dimension. Across dimensions the states
overlap (someone can be in reception, in a language programme and doing
volunteer work at once):

========== ================================================================
dimension  states (output columns)
========== ================================================================
location   ``in_reception`` (waiting in an AZC), ``housed``
track      ``not_started``, ``exempt`` (never obliged), ``language`` (in the
           integration track while still in reception: the "dag 1" language
           programme), ``inburgering`` (in the track and housed),
           ``completed``
activity   ``no_activity``, ``volunteering`` (unpaid, not yet paid work),
           ``paid_work``
========== ================================================================

The cohort is adults (18+); the CBS employment figures used for calibration
are for ages 18-65 (the few permit holders over 65 are not separated).
``participating`` = volunteering + paid_work. Paid work is absorbing and
volunteers leave volunteering only for paid work, so ``participating`` is the
share that has ever started volunteering or work (an upper bound on the
volunteering stock; drop-out is not modelled).

Transitions are monthly probabilities that depend only on the months since
the permit (``m``), so one per-adult trajectory ``S(m)`` serves every cohort
and a municipality's stock in month ``t`` is ``sum_a adults(a) * S(t - a)``.
Within a month the location step comes first (housed with
``housing_rate``), then the track (completion with ``complete_rate``, then
the start of the track with ``start_rate`` for those eligible: housed, or
anyone when ``start_in_reception``, from ``start_month`` on), then activity:
from no activity to volunteering with ``volunteer_rate`` (while
``m < volunteer_until_month``) and to paid work
with the band rate of ``work_rates``, both multiplied by the track multiplier
(not started/exempt 1, ``track_multiplier`` in the track,
``completed_multiplier`` after it), by ``buddy_multiplier`` while a buddy is
active (``m < buddy_months``, for the ``buddy_share`` of households that have
one) and by ``guidance_multiplier`` for started adults while
``m < guidance_until_month``; volunteers move to paid work at the work rate
times ``volunteer_to_work_multiplier``.

Because every multiplier is at least 1 and the track only moves forward, an
earlier start (smaller ``start_month``, larger ``start_rate``, or
``start_in_reception``) never gives lower participation or paid work in any
month when all else is equal. :class:`Scenario` rejects parameters that
would break that ordering or let a cohort exceed 100 %.

The default parameters, their units, sources and status (``gepubliceerd``,
``schatting`` or ``aanname``) are in :func:`parameter_table`; the work rates
are calibrated so that the current route reproduces the CBS employment shares
of the 2014 cohort (:func:`calibration_table`).
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._validate import normalise_code

__all__ = [
    "Scenario",
    "CURRENT",
    "PILOT",
    "MAX_MONTHS",
    "CBS_WORK_TARGETS",
    "scenario",
    "parameter_table",
    "cohort_curves",
    "calibrate",
    "calibration_table",
    "participation_at",
    "cohorts_from_targets",
    "project",
    "compare",
    "pilot_needs",
    "region_total",
    "start_locations",
]

#: The CBS cohort figures reach 9 years (108 months) after the permit.
MAX_MONTHS = 108

#: Share of adult permit holders (18-65) of the 2014 cohort with work, by
#: months since the permit (FACTS.md §10).
CBS_WORK_TARGETS = pd.DataFrame(
    [
        (18, 0.04, "CBS cohort 2014, 1,5 jaar (cbs.nl nieuws 2018/16)"),
        (24, 0.06, "CBS cohort 2014, 2 jaar (nd.nl, april 2021)"),
        (30, 0.11, "CBS cohort 2014, 2,5 jaar (cbs.nl nieuws 2018/16)"),
        (36, 0.19, "CBS cohort 2014, 3 jaar (CBS 2025, via hartvannederland.nl)"),
        (72, 0.43, "CBS cohort 2014, ca. 6 jaar (nd.nl 2021)"),
        (96, 0.45, "CBS cohort 2014, medio 2022 (cbs.nl nieuws 2023/15)"),
        (108, 0.47, "CBS cohort 2014, 9 jaar, werk als hoofdinkomen (CBS 2025)"),
    ],
    columns=["month", "work_share", "source"],
)

#: SCP: 12 % of Syrian permit holders combine a language course with volunteer work.
VOLUNTEER_TARGET = (24, 0.12)

# name: (Dutch label, unit, source, status)
_INFO = {
    "housing_rate": (
        "kans per maand om van het azc naar een woning te gaan",
        "kans/maand",
        "Little: wachtenden in opvang / uitstroom per maand; >12.000 (aug 2015), >16.000 (mrt 2017), "
        "ca. 8.000 (mrt 2018) tegen taakstelling 14.900, 13.000, 13.000 per halfjaar (COA, FACTS §3, §11): "
        "4-7 maanden wachten, gemiddeld ca. 5",
        "schatting",
    ),
    "exempt_share": (
        "aandeel vrijgesteld van inburgering",
        "aandeel",
        "Algemene Rekenkamer (jan 2017): 33 % geslaagd binnen termijn, de helft niet, de rest vrijgesteld: "
        "100 - 33 - 50 = 17 %",
        "schatting",
    ),
    "start_in_reception": ("traject start al in de opvang", "ja/nee", "ontwerp van de route", "aanname"),
    "start_month": ("eerste maand na vergunning waarin het traject kan starten", "maand", "ontwerp van de route", "aanname"),
    "start_rate": (
        "kans per maand om te starten zodra dat kan",
        "kans/maand",
        "huidige route: start gemiddeld ca. 3 maanden na huisvesting (geen bron gevonden)",
        "aanname",
    ),
    "complete_rate": (
        "kans per maand om het traject af te ronden",
        "kans/maand",
        "1 / 32,5: gemiddelde inburgeringsduur 32-33 maanden (U16-monitor, utrecht.nl 2019)",
        "schatting",
    ),
    "work_rates": (
        "basiskans per maand op betaald werk, per periode na vergunning",
        "kans/maand",
        "gekalibreerd op CBS cohort 2014 (18-65 jaar): 4 % werk na 1,5 jaar, 6 % na 2, 11 % na 2,5, 19 % na 3, "
        "43 % na ca. 6, 45 % medio 2022 (ca. 8), 47 % na 9 jaar (werk als hoofdinkomen); zie CBS_WORK_TARGETS",
        "schatting",
    ),
    "volunteer_rate": (
        "basiskans per maand op vrijwilligerswerk",
        "kans/maand",
        "gekalibreerd op SCP: 12 % van de Syrische statushouders combineert taalles met vrijwilligerswerk "
        "(hier: 12 % vrijwilliger na 2 jaar)",
        "schatting",
    ),
    "volunteer_until_month": (
        "vrijwilligerswerk begint binnen deze maand na vergunning",
        "maand",
        "geen bron gevonden",
        "aanname",
    ),
    "track_multiplier": ("factor op werk/vrijwilligerswerk tijdens het traject", "factor", "geen bron gevonden", "aanname"),
    "completed_multiplier": ("factor op werk/vrijwilligerswerk na het traject", "factor", "geen bron gevonden", "aanname"),
    "volunteer_to_work_multiplier": (
        "factor op de kans op werk voor vrijwilligers",
        "factor",
        "geen bron gevonden",
        "aanname",
    ),
    "buddy_share": ("aandeel huishoudens met een buddy", "aandeel", "ontwerp van de pilot", "aanname"),
    "buddy_ratio": ("buddies (vrijwilligers) per huishouden met buddy", "personen/huishouden", "ontwerp van de pilot", "aanname"),
    "buddy_months": ("duur van de buddykoppeling vanaf de vergunning", "maanden", "ontwerp van de pilot", "aanname"),
    "buddy_multiplier": ("factor op werk/vrijwilligerswerk met een buddy", "factor", "geen bron gevonden", "aanname"),
    "guidance_until_month": (
        "begeleid traject tot deze maand na vergunning",
        "maand",
        "collegedag: twee jaar begeleiding vanaf dag 1",
        "aanname",
    ),
    "guidance_multiplier": ("factor op werk/vrijwilligerswerk tijdens begeleiding", "factor", "geen bron gevonden", "aanname"),
    "coaching_hours": ("coachuren per begeleide volwassene per maand", "uur/maand", "ontwerp van de pilot", "aanname"),
    "adult_share": (
        "aandeel volwassenen (18+) als 'adults' ontbreekt",
        "aandeel",
        "CBS (feb 2016): ca. 40 % van de Syrische statushouders is jonger dan 18",
        "schatting",
    ),
    "persons_per_household": (
        "personen per huishouden als 'households' ontbreekt",
        "personen",
        "gemiddelde huishoudgrootte van statushouders niet gevonden",
        "aanname",
    ),
}

_PROBABILITIES = ("housing_rate", "exempt_share", "start_rate", "complete_rate", "volunteer_rate", "buddy_share", "adult_share")
_MULTIPLIERS = ("track_multiplier", "completed_multiplier", "volunteer_to_work_multiplier", "buddy_multiplier", "guidance_multiplier")
_MONTHS = ("start_month", "volunteer_until_month", "buddy_months", "guidance_until_month")


def _is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and np.isfinite(x)


@dataclass(frozen=True)
class Scenario:
    """Parameters of one integration route; see :func:`parameter_table` for sources.

    Probabilities are per month; ``work_rates`` is a tuple of
    ``(from_month, rate)`` bands starting at month 0. Construct variants with
    :func:`scenario` (``scenario("dag1", buddy_share=0.5)``), which also
    reports unknown parameter names. Invalid values raise
    :class:`~toolkit.ValidationError`.
    """

    name: str = "huidige route"
    housing_rate: float = 0.2
    exempt_share: float = 0.17
    start_in_reception: bool = False
    start_month: int = 0
    start_rate: float = 0.33
    complete_rate: float = 0.031
    # calibrate(Scenario()) rounded to 4 decimals (see calibration_table)
    work_rates: tuple = ((0, 0.0017), (18, 0.0021), (24, 0.0053), (30, 0.0088), (36, 0.0052), (72, 0.0008), (96, 0.0016))
    volunteer_rate: float = 0.0042
    volunteer_until_month: int = 36
    track_multiplier: float = 1.5
    completed_multiplier: float = 2.0
    volunteer_to_work_multiplier: float = 1.5
    buddy_share: float = 0.0
    buddy_ratio: float = 1.0
    buddy_months: int = 12
    buddy_multiplier: float = 1.25
    guidance_until_month: int = 0
    guidance_multiplier: float = 1.25
    coaching_hours: float = 4.0
    adult_share: float = 0.6
    persons_per_household: float = 2.0

    def __post_init__(self):
        problems = []
        for n in _PROBABILITIES:
            v = getattr(self, n)
            if not _is_number(v) or not 0 <= v <= 1:
                problems.append(f"{n!r} must be a probability between 0 and 1, got {v!r}")
        for n in _MULTIPLIERS:
            v = getattr(self, n)
            if not _is_number(v) or v < 1:
                problems.append(f"{n!r} must be a number of at least 1 (a factor that never lowers a rate), got {v!r}")
        for n in _MONTHS:
            v = getattr(self, n)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not 0 <= v <= MAX_MONTHS:
                problems.append(f"{n!r} must be a whole number of months between 0 and {MAX_MONTHS}, got {v!r}")
        for n in ("buddy_ratio", "coaching_hours"):
            v = getattr(self, n)
            if not _is_number(v) or v < 0:
                problems.append(f"{n!r} must be a non-negative number, got {v!r}")
        if not _is_number(self.persons_per_household) or self.persons_per_household < 1:
            problems.append(f"'persons_per_household' must be at least 1, got {self.persons_per_household!r}")
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append(f"'name' must be a non-empty text, got {self.name!r}")
        if not isinstance(self.start_in_reception, (bool, np.bool_)):
            problems.append(f"'start_in_reception' must be True or False, got {self.start_in_reception!r}")
        if _is_number(self.track_multiplier) and _is_number(self.completed_multiplier):
            if self.completed_multiplier < self.track_multiplier:
                problems.append(
                    f"'completed_multiplier' ({self.completed_multiplier!r}) must be at least 'track_multiplier' "
                    f"({self.track_multiplier!r}): progress in the track never lowers the chance of work"
                )
        problems += _check_bands(self.work_rates)
        if problems:
            raise ValidationError(
                f"Scenario {self.name!r}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems), problems
            )
        # the largest monthly outflow from 'no activity' must not exceed 100 % of the cohort
        top = self.completed_multiplier * self.buddy_multiplier * self.guidance_multiplier
        for start, rate in self.work_rates:
            worst = (rate + self.volunteer_rate) * top
            to_work = rate * self.volunteer_to_work_multiplier * top
            if worst > 1 or to_work > 1:
                raise ValidationError(
                    f"Scenario {self.name!r}: from month {start} the monthly chance of leaving 'no activity' "
                    f"reaches ({rate:g} + {self.volunteer_rate:g}) x {top:g} = {worst:.3g} and of volunteers "
                    f"moving to work {to_work:.3g}; a cohort cannot move more than 100 % in a month. "
                    "Lower the rates or the multipliers."
                )

    def work_rate(self, m):
        """Base monthly work probability in month ``m`` since the permit."""
        rate = 0.0
        for start, r in self.work_rates:
            if m >= start:
                rate = r
        return rate


def _check_bands(bands):
    if not isinstance(bands, (tuple, list)) or len(bands) == 0:
        return [f"'work_rates' must be a non-empty tuple of (from_month, rate) pairs, got {bands!r}"]
    problems = []
    starts = []
    for b in bands:
        if not isinstance(b, (tuple, list)) or len(b) != 2:
            problems.append(f"'work_rates' entries must be (from_month, rate) pairs, got {b!r}")
            continue
        start, rate = b
        if not isinstance(start, (int, np.integer)) or isinstance(start, bool) or start < 0:
            problems.append(f"'work_rates': from_month must be a whole number >= 0, got {start!r}")
        if not _is_number(rate) or not 0 <= rate <= 1:
            problems.append(f"'work_rates': rate from month {start!r} must be a probability between 0 and 1, got {rate!r}")
        starts.append(start)
    if not problems and (starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:]))):
        problems.append(f"'work_rates': from_month must start at 0 and increase, got {starts}")
    return problems


#: The current route: housing first, the track starts after housing, no buddy, no guidance.
CURRENT = Scenario()

#: The "dag 1" pilot: the track starts in reception, every household gets a buddy
#: for a year, two years of guidance from the permit.
PILOT = dataclasses.replace(
    CURRENT,
    name="pilot dag 1",
    start_in_reception=True,
    start_month=0,
    start_rate=0.8,
    buddy_share=1.0,
    guidance_until_month=24,
)

_PRESETS = {"huidig": CURRENT, "huidige route": CURRENT, "current": CURRENT, "dag1": PILOT, "pilot": PILOT, "pilot dag 1": PILOT}


def scenario(base="huidig", /, **changes):
    """Return a scenario: a preset (``"huidig"`` or ``"dag1"``) with some parameters changed.

    Unknown parameter names and invalid values raise
    :class:`~toolkit.ValidationError`.

    >>> scenario("dag1", buddy_share=0.5).buddy_share
    0.5
    """
    if isinstance(base, Scenario):
        preset = base
    elif isinstance(base, str) and base.strip().lower() in _PRESETS:
        preset = _PRESETS[base.strip().lower()]
    else:
        raise ValidationError(f"scenario: unknown base {base!r}; expected 'huidig', 'dag1' or a Scenario")
    names = [f.name for f in dataclasses.fields(Scenario)]
    unknown = sorted(set(changes) - set(names))
    if unknown:
        raise ValidationError(f"scenario: unknown parameter(s) {unknown}; valid names are {names}")
    if "work_rates" in changes and isinstance(changes["work_rates"], list):
        changes["work_rates"] = tuple(tuple(b) if isinstance(b, list) else b for b in changes["work_rates"])
    return dataclasses.replace(preset, **changes)


def _fmt(value):
    """Parameter value as Dutch text (decimal comma)."""
    if isinstance(value, tuple):
        return "; ".join(f"vanaf {s}: {_fmt(r)}" for s, r in value)
    if isinstance(value, (bool, np.bool_)):
        return "ja" if value else "nee"
    return f"{value:g}".replace(".", ",") if isinstance(value, numbers.Real) else str(value)


def parameter_table(scenarios=(CURRENT, PILOT)):
    """Every parameter with its value per scenario, unit, source and status.

    Returns
    -------
    pandas.DataFrame
        Columns name, label (Dutch), one column per scenario name (values as
        text), unit, source, status (``gepubliceerd``, ``schatting`` or
        ``aanname``).

    >>> t = parameter_table()
    >>> t.set_index("name").loc["exempt_share", "status"]
    'schatting'
    """
    rows = []
    for name, (label, unit, source, status) in _INFO.items():
        row = {"name": name, "label": label}
        for s in scenarios:
            row[s.name] = _fmt(getattr(s, name))
        row.update(unit=unit, source=source, status=status)
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the chain
# state array v[loc, track, activity]: loc 0 in reception, 1 housed; track 0 not
# started, 1 exempt, 2 in the track, 3 completed; activity 0 none, 1
# volunteering, 2 paid work
_STATE_COLUMNS = ("in_reception", "housed", "not_started", "exempt", "language", "inburgering", "completed",
                  "no_activity", "volunteering", "paid_work", "participating", "guided")


def _step(v, m, s, buddy):
    v = v.copy()
    # location
    moved = s.housing_rate * v[0]
    v[0] -= moved
    v[1] += moved
    # track: completion first, then start for those eligible
    done = s.complete_rate * v[:, 2]
    v[:, 2] -= done
    v[:, 3] += done
    if m >= s.start_month:
        locs = (0, 1) if s.start_in_reception else (1,)
        for loc in locs:
            start = s.start_rate * v[loc, 0]
            v[loc, 0] -= start
            v[loc, 2] += start
    # activity
    base = s.work_rate(m)
    extra = s.buddy_multiplier if (buddy and m < s.buddy_months) else 1.0
    guide = s.guidance_multiplier if m < s.guidance_until_month else 1.0
    mult = np.array([1.0, 1.0, s.track_multiplier * guide, s.completed_multiplier * guide]) * extra
    to_work = (base * mult)[None, :] * v[:, :, 0]
    vol_rate = s.volunteer_rate if m < s.volunteer_until_month else 0.0
    to_vol = (vol_rate * mult)[None, :] * v[:, :, 0]
    vol_work = (base * s.volunteer_to_work_multiplier * mult)[None, :] * v[:, :, 1]
    v[:, :, 0] -= to_work + to_vol
    v[:, :, 1] += to_vol - vol_work
    v[:, :, 2] += to_work + vol_work
    return v


def _trajectory(s, months, buddy):
    v = np.zeros((2, 4, 3))
    v[0, 0, 0] = 1 - s.exempt_share
    v[0, 1, 0] = s.exempt_share
    out = [v]
    for m in range(months):
        v = _step(v, m, s, buddy)
        out.append(v)
    return np.stack(out)


def _shares(traj, s):
    loc = traj.sum(axis=(2, 3))
    track = traj.sum(axis=(1, 3))
    act = traj.sum(axis=(1, 2))
    m = np.arange(len(traj))
    started = track[:, 2] + track[:, 3]
    return pd.DataFrame(
        {
            "in_reception": loc[:, 0],
            "housed": loc[:, 1],
            "not_started": track[:, 0],
            "exempt": track[:, 1],
            "language": traj[:, 0, 2].sum(axis=1),
            "inburgering": traj[:, 1, 2].sum(axis=1),
            "completed": track[:, 3],
            "no_activity": act[:, 0],
            "volunteering": act[:, 1],
            "paid_work": act[:, 2],
            "participating": act[:, 1] + act[:, 2],
            "guided": np.where(m < s.guidance_until_month, started, 0.0),
        }
    )


def cohort_curves(s=CURRENT, *, months=MAX_MONTHS):
    """Shares of one cohort of adults in each state, by months since the permit.

    Parameters
    ----------
    s : Scenario
    months : int
        Last month since the permit (at most :data:`MAX_MONTHS`, where the
        CBS cohort figures end).

    Returns
    -------
    pandas.DataFrame
        Columns month (0 = the month of the permit) and the state shares
        in_reception, housed, not_started, exempt, language, inburgering,
        completed, no_activity, volunteering, paid_work, participating,
        guided (started adults within the guided period). Each dimension
        adds up to 1 in every month.

    >>> c = cohort_curves(months=12)
    >>> bool(((c["in_reception"] + c["housed"]) - 1).abs().max() < 1e-12)
    True
    """
    if not isinstance(s, Scenario):
        raise ValidationError(f"cohort_curves: expected a Scenario, got {type(s).__name__}")
    _check_months("cohort_curves", "months", months)
    with_b = _shares(_trajectory(s, months, True), s)
    without = _shares(_trajectory(s, months, False), s)
    out = with_b * s.buddy_share + without * (1 - s.buddy_share)
    out.insert(0, "month", np.arange(months + 1))
    out.attrs.update(scenario=s.name, status="schatting", source="toolkit.integration (parameters: parameter_table())")
    return out


def _check_months(where, name, months, limit=MAX_MONTHS):
    if not isinstance(months, (int, np.integer)) or isinstance(months, bool) or months < 1:
        raise ValidationError(f"{where}: {name!r} must be a whole number of months of at least 1, got {months!r}")
    if months > limit:
        raise ValidationError(
            f"{where}: {name!r} = {months} months is beyond the data; the CBS cohort figures the model is "
            f"calibrated on reach {MAX_MONTHS} months (9 years) after the permit, so at most {limit}"
        )


# ---------------------------------------------------------------- calibration
def calibrate(s=CURRENT, *, targets=None, volunteer_target=VOLUNTEER_TARGET, rounds=4):
    """Fit the work rates and the volunteer rate of ``s`` to published shares.

    Each band of ``work_rates`` starts at the previous target month; its rate
    is found by bisection so that the paid-work share at the band's target
    month matches (bands in turn), then the volunteer rate is fitted to
    ``volunteer_target`` (month, share); this is repeated ``rounds`` times.

    Parameters
    ----------
    s : Scenario
        The route the figures describe (the current route).
    targets : pandas.DataFrame, optional
        Columns month, work_share; default :data:`CBS_WORK_TARGETS`.

    Returns
    -------
    Scenario
        ``s`` with fitted ``work_rates`` and ``volunteer_rate``.
    """
    targets = CBS_WORK_TARGETS if targets is None else targets
    months = [int(m) for m in targets["month"]]
    shares = [float(x) for x in targets["work_share"]]
    horizon = max(months + [volunteer_target[0]])
    starts = [0] + months[:-1]
    cap = 1.0 / (s.completed_multiplier * s.buddy_multiplier * s.guidance_multiplier * s.volunteer_to_work_multiplier)

    def share(sc, col, month):
        return cohort_curves(sc, months=horizon)[col].iloc[month]

    def bisect(f, lo, hi, goal):
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) < goal else (lo, mid)
        return (lo + hi) / 2

    rates = [r for _, r in s.work_rates][: len(starts)] + [0.0] * max(0, len(starts) - len(s.work_rates))
    vol = s.volunteer_rate
    for _ in range(rounds):
        for i, (month, goal) in enumerate(zip(months, shares)):

            def f(r, i=i, month=month):
                trial = rates[:i] + [r] + rates[i + 1 :]
                sc = dataclasses.replace(s, work_rates=tuple(zip(starts, trial)), volunteer_rate=vol)
                return share(sc, "paid_work", month)

            rates[i] = bisect(f, 0.0, cap / 2, goal)
        work = tuple(zip(starts, rates))
        vm, vgoal = volunteer_target
        vol = bisect(lambda r: share(dataclasses.replace(s, work_rates=work, volunteer_rate=r), "volunteering", vm), 0.0, cap / 2, vgoal)
    return dataclasses.replace(s, work_rates=tuple(zip(starts, rates)), volunteer_rate=vol)


def calibration_table(s=CURRENT):
    """Model shares of the current route next to the published figures.

    Returns
    -------
    pandas.DataFrame
        Columns month, figure ('betaald werk' / 'vrijwilligerswerk'),
        published, model, difference (model - published, share points),
        source.
    """
    curves = cohort_curves(s, months=MAX_MONTHS)
    rows = [
        {"month": int(r.month), "figure": "betaald werk", "published": r.work_share,
         "model": curves["paid_work"].iloc[int(r.month)], "source": r.source}
        for r in CBS_WORK_TARGETS.itertuples()
    ]
    vm, vshare = VOLUNTEER_TARGET
    rows.append({"month": vm, "figure": "vrijwilligerswerk", "published": vshare, "model": curves["volunteering"].iloc[vm],
                 "source": "SCP: 12 % van de Syrische statushouders combineert taalles met vrijwilligerswerk"})
    out = pd.DataFrame(rows)
    out["difference"] = out["model"] - out["published"]
    return out[["month", "figure", "published", "model", "difference", "source"]]


def participation_at(scenarios=(CURRENT, PILOT), *, years=(1, 2, 5), column="participating"):
    """Share of a cohort in ``column`` after whole years, per scenario, and the difference.

    Returns
    -------
    pandas.DataFrame
        Columns years, month, one column per scenario name, and
        ``verschil`` (last scenario minus first, in share points).

    >>> t = participation_at(years=(1,))
    >>> bool(t["verschil"].iloc[0] > 0)
    True
    """
    if column not in _STATE_COLUMNS:
        raise ValidationError(f"participation_at: unknown column {column!r}; expected one of {list(_STATE_COLUMNS)}")
    months = []
    for y in years:
        if not _is_number(y) or y <= 0 or float(y * 12) != int(y * 12):
            raise ValidationError(f"participation_at: years must be positive numbers of whole months, got {y!r}")
        months.append(int(y * 12))
    _check_months("participation_at", "years", max(months))
    out = pd.DataFrame({"years": list(years), "month": months})
    for s in scenarios:
        out[s.name] = cohort_curves(s, months=max(months))[column].iloc[months].to_numpy()
    out["verschil"] = out[scenarios[-1].name] - out[scenarios[0].name]
    return out


# ---------------------------------------------------------------- arrivals
def _half_year_months(period):
    text = str(period).strip()
    try:
        year, half = text.split("-")
        year = int(year)
    except ValueError:
        return None
    first = {"I": 1, "II": 7}.get(half.upper())
    if first is None:
        return None
    return pd.period_range(pd.Period(year=year, month=first, freq="M"), periods=6, freq="M")


def cohorts_from_targets(targets, *, s=CURRENT):
    """Monthly arrivals per municipality from half-year taakstelling targets.

    Each half year's target (persons, the float ``target`` column of
    :func:`toolkit.taakstelling.municipal_targets`) is spread evenly over
    its six months: a municipality with 60 persons in 2016-II gets 10 in
    each month July-December 2016. The arrivals are treated as the month of
    the permit. Adults and households follow from ``s.adult_share`` and
    ``s.persons_per_household``.

    Parameters
    ----------
    targets : pandas.DataFrame
        Columns period (``"2016-II"``), code, target.

    Returns
    -------
    pandas.DataFrame
        Columns code, month (pandas Period, monthly), persons, adults,
        households.

    >>> t = pd.DataFrame({"period": ["2016-II"], "code": ["GM0344"], "target": [60.0]})
    >>> cohorts_from_targets(t)["persons"].tolist()
    [10.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    """
    if not isinstance(targets, pd.DataFrame) or not {"period", "code", "target"} <= set(targets.columns):
        found = list(targets.columns) if isinstance(targets, pd.DataFrame) else type(targets).__name__
        raise ValidationError(
            f"cohorts_from_targets: expected the output of municipal_targets with columns "
            f"['period', 'code', 'target'], found {found}"
        )
    rows = []
    bad = []
    for i, r in targets.iterrows():
        months = _half_year_months(r["period"])
        if months is None:
            bad.append(f"{r['period']!r} at index {i!r}")
            continue
        for mth in months:
            rows.append((r["code"], mth, float(r["target"]) / 6))
    if bad:
        raise ValidationError(
            "cohorts_from_targets: column 'period' must hold half years like '2016-II', found " + ", ".join(bad[:8])
        )
    out = pd.DataFrame(rows, columns=["code", "month", "persons"])
    out = out.groupby(["code", "month"], as_index=False, sort=True)["persons"].sum()
    out["adults"] = out["persons"] * s.adult_share
    out["households"] = out["persons"] / s.persons_per_household
    return _validate_arrivals(out, source="cohorts_from_targets", s=s)


def _known_codes():
    from .data import load_municipalities

    return set(load_municipalities()["code"])


def _validate_arrivals(arrivals, *, source, s, known_codes=None):
    if not isinstance(arrivals, pd.DataFrame):
        raise ValidationError(f"{source}: expected a frame with columns code, month, persons; got {type(arrivals).__name__}")
    missing = [c for c in ("code", "month", "persons") if c not in arrivals.columns]
    if missing or arrivals.empty:
        raise ValidationError(
            f"{source}: expected columns ['code', 'month', 'persons'] (optional 'adults', 'households') "
            f"with at least one row, found {list(arrivals.columns)} and {len(arrivals)} rows"
        )
    known = _known_codes() if known_codes is None else {normalise_code(c) for c in known_codes}
    problems = []
    out = arrivals.copy()
    codes = []
    for i, c in out["code"].items():
        try:
            code = normalise_code(c)
        except ValueError:
            problems.append(f"row {i!r}, column 'code': expected a CBS code like 'GM0344', found {c!r}")
            code = None
        else:
            if code not in known:
                problems.append(
                    f"row {i!r}, column 'code': unknown municipality code {code!r}; known codes: {sorted(known)}"
                )
        codes.append(code)
    out["code"] = codes
    months = []
    for i, v in out["month"].items():
        try:
            month = v.asfreq("M") if isinstance(v, pd.Period) else pd.Period(str(v), freq="M")
        except (ValueError, TypeError):
            month = None
        if month is None or pd.isna(month):
            problems.append(f"row {i!r}, column 'month': expected a month like '2016-07', found {v!r}")
            month = None
        months.append(month)
    out["month"] = months
    for col in ("persons", "adults", "households"):
        if col not in out.columns:
            continue
        num = pd.to_numeric(out[col], errors="coerce")
        for i in out.index[num.isna() | (num < 0)]:
            problems.append(f"row {i!r}, column {col!r}: expected a number >= 0, found {out.loc[i, col]!r}")
        out[col] = num.astype(float)
    if not problems:
        for col in ("adults", "households"):
            if col in out.columns:
                for i in out.index[out[col] > out["persons"] + 1e-9]:
                    problems.append(
                        f"row {i!r}, column {col!r}: {out.loc[i, col]:g} is more than the {out.loc[i, 'persons']:g} persons"
                    )
        dup = out.duplicated(["code", "month"], keep=False)
        if dup.any():
            problems.append(f"rows {list(out.index[dup])[:8]}: each (code, month) once; sum duplicates first")
    if problems:
        raise ValidationError(f"{source}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems[:20]), problems)
    if "adults" not in out.columns:
        out["adults"] = out["persons"] * s.adult_share
    if "households" not in out.columns:
        out["households"] = out["persons"] / s.persons_per_household
    return out[["code", "month", "persons", "adults", "households"]].reset_index(drop=True)


def _check_gaps(arr, where):
    problems = []
    for code, g in arr.groupby("code", sort=True):
        have = set(g["month"])
        span = pd.period_range(min(have), max(have), freq="M")
        missing = [str(m) for m in span if m not in have]
        if missing:
            shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
            problems.append(f"{code}: no row for {shown}")
    if problems:
        raise ValidationError(
            f"{where}: months missing between the first and last arrival ({'; '.join(problems)}); the toolkit does "
            "not fill gaps silently: add rows with persons 0 where nobody arrived, or pass allow_gaps=True",
            problems,
        )


def project(arrivals, s=CURRENT, *, horizon_months=60, known_codes=None, allow_gaps=False):
    """Project the integration states per municipality and month.

    Parameters
    ----------
    arrivals : pandas.DataFrame
        Permit holders per municipality and month of the permit: columns
        code, month (Period or ``'YYYY-MM'``), persons, optional adults and
        households (else from ``s.adult_share`` and
        ``s.persons_per_household``). Build it with
        :func:`cohorts_from_targets`.
    s : Scenario
    horizon_months : int
        Months projected from the first arrival month (keyword-only; at most
        :data:`MAX_MONTHS`, where the CBS cohort figures end). Arrivals must
        fall within the horizon.
    known_codes : collection of str, optional
        Valid municipality codes; default the shipped municipalities.
    allow_gaps : bool
        Treat months missing between a municipality's first and last
        arrival as months without arrivals (default: raise, so a gap in the
        data is never filled silently).

    Returns
    -------
    pandas.DataFrame
        One row per code and month: code, month, scenario, new_persons,
        new_adults, new_households, persons, adults, households (cumulative
        since the first month), persons_in_reception, then the adult states
        in_reception, housed, not_started, exempt, language, inburgering,
        completed, no_activity, volunteering, paid_work, participating,
        guided. Each dimension adds up to ``adults`` in every row.
    """
    if not isinstance(s, Scenario):
        raise ValidationError(f"project: expected a Scenario, got {type(s).__name__}")
    _check_months("project", "horizon_months", horizon_months)
    arr = _validate_arrivals(arrivals, source="project: arrivals", s=s, known_codes=known_codes)
    if not allow_gaps:
        _check_gaps(arr, "project: arrivals")
    first = arr["month"].min()
    months = pd.period_range(first, periods=horizon_months, freq="M")
    late = arr[arr["month"] > months[-1]]
    if not late.empty:
        raise ValidationError(
            f"project: arrivals in {sorted(late['month'].astype(str).unique())[:6]} fall after the horizon "
            f"({first} + {horizon_months} months = up to {months[-1]}); lengthen horizon_months "
            f"(at most {MAX_MONTHS}) or drop those rows"
        )
    curves = cohort_curves(s, months=horizon_months - 1)
    shares = curves[list(_STATE_COLUMNS)].to_numpy()
    frames = []
    for code, g in arr.groupby("code", sort=True):
        idx = np.array([(m - first).n for m in g["month"]])
        flows = {}
        for col in ("persons", "adults", "households"):
            f = np.zeros(horizon_months)
            np.add.at(f, idx, g[col].to_numpy())
            flows[col] = f
        # stock(t) = sum_a adults(a) * S(t - a): a discrete convolution
        stock = np.stack([np.convolve(flows["adults"], shares[:, j])[:horizon_months] for j in range(shares.shape[1])], axis=1)
        reception = np.convolve(flows["persons"], curves["in_reception"].to_numpy())[:horizon_months]
        f = pd.DataFrame(stock, columns=list(_STATE_COLUMNS))
        f.insert(0, "code", code)
        f.insert(1, "month", months)
        f.insert(2, "scenario", s.name)
        f.insert(3, "new_persons", flows["persons"])
        f.insert(4, "new_adults", flows["adults"])
        f.insert(5, "new_households", flows["households"])
        f.insert(6, "persons", np.cumsum(flows["persons"]))
        f.insert(7, "adults", np.cumsum(flows["adults"]))
        f.insert(8, "households", np.cumsum(flows["households"]))
        f.insert(9, "persons_in_reception", reception)
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(scenario=s.name, status="schatting", source="toolkit.integration (parameters: parameter_table())")
    return out


def compare(arrivals, scenarios=(CURRENT, PILOT), *, horizon_months=60, known_codes=None, allow_gaps=False):
    """:func:`project` for each scenario, stacked (column ``scenario``)."""
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValidationError(f"compare: scenario names must differ, got {names}")
    out = pd.concat(
        [project(arrivals, s, horizon_months=horizon_months, known_codes=known_codes, allow_gaps=allow_gaps)
         for s in scenarios],
        ignore_index=True,
    )
    out.attrs.update(status="schatting", source="toolkit.integration (parameters: parameter_table())")
    return out


def pilot_needs(projection, s=PILOT):
    """What a scenario needs per municipality and month.

    Parameters
    ----------
    projection : pandas.DataFrame
        Output of :func:`project` for ``s``.
    s : Scenario

    Returns
    -------
    pandas.DataFrame
        Columns code, month, buddies (volunteers: households within
        ``buddy_months`` of their permit x ``buddy_share`` x
        ``buddy_ratio``), course_places (adults in the language programme or
        inburgering, one place each), coaching_hours (guided adults x
        ``coaching_hours``).
    """
    need = {"code", "month", "new_households", "language", "inburgering", "guided"}
    if not isinstance(projection, pd.DataFrame) or not need <= set(projection.columns):
        raise ValidationError(f"pilot_needs: expected the output of project() with columns {sorted(need)}")
    if "scenario" in projection.columns:
        found = sorted(projection["scenario"].astype(str).unique())
        if found != [s.name]:
            raise ValidationError(
                f"pilot_needs: the projection is for scenario(s) {found}, the parameters for {s.name!r}; "
                "project with the same scenario (filter compare() output on its 'scenario' column)"
            )
    frames = []
    for code, g in projection.groupby("code", sort=True):
        g = g.sort_values("month")
        window = np.ones(min(s.buddy_months, len(g)))
        active = np.convolve(g["new_households"].to_numpy(), window)[: len(g)] if s.buddy_months else np.zeros(len(g))
        frames.append(
            pd.DataFrame(
                {
                    "code": code,
                    "month": g["month"].to_numpy(),
                    "buddies": active * s.buddy_share * s.buddy_ratio,
                    "course_places": (g["language"] + g["inburgering"]).to_numpy(),
                    "coaching_hours": g["guided"].to_numpy() * s.coaching_hours,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(scenario=s.name, status="schatting", source="toolkit.integration (parameters: parameter_table())")
    return out


def region_total(frame, *, by=("month",)):
    """Sum the numeric columns of a per-municipality frame over municipalities.

    Returns a new frame with the ``by`` columns (plus ``scenario`` when
    present) and the summed numeric columns.
    """
    keys = [k for k in ("scenario", *by) if k in frame.columns]
    if not keys:
        raise ValidationError(f"region_total: none of the key columns {list(by)} found in {list(frame.columns)}")
    num = [c for c in frame.select_dtypes("number").columns if c not in keys]
    out = frame.groupby(keys, as_index=False, sort=True)[num].sum()
    out.attrs.update(frame.attrs)
    return out


# ---------------------------------------------------------------- where
def start_locations(capacity=None, *, codes=None, **kwargs):
    """Reception locations where newcomers could start the track.

    Parameters
    ----------
    capacity : pandas.DataFrame, optional
        Output of :func:`toolkit.capacity.reception_capacity`; computed with
        ``kwargs`` when omitted.
    codes : collection of str, optional
        Keep only locations in these municipalities (e.g.
        ``toolkit.region_codes("U10", 2016)``).

    Returns
    -------
    pandas.DataFrame
        The capacity rows, under-used locations first, with columns id, name,
        code, lat, lon, capacity, occupancy_rate, free_places, underused,
        mix_groups where present, plus ``start_places`` (free places, the
        room to start newcomers there).
    """
    if capacity is None:
        from . import capacity as _capacity

        capacity = _capacity.reception_capacity(**kwargs)
    if not isinstance(capacity, pd.DataFrame) or not {"name", "lat", "lon"} <= set(capacity.columns):
        raise ValidationError("start_locations: expected the output of capacity.reception_capacity() with columns name, lat, lon")
    out = capacity.copy()
    if codes is not None:
        if "code" not in out.columns:
            raise ValidationError("start_locations: 'codes' given but the capacity table has no column 'code'")
        keep = {normalise_code(c) for c in codes}
        out = out[out["code"].astype(str).isin(keep)]
    if "free_places" in out.columns:
        out["start_places"] = pd.to_numeric(out["free_places"], errors="coerce").clip(lower=0)
    sort = [c for c in ("underused", "start_places") if c in out.columns]
    if sort:
        out = out.sort_values(sort, ascending=False, kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update(capacity.attrs)
    return out
