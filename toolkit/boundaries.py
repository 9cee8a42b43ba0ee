"""Municipality boundaries: a user file, PDOK (cached), or a schematic fallback.

:func:`load_boundaries` returns one polygon per municipality in EPSG:4326 with
the columns ``code`` (CBS code ``GMdddd``), ``name`` and ``geometry``. It tries,
in order:

1. a file the analyst brings (GeoJSON, GeoPackage or Shapefile, in RD New
   EPSG:28992 or WGS84, with CBS property names ``statcode``/``statnaam`` or
   close variants such as ``gemeentecode``, ``gm_code``, ``gemeentenaam``);
2. the PDOK OGC API Features of CBS gebiedsindelingen (collection
   ``gemeente_gegeneraliseerd``, filtered on ``jaarcode``), through a cache
   folder keyed by a hash of the request;
3. when offline with nothing cached: a schematic map built from the shipped
   representative points (Voronoi cells around each point, cut to a circle of
   the municipality's area), with a :class:`SchematicWarning` that says how to
   get real polygons. Such a frame has ``attrs["schematic"] = True`` and status
   ``schatting``.

``gdf.attrs`` always holds ``schematic``, ``status``, ``source`` and ``crs_in``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import ValidationError
from ._files import atomic_write
from ._validate import _canon, _listing, normalise_codes

__all__ = [
    "PDOK_URL",
    "COLLECTION",
    "SchematicWarning",
    "load_boundaries",
    "read_boundary_file",
    "schematic_boundaries",
    "default_cache_dir",
    "cache_file",
    "offline_requested",
]

PDOK_URL = "https://api.pdok.nl/cbs/gebiedsindelingen/ogc/v1"
COLLECTION = "gemeente_gegeneraliseerd"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
PAGE_LIMIT = 1000  # features per page requested from PDOK
MAX_PAGES = 50  # guard against a server whose 'next' links never end
CACHE_ENV = "DOORLOPENDE_LIJN_CACHE"
OFFLINE_ENV = "DOORLOPENDE_LIJN_OFFLINE"  # "1": never download (CI, demos without internet)
ATTRIBUTION = "CBS / Kadaster"

SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage", ".shp": "Shapefile"}
CODE_COLUMNS = ("statcode", "gemeentecode", "gm_code", "gmcode", "gemcode", "gemeente_code", "cbs_code", "code")
NAME_COLUMNS = ("statnaam", "gemeentenaam", "gm_naam", "gmnaam", "gemeente_naam", "naam", "name", "gemeente")
YEAR_COLUMNS = ("jaarcode", "jaar", "year", "jrstatcode")

# Coordinate extents used to recognise what numbers are: lon/lat degrees, the
# RD New grid (EPSG:28992 validity area) and the Netherlands in lon/lat.
RD_EXTENT = (-7000.0, 289000.0, 300000.0, 629000.0)
NL_LONLAT = (3.0, 50.6, 7.4, 53.7)


class SchematicWarning(UserWarning):
    """Real polygons were not available; a schematic map is used instead."""


# ---------------------------------------------------------------- public API


def load_boundaries(
    year=2016,
    *,
    path=None,
    region=None,
    cache_dir=None,
    offline=False,
    timeout=30,
    base_url=PDOK_URL,
    repair=False,
):
    """Municipality polygons for the division of 1 January ``year``.

    Parameters
    ----------
    year : int
        Municipal division (``jaarcode`` at PDOK).
    path : str or Path, optional
        A GeoJSON, GeoPackage or Shapefile to use instead of PDOK.
    region : str or list of str, optional
        Keep only these municipalities (anything
        :func:`toolkit.regions.region_codes` accepts, e.g. ``"U16"``), in the
        region's order. ``None`` keeps every municipality found.
    cache_dir : str or Path, optional
        Folder for downloaded responses. Default: the environment variable
        ``DOORLOPENDE_LIJN_CACHE``, else :func:`default_cache_dir`.
    offline : bool
        Never use the network; use the cache or the schematic fallback. The
        environment variable ``DOORLOPENDE_LIJN_OFFLINE=1`` does the same.
    timeout : float
        Seconds to wait for PDOK to connect and for each read.
    base_url : str
        Root of the OGC API (tests point this at a local server).
    repair : bool
        Repair invalid polygons with ``shapely.make_valid`` (with a warning)
        instead of raising.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns code, name, geometry; CRS EPSG:4326. ``attrs``: ``schematic``
        (bool), ``status``, ``source``, ``crs_in`` and, after a download or
        cache hit, ``cache_file``.

    Raises
    ------
    ValidationError
        When a file or a PDOK response is not usable; the message names the
        file, the features and what was expected.
    """
    year = _check_year(year)
    if path is not None:
        return read_boundary_file(path, year=year, region=region, repair=repair)

    url = f"{base_url.rstrip('/')}/collections/{COLLECTION}/items"
    params = {"f": "json", "limit": PAGE_LIMIT, "jaarcode": year, "crs": CRS84}
    cache_file = _cache_path(cache_dir, url, params, year)
    source = (
        f"CBS gebiedsindelingen, {COLLECTION} {year}, via PDOK OGC API Features ({base_url}); {ATTRIBUTION}"
    )
    offline = offline_requested(offline)
    reason = None
    if not cache_file.exists() and not offline:
        try:
            collection = _download(url, params, timeout=timeout)
        except _DownloadError as exc:
            reason = f"downloading from {url} failed: {exc}"
        else:
            if not collection["features"]:
                raise ValidationError(
                    f"PDOK ({url}) returned no municipalities for jaarcode={year}; "
                    "check the year or pass path= with your own boundary file"
                )
            atomic_write(cache_file, json.dumps(collection))
    if cache_file.exists():
        try:
            gdf = read_boundary_file(cache_file, year=year, region=region, repair=repair)
        except ValidationError as exc:
            raise ValidationError(
                f"cached PDOK response {cache_file}: {exc}. If the file is damaged, delete it to download it again", exc.problems
            ) from None
        gdf.attrs.update(source=source, status="gepubliceerd", cache_file=str(cache_file))
        return gdf
    if reason is None:
        reason = f"offline and no cached copy in {cache_file.parent}"
    gdf = schematic_boundaries(year, region=region)
    left_out = gdf.attrs.get("missing_codes") or []
    warnings.warn(
        f"Using a schematic map, not real municipal boundaries ({reason}). "
        "To get real polygons: run once with internet access (the PDOK response is cached in "
        f"{cache_file.parent}; set {CACHE_ENV} or cache_dir= to move it), or pass "
        "path= with a GeoJSON/GeoPackage/Shapefile of CBS municipalities (statcode, statnaam)."
        + (f" Left out (no representative point shipped): {', '.join(left_out)}." if left_out else ""),
        SchematicWarning,
        stacklevel=2,
    )
    return gdf


def default_cache_dir():
    """The user cache folder for downloads.

    ``$DOORLOPENDE_LIJN_CACHE`` if set; else ``%LOCALAPPDATA%\\doorlopende-lijn``
    on Windows and ``$XDG_CACHE_HOME/doorlopende-lijn`` (default
    ``~/.cache/doorlopende-lijn``) elsewhere.
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "doorlopende-lijn"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "doorlopende-lijn"


