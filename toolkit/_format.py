"""Dutch number, percentage, date and count formats, and the small-count rule.

One place for how figures look in every output (maps, report, tables, the
dashboard): thousands with a dot, a decimal comma, "12,5 %", "4 oktober 2016",
"–" for a missing value.

The disclosure rule for counts of persons or households (one rule for every
export): a count that *rounds* to 1, 2, 3 or 4 is shown as ``"<5"``. The test
is on the rounded value, so 0,6 (shown as 1) and 4,4 (shown as 4) are hidden
too, while 0,4 (shown as 0) and 4,6 (shown as 5) are not. Zero is shown:
"nobody" discloses no one. Identifiers and codes are never counts.

:func:`small_mask` adds *secondary* suppression: when exactly one value of a
column is hidden and the column's total is published (as a total row, or a
regional figure elsewhere in the same export), the smallest other positive
value is hidden as well (shown as ``"x"``), so the hidden value cannot be
recovered as the total minus the rest.
"""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np
import pandas as pd

SMALL = "<5"
#: How a secondarily suppressed value is shown.
HIDDEN = "x"
MISSING = "–"
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
#: The note printed beside every output that applies the rule.
SMALL_NOTE = ("Aantallen personen of huishoudens die afgerond 1 tot 4 zijn, staan als '<5'. Is in een kolom maar "
              "één aantal zo afgeschermd, dan is ook het kleinste andere aantal afgeschermd ('x' of 'afgeschermd'), "
              "zodat het niet uit het totaal kan worden afgeleid. Verschillen tussen totalen (winst door "
              "samenwerking) zijn geen aantallen personen en worden wel getoond.")


def is_missing(value):
    """True for None, pandas NA, NaN and NaT.

    >>> is_missing(None), is_missing(float("nan")), is_missing(0)
    (True, True, False)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, (float, np.floating)) and math.isnan(value))
    except TypeError:
        return False


def fmt_int(value):
    """Whole number in Dutch notation (thousands with a dot); '–' for missing.

    >>> fmt_int(1234567.4), fmt_int(-1200), fmt_int(None), fmt_int(-0.01)
    ('1.234.567', '-1.200', '–', '0')
    """
    if is_missing(value):
        return MISSING
    n = int(round(float(value)))
    return f"{n:,}".replace(",", ".")


def fmt_num(value, decimals=1):
    """Number with a decimal comma and thousands dots.

    >>> fmt_num(1234.56), fmt_num(2.5, 0)
    ('1.234,6', '2')
    """
    if is_missing(value):
        return MISSING
    if decimals == 0:
        return fmt_int(value)
    s = f"{float(value):,.{decimals}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


def fmt_pct(fraction, decimals=1):
    """A fraction as a Dutch percentage.

    >>> fmt_pct(0.125), fmt_pct(1.0, 0)
    ('12,5 %', '100 %')
    """
    if is_missing(fraction):
        return MISSING
    return f"{fmt_num(100 * float(fraction), decimals)} %"


def nl_number(value, decimals=0, *, percent=False):
    """Format a number the Dutch way: ``1.234``, ``12,5 %``; missing values as ``–``.

    >>> nl_number(1234.5), nl_number(0.125, 1, percent=True), nl_number(12.345, 1)
    ('1.234', '12,5 %', '12,3')
    """
    if percent:
        return fmt_pct(value, decimals)
    return fmt_num(value, decimals)


def is_small(value):
    """True when a count rounds to 1, 2, 3 or 4 (the disclosure rule).

    >>> [is_small(v) for v in (0, 0.4, 0.6, 1, 4, 4.4, 4.6, None)]
    [False, False, True, True, True, True, False, False]
    """
    if is_missing(value):
        return False
    try:
        n = round(float(value))
    except (TypeError, ValueError):
        return False
    return 1 <= n <= 4


def fmt_count(value, *, small_counts=True):
    """A count of persons or households; rounded 1 to 4 become '<5' when ``small_counts``.

    >>> fmt_count(3), fmt_count(0.6), fmt_count(4.6), fmt_count(0), fmt_count(3, small_counts=False)
    ('<5', '<5', '5', '0', '3')
    """
    if small_counts and is_small(value):
        return SMALL
    return fmt_int(value)


def small_mask(values, *, total_known=True):
    """Which values of one column to hide: ``(primary, secondary)`` boolean arrays.

    Parameters
    ----------
    values : array-like of numbers
        Counts of persons or households (one column; missing values allowed).
    total_known : bool
        The column's total is published elsewhere in the same output; then a
        lone hidden value is protected by hiding the smallest other positive
        value too (secondary suppression).

    Examples
    --------
    >>> p, s = small_mask([3, 10, 7, 0])
    >>> p.tolist(), s.tolist()
    ([True, False, False, False], [False, False, True, False])
    >>> small_mask([3, 2, 9])[1].tolist()  # two hidden: neither can be recovered from the total
    [False, False, False]
    """
    vals = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(float)
    primary = np.array([is_small(v) for v in vals], dtype=bool)
    secondary = np.zeros(len(vals), dtype=bool)
    if total_known and primary.sum() == 1:
        rounded = np.round(vals)
        candidates = np.flatnonzero(~primary & (rounded > 0) & ~np.isnan(vals))
        if len(candidates):
            secondary[candidates[np.argmin(vals[candidates])]] = True
    return primary, secondary


def suppress_counts(frame, columns, *, derived=None, total_known=True):
    """A copy of ``frame`` with the disclosure rule applied to its count columns.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : iterable of str
        Columns holding counts of persons or households (absent ones are
        skipped). Hidden cells become ``"<5"`` (rounded 1-4) or ``"x"``
        (secondary suppression, see :func:`small_mask`); the column then
        holds text and the shown numbers stay as they were.
    derived : dict, optional
        Column -> count column (or tuple of count columns) it is computed
        from (e.g. a percentage of the target from persons housed): hidden
        wherever one of those counts is hidden.
    total_known : bool
        See :func:`small_mask`.

    Returns
    -------
    pandas.DataFrame
        Same index and columns; ``attrs`` kept.

    Examples
    --------
    >>> t = pd.DataFrame({"code": ["GM1", "GM2", "GM3"], "persons": [3.4, 12.0, 30.0], "pct": [0.5, 1.0, 0.9]})
    >>> suppress_counts(t, ["persons"], derived={"pct": "persons"}).to_dict("list")
    {'code': ['GM1', 'GM2', 'GM3'], 'persons': ['<5', 'x', 30.0], 'pct': ['x', 'x', 0.9]}
    """
    out = frame.copy()
    out.attrs = dict(frame.attrs)
    hidden = {}
    for col in columns:
        if col not in out.columns:
            continue
        primary, secondary = small_mask(out[col], total_known=total_known)
        if primary.any() or secondary.any():
            new = out[col].astype(object)
            new[primary] = SMALL
            new[secondary] = HIDDEN
            out[col] = new
        hidden[col] = primary | secondary
    for col, bases in (derived or {}).items():
        bases = (bases,) if isinstance(bases, str) else tuple(bases)
        masks = [hidden[b] for b in bases if b in hidden]
        if col in out.columns and masks and np.logical_or.reduce(masks).any():
            new = out[col].astype(object)
            new[np.logical_or.reduce(masks)] = HIDDEN
            out[col] = new
    return out


def dutch_date(value=None):
    """A date as Dutch text ('4 oktober 2016'); ``None`` means today.

    >>> dutch_date("2016-10-04")
    '4 oktober 2016'
    """
    d = _dt.date.today() if value is None else pd.Timestamp(value).date()
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
