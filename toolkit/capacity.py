"""Capacity analysis: under-used reception locations and vacant state buildings.

Two frame-in / frame-out functions:

- :func:`reception_capacity`: occupancy rate, free places, an under-use flag,
  room for mixed groups at the Plan Einstein scale, distance to the nearest
  municipality centre;
- :func:`building_capacity`: estimated places or dwellings from a building's
  floor area, availability, distance to the nearest municipality centre.

Coordinates are checked at the boundary: missing values, points outside the
Netherlands, swapped latitude/longitude and RD New metres given as degrees
(and the reverse) raise a :class:`~toolkit.ValidationError` naming the row.

Defaults and where they come from
---------------------------------
``mix_scale=80``
    Plan Einstein (Utrecht, 2017-2018): contact between residents and local
    tenants worked best at about 80 people in a shared space with an equal
    ratio (Oliver, Geuijen & Dekker, Comparative Migration Studies 2020).
``threshold=0.8``
    A location is flagged under-used below 80 % occupancy: a policy choice
    (``aanname``), not a published norm; pass your own.
``M2_PER_PLACE = 25`` and ``M2_PER_DWELLING = 60``
    Gross floor area per reception place and per self-contained dwelling.
    No published figure was found (``aanname``); replace them with the
    building owner's own conversion figures.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._errors import ValidationError
from ._validate import MAX_LISTED, _plain, validate_frame
from ._validate import Column as C
from ._validate import Schema
from .schemas import MAX_FLOOR_AREA_M2, MAX_PLACES

__all__ = [
    "reception_capacity",
    "building_capacity",
    "check_coordinates",
    "nearest_centre",
    "M2_PER_PLACE",
    "M2_PER_DWELLING",
    "MIX_SCALE",
    "ASSUMPTIONS",
]

M2_PER_PLACE = 25.0
M2_PER_DWELLING = 60.0
MIX_SCALE = 80
ASSUMPTIONS = {
    "threshold": (0.8, "aanname: beleidskeuze, geen gepubliceerde norm"),
    "mix_scale": (MIX_SCALE, "Plan Einstein: ongeveer 80 mensen, gelijke verhouding (Oliver, Geuijen & Dekker 2020)"),
    "m2_per_place": (M2_PER_PLACE, "aanname: geen gepubliceerd cijfer gevonden (bruto m2 per opvangplek)"),
    "m2_per_dwelling": (M2_PER_DWELLING, "aanname: geen gepubliceerd cijfer gevonden (bruto m2 per woning)"),
}

# Bounding box of the Netherlands (WGS84 degrees and RD New metres).
NL_LAT = (50.7, 53.6)
NL_LON = (3.3, 7.3)
RD_X = (0.0, 300_000.0)
RD_Y = (289_000.0, 630_000.0)
UNKNOWN_OCCUPANCY = "bezetting onbekend"
UNKNOWN_AREA = "vloeroppervlak onbekend"

_STATUS = ("gepubliceerd", "schatting", "voorbeeld", "synthetisch")

LOCATIONS_INPUT = Schema(
    "reception locations",
    (
        C("id"),
        C("name", aliases=("naam", "locatie")),
        C("code", "code", aliases=("gemeentecode",)),
        C("capacity", "int", min=0, max=MAX_PLACES, aliases=("capaciteit", "plaatsen")),
        C("occupancy", "int", required=False, nullable=True, min=0, max=MAX_PLACES, aliases=("bezetting", "bewoners")),
        C("occupancy_date", "date", required=False, nullable=True),
        C("open_from", "date", required=False, nullable=True),
        C("open_to", "date", required=False, nullable=True),
        C("kind", required=False, nullable=True),
        C("status", required=False, nullable=True, allowed=_STATUS),
    ),
    key=("id",),
)

BUILDINGS_INPUT = Schema(
    "state buildings",
    (
        C("id"),
        C("name", aliases=("naam",)),
        C("code", "code", aliases=("gemeentecode",)),
        C("floor_area_m2", "float", nullable=True, min=0, max=MAX_FLOOR_AREA_M2, aliases=("vloeroppervlak", "bvo_m2")),
        C("available_from", "date", required=False, nullable=True),
        C("status", required=False, nullable=True, allowed=_STATUS),
    ),
    key=("id",),
)


ROW_BASE = 2
"""Rows in messages are numbered as in a spreadsheet: the header is row 1, the
first data row (position 0 of the frame) is row 2."""


def _source(frame, source):
    """The file a frame was read from (``attrs['source']`` set by :mod:`toolkit.io`), else ``source``."""
    file = (getattr(frame, "attrs", None) or {}).get("source")
    return f"{file} ({source})" if file and file not in source else source


def _rows_of(positions):
    return [f"row {int(p) + ROW_BASE}" for p in positions]


def check_coordinates(df, *, crs="EPSG:4326", source="<table>"):
    """Return WGS84 ``lat``/``lon`` for the rows of ``df``, checked.

    Parameters
    ----------
    df : pandas.DataFrame
        With columns ``lat`` and ``lon`` (degrees, ``crs="EPSG:4326"``) or
        ``x`` and ``y`` (RD New metres, ``crs="EPSG:28992"``).
    crs : {"EPSG:4326", "EPSG:28992"}
    source : str
        Name of the table for messages.

    Returns
    -------
    pandas.DataFrame
        Columns lat, lon (float degrees), aligned to ``df.index``.

    Raises
    ------
    ValidationError
        Missing coordinates, points outside the Netherlands, swapped
        latitude/longitude, RD metres given as degrees or degrees given as RD
        metres; every offending row is named (as in a spreadsheet: the first
        row of ``df`` is row 2, the header row 1).

    Examples
    --------
    >>> check_coordinates(pd.DataFrame({"lat": [52.09], "lon": [5.12]})).round(2).values.tolist()
    [[52.09, 5.12]]
    """
    crs = str(crs).upper()
    if crs not in ("EPSG:4326", "EPSG:28992"):
        raise ValidationError(f"{source}: crs must be 'EPSG:4326' (lat/lon degrees) or 'EPSG:28992' (RD New x/y), got {crs!r}")
    a_col, b_col = ("lat", "lon") if crs == "EPSG:4326" else ("x", "y")
    missing_cols = [c for c in (a_col, b_col) if c not in df.columns]
    if missing_cols:
        raise ValidationError(
            f"{source}: missing coordinate column(s) {missing_cols} for crs {crs}; found {[str(c) for c in df.columns]}"
        )
    a = pd.to_numeric(df[a_col], errors="coerce").astype(float)
    b = pd.to_numeric(df[b_col], errors="coerce").astype(float)
    va, vb = a.to_numpy(), b.to_numpy()
    missing = ~(np.isfinite(va) & np.isfinite(vb))
    with np.errstate(invalid="ignore"):
        in_deg = (NL_LAT[0] <= va) & (va <= NL_LAT[1]) & (NL_LON[0] <= vb) & (vb <= NL_LON[1])
        swapped_deg = (NL_LAT[0] <= vb) & (vb <= NL_LAT[1]) & (NL_LON[0] <= va) & (va <= NL_LON[1])
        big = np.maximum(np.abs(va), np.abs(vb)) > 1000
        looks_rd = (RD_X[0] <= va) & (va <= RD_X[1]) & (RD_Y[0] <= vb) & (vb <= RD_Y[1]) & big
        looks_rd_swapped = (RD_X[0] <= vb) & (vb <= RD_X[1]) & (RD_Y[0] <= va) & (va <= RD_Y[1]) & big
    if crs == "EPSG:4326":
        fine = in_deg
        kinds = [
            (swapped_deg, lambda x, y: f"lat={x:g}, lon={y:g} look swapped (the Netherlands lies at lat {NL_LAT[0]}-{NL_LAT[1]}, lon {NL_LON[0]}-{NL_LON[1]})"),
            (looks_rd | looks_rd_swapped, lambda x, y: f"lat={x:g}, lon={y:g} look like RD New metres (EPSG:28992), not degrees; pass columns x, y with crs='EPSG:28992'"),
            (np.ones_like(fine), lambda x, y: f"lat={x:g}, lon={y:g} lie outside the Netherlands (lat {NL_LAT[0]}-{NL_LAT[1]}, lon {NL_LON[0]}-{NL_LON[1]})"),
        ]
    else:
        fine = looks_rd
        kinds = [
            (looks_rd_swapped, lambda x, y: f"x={x:g}, y={y:g} look swapped (RD New x is {RD_X[0]:.0f}-{RD_X[1]:.0f}, y {RD_Y[0]:.0f}-{RD_Y[1]:.0f})"),
            (in_deg | swapped_deg, lambda x, y: f"x={x:g}, y={y:g} look like WGS84 degrees, not RD New metres; pass columns lat, lon with crs='EPSG:4326'"),
            (np.ones_like(fine), lambda x, y: f"x={x:g}, y={y:g} lie outside the Netherlands in RD New (x {RD_X[0]:.0f}-{RD_X[1]:.0f}, y {RD_Y[0]:.0f}-{RD_Y[1]:.0f})"),
        ]
    bad = missing | ~fine
    if bad.any():
        problems = []
        positions = np.flatnonzero(bad)
        for p in positions[:MAX_LISTED]:
            label = f"row {p + ROW_BASE}"
            if missing[p]:
                problems.append(f"{label}: missing or non-numeric coordinates "
                                f"({a_col}={_plain(df[a_col].iloc[p])!r}, {b_col}={_plain(df[b_col].iloc[p])!r})")
                continue
            text = next(fmt(va[p], vb[p]) for mask, fmt in kinds if mask[p])
            problems.append(f"{label}: {text}")
        if len(positions) > MAX_LISTED:
            problems.append(f"and {len(positions) - MAX_LISTED} more rows with bad coordinates")
        raise ValidationError(f"{source}: {len(problems)} coordinate problem(s):\n  - " + "\n  - ".join(problems), problems)
    if crs == "EPSG:4326":
        return pd.DataFrame({"lat": a, "lon": b}, index=df.index)
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
    lon, lat = t.transform(va, vb)
    return pd.DataFrame({"lat": lat, "lon": lon}, index=df.index)


def _centres(year):
    from .data import load_municipalities
    from .regions import municipalities

    mun = municipalities(year) if year is not None else load_municipalities()
    return mun.dropna(subset=["lat", "lon"])[["code", "name", "lat", "lon"]].reset_index(drop=True)


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(h))


def nearest_centre(points, *, centres=None, year=None):
    """Nearest municipality centre (representative point) of each point.

    Parameters
    ----------
    points : pandas.DataFrame
        Columns lat, lon (WGS84 degrees).
    centres : pandas.DataFrame, optional
        Columns code, name, lat, lon; default the shipped municipality points
        (``geodata/municipalities.csv``) existing on 1 January ``year``
        (all shipped points when ``year`` is None).

    Returns
    -------
    pandas.DataFrame
        Columns nearest_centre_code, nearest_centre_name, distance_km
        (great-circle distance), aligned to ``points.index``.

    Examples
    --------
    >>> c = pd.DataFrame({"code": ["A", "B"], "name": ["a", "b"], "lat": [52.0, 53.0], "lon": [5.0, 5.0]})
    >>> nearest_centre(pd.DataFrame({"lat": [52.9], "lon": [5.0]}), centres=c)["nearest_centre_code"].tolist()
    ['B']
    """
    centres = _centres(year) if centres is None else centres
    if len(points) == 0:
        return pd.DataFrame({"nearest_centre_code": [], "nearest_centre_name": [], "distance_km": []}, index=points.index)
    d = _haversine_km(
        points["lat"].to_numpy(float)[:, None], points["lon"].to_numpy(float)[:, None],
        centres["lat"].to_numpy(float)[None, :], centres["lon"].to_numpy(float)[None, :],
    )
    j = d.argmin(axis=1)
    return pd.DataFrame(
        {
            "nearest_centre_code": centres["code"].to_numpy()[j],
            "nearest_centre_name": centres["name"].to_numpy()[j],
            "distance_km": d[np.arange(len(j)), j],
        },
        index=points.index,
    )


def _known_codes():
    from .data import load_municipalities

    return set(load_municipalities()["code"])


def _prepare(frame, schema, *, crs, source, known_codes):
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{source}: expected a pandas DataFrame, found {type(frame).__name__}")
    source = _source(frame, source)
    raw = frame.reset_index(drop=True)
    problems = []
    coords = clean = None
    try:
        coords = check_coordinates(raw, crs=crs, source=source)
    except ValidationError as exc:
        problems.extend(exc.problems or [str(exc)])
    try:
        clean = validate_frame(raw, schema, source=source, row_base=ROW_BASE, known_codes=known_codes)
    except ValidationError as exc:
        problems.extend(exc.problems or [str(exc)])
    if problems:  # report every problem at once
        raise ValidationError(f"{source}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems), problems)
    return clean.assign(lat=coords["lat"], lon=coords["lon"])


def _masked(values, mask, dtype):
    """A nullable array: ``values`` with <NA> where ``mask`` holds."""
    out = pd.array(values, dtype=dtype)
    out[mask] = pd.NA
    return out


def _on(date):
    return None if date is None else pd.Timestamp(date)


def reception_capacity(locations=None, *, threshold=0.8, mix_scale=MIX_SCALE, date=None,
                       crs="EPSG:4326", known_codes=None, centres=None):
    """Occupancy, free places and under-use of reception locations.

    Parameters
    ----------
    locations : pandas.DataFrame, optional
        Columns id, name, code, lat, lon (or x, y in RD New with
        ``crs="EPSG:28992"``), capacity, and optionally occupancy,
        occupancy_date, open_from, open_to, kind, status, plus any others
        (kept). Default: the shipped ``geodata/reception_locations.csv``.
    threshold : float
        Occupancy rate below which a location is flagged under-used (0-1).
    mix_scale : int
        Size of a mixed group (Plan Einstein: about 80 people, half residents
        and half others).
    date : date-like, optional
        Keep only locations open on this date (unknown opening dates count
        as open).
    crs : str
        ``"EPSG:4326"`` (lat, lon) or ``"EPSG:28992"`` (x, y).
    known_codes : collection of str, optional
        Valid municipality codes; default the shipped municipalities.
    centres : pandas.DataFrame, optional
        Municipality centres for the distance (see :func:`nearest_centre`).

    Returns
    -------
    pandas.DataFrame
        One row per location: the input columns plus lat, lon (WGS84),
        occupancy_status ("bekend" or "bezetting onbekend"), occupancy_rate
        (occupancy / capacity; NaN when unknown), free_places (capacity -
        occupancy, at least 0; NaN when unknown), underused (boolean; <NA>
        when occupancy is unknown: never silently treated as 0), overfull
        (occupancy above capacity), mix_groups (mixed groups of ``mix_scale``
        people that fit: ``min(free_places, occupancy) // (mix_scale / 2)``;
        <NA> when unknown), nearest_centre_code, nearest_centre_name,
        distance_km. ``attrs``: status, source, parameters.

    Warns
    -----
    UserWarning
        For each row whose occupancy exceeds its capacity (named).

    Examples
    --------
    >>> r = reception_capacity()
    >>> sorted(r.loc[r["occupancy_status"] == "bekend", "id"])
    ['azc-einsteindreef', 'noodopvang-ravellaan']
    """
    from .data import load_reception_locations

    if not (isinstance(threshold, (int, float)) and 0 <= threshold <= 1):
        raise ValidationError(f"reception_capacity: threshold must be a number between 0 and 1, got {threshold!r}")
    if not (isinstance(mix_scale, (int, np.integer)) and mix_scale >= 2):
        raise ValidationError(f"reception_capacity: mix_scale must be a whole number of people >= 2, got {mix_scale!r}")
    source = "reception locations"
    if locations is None:
        locations = load_reception_locations()
        source = "geodata/reception_locations.csv"
    attrs = dict(getattr(locations, "attrs", {}))
    known = _known_codes() if known_codes is None else set(known_codes)
    df = _prepare(locations, LOCATIONS_INPUT, crs=crs, source=source, known_codes=known)
    if "occupancy" not in df.columns:
        df["occupancy"] = np.nan
    d = _on(date)
    if d is not None:
        for col in ("open_from", "open_to"):
            if col not in df.columns:
                df[col] = pd.NaT
        open_ = (df["open_from"].isna() | (df["open_from"] <= d)) & (df["open_to"].isna() | (df["open_to"] >= d))
        df = df[open_].reset_index(drop=True)
    cap = df["capacity"].astype(float)
    occ = pd.to_numeric(df["occupancy"], errors="coerce").astype(float)
    known_occ = occ.notna()
    over = known_occ & (occ > cap)
    if over.any():
        listing = "; ".join(
            f"row {i + ROW_BASE} (id {df.at[i, 'id']!r}): occupancy {occ[i]:.0f} is above capacity {cap[i]:.0f}"
            for i in df.index[over][:MAX_LISTED]
        )
        more = f" and {int(over.sum()) - MAX_LISTED} more" if over.sum() > MAX_LISTED else ""
        warnings.warn(
            f"{_source(locations, source)}: {listing}{more}; free places set to 0 and the location flagged overfull",
            UserWarning,
            stacklevel=2,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(known_occ & (cap > 0), occ / cap, np.nan)
    free = np.where(known_occ, np.clip(cap - occ, 0, None), np.nan)
    half = mix_scale / 2
    groups = np.where(known_occ, np.floor(np.minimum(free, occ) / half), np.nan)
    out = df.assign(
        occupancy_status=np.where(known_occ, "bekend", UNKNOWN_OCCUPANCY),
        occupancy_rate=rate,
        free_places=free,
        underused=_masked(np.asarray(rate) < threshold, ~known_occ.to_numpy(), "boolean"),
        overfull=over.to_numpy(),
        mix_groups=_masked(np.nan_to_num(groups).astype("int64"), ~known_occ.to_numpy(), "Int64"),
    )
    out = out.join(nearest_centre(out, centres=centres))
    out.attrs.update(
        attrs,
        dataset=attrs.get("dataset", "reception_locations"),
        parameters={"threshold": threshold, "mix_scale": mix_scale, "date": None if d is None else d.date().isoformat()},
    )
    return out


def building_capacity(buildings=None, *, m2_per_place=M2_PER_PLACE, m2_per_dwelling=M2_PER_DWELLING,
                      date=None, crs="EPSG:4326", known_codes=None, centres=None):
    """Estimated places or dwellings of vacant state buildings from floor area.

    Parameters
    ----------
    buildings : pandas.DataFrame, optional
        Columns id, name, code, lat, lon (or x, y with
        ``crs="EPSG:28992"``), floor_area_m2 (may be empty, never negative),
        and optionally available_from, status. Default: the shipped
        ``geodata/state_buildings.csv``.
    m2_per_place, m2_per_dwelling : float
        Gross floor area per reception place and per dwelling (``aanname``,
        see the module docstring).
    date : date-like, optional
        Reference date for ``available`` (default: today is not used; the
        column is <NA> without a date).

    Returns
    -------
    pandas.DataFrame
        Input columns plus lat, lon, area_status ("bekend" or
        "vloeroppervlak onbekend"), est_places = floor(floor_area_m2 /
        m2_per_place), est_dwellings = floor(floor_area_m2 / m2_per_dwelling)
        (both <NA> when the area is unknown), available (available_from <=
        date; <NA> without date or availability), nearest_centre_code,
        nearest_centre_name, distance_km. ``attrs``: status, source,
        parameters; the estimates are ``schatting``.

    Examples
    --------
    >>> b = building_capacity()
    >>> int(b.loc[b["id"] == "voorbeeld-kantoor-nieuwegein", "est_places"].item())
    180
    """
    from .data import load_state_buildings

    for name, val in (("m2_per_place", m2_per_place), ("m2_per_dwelling", m2_per_dwelling)):
        if not (isinstance(val, (int, float)) and not isinstance(val, bool) and 1 <= val <= 10_000):
            raise ValidationError(f"building_capacity: {name} must be a positive number of m2 (1 to 10000), got {val!r}")
    source = "state buildings"
    if buildings is None:
        buildings = load_state_buildings()
        source = "geodata/state_buildings.csv"
    attrs = dict(getattr(buildings, "attrs", {}))
    known = _known_codes() if known_codes is None else set(known_codes)
    df = _prepare(buildings, BUILDINGS_INPUT, crs=crs, source=source, known_codes=known)
    area = df["floor_area_m2"].astype(float).to_numpy()  # finite, 0..MAX_FLOOR_AREA_M2 (validated)
    unknown = np.isnan(area)
    places = _masked(np.floor(np.nan_to_num(area) / m2_per_place).astype("int64"), unknown, "Int64")
    dwellings = _masked(np.floor(np.nan_to_num(area) / m2_per_dwelling).astype("int64"), unknown, "Int64")
    has = ~unknown
    d = _on(date)
    if d is None or "available_from" not in df.columns:
        available = pd.array([pd.NA] * len(df), dtype="boolean")
    else:
        avail = pd.to_datetime(df["available_from"])
        available = _masked((avail <= d).to_numpy(), avail.isna().to_numpy(), "boolean")
    out = df.assign(
        area_status=np.where(has, "bekend", UNKNOWN_AREA),
        est_places=places,
        est_dwellings=dwellings,
        available=available,
    )
    out = out.join(nearest_centre(out, centres=centres))
    out.attrs.update(
        attrs,
        dataset=attrs.get("dataset", "state_buildings"),
        estimate_status="schatting",
        parameters={"m2_per_place": m2_per_place, "m2_per_dwelling": m2_per_dwelling,
                    "date": None if d is None else d.date().isoformat()},
    )
    return out
