"""Analysts' own files: CSV and Excel (xlsx) exports, validated at the boundary.

Housing corporations, COA and the municipality's own case management export
tables in many spellings. :func:`read_table` reads such a file and checks it
against a :class:`toolkit._validate.Schema`. Every problem is reported at once
in one :class:`~toolkit.ValidationError` that names the file, the row as the
user sees it in Excel (the header is row 1) and the column.

What is read
------------
- CSV with ``;``, ``,`` or tab as delimiter, or the delimiter named on a first
  line ``sep=;`` as Excel writes it (that line is not counted as a row, as in
  Excel); ``.xlsx``/``.xlsm`` sheets.
- Encodings detected per file: UTF-8 with or without BOM, or Windows-1252. A
  file that mixes the two, or holds text converted twice (``ZeÃ¯st`` for
  ``Zeïst``), is rejected naming the row.
- Numbers as Dutch Excel writes them (``1.000`` is one thousand in a count
  column, ``3,5`` is three and a half); see
  :func:`toolkit._validate.parse_numbers`.
- Dates day-first (``04-10-2016`` is 4 October) or ISO ``2016-10-04``.

Limits before work
------------------
The file size and the number of rows are checked before parsing, against
``schema.max_bytes`` and ``schema.max_rows`` (defaults
:data:`DEFAULT_MAX_BYTES`, :data:`DEFAULT_MAX_ROWS`; the user-file limits are
in :mod:`toolkit.schemas`). For xlsx the unpacked size of the workbook
(at most :data:`XLSX_EXPANSION` times the size limit) and the rows of every
sheet are checked from the zip directory and the sheet XML before
``pandas.read_excel`` is called, so a small file that unpacks to gigabytes is
rejected at once.

The frames returned carry ``attrs``: ``dataset`` (schema name), ``source``
(file name, and sheet), ``status`` (the value of the file's ``status`` column
when it has one value, else ``None``: the toolkit cannot know whether an
analyst's file holds published figures or estimates), and ``row_base`` and
``nrows``, with which later checks name the file's rows.
"""

from __future__ import annotations

import codecs
import io as _io
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from . import schemas
from ._errors import ValidationError
from ._format import fmt_int
from ._tables import load_table
from ._validate import MAX_LISTED, validate_frame

__all__ = ["read_table", "read_housing_stock", "read_coa_occupancy", "read_caseload",
           "DEFAULT_MAX_BYTES", "DEFAULT_MAX_ROWS", "XLSX_EXPANSION", "read_region_file",
           "read_circulaire", "read_vacant_buildings", "CirculaireWarning"]

CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
DELIMITERS = (";", ",", "\t")
DEFAULT_MAX_BYTES = 20 * 2**20
DEFAULT_MAX_ROWS = 200_000
XLSX_EXPANSION = 5
"""An xlsx may unpack to at most this many times the file-size limit (all zip members together)."""

_SEP_LINE = re.compile(r"^\ufeff?\s*sep=(.)\s*$", re.IGNORECASE)
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")


def _mojibake_pattern():
    cont = "".join(sorted({bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xC0)} - {""}))
    cont = re.escape(cont)
    return re.compile(f"[\u00c2-\u00df][{cont}]|[\u00e0-\u00ef][{cont}]{{2}}")


_MOJIBAKE = _mojibake_pattern()


def read_table(path, schema, *, sheet=None, known_codes=None):
    """Read a CSV or xlsx file and validate it against ``schema``.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt`` (delimiter ``;``, ``,``, tab, or named on a first
        line ``sep=;``; UTF-8 with or without BOM, or Windows-1252) or
        ``.xlsx``/``.xlsm``.
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
        Empty file, a file above the size or row limit, a file that is not
        what its extension says, unreadable or mixed text encodings, or any
        schema problem (file name, row and column in the message).
    """
    raw, source = read_raw(path, schema, sheet=sheet)
    out = validate_frame(raw, schema, source=source, row_base=2, known_codes=known_codes)
    return _with_attrs(out, schema, source)


