"""Schema validation at the boundary: one pass, every problem reported at once.

A :class:`Schema` lists the columns of a table. :func:`validate_frame` checks a
frame against it and returns a clean copy (columns renamed from close variants,
types converted, CBS codes normalised), or raises a single
:class:`~toolkit.ValidationError` whose message names the source, rows and
columns, what was expected and what was found.

Every check is vectorised (one pass over a column, no Python loop per row),
so a file at the documented size limit is checked in seconds.

Numbers are read as a Dutch analyst writes them (:func:`parse_numbers`):
``1.000`` in a whole-number column is one thousand, ``3,5`` is three and a
half, ``1.234,5`` is 1234.5. The convention is decided per column over all
its values (and, when a column alone does not show it, over the other
numeric columns of the same file); a column that mixes conventions, or a
value whose meaning cannot be decided (``4.500`` m2: 4500 or 4.5?), is
rejected with the fix in the message. Infinite, not-a-number and
out-of-range values are rejected before any cast, with the value as written.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ._errors import ValidationError

MAX_LISTED = 8
INT_LIMIT = 10**15
"""Largest whole number accepted in an ``int`` column without its own ``max``
(well inside the range where a float is exact and an int64 cannot wrap)."""

_CODE_RE = re.compile(r"^\s*(?:GM)?\s*0*(\d{1,4})\s*$", re.IGNORECASE)
_CODE_PAT = r"(?i)^(?:GM)?\s*0*(\d{1,4})$"

# number spellings (sign and surrounding blanks removed first)
_PLAIN = r"\d+"
_DOT_GROUP = r"[1-9]\d{0,2}(?:\.\d{3})+"  # 1.000  1.000.000
_COMMA_GROUP = r"[1-9]\d{0,2}(?:,\d{3})+"  # 1,000  1,000,000
_DOT_DEC = r"\d*\.\d+"  # 3.5  0.125  (also 1.000: see _DOT_GROUP)
_COMMA_DEC = r"\d*,\d+"  # 3,5  (also 1,000)
_NL_FULL = r"[1-9]\d{0,2}(?:\.\d{3})+,\d+"  # 1.234,5
_EN_FULL = r"[1-9]\d{0,2}(?:,\d{3})+\.\d+"  # 1,234.5
_SCI = r"(?:\d+(?:[.,]\d+)?|[.,]\d+)[eE][-+]?\d+"
_NOT_FINITE = r"(?i)(?:inf|infinity|nan|oneindig)"


def normalise_code(value):
    """Return the CBS municipality code ``GMdddd`` for loose spellings.

    ``344``, ``"344"``, ``"0344"``, ``"GM344"`` and ``"gm0344"`` all give
    ``"GM0344"``; ``"NL01"`` (the Netherlands) is kept. Anything else raises
    ``ValueError``.

    >>> normalise_code("gm344")
    'GM0344'
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = str(int(value))
    elif isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = str(int(value))
    if not isinstance(value, str):
        raise ValueError(f"expected a CBS municipality code like 'GM0344', found {value!r}")
    if value.strip().upper() == "NL01":
        return "NL01"
    m = _CODE_RE.match(value)
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"expected a CBS municipality code like 'GM0344', found {value!r}")
    return f"GM{int(m.group(1)):04d}"


def _code_series(s):
    """Vectorised :func:`normalise_code`: ``GMdddd`` or ``<NA>`` per value."""
    s = pd.Series(s, dtype=object) if not isinstance(s, pd.Series) else s
    types = s.map(type)
    is_str = types == str
    text = s.astype(object).where(is_str).astype("string").str.strip()
    number = ~is_str & types.isin([int, float, np.int64, np.int32, np.float64, np.float32])
    if number.any():  # numbers from Excel or a frame: 344 and 344.0 are GM0344
        numeric = pd.to_numeric(s.where(number), errors="coerce")
        whole = numeric.notna() & np.isfinite(numeric.fillna(0)) & (numeric.fillna(0) % 1 == 0) & (numeric.abs() < 10**6)
        text = text.mask(whole, numeric.where(whole).astype("Int64").astype("string"))
    digits = text.str.extract(_CODE_PAT, expand=False)
    number = pd.to_numeric(digits, errors="coerce")
    codes = ("GM" + digits.str.zfill(4).str[-4:]).where((number.notna() & (number > 0)).fillna(False).astype(bool))
    codes = codes.mask((text.str.upper() == "NL01").fillna(False).astype(bool), "NL01")
    return codes.astype("string")


