"""CBS StatLine: population, dwelling stock and region divisions, and the refresh of the tables.

The client reads CBS's OData v3 service through the ``cbsodata`` package
(``cbsodata.download_data`` / ``get_meta``), with a timeout on every request
and a cache of every response in the user cache folder (the same folder and
key scheme as the PDOK client: :func:`toolkit.boundaries.cache_file`). Three
tables:

- **03759NED** "Bevolking op 1 januari en gemiddeld; geslacht, leeftijd en
  regio": ``BevolkingOp1Januari_1`` per municipality for the totals of sex,
  age and marital status (:func:`population`);
- **82900NED** "Voorraad woningen; eigendom, type verhuurder, bewoning,
  regio": dwellings owned by housing corporations per municipality, the
  social-rental stock the matching needs (:func:`corporation_stock`); CBS
  does not publish it by dwelling size, so :func:`housing_stock` splits it
  over size classes by the shipped density assumption (status ``schatting``);
- **Gebieden in Nederland** (85755NED for 2024, 86059NED for 2025, 86247NED
  for 2026): the COROP area and, where the table has it, the
  woningmarktregio of each municipality (:func:`region_divisions`).

Dimension keys and column names are looked up by their titles in the
table's metadata (``DataProperties`` and the dimension tables), not assumed,
except the region and period dimensions (``RegioS``, ``Perioden``, the same in
every CBS table): a table whose layout changed (a dimension, measure, total or
column gone or renamed) gives a :class:`RefreshError` that names what is
missing. These layouts were written from CBS's documented OData format; they
could not be checked against the live service from here (no network), so
the first real refresh is also the first real test.

:func:`refresh` fetches everything first, validates it against the same
schemas as the shipped tables, and only then writes the tables and their
registry entries (source, retrieved date, status) into the user data folder
(:func:`toolkit._tables.user_data_dir`), never into the installed package. A
refresh that fails (offline without a cached copy, an HTTP error, a changed
layout) writes nothing and says why.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import threading
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._files import atomic_write
from ._tables import SCHEMAS, USER_REGISTRY, clear_cache, load_table, refreshed_entries, user_data_dir
from ._validate import validate_frame
from .boundaries import cache_file, offline_requested

__all__ = [
    "STATLINE_URL",
    "POPULATION_TABLE",
    "HOUSING_TABLE",
    "REGION_TABLES",
    "RefreshError",
    "population",
    "corporation_stock",
    "housing_stock",
    "region_divisions",
    "refresh",
    "split_by_size",
    "SIZE_SHARES",
    "import_file",
    "IMPORTABLE",
    "data_listing",
]

STATLINE_URL = "https://opendata.cbs.nl"
POPULATION_TABLE = "03759ned"
HOUSING_TABLE = "82900NED"
#: "Gebieden in Nederland" per year (table ids named in public code; SOURCES.md "Region divisions").
REGION_TABLES = {2024: "85755NED", 2025: "86059NED", 2026: "86247NED"}
TIMEOUT = 60
LICENCE = "CC BY 4.0, CBS"

SIZE_CLASSES = ("1", "2", "3-4", "5+")
#: Shares of the size classes (persons a dwelling suits) by population density, an assumption
#: (``aanname``); the shipped estimate uses the same (geodata/scripts/derive_housing_stock.py).
SIZE_SHARES = {
    "stedelijk": (0.30, 0.30, 0.32, 0.08),  # >= 2,000 inhabitants per km2
    "tussen": (0.20, 0.30, 0.40, 0.10),  # 750 - 2,000 per km2
    "landelijk": (0.12, 0.25, 0.48, 0.15),  # < 750 per km2
}

_OPTIONS_LOCK = threading.Lock()


class RefreshError(ValidationError):
    """A CBS download or refresh failed; nothing was written. The message says why."""


# ---------------------------------------------------------------- transport


@contextlib.contextmanager
def _catalog(base_url):
    """Point cbsodata at ``base_url`` (scheme and host) for the duration of a call."""
    import cbsodata

    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"cbs: base_url must look like 'https://opendata.cbs.nl', got {base_url!r}")
    with _OPTIONS_LOCK:
        old = cbsodata.options.use_https
        cbsodata.options.use_https = parts.scheme == "https"
        try:
            yield parts.netloc + parts.path.rstrip("/")
        finally:
            cbsodata.options.use_https = old


def _get(table, what, *, filters=None, base_url=STATLINE_URL, timeout=TIMEOUT, cache_dir=None, offline=False):
    """One OData resource of ``table`` (``what``: a metadata name, or ``"data"`` for the typed dataset).

    Returns the ``value`` list (metadata) or the dict of every resource
    (``"data"``). Cached by request; offline without a cached copy, a
    timeout, an HTTP error or an answer that is not OData JSON raise
    :class:`RefreshError`.
    """
    import cbsodata
    import requests

    params = {"table": table, "what": what, "filters": filters}
    path = cache_file(f"cbs_{table}_{what}", base_url, params, cache_dir=cache_dir)
    if path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            raise RefreshError(f"CBS {table}: the cached response {path} is damaged; delete it and refresh again") from None
    if offline_requested(offline):
        raise RefreshError(f"CBS {table}: offline and no cached copy in {path.parent} (run with internet access)")
    try:
        with _catalog(base_url) as host:
            if what == "data":
                result = cbsodata.download_data(table, typed=True, filters=filters, catalog_url=host, timeout=timeout)
            else:
                result = cbsodata.get_meta(table, what, catalog_url=host, timeout=timeout)
    except requests.Timeout:
        raise RefreshError(f"CBS {table}: no answer from {base_url} within {timeout} s (timeout)") from None
    except requests.HTTPError as exc:
        raise RefreshError(f"CBS {table}: {base_url} answered with an HTTP error ({exc})") from None
    except requests.RequestException as exc:
        raise RefreshError(f"CBS {table}: could not reach {base_url} ({type(exc).__name__}: {exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise RefreshError(f"CBS {table}: the answer from {base_url} is not CBS OData JSON ({type(exc).__name__}: {exc})") from None
    atomic_write(path, json.dumps(result))
    return result


def _layout(table, what):
    return RefreshError(f"CBS {table}: the table layout changed: {what}; update toolkit/cbs.py or supply the file yourself")


def _properties(table, dimensions=("RegioS", "Perioden"), **kw):
    """The table's DataProperties; ``dimensions``: the dimension keys the client asks for by name."""
    props = _get(table, "DataProperties", **kw)
    if not isinstance(props, list) or not all(isinstance(p, dict) and "Key" in p for p in props):
        raise _layout(table, "DataProperties is not a list of properties with a Key")
    keys = [p["Key"] for p in props]
    for d in dimensions:
        if d not in keys:
            raise _layout(table, f"no dimension {d!r} in DataProperties (found {', '.join(map(str, keys))})")
    return props


