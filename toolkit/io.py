"""Analysts' own files: CSV and Excel (xlsx) exports, validated at the boundary.

Housing corporations, COA and the municipality's own case management export
tables in many spellings. :func:`read_table` reads such a file (CSV with ``;``
or ``,``, in UTF-8 or Windows-1252; or an ``.xlsx`` sheet) and checks it
against a :class:`toolkit._validate.Schema`. Every problem is reported at once
in one :class:`~toolkit.ValidationError` that names the file, the row as the
user sees it in Excel (the header is row 1) and the column.

The frames returned carry ``attrs``: ``dataset`` (schema name), ``source``
(file name, and sheet) and ``status``: the value of the file's ``status``
column when it has one value, else ``None`` (the toolkit cannot know whether
an analyst's file holds published figures or estimates).
"""

from __future__ import annotations

import datetime as _dt
import io as _io
import re
import warnings
from pathlib import Path

import pandas as pd

from . import schemas
from ._errors import ValidationError
from ._validate import _canon, validate_frame

__all__ = ["read_table", "read_housing_stock", "read_coa_occupancy", "read_caseload"]

CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = (";", ",", "\t")
_DUTCH_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")


def read_table(path, schema, *, sheet=None, known_codes=None):
    """Read a CSV or xlsx file and validate it against ``schema``.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt`` (delimiter ``;``, ``,`` or tab; UTF-8 with or
        without BOM, or Windows-1252) or ``.xlsx``/``.xlsm``.
    schema : toolkit._validate.Schema
        For example :data:`toolkit.schemas.HOUSING_STOCK`.
    sheet : str or int, optional
        Excel sheet name or position; default the first sheet.
    known_codes : collection of str, optional
        CBS codes accepted in ``code`` columns; default: no check.

    Returns
    -------
    pandas.DataFrame
        The schema's columns, cleaned (names from close variants, types,
        codes ``GMdddd``). Dates written day-first (``04-10-2016``, Dutch
        style) are read as 4 October 2016.

    Raises
    ------
    ValidationError
        Empty file, a file that is not what its extension says, unreadable
        text, or any schema problem (file name, row and column in the message).
    """
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ValidationError(
            f"{name}: old Excel 97-2003 files (.xls) are not supported; save it as .xlsx or CSV"
        )
    if suffix not in CSV_SUFFIXES + EXCEL_SUFFIXES:
        raise ValidationError(
            f"{name}: unsupported file type {path.suffix!r}; expected one of "
            f"{list(CSV_SUFFIXES + EXCEL_SUFFIXES)}"
        )
    if not path.is_file():
        raise ValidationError(f"{name}: file not found ({path})")
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ValidationError(f"{name}: the file is empty; expected a header row with columns {schema.names}")
    if suffix in EXCEL_SUFFIXES:
        raw, source = _read_excel(path, data, sheet)
    else:
        if sheet is not None:
            raise ValidationError(f"{name}: sheet={sheet!r} only applies to Excel files, not CSV")
        raw, source = _read_csv(name, data), name
    raw = _trim(raw)
    raw = _day_first_dates(raw, schema)
    out = validate_frame(raw, schema, source=source, row_base=2, known_codes=known_codes)
    status = None
    if "status" in out.columns and out["status"].nunique(dropna=True) == 1 and out["status"].notna().all():
        status = str(out["status"].iloc[0])
    out.attrs = {"dataset": schema.name, "source": source, "status": status}
    return out


def read_housing_stock(path, *, sheet=None, known_codes=None):
    """Social-rental stock per municipality and size class from a corporation export.

    Columns (:data:`toolkit.schemas.HOUSING_STOCK`): code, size_class
    (``1``, ``2``, ``3-4``, ``5+``), dwellings, and when present
    reference_year, density_class, status. One row per (code, size_class).
    ``known_codes`` defaults to the shipped municipalities (all years).
    """
    return read_table(path, schemas.HOUSING_STOCK, sheet=sheet, known_codes=_known(known_codes))


def read_coa_occupancy(path, *, sheet=None, known_codes=None):
    """A COA occupancy list: one row per reception location and date.

    Columns (:data:`toolkit.schemas.COA_OCCUPANCY`): location, code, date,
    capacity, occupancy, and permit_holders when present. Other columns are
    dropped. ``known_codes`` defaults to the shipped municipalities.
    """
    return read_table(path, schemas.COA_OCCUPANCY, sheet=sheet, known_codes=_known(known_codes))