def normalise_codes(values, labels):
    """Normalise a sequence of CBS codes; returns ``(codes, bad)``.

    ``codes`` has ``None`` where a value is missing or malformed; ``bad``
    lists those values as ``"'abc' in <label>"`` for an error message.

    >>> normalise_codes(["344", "abc"], ["row 2", "row 3"])
    (['GM0344', None], ["'abc' in row 3"])
    """
    values = pd.Series(list(values), dtype=object)
    labels = list(labels)
    codes = _code_series(values)
    bad = codes.isna().to_numpy()
    out = [None if b else str(c) for c, b in zip(codes, bad)]
    return out, [f"{_plain(values[i])!r} in {labels[i]}" for i in np.flatnonzero(bad)]


@dataclass(frozen=True)
class Column:
    """One column of a schema.

    kind: ``str``, ``int``, ``float``, ``date``, ``code`` (CBS municipality code)
    or ``bool``. ``min`` is an inclusive lower bound for numbers, ``max`` an
    inclusive upper bound (an ``int`` column without ``max`` stops at
    :data:`INT_LIMIT`); ``allowed`` restricts values; ``aliases`` are other
    accepted spellings of the column name.
    """

    name: str
    kind: str = "str"
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple | None = None
    aliases: tuple = ()
    description: str = ""


@dataclass(frozen=True)
class Rule:
    """A check across the columns of one row, run on the cleaned frame.

    ``bad(frame)`` returns a boolean Series: True for the rows that break the
    rule; ``expected`` says what a row should satisfy ("occupancy at most
    capacity"). The rule is skipped when one of ``columns`` is absent.
    """

    columns: tuple
    expected: str
    bad: Callable = field(compare=False)


@dataclass(frozen=True)
class Schema:
    """A table layout: columns, the columns that must be unique together,
    row rules, and the limits of a file of this kind.

    ``max_rows`` and ``max_bytes`` are checked by :func:`toolkit.io.read_table`
    before a file is parsed (``None``: the defaults of :mod:`toolkit.io`).
    """

    name: str
    columns: tuple
    key: tuple = ()
    extra: str = "keep"  # "keep" or "drop" columns not in the schema
    description: str = field(default="", compare=False)
    rules: tuple = ()
    max_rows: int | None = None
    max_bytes: int | None = None

    @property
    def names(self):
        return [c.name for c in self.columns]

    def doc(self):
        """Return the columns as a small frame (for docs and notebooks)."""
        return pd.DataFrame(
            [(c.name, c.kind, c.required, c.nullable, c.min, c.max, c.description) for c in self.columns],
            columns=["column", "kind", "required", "nullable", "min", "max", "description"],
        )


def _canon(name):
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _row_label(index_value, row_base):
    if row_base is None:
        return f"index {index_value!r}"
    return f"row {int(index_value) + row_base}"


def _plain(value):
    """A value as a user reads it: numpy scalars as plain Python values."""
    return value.item() if isinstance(value, np.generic) else value


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _numeric_dtype(s):
    """A column of a NumPy integer or float dtype: every value is a number (or NaN), none is text or a bool."""
    return isinstance(s.dtype, np.dtype) and s.dtype.kind in "iuf"


def _listing(labels):
    labels = list(labels)
    shown = ", ".join(labels[:MAX_LISTED])
    if len(labels) > MAX_LISTED:
        shown += f" and {len(labels) - MAX_LISTED} more"
    return shown


def _found(s, mask, row_base, values=None):
    """``'x' in row 3, ...`` for the rows where ``mask`` holds (at most MAX_LISTED formatted)."""
    idx = s.index[np.asarray(mask, dtype=bool)]
    values = s if values is None else values
    shown = ", ".join(f"{_plain(values[i])!r} in {_row_label(i, row_base)}" for i in idx[:MAX_LISTED])
    if len(idx) > MAX_LISTED:
        shown += f" and {len(idx) - MAX_LISTED} more"
    return shown


def _rows(index, row_base):
    shown = ", ".join(_row_label(i, row_base) for i in index[:MAX_LISTED])
    if len(index) > MAX_LISTED:
        shown += f" and {len(index) - MAX_LISTED} more"
    return shown


# ---------------------------------------------------------------- numbers


def _full(text, pattern):
    return text.str.fullmatch(pattern).fillna(False).astype(bool)