def _total_key(table, dimension, **kw):
    """The key of the category titled 'Totaal ...' of a dimension."""
    cats = _get(table, dimension, **kw)
    for c in cats:
        if str(c.get("Title", "")).strip().lower().startswith("totaal"):
            return c["Key"]
    raise _layout(table, f"dimension {dimension!r} has no category titled 'Totaal ...'")


def _period_key(table, year, *, latest_up_to=False, **kw):
    periods = [p["Key"] for p in _get(table, "Perioden", **kw) if str(p.get("Key", "")).endswith("JJ00")]
    years = sorted(int(p[:4]) for p in periods)
    if not years:
        raise _layout(table, "no yearly periods (keys like '2025JJ00')")
    if year is None:
        return f"{years[-1]}JJ00", years[-1]
    if int(year) in years:
        return f"{int(year)}JJ00", int(year)
    if latest_up_to and any(y <= int(year) for y in years):
        y = max(y for y in years if y <= int(year))
        return f"{y}JJ00", y
    raise RefreshError(f"CBS {table} has no figures for {year} yet; available years {years[0]}-{years[-1]}")


def _rows(table, data, region_dim="RegioS", measures=()):
    # cbsodata 1.3 returns the untyped dataset for typed=True (it removes the requested one from its list):
    # accept either, and read the measures as numbers
    rows = None
    if isinstance(data, dict):
        rows = data.get("TypedDataSet", data.get("UntypedDataSet"))
    if not isinstance(rows, list):
        raise _layout(table, "no TypedDataSet or UntypedDataSet in the answer")
    out = pd.DataFrame(rows)
    for m in measures:
        if m in out.columns:
            out[m] = pd.to_numeric(out[m].astype(str).str.strip().replace({"": None, ".": None, "None": None}), errors="coerce")
    if out.empty:
        return out
    if region_dim not in out.columns:
        raise _layout(table, f"no region dimension {region_dim!r} in the data")
    out[region_dim] = out[region_dim].astype(str).str.strip()
    return out