def read_caseload(path, *, sheet=None, known_codes=None):
    """A caseload of permit-holder households from the municipality's own records.

    Columns (:data:`toolkit.schemas.CASELOAD`): household_id, code (optional),
    nationality_group, referent_age, referent_sex, partner_present,
    children_present, family_abroad, months_since_permit, final_size
    (optional). After the schema, :func:`toolkit.households.validate_caseload`
    maps nationality spellings to its groups (warning about unknown ones) and
    checks that final_size is at least the current size. The file should
    hold no names or other personal details: only these columns are kept.
    """
    from .households import validate_caseload

    out = read_table(path, schemas.CASELOAD, sheet=sheet, known_codes=_known(known_codes))
    attrs = dict(out.attrs)
    out = out[[c for c in schemas.CASELOAD.names if c in out.columns]]
    out = validate_caseload(out, source=attrs["source"], row_base=2)
    out.attrs = attrs
    return out


# ---------------------------------------------------------------- internals


def _known(known_codes):
    if known_codes is not None:
        return set(known_codes)
    from .data import load_municipalities

    return set(load_municipalities()["code"])


def _decode(name, data):
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValidationError(f"{name}: could not read the text as UTF-8 or Windows-1252; save it as CSV UTF-8")


def _read_csv(name, data):
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError(f"{name}: expected a CSV text file, found a ZIP archive (an Excel .xlsx file renamed to .csv?)")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(f"{name}: expected a CSV text file, found an old Excel (.xls) workbook")
    if b"\x00" in data[:4096]:
        raise ValidationError(
            f"{name}: expected a CSV text file, found binary data (or UTF-16 text; save it as CSV UTF-8)"
        )
    text = _decode(name, data)
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in DELIMITERS}
    sep = max(DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","
    try:
        return pd.read_csv(
            _io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise ValidationError(f"{name}: the file is empty; expected a header row") from None
    except pd.errors.ParserError as exc:
        raise ValidationError(f"{name}: could not read as CSV with delimiter {sep!r}: {exc}") from None


def _read_excel(path, data, sheet):
    name = path.name
    if not data.startswith(b"PK\x03\x04"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            found = "an old Excel 97-2003 (.xls) workbook; save it as .xlsx"
        elif b"\x00" in data[:4096]:
            found = "binary data"
        else:
            found = "text (a CSV file renamed to .xlsx? give it the .csv extension)"
        raise ValidationError(f"{name}: expected an Excel workbook (.xlsx), found {found}")
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and data validation it ignores
            warnings.simplefilter("ignore", UserWarning)
            with pd.ExcelFile(path, engine="openpyxl") as book:
                names = book.sheet_names
                if sheet is None:
                    chosen = names[0]
                elif isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
                    chosen = names[sheet]
                elif sheet in names:
                    chosen = sheet
                else:
                    raise ValidationError(f"{name}: no sheet {sheet!r}; the workbook has sheets {names}")
                raw = pd.read_excel(book, sheet_name=chosen, dtype=object)
    except ValidationError:
        raise
    except Exception as exc:  # zipfile/openpyxl/lxml raise many types; report them as one
        raise ValidationError(f"{name}: could not read it as an Excel workbook: {type(exc).__name__}: {exc}") from None
    source = name if len(names) == 1 else f"{name} (sheet {chosen!r})"
    return raw, source


def _trim(raw):
    """Drop trailing empty rows and empty unnamed columns (Excel leftovers).

    Empty rows in between stay, so the row numbers in messages match the file.
    """
    unnamed = [c for c in raw.columns if str(c).startswith("Unnamed:") and raw[c].isna().all()]
    raw = raw.drop(columns=unnamed)
    blank = raw.isna().all(axis=1).to_numpy()
    n = len(raw)
    while n and blank[n - 1]:
        n -= 1
    return raw.iloc[:n]


def _day_first_dates(raw, schema):
    """Turn Dutch day-first dates (dd-mm-yyyy, dd/mm/yyyy) into ISO strings."""
    canon = {_canon(c): c for c in raw.columns}
    out = raw
    for col in schema.columns:
        if col.kind != "date":
            continue
        actual = next((canon[_canon(n)] for n in (col.name, *col.aliases) if _canon(n) in canon), None)
        if actual is None:
            continue

        def iso(v):
            m = _DUTCH_DATE.match(v) if isinstance(v, str) else None
            if not m:
                return v
            try:
                return _dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
            except ValueError:
                return v  # not a date (31-02-2016): validation reports the original

        if out is raw:
            out = raw.copy()
        out[actual] = raw[actual].map(iso)
    return out