def _number_shapes(text):
    """Classify number strings (sign removed) by how they are written."""
    plain = _full(text, _PLAIN)
    if plain.all():
        return {"plain": plain}
    dot_group = _full(text, _DOT_GROUP)
    comma_group = _full(text, _COMMA_GROUP)
    return {
        "plain": plain,
        "dot_group": dot_group,  # 1.000: thousands (NL) or a decimal point (EN)
        "comma_group": comma_group,  # 1,000: thousands (EN) or a decimal comma (NL)
        "nl": (_full(text, _COMMA_DEC) & ~comma_group) | _full(text, _NL_FULL) | (dot_group & (text.str.count(r"\.") > 1)),
        "en": (_full(text, _DOT_DEC) & ~dot_group) | _full(text, _EN_FULL) | (comma_group & (text.str.count(",") > 1)),
        "sci": _full(text, _SCI),
    }


def number_convention(frame, columns):
    """The decimal convention shown by the number columns of a file.

    Returns ``"nl"`` (decimal comma, ``.`` groups thousands), ``"en"``
    (decimal point, ``,`` groups thousands) or ``None`` when the values do
    not show it or show both.

    >>> number_convention(pd.DataFrame({"a": ["1.000", "3,5"]}), ["a"])
    'nl'
    """
    nl = en = False
    for c in columns:
        if c not in frame.columns:
            continue
        s = frame[c]
        if _numeric_dtype(s):  # no text in it
            continue
        mask = s.map(type) == str
        if not mask.any():
            continue
        text = s[mask].astype(str).str.strip().str.lstrip("+-")
        shapes = _number_shapes(text)
        nl |= bool(shapes.get("nl", pd.Series(dtype=bool)).any())
        en |= bool(shapes.get("en", pd.Series(dtype=bool)).any())
    return "nl" if nl and not en else "en" if en and not nl else None