def _odata_filter(clauses):
    return " and ".join(clauses)


# ---------------------------------------------------------------- tables


def population(year=None, *, base_url=STATLINE_URL, timeout=TIMEOUT, cache_dir=None, offline=False):
    """Population per municipality on 1 January ``year`` from CBS 03759NED.

    Parameters
    ----------
    year : int, optional
        Default: the latest year in the table.

    Returns
    -------
    pandas.DataFrame
        Columns code, reference_date, population, source, status, note (the
        layout of ``geodata/population.csv``); CBS's provisional figures are
        marked ``voorlopig`` in the note when the period's status says so.
    """
    kw = dict(base_url=base_url, timeout=timeout, cache_dir=cache_dir, offline=offline)
    table = POPULATION_TABLE
    props = _properties(table, **kw)
    measure = next((p["Key"] for p in props if str(p["Key"]).startswith("BevolkingOp1Januari")), None)
    if measure is None:
        raise _layout(table, "no measure 'BevolkingOp1Januari_*'")
    dims = [p["Key"] for p in props if p.get("Type") == "Dimension"]
    period, year = _period_key(table, year, **kw)
    clauses = [f"{d} eq '{_total_key(table, d, **kw)}'" for d in dims]
    clauses += [f"Perioden eq '{period}'", "substringof('GM',RegioS)"]
    data = _get(table, "data", filters=_odata_filter(clauses), **kw)
    rows = _rows(table, data, measures=[measure])
    if rows.empty or measure not in rows.columns:
        raise _layout(table, f"no values of {measure} for {period}")
    rows = rows[rows["RegioS"].str.startswith("GM") & rows[measure].notna()]
    if "Perioden" in rows.columns:
        rows = rows[rows["Perioden"].astype(str).str.strip() == period]
    status = {p["Key"]: str(p.get("Status", "")) for p in _get(table, "Perioden", **kw)}
    provisional = "voorlopig" in status.get(period, "").lower()
    return pd.DataFrame(
        {
            "code": rows["RegioS"].to_numpy(),
            "reference_date": f"{year}-01-01",
            "population": rows[measure].astype("int64").to_numpy(),
            "source": f"CBS StatLine {table} ({measure}), opgehaald via {base_url}",
            "status": "gepubliceerd",
            "note": "voorlopig cijfer" if provisional else "",
        }
    )


def corporation_stock(year=None, *, base_url=STATLINE_URL, timeout=TIMEOUT, cache_dir=None, offline=False):
    """Dwellings owned by housing corporations per municipality, CBS 82900NED.

    ``year``: the latest year in the table up to ``year`` (default: latest).
    Returns columns code, dwellings, reference_year.
    """
    kw = dict(base_url=base_url, timeout=timeout, cache_dir=cache_dir, offline=offline)
    table = HOUSING_TABLE
    props = _properties(table, **kw)
    measures = [p["Key"] for p in props if p.get("Type") == "Topic"]
    if not measures:
        raise _layout(table, "no measure (Topic) in DataProperties")
    clauses = []
    owner = None
    for d in (p["Key"] for p in props if p.get("Type") == "Dimension"):
        cats = _get(table, d, **kw)
        corp = [c["Key"] for c in cats if "corporatie" in str(c.get("Title", "")).lower()]
        if corp and owner is None:
            owner = d
            clauses.append(f"{d} eq '{corp[0]}'")
        else:
            clauses.append(f"{d} eq '{_total_key(table, d, **kw)}'")
    if owner is None:
        raise _layout(table, "no dimension with a category 'woningcorporatie'")
    period, ref_year = _period_key(table, year, latest_up_to=True, **kw)
    clauses += [f"Perioden eq '{period}'", "substringof('GM',RegioS)"]
    rows = _rows(table, _get(table, "data", filters=_odata_filter(clauses), **kw), measures=measures[:1])
    if rows.empty or measures[0] not in rows.columns:
        raise _layout(table, f"no values of {measures[0]} for {period}")
    rows = rows[rows["RegioS"].str.startswith("GM") & rows[measures[0]].notna()]
    return pd.DataFrame({"code": rows["RegioS"].to_numpy(), "dwellings": rows[measures[0]].astype("int64").to_numpy(),
                         "reference_year": ref_year})