def read_boundary_file(path, *, year=2016, region=None, repair=False):
    """Read and validate a municipality boundary file.

    GeoJSON (``.geojson``/``.json``), GeoPackage (``.gpkg``) or Shapefile
    (``.shp`` with its ``.shx``/``.dbf``/``.prj``), in any CRS that is declared.
    A year column (``jaarcode``, ``jrstatcode``) selects the division of
    ``year`` and must contain it.

    Returns the layout of :func:`load_boundaries` (status ``gepubliceerd``,
    source the file name).
    """
    path = Path(path)
    name = path.name
    year = _check_year(year)
    raw = _read_vector(path)
    crs_in = raw.crs.to_string() if raw.crs is not None else None
    cols = {_canon(c): c for c in raw.columns if c != raw.geometry.name}

    code_col = next((cols[c] for c in CODE_COLUMNS if c in cols), None)
    if code_col is None:
        found = [c for c in raw.columns if c != raw.geometry.name]
        close = difflib.get_close_matches("statcode", [_canon(c) for c in found], n=1, cutoff=0.5)
        hint = f" (did you mean {cols[close[0]]!r}?)" if close else ""
        raise ValidationError(
            f"{name}: no municipality code column{hint}; expected one of {list(CODE_COLUMNS)}, "
            f"found columns {found}"
        )
    name_col = next((cols[c] for c in NAME_COLUMNS if c in cols and cols[c] != code_col), None)
    year_col = next((cols[c] for c in YEAR_COLUMNS if c in cols), None)

    labels = [f"feature {i + 1}" for i in range(len(raw))]
    raw = raw.assign(_label=labels)
    if year_col is not None:
        raw = _select_year(raw, year_col, year, name)

    # codes: well-formed, unique, existing in this year's division
    codes, bad = normalise_codes(raw[code_col], raw["_label"])
    if bad:
        raise ValidationError(
            f"{name}: column {code_col!r}: expected a CBS municipality code like 'GM0344', found "
            + _listing(bad)
        )
    raw = raw.assign(_code=codes)
    dup = raw["_code"].duplicated(keep=False)
    if dup.any():
        raise ValidationError(
            f"{name}: column {code_col!r}: expected each municipality once, found duplicates "
            + _listing(f"{c} in {lab}" for c, lab in zip(raw.loc[dup, "_code"], raw.loc[dup, "_label"]))
        )
    _check_codes_exist(raw["_code"], year, name)

    _check_geometries(raw, name, repair=repair)
    _check_crs(raw, name)
    gdf = raw.to_crs(4326)
    _check_lonlat_extent(gdf, name, crs_in)

    names = _shipped_names()
    if name_col is not None:
        nm = raw[name_col].astype("string").str.strip()
        nm = nm.where(nm.notna() & (nm != ""), None)
    else:
        nm = pd.Series([None] * len(raw), index=raw.index, dtype="object")
    nm = [n if n is not None and not pd.isna(n) else names.get(c, c) for n, c in zip(nm, raw["_code"])]
    out = gpd.GeoDataFrame(
        {"code": list(raw["_code"]), "name": nm}, geometry=list(gdf.geometry), crs="EPSG:4326"
    )
    out = _filter_region(out, region, year, name)
    out.attrs = {
        "schematic": False,
        "status": "gepubliceerd",
        "source": f"eigen bestand {name}",
        "crs_in": crs_in,
        "year": year,
    }
    return out