def parse_numbers(s, col, *, row_base=None, convention=None):
    """Read a column of numbers as written; returns ``(values, problems)``.

    ``values`` is a float Series (NaN where empty or rejected); ``problems``
    lists messages that name the column, the rows and the values as written.
    Non-string values (numbers from Excel) are taken as they are.

    Thousands separators and decimal commas are resolved per column: a
    column with ``3,5`` or ``1.234,5`` or ``1.000.000`` uses the Dutch
    convention (``.`` groups thousands), one with ``3.5`` or ``1,234.5`` the
    English one. When the column shows neither, ``convention`` (the file's,
    see :func:`number_convention`) decides; without it ``1.000`` is one
    thousand in an ``int`` column, and in a ``float`` column the reading that
    fits the column's bounds is taken (``52.090`` degrees), or the value is
    rejected as ambiguous with the fix.

    >>> v, p = parse_numbers(pd.Series(["1.000", "2.500"]), Column("n", "int"))
    >>> v.tolist(), p
    ([1000.0, 2500.0], [])
    """
    problems = []
    name = col.name
    if _numeric_dtype(s):  # numbers already (a frame, not a file): nothing to read, every value is taken as it is
        return _finite(pd.Series(s.to_numpy(dtype=float), index=s.index), s, name, row_base, problems)
    is_str = (s.map(type) == str).to_numpy()
    values = pd.Series(np.nan, index=s.index, dtype=float)
    other = ~is_str & s.notna().to_numpy()
    if other.any():
        nums = s[other]
        ok = nums.map(_is_number)
        values[nums.index[ok.to_numpy()]] = nums[ok].astype(float)
        if (~ok).any():
            problems.append(f"column {name!r}: expected a number, found {_found(nums, ~ok, row_base)}")
    if is_str.any():
        raw = s[is_str].astype(str)
        stripped = raw.str.strip().str.replace("\u00a0", "", regex=False)
        stripped = stripped[stripped != ""]
        sign = np.where(stripped.str.startswith("-"), -1.0, 1.0)
        text = stripped.str.replace(r"^[-+]", "", regex=True)
        shapes = _number_shapes(text)
        if len(shapes) == 1:  # every value is a plain whole number: the fast path
            values[text.index] = text.astype(float).to_numpy() * sign
        else:
            col_conv = ("nl" if shapes["nl"].any() and not shapes["en"].any()
                        else "en" if shapes["en"].any() and not shapes["nl"].any() else None)
            if shapes["nl"].any() and shapes["en"].any():
                i_nl = text.index[shapes["nl"].to_numpy()][0]
                i_en = text.index[shapes["en"].to_numpy()][0]
                problems.append(
                    f"column {name!r}: mixes number conventions: {raw[i_nl]!r} in {_row_label(i_nl, row_base)} "
                    f"uses a decimal comma, {raw[i_en]!r} in {_row_label(i_en, row_base)} a decimal point; "
                    "write every number the same way (Dutch Excel: decimal comma, '.' as thousands separator)"
                )
                return values, problems
            conv = col_conv or convention
            dot_thousands = text.str.replace(".", "", regex=False)
            comma_thousands = text.str.replace(",", "", regex=False)
            as_nl = pd.to_numeric(dot_thousands.str.replace(",", ".", regex=False), errors="coerce")
            as_en = pd.to_numeric(comma_thousands, errors="coerce")
            group = shapes["dot_group"] | shapes["comma_group"]
            if conv == "nl":
                num = as_nl.where(~shapes["sci"] | ~text.str.contains(r"\.", regex=True), as_en)
            elif conv == "en":
                num = as_en
            else:
                # only plain numbers, single-group values (1.000 or 3,250) and exponents
                num = as_en.where(~shapes["comma_group"], np.nan)
                num = num.mask(shapes["sci"], pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce"))
                thousands = pd.to_numeric(text.str.replace(r"[.,]", "", regex=True), errors="coerce")
                decimal = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
                if col.kind == "int":
                    num = num.mask(group, thousands)
                elif group.any():
                    low = -np.inf if col.min is None else col.min
                    high = np.inf if col.max is None else col.max
                    t_ok = bool(((thousands[group] * sign[group.to_numpy()] >= low) & (thousands[group] * sign[group.to_numpy()] <= high)).all())
                    d_ok = bool(((decimal[group] * sign[group.to_numpy()] >= low) & (decimal[group] * sign[group.to_numpy()] <= high)).all())
                    if d_ok and not t_ok:
                        num = num.mask(group, decimal)
                    elif t_ok and not d_ok:
                        num = num.mask(group, thousands)
                    else:
                        i = text.index[group.to_numpy()][0]
                        v = raw[i]
                        sep = "." if "." in v else ","
                        problems.append(
                            f"column {name!r}: {v!r} in {_row_label(i, row_base)} is ambiguous: "
                            f"{thousands[i]:g} with {sep!r} as thousands separator, or {decimal[i]:g} with a decimal "
                            f"{'point' if sep == '.' else 'comma'}; the column's other values do not show which. "
                            f"Write it without thousands separator ({thousands[i]:g}) or with a decimal comma "
                            f"({f'{decimal[i]:g}'.replace('.', ',')})"
                        )
                        return values, problems
            known = shapes["plain"] | group | shapes["nl"] | shapes["en"] | shapes["sci"]
            num = num.where(known)
            values[text.index] = num.to_numpy() * sign
        bad = values[stripped.index].isna()
        if bad.any():
            not_finite = stripped.str.lstrip("+-").str.fullmatch(_NOT_FINITE).fillna(False)
            nf = bad & not_finite
            if nf.any():
                problems.append(f"column {name!r}: expected a finite number, found {_found(raw, nf.reindex(raw.index, fill_value=False), row_base)}")
            rest = bad & ~not_finite
            if rest.any():
                problems.append(f"column {name!r}: expected a number, found {_found(raw, rest.reindex(raw.index, fill_value=False), row_base)}")
    return _finite(values, s, name, row_base, problems)


def _finite(values, s, name, row_base, problems):
    """``(values, problems)`` of :func:`parse_numbers`, an infinite value rejected (NaN and a problem naming it)."""
    inf = np.isinf(values.to_numpy())
    if inf.any():
        problems.append(f"column {name!r}: expected a finite number, found {_found(s, inf, row_base)}")
        values[inf] = np.nan
    return values, problems


# ---------------------------------------------------------------- dates

_DAY_FIRST = r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$"
_ISO_DATE = r"^\s*\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$"


def parse_dates(s):
    """Dates as an analyst writes them: ISO ``2016-10-04`` or Dutch day-first
    ``04-10-2016`` (also with ``/`` or ``.``), or date values from Excel.

    Returns a datetime Series with NaT where a value is not a valid date
    (``31-02-2016`` is NaT, never a rolled-over 2 March).

    >>> parse_dates(pd.Series(["04-10-2016", "2016-10-04", "31-02-2016"])).tolist()
    [Timestamp('2016-10-04 00:00:00'), Timestamp('2016-10-04 00:00:00'), NaT]
    """
    s = pd.Series(s, dtype=object) if not isinstance(s, pd.Series) else s
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.astype("datetime64[ns]")
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    types = s.map(type)
    is_str = (types == str).to_numpy()
    dt = types.isin([pd.Timestamp, _dt.datetime, _dt.date, np.datetime64]).to_numpy()
    if dt.any():
        out[dt] = pd.to_datetime(s[dt], errors="coerce")
    if is_str.any():
        text = s[is_str]
        parts = text.str.extract(_DAY_FIRST)
        day_first = parts[0].notna()
        if day_first.any():
            p = parts[day_first]
            iso = p[2] + "-" + p[1].str.zfill(2) + "-" + p[0].str.zfill(2)
            out[iso.index] = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
        iso_like = text.str.match(_ISO_DATE) & ~day_first
        if iso_like.any():
            out[text.index[iso_like.to_numpy()]] = pd.to_datetime(
                text[iso_like].str.strip(), format="ISO8601", errors="coerce"
            ).to_numpy()
    return out


def parse_date(text, what="date"):
    """One date from a command line or a parameter (day-first or ISO).

    >>> parse_date("04-10-2016")
    Timestamp('2016-10-04 00:00:00')
    """
    if isinstance(text, (pd.Timestamp, np.datetime64)) or hasattr(text, "isoformat"):
        return pd.Timestamp(text)
    value = parse_dates(pd.Series([str(text)], dtype=object)).iloc[0]
    if pd.isna(value):
        raise ValidationError(
            f"{what}: expected a date like 04-10-2016 (day first) or 2016-10-04, found {text!r}"
        )
    return value


# ---------------------------------------------------------------- validate_frame


def _rename(df, schema):
    rename = {}
    canon_map = {_canon(c): c for c in df.columns}
    for col in schema.columns:
        if col.name in df.columns:
            continue
        for cand in (col.name, *col.aliases):
            if _canon(cand) in canon_map:
                rename[canon_map[_canon(cand)]] = col.name
                break
    return rename


def validate_frame(df, schema, *, source="<table>", row_base=None, known_codes=None):
    """Check ``df`` against ``schema`` and return a cleaned copy.

    Parameters
    ----------
    df : pandas.DataFrame
    schema : Schema
    source : str
        What the table is (a file name) for the messages. A frame read by
        :mod:`toolkit.io` carries its file name and row numbering in
        ``attrs``; they are used when ``row_base`` is not given, so a check
        later in the pipeline still names the file and the row.
    row_base : int, optional
        Offset that turns a positional index into the line number a user sees
        (2 for a CSV or Excel sheet with one header line). ``None`` reports the
        frame index instead.
    known_codes : collection of str, optional
        Valid CBS codes; columns of kind ``code`` are checked against them.

    Raises
    ------
    ValidationError
        Listing every problem found.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"{source}: expected a table (pandas DataFrame), found {type(df).__name__}")
    attrs = getattr(df, "attrs", {}) or {}
    if row_base is None and attrs.get("row_base") is not None and attrs.get("nrows") == len(df) \
            and isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1:
        row_base = int(attrs["row_base"])  # a frame from toolkit.io, rows unchanged: name the file's rows
        if attrs.get("source") and attrs["source"] not in source:
            source = f"{attrs['source']} ({source})"
    problems = []
    if len(df.columns) == 0 or len(df) == 0:
        raise ValidationError(
            f"{source}: the table is empty; expected columns {schema.names} with at least one row"
        )
    # 1. column names: exact, then canonical spelling, then aliases
    out = df.rename(columns=_rename(df, schema)).copy()
    if row_base is None and not out.index.is_unique:
        row_base = 1  # labels repeat (e.g. after pd.concat): name rows by position, first row is row 1
    if row_base is not None:
        out = out.reset_index(drop=True)
    for col in schema.columns:
        if col.name not in out.columns and col.required:
            close = difflib.get_close_matches(col.name, [str(c) for c in out.columns], n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"missing column {col.name!r}{hint}; expected columns {schema.names}, "
                f"found {[str(c) for c in df.columns]}"
            )
    if problems:
        raise ValidationError(f"{source}: " + "; ".join(problems), problems)

    numeric = [c.name for c in schema.columns if c.kind in ("int", "float") and c.name in out.columns]
    convention = number_convention(out, numeric) if numeric else None

    # 2. values, column by column
    for col in schema.columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        missing = s.isna()
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            missing = missing | (s.astype("string").str.strip() == "").fillna(True)
        if missing.any() and not col.nullable:
            problems.append(
                f"column {col.name!r}: expected a value ({col.kind}), found empty cells in "
                + _rows(s.index[missing.to_numpy()], row_base)
            )
        present = ~missing
        n_before = len(problems)
        if col.kind == "code":
            codes = _code_series(s.where(present))
            bad = present & codes.isna()
            if bad.any():
                problems.append(
                    f"column {col.name!r}: expected a CBS municipality code like 'GM0344', found "
                    + _found(s, bad, row_base)
                )
            elif known_codes is not None:
                unknown = present & ~codes.isin(set(known_codes) | {"NL01"}).fillna(False)
                if unknown.any():
                    problems.append(
                        f"column {col.name!r}: unknown municipality code "
                        + _found(codes, unknown, row_base)
                        + f"; known codes are {_listing(sorted(known_codes))}"
                    )
            out[col.name] = codes.astype("string") if not col.nullable else codes.astype(object).where(codes.notna(), None)
        elif col.kind in ("int", "float"):
            num, found = parse_numbers(s.where(present), col, row_base=row_base, convention=convention)
            problems.extend(found)
            ok = present & num.notna()
            if col.kind == "int":
                frac = ok & (num % 1 != 0)
                if frac.any():
                    problems.append(f"column {col.name!r}: expected a whole number, found {_found(s, frac, row_base)}")
            if col.min is not None:
                low = ok & (num < col.min)
                if low.any():
                    problems.append(
                        f"column {col.name!r}: expected a value of at least {col.min:g}, found {_found(s, low, row_base)}"
                    )
            high_limit = col.max if col.max is not None else (INT_LIMIT if col.kind == "int" else None)
            if high_limit is not None:
                high = ok & (num > high_limit)
                if high.any():
                    problems.append(
                        f"column {col.name!r}: expected a value of at most {high_limit:g}, found {_found(s, high, row_base)}"
                    )
            if col.kind == "int" and len(problems) == n_before:
                # every value is whole and within bounds: the cast cannot wrap
                out[col.name] = num.astype("int64") if not num.isna().any() else num.astype("Int64")
            elif col.kind == "int":
                out[col.name] = num
            else:
                out[col.name] = num.astype(float)
        elif col.kind == "date":
            dates = parse_dates(s.where(present))
            bad = present & dates.isna()
            if bad.any():
                problems.append(
                    f"column {col.name!r}: expected a date like 2016-10-04 or 04-10-2016 (day first), found "
                    + _found(s, bad, row_base)
                )
            out[col.name] = dates
        elif col.kind == "bool":
            mapping = {"true": True, "1": True, "ja": True, "yes": True, "j": True,
                       "false": False, "0": False, "nee": False, "no": False, "n": False}
            text = s.where(present).astype("string").str.strip().str.lower().str.replace(r"\.0$", "", regex=True)
            vals = text.map(mapping, na_action="ignore").astype(object)
            bad = present & vals.isna()
            if bad.any():
                problems.append(f"column {col.name!r}: expected ja/nee or true/false, found {_found(s, bad, row_base)}")
            out[col.name] = vals.where(vals.notna(), None)
        else:
            out[col.name] = s.where(present).astype("string").str.strip()
        if col.allowed is not None:
            vals = out[col.name]
            bad = present & ~vals.isin(col.allowed)
            if bad.any():
                problems.append(
                    f"column {col.name!r}: expected one of {list(col.allowed)}, found " + _found(s, bad, row_base)
                )
    # 3. keys
    if schema.key and not problems:
        dup = out.duplicated(list(schema.key), keep=False)
        if dup.any():
            problems.append(
                f"columns {list(schema.key)}: expected each combination once, found duplicates in "
                + _rows(out.index[dup.to_numpy()], row_base)
            )
    # 4. rules across columns
    if not problems:
        for rule in schema.rules:
            if not all(c in out.columns for c in rule.columns):
                continue
            bad = rule.bad(out).fillna(False).astype(bool)
            if bad.any():
                idx = out.index[bad.to_numpy()]
                shown = ", ".join(
                    f"{', '.join(f'{c}={_plain(out.at[i, c])!r}' for c in rule.columns)} in {_row_label(i, row_base)}"
                    for i in idx[:MAX_LISTED]
                )
                if len(idx) > MAX_LISTED:
                    shown += f" and {len(idx) - MAX_LISTED} more"
                problems.append(f"columns {list(rule.columns)}: expected {rule.expected}, found {shown}")
    if problems:
        raise ValidationError(
            f"{source}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems), problems
        )
    if schema.extra == "drop":
        out = out[[c for c in schema.names if c in out.columns]]
    return out