def split_by_size(totals, density):
    """Split dwelling totals over the size classes by density class (``SIZE_SHARES``).

    Parameters
    ----------
    totals : pandas.Series
        Dwellings per code.
    density : pandas.Series
        Inhabitants per km2 per code.

    Returns
    -------
    pandas.DataFrame
        Columns code, size_class, dwellings, density_class; each code's
        classes add up to its total (largest remainder).

    >>> split_by_size(pd.Series({"GM0344": 100}), pd.Series({"GM0344": 3_500.0}))["dwellings"].tolist()
    [30, 30, 32, 8]
    """
    rows = []
    for code, total in totals.items():
        kind = "stedelijk" if density[code] >= 2000 else "tussen" if density[code] >= 750 else "landelijk"
        raw = np.asarray(SIZE_SHARES[kind]) * int(total)
        whole = np.floor(raw).astype(int)
        whole[np.argsort(-(raw - whole), kind="stable")[: int(total) - whole.sum()]] += 1
        rows += [{"code": code, "size_class": s, "dwellings": int(n), "density_class": kind} for s, n in zip(SIZE_CLASSES, whole)]
    return pd.DataFrame(rows)


def housing_stock(year=None, *, population=None, **kw):
    """Corporation stock per municipality (82900NED) split over size classes (status ``schatting``).

    ``population``: inhabitants per code (a Series) for the density classes;
    default the shipped or refreshed count of 1 January of the stock's year.
    Areas are those of the division of that year. Returns the layout of
    ``geodata/housing_stock.csv``.
    """
    stock = corporation_stock(year, **kw)
    ref = int(stock["reference_year"].iloc[0])
    if population is None:
        from .data import municipality_population

        population = municipality_population(ref, list(stock["code"])).set_index("code")["population"]
    return _sized(stock, population, ref)


def _sized(stock, population, year):
    from .regions import municipalities

    area = municipalities(year).set_index("code")["area_km2"]
    common = [c for c in stock["code"] if c in population.index and c in area.index]
    out = split_by_size(stock.set_index("code").loc[common, "dwellings"], population[common] / area[common])
    out["reference_year"] = int(stock["reference_year"].iloc[0])
    out["status"] = "schatting"
    return out[["code", "size_class", "dwellings", "reference_year", "density_class", "status"]]