def schematic_boundaries(year=2016, *, region=None):
    """A schematic map of the shipped municipalities: no real boundaries.

    Each municipality becomes the Voronoi cell of its representative point
    (``geodata/municipalities.csv``), cut to a circle with the municipality's
    area, computed in RD New. Cells do not overlap and neighbours stay
    neighbours, but the shapes are not the real ones.

    ``region=None`` takes every shipped municipality of ``year`` that has a
    representative point; those without one are listed in
    ``attrs["missing_codes"]``. A region that names such a municipality raises.

    >>> gdf = schematic_boundaries(2016, region="U16")
    >>> len(gdf), gdf.crs.to_epsg(), gdf.attrs["schematic"], gdf.attrs["status"]
    (16, 4326, True, 'schatting')
    """
    from .regions import municipalities, region_codes

    year = _check_year(year)
    mun = municipalities(year)
    if region is None:
        wanted = mun["code"].tolist()
    else:
        wanted = region_codes(region, year)
        unknown = [c for c in wanted if c not in set(mun["code"])]
        if unknown:
            raise ValidationError(
                f"schematic_boundaries: no shipped municipality {unknown} on 1-1-{year}; "
                "the schematic map only covers the shipped municipalities (geodata/municipalities.csv)"
            )
    mun = mun.set_index("code").loc[wanted]
    has_point = mun["lat"].notna() & mun["lon"].notna()
    missing = mun.index[~has_point].tolist()
    if missing and region is not None:
        raise ValidationError(
            f"schematic_boundaries: no representative point shipped for {missing}; "
            "pass path= with real boundaries"
        )
    mun = mun[has_point]
    pts = gpd.GeoSeries(gpd.points_from_xy(mun["lon"], mun["lat"]), crs=4326).to_crs(28992)
    area_m2 = mun["area_km2"].fillna(40.0).to_numpy() * 1e6  # 40 km2 when unknown: a typical size
    radius = np.sqrt(area_m2 / np.pi)
    circles = [p.buffer(r, quad_segs=16) for p, r in zip(pts, radius)]
    if len(pts) >= 2:
        envelope = shapely.box(*shapely.union_all(circles).bounds)
        cells = list(shapely.voronoi_polygons(shapely.MultiPoint(list(pts)), extend_to=envelope).geoms)
        shapes = []
        for p, circle in zip(pts, circles):
            cell = next((c for c in cells if c.covers(p)), circle)
            shapes.append(cell.intersection(circle))
    else:
        shapes = circles
    out = gpd.GeoDataFrame(
        {"code": mun.index.tolist(), "name": mun["name"].tolist()}, geometry=shapes, crs=28992
    ).to_crs(4326)
    out.attrs = {
        "schematic": True,
        "status": "schatting",
        "source": "schematische kaart: Voronoi-cellen rond de representatieve punten in "
        "geodata/municipalities.csv, begrensd tot een cirkel met de oppervlakte van de gemeente; "
        "geen echte gemeentegrenzen",
        "crs_in": None,
        "year": year,
        "missing_codes": missing,
    }
    return out