def read_raw(path, schema, *, sheet=None):
    """The shared first half of every reader: limits, file type, encoding, delimiter.

    Returns ``(raw, source)``: the cells as text (CSV) or Excel values, the
    first data row at position 0 (row 2 in the file), trailing empty rows and
    empty unnamed columns dropped; ``source`` is the file name (and sheet).
    Nothing is validated against ``schema`` except its limits.
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
    max_bytes, max_rows = _limits(schema)
    size = path.stat().st_size
    if size > max_bytes:
        raise ValidationError(
            f"{name}: the file is {_mb(size)}; the limit for a {schema.name} file is {_mb(max_bytes)} "
            f"(toolkit.schemas, max_bytes); split it or keep only the columns {schema.names}"
        )
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ValidationError(f"{name}: the file is empty; expected a header row with columns {schema.names}")
    if suffix in EXCEL_SUFFIXES:
        _check_xlsx(path, data, schema, max_bytes, max_rows)
        raw, source = _read_excel(path, sheet, max_rows)
    else:
        if sheet is not None:
            raise ValidationError(f"{name}: sheet={sheet!r} only applies to Excel files, not CSV")
        raw, source = _read_csv(name, data, schema, max_rows), name
    return _trim(raw), source


def read_housing_stock(path, *, sheet=None, known_codes=None, region=None, year=None):
    """Social-rental stock per municipality and size class from a corporation export.

    Columns (:data:`toolkit.schemas.HOUSING_STOCK`): code, size_class
    (``1``, ``2``, ``3-4``, ``5+``), dwellings, and when present
    reference_year, density_class, status. One row per (code, size_class).
    ``known_codes`` defaults to the shipped municipalities (all years).

    Codes are checked against the municipal division of the file's
    ``reference_year`` (else ``year``, when given) with the code-change
    table: a municipality that no longer existed, or did not exist yet, is
    rejected naming its successor; a merged municipality and its successor in
    one year are rejected. With ``region`` (``"U16"``, a list of codes), every
    member municipality of ``year`` (default: the file's reference year) must
    have rows; the missing ones are named.
    """
    out = read_table(path, schemas.HOUSING_STOCK, sheet=sheet, known_codes=_known(known_codes))
    source = out.attrs["source"]
    if "reference_year" in out.columns and out["reference_year"].notna().any():
        ref = out["reference_year"].astype("Float64")
        if year is not None:
            ref = ref.fillna(float(year))
    else:
        ref = pd.Series(np.nan if year is None else float(year), index=out.index)
    dates = pd.to_datetime(ref.astype(float).astype("Int64").astype("string") + "-01-01", errors="coerce")
    _check_division(out, dates, source, groups=ref.astype(float).fillna(-1))
    if region is not None:
        years = ref.dropna().unique()
        if year is None and len(years) != 1:
            raise ValidationError(
                f"{source}: to check the municipalities of {region!r}, give the year of the division "
                "(the file has no single reference_year)"
            )
        _check_coverage(out, region, int(year if year is not None else years[0]), source)
    return out


def read_coa_occupancy(path, *, sheet=None, known_codes=None):
    """A COA occupancy list: one row per reception location and date.

    Columns (:data:`toolkit.schemas.COA_OCCUPANCY`): location, code, date,
    capacity, occupancy, and permit_holders when present. Other columns are
    dropped. ``known_codes`` defaults to the shipped municipalities.
    Occupancy may not exceed capacity, nor permit holders occupancy; the
    code of each row must exist on its date (code-change table).
    """
    out = read_table(path, schemas.COA_OCCUPANCY, sheet=sheet, known_codes=_known(known_codes))
    _check_division(out, out["date"], out.attrs["source"], groups=out["date"].dt.year)
    return out


def read_caseload(path, *, sheet=None, known_codes=None):
    """A caseload of permit-holder households from the municipality's own records.

    Columns (:data:`toolkit.schemas.CASELOAD`): household_id, code (optional),
    nationality_group, referent_age, referent_sex, partner_present,
    children_present, family_abroad, months_since_permit, final_size
    (optional; at most :data:`toolkit.schemas.MAX_HOUSEHOLD` persons). The
    file is validated once, by :func:`toolkit.households.validate_caseload`
    (the schema, nationality spellings mapped to its groups with a warning
    about unknown ones, final_size at least the current size). The file
    should hold no names or other personal details: only these columns are
    kept.
    """
    from .households import validate_caseload

    raw, source = read_raw(path, schemas.CASELOAD, sheet=sheet)
    out = validate_caseload(raw, source=source, row_base=2, known_codes=_known(known_codes))
    out = out[[c for c in schemas.CASELOAD.names if c in out.columns]]
    out = _with_attrs(out, schemas.CASELOAD, source)
    if "code" in out.columns and out["code"].notna().any():
        _check_division(out, pd.Series(pd.NaT, index=out.index), source, groups=pd.Series(0, index=out.index))
    return out


# ---------------------------------------------------------------- internals


def _with_attrs(out, schema, source):
    status = None
    if "status" in out.columns and out["status"].nunique(dropna=True) == 1 and out["status"].notna().all():
        status = str(out["status"].iloc[0])
    out.attrs = {"dataset": schema.name, "source": source, "status": status, "row_base": 2, "nrows": len(out)}
    return out


def _limits(schema):
    return (schema.max_bytes or DEFAULT_MAX_BYTES, schema.max_rows or DEFAULT_MAX_ROWS)


def _mb(n):
    return f"{n / 2**20:,.1f} MB" if n >= 2**20 else f"{n / 1024:,.0f} KB"


def _known(known_codes):
    if known_codes is not None:
        return set(known_codes)
    return set(load_table("municipalities")["code"])


def _row_list(rows):
    rows = [int(r) for r in rows]
    shown = ", ".join(str(r) for r in rows[:MAX_LISTED])
    return shown + (f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else "")


def _decode(name, data, row_offset):
    """Text of a CSV file in its one encoding; ``row_offset`` maps file lines to Excel rows."""
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[3:] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        utf8_row = cp_row = None
        for m in _NON_ASCII_LINE.finditer(body):
            try:
                m.group().decode("utf-8")
                utf8_row = utf8_row or body.count(b"\n", 0, m.start()) + 1
            except UnicodeDecodeError:
                cp_row = cp_row or body.count(b"\n", 0, m.start()) + 1
            if cp_row and (utf8_row or bom):
                break
        if cp_row and (utf8_row or bom):
            utf8 = f"row {utf8_row - row_offset(utf8_row)} is UTF-8" if utf8_row else "the file starts with a UTF-8 mark (BOM)"
            raise ValidationError(
                f"{name}: mixed text encodings: {utf8} but row {cp_row - row_offset(cp_row)} is not "
                "(Windows-1252?); save the whole file once as CSV UTF-8"
            )
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError as exc:
            row = body.count(b"\n", 0, exc.start) + 1
            raise ValidationError(
                f"{name}: could not read the text as UTF-8 or Windows-1252 (byte {body[exc.start]:#04x} in row "
                f"{row - row_offset(row)}); save it as CSV UTF-8"
            ) from None
    m = _MOJIBAKE.search(text)
    if m:
        row = text.count("\n", 0, m.start()) + 1
        start = text.rfind("\n", 0, m.start()) + 1
        word = re.search(r"[^\s;,\t]*$", text[start:m.start()]).group() + re.match(r"[^\s;,\t]*", text[m.start():]).group()
        raise ValidationError(
            f"{name}: row {row - row_offset(row)}: {word[:40]!r} looks like text converted twice between "
            f"encodings ({m.group()!r} where one letter was meant, e.g. 'Ã¯' for 'ï'); correct the text "
            "or export the file again as CSV UTF-8"
        )
    return text


def _read_csv(name, data, schema, max_rows):
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError(f"{name}: expected a CSV text file, found a ZIP archive (an Excel .xlsx file renamed to .csv?)")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(f"{name}: expected a CSV text file, found an old Excel (.xls) workbook")
    if b"\x00" in data[:4096]:
        raise ValidationError(
            f"{name}: expected a CSV text file, found binary data (or UTF-16 text; save it as CSV UTF-8)"
        )
    first = data[:256].split(b"\n", 1)[0].decode("utf-8", errors="replace")
    sep_line = _SEP_LINE.match(first.rstrip("\r"))
    skip = 1 if sep_line else 0
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if lines - skip > max_rows + 1 and data.rstrip(b"\r\n;,\t ").count(b"\n") - skip > max_rows:
        raise ValidationError(
            f"{name}: the file has {lines - skip - 1:,} rows; the limit for a {schema.name} file is "
            f"{max_rows:,} rows (toolkit.schemas, max_rows); split it"
        )
    text = _decode(name, data, lambda line: skip)
    if sep_line:
        sep = sep_line.group(1)
        text = text.split("\n", 1)[1] if "\n" in text else ""
    else:
        header = next((line for line in text.splitlines() if line.strip()), "")
        counts = {d: header.count(d) for d in DELIMITERS}
        sep = max(DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","
    try:
        raw = pd.read_csv(
            _io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise ValidationError(f"{name}: the file is empty; expected a header row with columns {schema.names}") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if not m:
            raise ValidationError(f"{name}: could not read as CSV with delimiter {sep!r}: {' '.join(str(exc).split())}") from None
        want, row, saw = (int(g) for g in m.groups())
        raise _field_count(name, sep, row, saw, want) from None
    if not isinstance(raw.index, pd.RangeIndex):
        # the first data row has more fields than the header: pandas would take the extra ones as an index
        raise _field_count(name, sep, 2, len(raw.columns) + raw.index.nlevels, len(raw.columns))
    if len(raw.columns) == 1 and not sep_line:
        other = next((d for d in "|:#" if d in str(raw.columns[0])), None)
        if other and str(raw.columns[0]) not in schema.names:
            raise ValidationError(
                f"{name}: the header {str(raw.columns[0])[:60]!r} is one column; expected the delimiter ';', ',' or "
                f"tab, found {other!r}: save it with ';' as delimiter or put the line sep={other} first"
            )
    return raw


def _field_count(name, sep, row, saw, want):
    hint = ("decimal commas in a comma-separated file? Save it with ';' as delimiter "
            "(Dutch Excel: CSV with list separator) or put quotes around those values"
            if sep == "," else f"a value with {sep!r} in it needs quotes")
    return ValidationError(
        f"{name}: could not read as CSV with delimiter {sep!r}: row {row} has {saw} fields, the header has "
        f"{want}; {hint}, or name the delimiter on a first line like sep=;"
    )


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]{1,3}(\d+)(?::[A-Z]{1,3}(\d+))?"')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[ >]")


def _check_xlsx(path, data, schema, max_bytes, max_rows):
    """Reject a workbook that unpacks too large or has too many rows, before openpyxl reads it."""
    name = path.name
    if not data.startswith(b"PK\x03\x04"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            found = "an old Excel 97-2003 (.xls) workbook; save it as .xlsx"
        elif b"\x00" in data[:4096]:
            found = "binary data"
        else:
            found = "text (a CSV file renamed to .xlsx? give it the .csv extension)"
        raise ValidationError(f"{name}: expected an Excel workbook (.xlsx), found {found}")
    cap = XLSX_EXPANSION * max_bytes
    try:
        with zipfile.ZipFile(_io.BytesIO(data)) as z:
            infos = z.infolist()
            unpacked = sum(i.file_size for i in infos)  # zipfile never yields more than a member's file_size
            if unpacked > cap:
                big = max(infos, key=lambda i: i.file_size)
                raise ValidationError(
                    f"{name}: the workbook unpacks to {_mb(unpacked)} ({big.filename}: {_mb(big.file_size)}); "
                    f"the limit for a {schema.name} file is {_mb(cap)} unpacked; save only the table as CSV or a smaller xlsx"
                )
            for info in infos:
                if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
                    continue
                rows = _sheet_rows(z, info, max_rows + 1)
                if rows > max_rows + 1:
                    raise ValidationError(
                        f"{name}: sheet {info.filename.rsplit('/', 1)[-1]} has more than {max_rows:,} rows, the limit "
                        f"for a {schema.name} file (toolkit.schemas, max_rows); split it or delete the empty rows "
                        "below the table"
                    )
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise ValidationError(f"{name}: could not read it as an Excel workbook: {type(exc).__name__}: {exc}") from None


def _sheet_rows(z, info, limit):
    """Rows in a sheet: the declared dimension when it is already above ``limit``, else counted (up to limit + 1)."""
    count, tail = 0, b""
    with z.open(info) as f:
        head = f.read(4096)
        m = _DIMENSION.search(head)
        if m and int(m.group(2) or m.group(1)) > limit:
            return int(m.group(2) or m.group(1))
        chunk = head
        while chunk:
            buf = tail + chunk
            count += len(_ROW_TAG.findall(buf)) - len(_ROW_TAG.findall(tail))
            if count > limit:
                return count
            tail = buf[-16:]
            chunk = f.read(1 << 20)
    return count


def _read_excel(path, sheet, max_rows):
    name = path.name
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
                raw = pd.read_excel(book, sheet_name=chosen, dtype=object, nrows=max_rows + 1)
    except ValidationError:
        raise
    except Exception as exc:  # zipfile/openpyxl/lxml raise many types; report them as one
        raise ValidationError(f"{name}: could not read it as an Excel workbook: {type(exc).__name__}: {' '.join(str(exc).split())}") from None
    source = name if len(names) == 1 else f"{name} (sheet {chosen!r})"
    return raw, source


def _trim(raw):
    """Drop trailing empty rows and empty unnamed columns (Excel leftovers).

    Empty rows in between stay, so the row numbers in messages match the file.
    """
    unnamed = [c for c in raw.columns if str(c).startswith("Unnamed:") and raw[c].isna().all()]
    raw = raw.drop(columns=unnamed)
    blank = raw.isna().all(axis=1).to_numpy()
    filled = np.flatnonzero(~blank)
    return raw.iloc[: (filled[-1] + 1 if len(filled) else 0)]


def _check_division(out, dates, source, *, groups):
    """Codes valid on each row's reference date; no merged municipality beside its successor.

    ``dates``: the reference date per row (NaT: no date check); ``groups``:
    rows that describe the same moment (a reference year), within which a
    municipality and its successor may not both appear.
    """
    from .data import load_code_changes, load_municipalities

    if "code" not in out.columns:
        return
    base = out.attrs.get("row_base", 2)
    mun = load_municipalities().set_index("code")
    codes = out["code"].astype("string")
    problems = []
    d = pd.to_datetime(pd.Series(dates, index=out.index))
    start = codes.map(mun["valid_from"]).astype("datetime64[ns]")
    end = codes.map(mun["valid_to"]).astype("datetime64[ns]")
    gone = d.notna() & end.notna() & (d > end)
    early = d.notna() & start.notna() & (d < start)
    changes = load_code_changes()
    successor = dict(zip(changes["old_code"], zip(changes["new_code"], changes["new_name"], changes["date"])))
    for code in codes[gone].unique()[:MAX_LISTED]:
        rows = (out.index[(gone & (codes == code)).to_numpy()] + base).tolist()
        new = successor.get(code)
        then = d[gone & (codes == code)].iloc[0].date().isoformat()
        fix = (f": on {new[2].date().isoformat()} it became part of {new[0]} {new[1]}; use {new[0]} "
               "(toolkit.codes.harmonise adds up the former parts)") if new else ""
        problems.append(f"column 'code': {code} ({mun.at[code, 'name']}) in row {_row_list(rows)} no longer "
                        f"existed on {then}{fix}")
    for code in codes[early].unique()[:MAX_LISTED]:
        rows = (out.index[(early & (codes == code)).to_numpy()] + base).tolist()
        then = d[early & (codes == code)].iloc[0].date().isoformat()
        problems.append(f"column 'code': {code} ({mun.at[code, 'name']}) in row {_row_list(rows)} did not exist "
                        f"yet on {then} (it exists from {mun.at[code, 'valid_from'].date().isoformat()}); use the "
                        "codes of that year's division")
    pairs = changes[changes["old_code"] != changes["new_code"]]
    for _, grp in pd.DataFrame({"code": codes, "g": groups}).groupby("g", dropna=False):
        present = set(grp["code"].dropna())
        for ch in pairs[pairs["old_code"].isin(present) & pairs["new_code"].isin(present)].itertuples():
            r_old = (grp.index[(grp["code"] == ch.old_code).to_numpy()] + base).tolist()
            r_new = (grp.index[(grp["code"] == ch.new_code).to_numpy()] + base).tolist()
            problems.append(
                f"column 'code': both {ch.old_code} {ch.old_name} (row {_row_list(r_old)}) and its successor "
                f"{ch.new_code} {ch.new_name} (row {_row_list(r_new)}) are in the file for the same year; "
                f"{ch.old_name} became part of {ch.new_name} on {ch.date.date().isoformat()}, so it would count twice"
            )
    if problems:
        raise ValidationError(f"{source}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems), problems)


def _check_coverage(out, region, year, source):
    """Every member municipality of ``region`` in ``year`` has rows; name the missing ones."""
    from .regions import municipalities

    members = municipalities(year, region)
    missing = members[~members["code"].isin(set(out["code"].dropna()))]
    if len(missing):
        label = region if isinstance(region, str) else "the region"
        names = ", ".join(f"{n} ({c})" for c, n in zip(missing["code"], missing["name"]))
        raise ValidationError(
            f"{source}: no rows for {len(missing)} of the {len(members)} municipalities of {label} in {year}: {names}; "
            "add their rows (the figures are not filled in with zeros)"
        )


        if out is raw:
            out = raw.copy()
        out[actual] = raw[actual].map(iso)
    return out


# ---------------------------------------------------------------- national data layer (helper "national")


def read_region_file(path, *, sheet=None):
    """A user region: a CSV or xlsx file with a column ``code`` and optionally ``regio`` (its name).

    Columns (:data:`toolkit.schemas.REGION_FILE`): code (one row per member,
    each once), region (optional; one name for the whole file). Codes must be
    known municipalities of some shipped division; codes of another division
    than the chosen year are mapped by :func:`toolkit.regions.region_codes`.
    ``attrs["region_name"]`` holds the name (else the file name without
    extension).
    """
    out = read_table(path, schemas.REGION_FILE, sheet=sheet, known_codes=_known(None))
    names = out["region"].dropna().unique().tolist() if "region" in out.columns else []
    if len(names) > 1:
        raise ValidationError(f"{out.attrs['source']}: column 'region': expected one region name for the whole file, found {names}")
    out.attrs["region_name"] = names[0] if names else Path(path).stem
    return out


class CirculaireWarning(UserWarning):
    """A circulaire's municipal targets do not add up to the national target."""


def read_circulaire(path, *, year, national_target=None, period=None, sheet=None):
    """The ministry's half-yearly circulaire: gemeente, inwoners, taakstelling per municipality.

    Columns (:data:`toolkit.schemas.CIRCULAIRE`): gemeente, code (filled from
    the names of the shipped municipalities of ``year`` when the file has no
    codes), inwoners, taakstelling. The national target to check against is
    ``national_target``, or the published target of ``period`` in the
    taakstelling table; when the municipal targets do not add up to it, a
    :class:`CirculaireWarning` gives the difference (``attrs["difference"]``:
    the file's sum minus the national target).
    """
    import difflib
    import warnings as _warnings

    out = read_table(path, schemas.CIRCULAIRE, sheet=sheet, known_codes=_known(None))
    source = out.attrs["source"]
    mun = load_table("municipalities")
    d = pd.Timestamp(year=int(year), month=1, day=1)
    mun = mun[(mun["valid_from"].isna() | (mun["valid_from"] <= d)) & (mun["valid_to"].isna() | (mun["valid_to"] >= d))]
    by_name = {n.lower(): c for n, c in zip(mun["name"], mun["code"])}
    if "code" not in out.columns or out["code"].isna().any():
        codes, bad = [], []
        have = out["code"] if "code" in out.columns else pd.Series([None] * len(out), index=out.index)
        for pos, (name, code) in enumerate(zip(out["gemeente"], have)):
            if code is not None and not pd.isna(code):
                codes.append(code)
                continue
            hit = by_name.get(str(name).strip().lower())
            if hit is None:
                close = difflib.get_close_matches(str(name), list(mun["name"]), n=1)
                bad.append(f"row {pos + 2}: {name!r}" + (f" (bedoelt u {close[0]!r}?)" if close else ""))
            codes.append(hit)
        if bad:
            raise ValidationError(f"{source}: column 'gemeente': names not among the municipalities of {year}: " + "; ".join(bad))
        out["code"] = codes
    if national_target is None and period is not None:
        table = load_table("taakstelling").set_index("period")
        if period not in table.index:
            raise ValidationError(f"{source}: no published national target for {period!r}; known: {list(table.index)}")
        national_target = int(table.loc[period, "target"])
    difference = None
    if national_target is not None:
        difference = int(out["taakstelling"].sum()) - int(national_target)
        if difference:
            _warnings.warn(
                f"{source}: the municipal targets add up to {fmt_int(int(out['taakstelling'].sum()))} persons, the national target "
                f"is {fmt_int(int(national_target))}: a difference of {'+' if difference > 0 else '-'}{fmt_int(abs(difference))}",
                CirculaireWarning,
                stacklevel=2,
            )
    out.attrs.update(national_target=national_target, difference=difference, period=period)
    return out


def read_vacant_buildings(path, *, sheet=None):
    """A list of vacant buildings: name, code, address, lat, lon, floor_area_m2, available_from, owner.

    Columns (:data:`toolkit.schemas.VACANT_BUILDINGS`); coordinates must lie
    in the Netherlands (a swapped lat/lon fails). Other columns are dropped.
    """
    return read_table(path, schemas.VACANT_BUILDINGS, sheet=sheet, known_codes=_known(None))