def region_divisions(year, *, base_url=STATLINE_URL, timeout=TIMEOUT, cache_dir=None, offline=False):
    """COROP areas and woningmarktregio's per municipality from "Gebieden in Nederland" of ``year``.

    Returns rows in the layout of ``geodata/regions.csv``: region
    (``"COROP <naam>"`` or ``"woningmarktregio <naam>"``), composition (the
    year), valid_from and valid_to (that year), code, source. A table
    without woningmarktregio columns gives COROP only.
    """
    if int(year) not in REGION_TABLES:
        raise RefreshError(f"no 'Gebieden in Nederland' table known for {year}; known: {sorted(REGION_TABLES)}")
    kw = dict(base_url=base_url, timeout=timeout, cache_dir=cache_dir, offline=offline)
    table = REGION_TABLES[int(year)]
    props = _properties(table, ("RegioS",), **kw)
    groups = {p.get("ID"): str(p.get("Title", "")) for p in props if p.get("Type") == "TopicGroup"}
    wanted = {"COROP": "corop", "woningmarktregio": "woningmarktregio"}
    columns = {}
    for label, word in wanted.items():
        gid = next((i for i, t in groups.items() if word in t.lower()), None)
        if gid is None:
            continue
        kids = {str(p.get("Title", "")).strip().lower(): p["Key"] for p in props if p.get("ParentID") == gid}
        if "naam" in kids and "code" in kids:
            columns[label] = (kids["code"], kids["naam"])
    if "COROP" not in columns:
        raise _layout(table, "no COROP group with 'Code' and 'Naam'")
    rows = _rows(table, _get(table, "data", **kw))
    rows = rows[rows["RegioS"].str.startswith("GM")]
    out = []
    for label, (code_col, name_col) in columns.items():
        if code_col not in rows.columns or name_col not in rows.columns:
            raise _layout(table, f"columns {code_col}/{name_col} of {label} missing from the data")
        for code, rcode, name in zip(rows["RegioS"], rows[code_col], rows[name_col]):
            if pd.isna(name) or not str(name).strip():
                continue
            out.append({"region": f"{label} {str(name).strip()}", "composition": str(year),
                        "valid_from": f"{year}-01-01", "valid_to": f"{year}-12-31", "code": code,
                        "source": f"CBS {table} Gebieden in Nederland {year} ({label} {str(rcode).strip()})"})
    return pd.DataFrame(out, columns=["region", "composition", "valid_from", "valid_to", "code", "source"])


# ---------------------------------------------------------------- refresh


def _merge(name, new, folder):
    """The new rows plus rows refreshed earlier (other keys), validated like the shipped table."""
    schema = SCHEMAS[name]
    entry = refreshed_entries(folder).get(name)
    frame = new.astype(str).replace({"nan": "", "None": "", "<NA>": ""})
    if entry is not None:
        old = pd.read_csv(Path(folder) / entry["file"], dtype=str, keep_default_na=False)
        key = list(schema.key)
        frame = pd.concat([old[~old.set_index(key).index.isin(frame.set_index(key).index)], frame], ignore_index=True)
    known = set(load_table("municipalities")["code"])
    try:
        validate_frame(frame.replace({"": None}), schema, source=f"CBS → {name}", known_codes=known)
    except ValidationError as exc:
        raise RefreshError(f"{name}: the downloaded rows do not fit the table layout: {exc}") from None
    return frame


def refresh(year=None, *, folder=None, base_url=STATLINE_URL, timeout=TIMEOUT, cache_dir=None, offline=False, today=None):
    """Fetch population, corporation stock and region divisions and write them into the user data folder.

    Everything is downloaded and validated before anything is written; a
    failure raises :class:`RefreshError` and leaves the folder as it was.

    Parameters
    ----------
    year : int, optional
        Population on 1 January of ``year`` and the region tables of that
        year; default the latest year CBS has.
    folder : str or Path, optional
        Default :func:`toolkit._tables.user_data_dir`.

    Returns
    -------
    pandas.DataFrame
        One row per table written: name, file, rows, reference, source.
    """
    folder = Path(folder or user_data_dir())
    kw = dict(base_url=base_url, timeout=timeout, cache_dir=cache_dir, offline=offline)
    retrieved = (today or _dt.date.today()).isoformat()
    pop = population(year, **kw)
    pop_year = int(pop["reference_date"].iloc[0][:4])
    tables = {"population": (pop, f"1-1-{pop_year}", [pop["source"].iloc[0]], "gepubliceerd")}
    # the corporation stock is split by the density of the freshly fetched population
    stock_totals = corporation_stock(pop_year, **kw)
    ref = int(stock_totals["reference_year"].iloc[0])
    stock = _sized(stock_totals, pop.set_index("code")["population"], pop_year)
    stock_name = "housing_stock_2024" if pop_year >= 2024 else "housing_stock"
    tables[stock_name] = (stock, str(ref), [f"CBS StatLine {HOUSING_TABLE} (corporatiewoningen {ref}), opgehaald via {base_url}",
                                             "grootteklassen: aanname naar bevolkingsdichtheid (toolkit.cbs.SIZE_SHARES)"], "schatting")
    notes = []
    if pop_year in REGION_TABLES:
        regions = region_divisions(pop_year, **kw)
        tables["regions"] = (regions, str(pop_year), [f"CBS StatLine {REGION_TABLES[pop_year]} Gebieden in Nederland {pop_year}"], "gepubliceerd")
    else:
        notes.append(f"regions: geen tabel 'Gebieden in Nederland' bekend voor {pop_year}")
    written = _write(tables, folder, retrieved)
    written.attrs["notes"] = notes
    return written