# ---------------------------------------------------------------- reading files


def _check_year(year):
    try:
        y = int(year)
    except (TypeError, ValueError):
        raise ValidationError(f"year: expected a year like 2016, got {year!r}") from None
    if y != year or not 1800 <= y <= 2100:
        raise ValidationError(f"year: expected a year like 2016, got {year!r}")
    return y


def _sniff(path):
    """Raise when the file is missing, empty, or not what its extension says."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(
            f"{name}: unsupported boundary file type {path.suffix!r}; expected one of "
            f"{sorted(SUFFIXES)} (GeoJSON, GeoPackage, Shapefile)"
        )
    if not path.is_file():
        raise ValidationError(f"{name}: file not found ({path})")
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(512)
    if size == 0 or not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ValidationError(f"{name}: the file is empty; expected a {SUFFIXES[suffix]} file with municipalities")
    kind = SUFFIXES[suffix]
    if kind == "GeoJSON" and not head.lstrip(b" \t\r\n\xef\xbb\xbf").startswith(b"{"):
        raise ValidationError(f"{name}: expected GeoJSON (a JSON object starting with '{{'), found {_describe(head)}")
    if kind == "GeoPackage" and not head.startswith(b"SQLite format 3\x00"):
        raise ValidationError(f"{name}: expected a GeoPackage (an SQLite database), found {_describe(head)}")
    if kind == "Shapefile":
        if len(head) < 100 or int.from_bytes(head[:4], "big") != 9994:
            raise ValidationError(f"{name}: expected a Shapefile (.shp), found {_describe(head)}")
        absent = [s for s in (".shx", ".dbf") if not path.with_suffix(s).exists()]
        if absent:
            raise ValidationError(
                f"{name}: a Shapefile needs its companion files; missing {[path.stem + s for s in absent]}"
            )
    return kind


def _describe(head):
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (an Excel file or a zipped Shapefile? unzip it first)"
    if head.startswith(b"SQLite format 3"):
        return "an SQLite database (GeoPackage?)"
    if head.lstrip(b" \t\r\n\xef\xbb\xbf").startswith(b"{"):
        return "JSON text"
    if b"\x00" in head:
        return "binary data"
    return f"text starting with {head[:40].decode('utf-8', 'replace')!r}"


def _read_vector(path):
    kind = _sniff(path)
    name = path.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL raise many types; report them as one
        raise ValidationError(f"{name}: could not read the {kind} file: {exc}") from None
    if len(gdf) == 0:
        raise ValidationError(f"{name}: the file holds no features; expected one polygon per municipality")
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise ValidationError(f"{name}: the file has no geometry column")
    return gdf


def _select_year(raw, year_col, year, name):
    years = pd.Series(
        [int(m.group(0)) if (m := re.match(r"\s*(\d{4})", str(v))) else None for v in raw[year_col]],
        index=raw.index,
        dtype="object",
    )
    found = sorted({int(y) for y in years.dropna()})
    if year not in found:
        raise ValidationError(
            f"{name}: column {year_col!r}: expected the municipal division of {year}, found years {found}; "
            f"pass year={found[-1] if found else '...'} or use a file for {year}"
        )
    return raw[years == year]


def _check_codes_exist(codes, year, name):
    """Codes the shipped tables know to be abolished by, or new after, 1-1-year."""
    from .data import load_municipalities

    mun = load_municipalities().set_index("code")
    d = pd.Timestamp(year=year, month=1, day=1)
    problems = []
    for c in codes:
        if c not in mun.index:
            continue
        row = mun.loc[c]
        if pd.notna(row["valid_to"]) and row["valid_to"] < d:
            problems.append(f"{c} ({row['name']}) no longer exists on 1-1-{year} (ended {row['valid_to']:%Y-%m-%d})")
        elif pd.notna(row["valid_from"]) and row["valid_from"] > d:
            problems.append(f"{c} ({row['name']}) only exists from {row['valid_from']:%Y-%m-%d}")
    if problems:
        raise ValidationError(
            f"{name}: unknown municipality codes for the division of {year}: {_listing(problems)}; "
            "is this a file for another year?"
        )


def _check_crs(raw, name):
    x0, y0, x1, y1 = raw.total_bounds
    where = f"x {x0:.6g}..{x1:.6g}, y {y0:.6g}..{y1:.6g}"
    lonlat = -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90
    rd = RD_EXTENT[0] <= x0 and x1 <= RD_EXTENT[2] and RD_EXTENT[1] <= y0 and y1 <= RD_EXTENT[3]
    looks = "RD New metres (EPSG:28992)" if rd else "longitude/latitude degrees (EPSG:4326)" if lonlat else None
    if raw.crs is None:
        raise ValidationError(
            f"{name}: no coordinate reference system (CRS) declared; coordinates span {where}"
            + (f", which look like {looks}" if looks else "")
            + ". Save the file with its CRS (for a Shapefile: the .prj file beside it)"
        )
    if raw.crs.is_geographic and not lonlat:
        raise ValidationError(
            f"{name}: declared CRS {raw.crs.to_string()} (longitude/latitude degrees), but coordinates span "
            f"{where}" + (f", which look like {looks}" if looks else "")
            + ". Declare the right CRS in the file (RD New is EPSG:28992)"
        )
    if raw.crs.is_projected and lonlat and (x1 - x0) < 360:
        raise ValidationError(
            f"{name}: declared CRS {raw.crs.to_string()} (metres), but coordinates span {where}, "
            "which look like longitude/latitude degrees (EPSG:4326). Declare the right CRS in the file"
        )


def _check_lonlat_extent(gdf, name, crs_in):
    x0, y0, x1, y1 = gdf.total_bounds
    inside = NL_LONLAT[0] <= x0 and x1 <= NL_LONLAT[2] and NL_LONLAT[1] <= y0 and y1 <= NL_LONLAT[3]
    if inside:
        return
    swapped = NL_LONLAT[1] <= x0 and x1 <= NL_LONLAT[3] and NL_LONLAT[0] <= y0 and y1 <= NL_LONLAT[2]
    raise ValidationError(
        f"{name}: after converting from {crs_in} to WGS84 the polygons span longitude {x0:.4g}..{x1:.4g}, "
        f"latitude {y0:.4g}..{y1:.4g}, outside the Netherlands"
        + ("; longitude and latitude look swapped" if swapped else "; the declared CRS is probably wrong")
    )


def _check_geometries(raw, name, *, repair):
    geom = raw.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        raise ValidationError(
            f"{name}: missing or empty geometry for " + _listing(f"{c} ({lab})" for c, lab in zip(raw.loc[empty, "_code"], raw.loc[empty, "_label"]))
        )
    types = geom.geom_type
    wrong = ~types.isin(["Polygon", "MultiPolygon"])
    if wrong.any():
        raise ValidationError(
            f"{name}: expected Polygon or MultiPolygon geometries, found "
            + _listing(f"{t} for {c}" for t, c in zip(types[wrong], raw.loc[wrong, "_code"]))
        )
    invalid = ~geom.is_valid
    if not invalid.any():
        return
    found = _listing(
        f"{c} ({shapely.is_valid_reason(g)})" for c, g in zip(raw.loc[invalid, "_code"], geom[invalid])
    )
    if not repair:
        raise ValidationError(
            f"{name}: invalid polygon geometry for {found}; fix the file, or pass repair=True "
            "to repair them with shapely.make_valid"
        )
    fixed = shapely.make_valid(geom[invalid].to_numpy())
    # make_valid may add stray lines or points; keep the polygonal part
    fixed = [_polygonal(g) for g in fixed]
    raw.loc[invalid, raw.geometry.name] = fixed
    warnings.warn(f"{name}: repaired invalid polygons with shapely.make_valid: {found}", UserWarning, stacklevel=4)


def _polygonal(g):
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g


def _shipped_names():
    from .data import load_municipalities

    mun = load_municipalities()
    return dict(zip(mun["code"], mun["name"]))


def _filter_region(gdf, region, year, name):
    if region is None:
        return gdf.sort_values("code").reset_index(drop=True)
    from .regions import region_codes

    wanted = region_codes(region, year)
    have = set(gdf["code"])
    missing = [c for c in wanted if c not in have]
    if missing:
        names = _shipped_names()
        raise ValidationError(
            f"{name}: municipalities of region {region!r} in {year} missing from the file: "
            + _listing(f"{c} ({names.get(c, '?')})" for c in missing)
        )
    return gdf.set_index("code").loc[wanted].reset_index()


# ---------------------------------------------------------------- PDOK client


class _DownloadError(Exception):
    """Transport-level failure: no connection, timeout, HTTP error, not JSON."""


def _cache_path(cache_dir, url, params, year):
    return cache_file(f"pdok_{COLLECTION}_{year}", url, params, cache_dir=cache_dir, suffix=".geojson")


def cache_file(prefix, url, params, *, cache_dir=None, suffix=".json"):
    """The cache file of one request: ``<cache folder>/<prefix>_<hash of url and params><suffix>``.

    Shared by the clients of online sources (PDOK here, CBS StatLine in
    :mod:`toolkit.cbs`); the folder is :func:`default_cache_dir` unless
    ``cache_dir`` is given.
    """
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    key = json.dumps({"url": url, "params": params}, sort_keys=True)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return folder / f"{prefix}_{digest}{suffix}"


def offline_requested(offline=False):
    """True when ``offline`` is set or ``DOORLOPENDE_LIJN_OFFLINE`` is ``1``/``true``/``ja``/``yes``."""
    return bool(offline) or os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "ja", "yes")


def _download(url, params, *, timeout):
    """GET every page of an OGC API Features ``items`` response.

    Follows ``links`` with ``rel="next"`` and returns one FeatureCollection
    (CRS84, no ``crs`` member) with all features.
    """
    import requests

    features = []
    seen = set()
    next_url, next_params = url, params
    with requests.Session() as session:
        session.headers.update({"Accept": "application/geo+json, application/json"})
        for _ in range(MAX_PAGES):
            try:
                resp = session.get(next_url, params=next_params, timeout=timeout)
                resp.raise_for_status()
                page = resp.json()
            except requests.Timeout:
                raise _DownloadError(f"no answer within {timeout} s (timeout)") from None
            except requests.RequestException as exc:
                raise _DownloadError(f"{type(exc).__name__}: {exc}") from None
            except ValueError:
                raise _DownloadError(f"the response from {resp.url} is not JSON") from None
            if not isinstance(page, dict) or not isinstance(page.get("features"), list):
                raise _DownloadError(f"the response from {resp.url} is not a GeoJSON FeatureCollection")
            features.extend(page["features"])
            seen.add(resp.url)
            nxt = next((l.get("href") for l in page.get("links", []) if l.get("rel") == "next"), None)
            if not nxt or not page["features"]:
                break
            if nxt in seen:
                raise _DownloadError(f"the 'next' link repeats a page ({nxt})")
            next_url, next_params = nxt, None
        else:
            raise _DownloadError(f"more than {MAX_PAGES} pages; stopped")
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberReturned": len(features),
        "request": {"url": url, "params": params},
    }
