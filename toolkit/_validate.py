"""Schema validation at the boundary: one pass, every problem reported at once.

A :class:`Schema` lists the columns of a table. :func:`validate_frame` checks a
frame against it and returns a clean copy (columns renamed from close variants,
types converted, CBS codes normalised), or raises a single
:class:`~toolkit.ValidationError` whose message names the source, rows and
columns, what was expected and what was found.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._errors import ValidationError

MAX_LISTED = 8

_CODE_RE = re.compile(r"^\s*(?:GM)?\s*0*(\d{1,4})\s*$", re.IGNORECASE)


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


def normalise_codes(values, labels):
    """Normalise a sequence of CBS codes; returns ``(codes, bad)``.

    ``codes`` has ``None`` where a value is missing or malformed; ``bad``
    lists those values as ``"'abc' in <label>"`` for an error message.

    >>> normalise_codes(["344", "abc"], ["row 2", "row 3"])
    (['GM0344', None], ["'abc' in row 3"])
    """
    codes, bad = [], []
    for value, label in zip(values, labels):
        try:
            if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                raise ValueError("missing")
            codes.append(normalise_code(value))
        except ValueError:
            codes.append(None)
            bad.append(f"{_plain(value)!r} in {label}")
    return codes, bad


@dataclass(frozen=True)
class Column:
    """One column of a schema.

    kind: ``str``, ``int``, ``float``, ``date``, ``code`` (CBS municipality code)
    or ``bool``. ``min`` is an inclusive lower bound for numbers, ``max`` an
    inclusive upper bound; ``allowed`` restricts values; ``aliases`` are other
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
class Schema:
    """A table layout: columns plus the columns that must be unique together."""

    name: str
    columns: tuple
    key: tuple = ()
    extra: str = "keep"  # "keep" or "drop" columns not in the schema
    description: str = field(default="", compare=False)

    @property
    def names(self):
        return [c.name for c in self.columns]

    def doc(self):
        """Return the columns as a small frame (for docs and notebooks)."""
        return pd.DataFrame(
            [(c.name, c.kind, c.required, c.nullable, c.description) for c in self.columns],
            columns=["column", "kind", "required", "nullable", "description"],
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


def _listing(labels):
    labels = list(labels)
    shown = ", ".join(labels[:MAX_LISTED])
    if len(labels) > MAX_LISTED:
        shown += f" and {len(labels) - MAX_LISTED} more"
    return shown


def validate_frame(df, schema, *, source="<table>", row_base=None, known_codes=None):
    """Check ``df`` against ``schema`` and return a cleaned copy.

    Parameters
    ----------
    df : pandas.DataFrame
    schema : Schema
    source : str
        What the table is (a file name) for the messages.
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
    problems = []
    if len(df.columns) == 0 or len(df) == 0:
        raise ValidationError(
            f"{source}: the table is empty; expected columns {schema.names} with at least one row"
        )
    # 1. column names: exact, then canonical spelling, then aliases
    rename = {}
    canon_map = {_canon(c): c for c in df.columns}
    for col in schema.columns:
        if col.name in df.columns:
            continue
        for cand in (col.name, *col.aliases):
            if _canon(cand) in canon_map:
                rename[canon_map[_canon(cand)]] = col.name
                break
    out = df.rename(columns=rename).copy()
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

    # 2. values, column by column
    for col in schema.columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        missing = s.isna() | (s.astype(str).str.strip() == "")
        if missing.any() and not col.nullable:
            problems.append(
                f"column {col.name!r}: expected a value ({col.kind}), found empty cells in "
                + _listing(_row_label(i, row_base) for i in s.index[missing])
            )
        present = ~missing
        if col.kind == "code":
            codes = s.astype(object).copy()
            bad = []
            for i in s.index[present]:
                try:
                    codes[i] = normalise_code(s[i])
                except ValueError:
                    bad.append(i)
            if bad:
                problems.append(
                    f"column {col.name!r}: expected a CBS municipality code like 'GM0344', found "
                    + _listing(f"{_plain(s[i])!r} in {_row_label(i, row_base)}" for i in bad)
                )
            elif known_codes is not None:
                unknown = [i for i in s.index[present] if codes[i] not in set(known_codes) and codes[i] != "NL01"]
                if unknown:
                    problems.append(
                        f"column {col.name!r}: unknown municipality code "
                        + _listing(f"{codes[i]!r} in {_row_label(i, row_base)}" for i in unknown)
                        + f"; known codes are {_listing(sorted(known_codes))}"
                    )
            codes[missing] = None
            out[col.name] = codes.astype("string") if not col.nullable else codes
        elif col.kind in ("int", "float"):
            num = pd.to_numeric(s.where(present), errors="coerce")
            bad = present & num.isna()
            if bad.any():
                problems.append(
                    f"column {col.name!r}: expected a number, found "
                    + _listing(f"{_plain(s[i])!r} in {_row_label(i, row_base)}" for i in s.index[bad])
                )
            if col.kind == "int":
                frac = present & ~bad & (num.fillna(0) % 1 != 0)
                if frac.any():
                    problems.append(
                        f"column {col.name!r}: expected a whole number, found "
                        + _listing(f"{_plain(s[i])!r} in {_row_label(i, row_base)}" for i in s.index[frac])
                    )
            if col.min is not None:
                low = present & ~bad & (num < col.min)
                if low.any():
                    problems.append(
                        f"column {col.name!r}: expected a value of at least {col.min:g}, found "
                        + _listing(f"{_plain(s[i])!r} in {_row_label(i, row_base)}" for i in s.index[low])
                    )
            if col.max is not None:
                high = present & ~bad & (num > col.max)
                if high.any():
                    problems.append(
                        f"column {col.name!r}: expected a value of at most {col.max:g}, found "
                        + _listing(f"{_plain(s[i])!r} in {_row_label(i, row_base)}" for i in s.index[high])
                    )
            if col.kind == "int" and not num.isna().any():
                out[col.name] = num.astype("int64")
            elif col.kind == "int":
                out[col.name] = num.astype("Int64") if not bad.any() and not (num.dropna() % 1 != 0).any() else num
            else:
                out[col.name] = num.astype(float)
        elif col.kind == "date":
            text = s.where(present).astype("string").str.strip()
            dates = pd.to_datetime(text, errors="coerce", format="ISO8601")
            rest = present & dates.isna()
            if rest.any():  # Dutch notation 04-10-2016 is day first
                dates[rest] = pd.to_datetime(text[rest], errors="coerce", dayfirst=True, format="mixed")
            bad = present & dates.isna()
            if bad.any():
                problems.append(
                    f"column {col.name!r}: expected a date like 2016-10-04, found "
                    + _listing(f"{_plain(s[i])!r} in {_row_label(i, row_base)}" for i in s.index[bad])
                )
            out[col.name] = dates
        elif col.kind == "bool":
            mapping = {"true": True, "1": True, "ja": True, "yes": True, "false": False, "0": False, "nee": False, "no": False}
            vals = s.where(present).map(lambda v: mapping.get(str(v).strip().lower()) if pd.notna(v) else None)
            bad = present & vals.isna()
            if bad.any():
                problems.append(
                    f"column {col.name!r}: expected ja/nee or true/false, found "
                    + _listing(f"{_plain(s[i])!r} in {_row_label(i, row_base)}" for i in s.index[bad])
                )
            out[col.name] = vals
        else:
            out[col.name] = s.where(present).astype("string").str.strip()
        if col.allowed is not None:
            vals = out[col.name]
            bad = present & ~vals.isin(col.allowed)
            if bad.any():
                problems.append(
                    f"column {col.name!r}: expected one of {list(col.allowed)}, found "
                    + _listing(f"{_plain(s[i])!r} in {_row_label(i, row_base)}" for i in s.index[bad])
                )
    # 3. keys
    if schema.key and not problems:
        dup = out.duplicated(list(schema.key), keep=False)
        if dup.any():
            problems.append(
                f"columns {list(schema.key)}: expected each combination once, found duplicates in "
                + _listing(_row_label(i, row_base) for i in out.index[dup])
            )
    if problems:
        raise ValidationError(
            f"{source}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems), problems
        )
    if schema.extra == "drop":
        out = out[[c for c in schema.names if c in out.columns]]
    return out