def _write(tables, folder, retrieved):
    """Validate every table, then write them and (last) the registry; ``tables``: name -> (frame, reference, source, status)."""
    merged = {name: _merge(name, df, folder) for name, (df, *_rest) in tables.items()}
    entries = refreshed_entries(folder)
    written = []
    for name, frame in merged.items():
        _df, reference, source, status = tables[name]
        path = folder / f"{name}.csv"
        atomic_write(path, frame.to_csv(index=False, lineterminator="\n"))
        entries[name] = {"file": path.name, "source": source, "retrieved": retrieved, "reference": reference,
                         "status": status, "licence": LICENCE, "rows": len(frame)}
        written.append({"name": name, "file": str(path), "rows": len(frame), "reference": reference, "source": "; ".join(source)})
    atomic_write(folder / USER_REGISTRY, json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    clear_cache()
    return pd.DataFrame(written)


#: Tables an analyst may add from an own file (``doorlopende-lijn data importeren``).
IMPORTABLE = ("population", "housing_stock", "housing_stock_2024", "regions", "taakstelling")


def import_file(name, path, *, folder=None, sheet=None, today=None):
    """Add an analyst's own CSV/xlsx to the user data folder as rows of table ``name``.

    The file is validated like the shipped table (``toolkit.io.read_table``
    with the table's schema and the known municipality codes); rows with the
    same key as a shipped row replace it when loaded. The registry entry
    names the file as the source; the status is the file's own ``status``
    column when it has one value, else ``schatting`` (the toolkit cannot know
    more).
    """
    from .io import read_table

    if name not in IMPORTABLE:
        raise ValidationError(f"data importeren: table {name!r} cannot be imported; expected one of {list(IMPORTABLE)}")
    folder = Path(folder or user_data_dir())
    known = set(load_table("municipalities")["code"])
    frame = read_table(path, SCHEMAS[name], sheet=sheet, known_codes=known)
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].dt.strftime("%Y-%m-%d")
    status = frame.attrs.get("status") or "schatting"
    reference = ""
    if "reference_date" in frame.columns:
        reference = ", ".join(sorted(frame["reference_date"].dropna().unique()))
    source = [f"eigen bestand {Path(path).name} (ingelezen {(today or _dt.date.today()).isoformat()})"]
    return _write({name: (frame, reference, source, status)}, folder, (today or _dt.date.today()).isoformat())


def data_listing(folder=None):
    """What is shipped and what was refreshed or imported, and when: one row per table.

    Columns: name, origin (``meegeleverd`` or ``bijgewerkt``), status,
    reference, retrieved, rows, source.
    """
    from .registry import registry

    rows = [
        {"name": k, "origin": "meegeleverd", "status": v["status"], "reference": v.get("reference_date", v.get("year", "")),
         "retrieved": "", "rows": v["rows"], "source": "; ".join(v["source"])}
        for k, v in registry().items()
    ]
    folder = Path(folder or user_data_dir())
    for k, v in refreshed_entries(folder).items():
        rows.append({"name": k, "origin": "bijgewerkt", "status": v.get("status", ""), "reference": v.get("reference", ""),
                     "retrieved": v.get("retrieved", ""), "rows": v.get("rows", ""), "source": "; ".join(v.get("source", []))})
    out = pd.DataFrame(rows)
    out.attrs["folder"] = str(folder)
    return out
