"""Interactive maps for analysts and councils (folium, Leaflet only).

Builders return a new :class:`folium.Map` and never change their inputs:

- :func:`overzichtskaart`: municipalities coloured by taakstelling, with
  reception locations and vacant state buildings;
- :func:`capaciteitskaart`: the capacity analysis of :mod:`toolkit.capacity`
  (occupancy, free places, mixed groups, estimated places, distances);
- :func:`add_demand_layer` / :func:`add_matching_layer` /
  :func:`add_start_locations_layer`: expected demand per municipality, the
  matching result and the start locations for integration from day one, on a
  copy of a map built here.

The maps use nothing but Leaflet: polygons and points are plain GeoJSON
layers, titles, legends and the footer are small Leaflet controls. That keeps
:func:`toolkit.export.export_map` able to write one self-contained file.

Every text that comes from data is escaped (:func:`escape`) before it reaches
the page; only the columns in :data:`ALLOWED_COLUMNS` are read from input
frames, and with ``small_counts=True`` person counts from 1 to 4 are shown as
"<5" (and figures that would reveal them are hidden). A map built here keeps
its recipe (``m._dl_recipe``), so the export can rebuild it with the council
settings and :func:`toolkit.export.export_static` can draw it with matplotlib.

Adding a map layer
------------------
One place: write a step ``_step_<name>(spec, *, <frame>, small_counts, ...)``
that appends a :class:`_Layer` (GeoDataFrame with fill, stroke, weight,
opacity, radius and an escaped tooltip ``tip``), its :class:`_Legend` and its
sources to ``spec``; register it in ``_STEPS`` (and in ``ALLOWED_COLUMNS``
for the columns it may read); add a public ``add_<name>_layer(m, frame)``
that calls ``_add_step``. The HTML export, the PNG and the legend then carry
the layer. A layer added to a map in any other way (``folium ... .add_to(m)``)
is not part of the recipe: :func:`toolkit.export.export_map` refuses the map
and names that layer rather than dropping it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
import warnings
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.colormap import LinearColormap
from branca.element import MacroElement
from folium.template import Template

from ._errors import ValidationError
from ._format import MONTHS, SMALL_NOTE, dutch_date, fmt_count, fmt_int, fmt_num, fmt_pct, is_small, small_mask
from ._validate import normalise_code

__all__ = [
    "overzichtskaart",
    "capaciteitskaart",
    "add_demand_layer",
    "add_matching_layer",
    "add_start_locations_layer",
    "add_info_box",
    "escape",
    "fmt_int",
    "fmt_pct",
    "fmt_count",
    "dutch_date",
    "ALLOWED_COLUMNS",
    "BASEMAPS",
]

PDOK_URL = "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/{style}/EPSG:3857/{{z}}/{{x}}/{{y}}.png"
BASEMAPS = {
    "pdok": (PDOK_URL.format(style="standaard"), "Kaartgegevens &copy; Kadaster (BRT-Achtergrondkaart, PDOK)", "PDOK BRT-Achtergrondkaart"),
    "pdok-grijs": (PDOK_URL.format(style="grijs"), "Kaartgegevens &copy; Kadaster (BRT-Achtergrondkaart, PDOK)", "PDOK BRT-Achtergrondkaart (grijs)"),
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "&copy; OpenStreetMap-bijdragers", "OpenStreetMap"),
}

#: Columns read from input frames, per kind of input. Anything else (names of
#: people, personal numbers, notes) is dropped before a map is built.
ALLOWED_COLUMNS = {
    "boundaries": ("code", "name", "geometry"),
    "targets": ("code", "period", "target", "target_int", "realised", "backlog", "population"),
    "locations": ("id", "name", "code", "kind", "lat", "lon", "x", "y", "capacity", "occupancy",
                  "occupancy_date", "open_from", "open_to", "status"),
    "buildings": ("id", "name", "code", "lat", "lon", "x", "y", "floor_area_m2", "available_from", "status"),
    "demand": ("code", "period", "size_class", "households", "households_lo", "households_hi"),
    "matching": ("code", "target", "persons_housed", "pct_target", "households_housed"),
    "start_locations": ("id", "name", "code", "lat", "lon", "capacity", "occupancy", "occupancy_rate", "free_places",
                        "underused", "mix_groups", "start_places", "status"),
}

STATUS_TEXT = {
    "gepubliceerd": "gepubliceerd",
    "schatting": "schatting",
    "voorbeeld": "voorbeeld (fictief)",
    "synthetisch": "synthetisch",
}
SCALE_COLOURS = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")
MATCH_COLOURS = ("#b2182b", "#f4a582", "#f7f7f7", "#92c5de", "#2166ac")
CATEGORY_COLOURS = {
    "onderbenut": "#e66101",
    "bezet": "#2c7bb6",
    "overbezet": "#7b3294",
    "bezetting onbekend": "#9e9e9e",
    "rijksgebouw": "#1a9641",
    "rijksgebouw (fictief voorbeeld)": "#a6d96a",
}
NO_DATA = "#d9d9d9"
UNKNOWN = "bezetting onbekend"


# ----------------------------------------------------------------- escaping
# Numbers, dates and the small-count rule come from toolkit._format (one place for every
# output); fmt_int, fmt_num, fmt_pct, fmt_count and dutch_date stay importable from here
# for notebooks.

#: One pass over the text (``str.translate``), so no reference is escaped twice.
_ESCAPES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
    "`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;", "#": "&#35;",
})


def escape(value):
    """HTML-escape a data text and neutralise JavaScript and Jinja template syntax.

    Besides the HTML specials (``<``, ``>``, ``&``, quotes), the backtick,
    ``$``, backslash, braces and ``#`` become character references, so the
    text is inert in HTML, inside a JavaScript template literal, and in the
    Jinja source that branca builds again from every rendered macro: no
    ``{{``, ``{%`` or ``{#`` can form from data.

    >>> escape("<b>`${x}`</b>")
    '&lt;b&gt;&#96;&#36;&#123;x&#125;&#96;&lt;/b&gt;'
    >>> escape("{{7*7}} {# x #}")
    '&#123;&#123;7*7&#125;&#125; &#123;&#35; x &#35;&#125;'
    """
    return ("" if value is None else str(value)).translate(_ESCAPES)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')  # a JSON string, escaped quotes and backslashes included
_JSON_INERT = str.maketrans({c: f"\\u{ord(c):04x}" for c in "{}#<>&'"})


def inert_json(obj):
    """JSON for a script block that no later template pass can read as code.

    Inside every JSON string, ``{``, ``}``, ``#``, ``<``, ``>``, ``&`` and
    ``'`` are written as ``\\uXXXX`` escapes: the same value for JavaScript,
    but no Jinja delimiter (branca renders macro output again as a template)
    and no ``</script>``.

    >>> inert_json({"t": "{{7*7}}</script>"})
    '{"t": "\\\\u007b\\\\u007b7*7\\\\u007d\\\\u007d\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    return _JSON_STRING.sub(lambda m: m.group(0).translate(_JSON_INERT), text)


def _status_label(status):
    if not status:
        return "status niet opgegeven"
    return STATUS_TEXT.get(str(status), str(status))


# ----------------------------------------------------------------- the spec

@dataclass
class _Layer:
    name: str
    kind: str  # "polygons" or "points"
    gdf: gpd.GeoDataFrame  # geometry + fill, stroke, weight, opacity, radius, tip
    show: bool = True
    table: list = field(default_factory=list)  # plain-text rows [(name, [(label, value), ...])] for static images


@dataclass
class _Legend:
    title: str
    kind: str  # "scale" or "categories"
    items: list  # categories: [(colour, label)]; scale: colours
    vmin: float = 0.0
    vmax: float = 1.0
    labels: tuple = ()  # scale: (low label, high label)
    layer: int | None = None  # index of the layer it explains (set after each step): shown while it is on


@dataclass
class _Spec:
    title: str
    date: str
    layers: list = field(default_factory=list)
    legends: list = field(default_factory=list)
    sources: list = field(default_factory=list)  # dicts: title, source, licence, status
    notes: list = field(default_factory=list)
    boundaries: gpd.GeoDataFrame | None = None
    small_counts: bool = False
    reference: list = field(default_factory=list)  # reference dates of the data ("inwoners 1 januari 2016")
    box: tuple = ()  # (heading, [(label, value), ...]): scenario settings and headline figures

    @property
    def subtitle(self):
        """The dates printed under the title: the scenario's date (when given) and the data's reference dates."""
        return " · ".join([x for x in [self.date, *self.reference] if x])

    def add_source(self, title, source, status, licence=""):
        entry = {"title": str(title), "source": str(source), "status": _status_label(status), "licence": str(licence or "")}
        if entry not in self.sources:
            self.sources.append(entry)

    def add_registry(self, *names):
        from .registry import provenance

        for row in provenance(names).itertuples():
            statuses = row.statuses if row.statuses else row.status
            self.add_source(row.title, row.bron, ", ".join(_status_label(s.strip()) for s in statuses.split(",")), row.licentie)


def _select(frame, kind, what):
    """Copy of ``frame`` with only the allowed columns of ``kind``."""
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{what}: expected a pandas DataFrame, found {type(frame).__name__}")
    keep = [c for c in frame.columns if c in ALLOWED_COLUMNS[kind]]
    out = frame[keep].copy()
    out.attrs = {k: v for k, v in frame.attrs.items() if k in ("dataset", "status", "source", "schematic", "licence")}
    if isinstance(frame, gpd.GeoDataFrame) and "geometry" in keep:
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)
        out.attrs = {k: v for k, v in frame.attrs.items() if k in ("dataset", "status", "source", "schematic", "licence")}
    return out


def _require(frame, columns, what):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(f"{what}: missing column(s) {missing}; expected at least {list(columns)}, found {[str(c) for c in frame.columns]}")


def _codes(frame, what):
    out = frame.copy()
    bad = []
    vals = []
    for i, v in zip(out.index, out["code"]):
        try:
            vals.append(normalise_code(v))
        except ValueError:
            bad.append(f"{v!r} in row {i}")
            vals.append(None)
    if bad:
        raise ValidationError(f"{what}: column 'code': expected CBS municipality codes like 'GM0344', found {', '.join(bad[:8])}")
    out["code"] = vals
    return out


def _tip(title, rows):
    """Tooltip HTML: an escaped title and (label, escaped value) rows."""
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<b>{escape(title)}</b><table>{body}</table>"


def _count_texts(values, small_counts, *, unit=""):
    """Texts for one column of person/household counts under the disclosure rule.

    Rounded 1-4 become "<5"; when exactly one value is hidden, the smallest
    other positive one is "afgeschermd" too (secondary suppression, see
    :func:`toolkit._format.small_mask`), because region totals are published
    beside the map. Missing values give ``None``.
    """
    vals = list(values)
    primary, secondary = small_mask(vals) if small_counts else ([False] * len(vals), [False] * len(vals))
    out = []
    for v, p, s in zip(vals, primary, secondary):
        if v is None or pd.isna(v):
            out.append(None)
        else:
            out.append(fmt_count(v) if p else "afgeschermd" if s else fmt_int(v) + unit)
    return out


# ----------------------------------------------------------------- boundaries

def _boundaries(boundaries, *, year, region, offline):
    if boundaries is None:
        from .boundaries import load_boundaries

        boundaries = load_boundaries(year, region=region, offline=offline)
    elif region is not None:
        from .regions import region_codes

        if not isinstance(boundaries, gpd.GeoDataFrame):
            raise ValidationError(f"boundaries: expected a GeoDataFrame with columns code, name, geometry, found {type(boundaries).__name__}")
        wanted = region_codes(region, year)
        b = _codes(_select(boundaries, "boundaries", "boundaries"), "boundaries")
        missing = sorted(set(wanted) - set(b["code"]))
        if missing:
            raise ValidationError(f"boundaries: no polygon for {missing} of region {region!r} ({year})")
        boundaries = b[b["code"].isin(wanted)]
    if not isinstance(boundaries, gpd.GeoDataFrame):
        raise ValidationError(f"boundaries: expected a GeoDataFrame with columns code, name, geometry, found {type(boundaries).__name__}")
    b = _select(boundaries, "boundaries", "boundaries")
    _require(b, ("code", "name", "geometry"), "boundaries")
    b = _codes(b, "boundaries")
    if b.crs is None:
        raise ValidationError("boundaries: the GeoDataFrame has no CRS; set it (EPSG:4326 for lat/lon, EPSG:28992 for RD New)")
    b = b.to_crs(4326)
    minx, miny, maxx, maxy = b.total_bounds
    if not (3.0 <= minx and maxx <= 7.5 and 50.5 <= miny and maxy <= 53.8):
        raise ValidationError(
            f"boundaries: polygons lie outside the Netherlands after conversion to EPSG:4326 "
            f"(bounds {minx:.2f}, {miny:.2f}, {maxx:.2f}, {maxy:.2f}); is the CRS set correctly?"
        )
    b.attrs = dict(boundaries.attrs)
    return b.reset_index(drop=True)


def _resolve_boundaries(boundaries, *, year, region, offline):
    """Load the default polygons once per map (not at every rebuild), so a fallback warns once."""
    if boundaries is not None:
        return boundaries
    from .boundaries import load_boundaries

    return load_boundaries(year, region=region, offline=offline)


def _simplify(gdf, tolerance_m):
    """Topology-preserving simplification of a polygon coverage (shared edges stay shared)."""
    if not tolerance_m:
        return gdf
    rd = gdf.to_crs(28992)
    geoms = shapely.coverage_simplify(rd.geometry.values, tolerance_m)
    out = gdf.copy()
    out["geometry"] = gpd.GeoSeries(geoms, crs=28992, index=gdf.index).to_crs(4326)
    return out


def _boundary_source(spec, b):
    if b.attrs.get("schematic"):
        spec.add_source("Gemeenten (schematische weergave, geen echte grenzen)", b.attrs.get("source", "geodata/municipalities.csv"), b.attrs.get("status", "schatting"))
        spec.notes.append("Gemeentevlakken zijn schematisch: geen echte gemeentegrenzen.")
    else:
        spec.add_source("Gemeentegrenzen", b.attrs.get("source", "eigen bestand"), b.attrs.get("status"), b.attrs.get("licence", ""))


def _scale_colours(values, colours, vmin=None, vmax=None):
    vals = pd.to_numeric(pd.Series(values), errors="coerce")
    finite = vals.dropna()
    lo = float(finite.min()) if vmin is None and len(finite) else (0.0 if vmin is None else vmin)
    hi = float(finite.max()) if vmax is None and len(finite) else (1.0 if vmax is None else vmax)
    if hi <= lo:
        hi = lo + 1.0
    cmap = LinearColormap(list(colours), vmin=lo, vmax=hi)
    out = [NO_DATA if pd.isna(v) else cmap.rgb_hex_str(min(max(float(v), lo), hi)) for v in vals]
    return out, lo, hi


# ----------------------------------------------------------------- steps

def _default_targets(year, region):
    from .data import load_taakstelling
    from .taakstelling import municipal_targets

    tk = load_taakstelling()
    rows = tk[tk["period"].astype(str).str.startswith(str(year))]
    if rows.empty:
        return None
    row = rows.iloc[-1]
    try:
        t = municipal_targets(float(row["target"]), year=year, region=region)
    except ValidationError as exc:  # e.g. no population shipped for that year: show no target, say why
        return str(exc)
    t["period"] = row["period"]
    t.attrs.update(dataset="taakstelling", derived=True)
    return t


def _step_municipalities(spec, *, year, region, boundaries, targets, offline, small_counts, simplify_m):
    from .data import municipality_population

    b = _boundaries(boundaries, year=year, region=region, offline=offline)
    b = _simplify(b, simplify_m)
    spec.boundaries = b
    _boundary_source(spec, b)
    spec.reference.append(f"gemeentelijke indeling {year}")
    if targets is None and region is not None:
        targets = _default_targets(year, region)
        if isinstance(targets, str):
            spec.notes.append(
                f"Taakstelling per gemeente niet getoond: de meegeleverde gegevens hebben geen inwonertal per gemeente "
                f"en landelijk op 1-1-{year}, dus de verdeling naar rato kan niet worden berekend."
            )
            targets = None
        elif targets is not None:
            spec.add_registry("taakstelling", "population")
            spec.notes.append(
                f"Taakstelling per gemeente {targets['period'].iloc[0]}: landelijke taakstelling naar rato van het "
                f"inwonertal op 1-1-{year} (berekend, geen gepubliceerd gemeentecijfer)."
            )
    elif targets is not None:
        t_attrs = targets.attrs
        targets = _codes(_select(targets, "targets", "targets"), "targets")
        _require(targets, ("code",), "targets")
        spec.add_source("Taakstelling per gemeente", t_attrs.get("source", "eigen invoer"), t_attrs.get("status"))
    data = b[["code", "name", "geometry"]].copy()
    if targets is not None:
        t = targets.copy()
        shown_as = {"target_int": "target_int", "realised": "realised", "backlog": "backlog"}
        if "target_int" not in t.columns and "target" in t.columns:
            t["target_int"] = t["target"]
            shown_as["target_int"] = "target"
        if "period" in t.columns and t["period"].nunique() > 1:
            last = sorted(t["period"].astype(str).unique())[-1]
            t = t[t["period"].astype(str) == last]
        for c in ("target_int", "realised", "backlog"):
            if c in t.columns:
                num = pd.to_numeric(t[c], errors="coerce")
                bad = t.index[num.isna() & t[c].notna()].tolist()
                if bad:
                    raise ValidationError(f"targets: column {shown_as[c]!r} must hold numbers (persons), found {t.loc[bad, c].tolist()[:8]} in rows {bad[:8]}")
                t[c] = num
        cols = [c for c in ("target_int", "realised", "backlog", "period") if c in t.columns]
        data = data.merge(t.drop_duplicates("code").set_index("code")[cols], left_on="code", right_index=True, how="left")
    pop = None
    if region is not None:
        try:
            pop = municipality_population(year, region)[["code", "population"]]
        except ValidationError:
            pop = None
    if pop is not None:
        data = data.merge(pop, on="code", how="left")
        spec.add_registry("population")
        spec.reference.append(f"inwoners 1 januari {year}")
        spec.boundaries = b.assign(population=data["population"].to_numpy())  # names placed by population
    value = data["target_int"] if "target_int" in data.columns else pd.Series(np.nan, index=data.index)
    fills, lo, hi = _scale_colours(value, SCALE_COLOURS)
    period = data["period"].dropna().iloc[0] if "period" in data.columns and data["period"].notna().any() else ""
    if period:
        spec.reference.append(f"taakstelling {period}")
    tips = []
    texts = {c: _count_texts(data[c] if c in data.columns else [None] * len(data), small_counts)
             for c in ("realised", "backlog")}
    texts["target"] = _count_texts(value, small_counts, unit=" personen")
    for i, r in enumerate(data.itertuples()):
        rows = [("CBS-code", r.code)]
        if pop is not None:
            rows.append(("Inwoners", fmt_int(getattr(r, "population", None))))
        rows.append((f"Taakstelling {period}".strip(), texts["target"][i] or "niet beschikbaar"))
        rows.append(("Gerealiseerd", texts["realised"][i] or "niet beschikbaar"))
        rows.append(("Achterstand", texts["backlog"][i] or "niet beschikbaar"))
        tips.append(_tip(r.name, rows))
    schematic = " (schematisch)" if b.attrs.get("schematic") else ""
    g = gpd.GeoDataFrame({"fill": fills, "stroke": "#555555", "weight": 1.0, "opacity": 0.7, "radius": 0.0, "tip": tips},
                         geometry=data.geometry.values, crs=4326)
    label = f"Gemeenten: taakstelling{' ' + period if period else ''}" if value.notna().any() else "Gemeenten"
    spec.layers.append(_Layer(label + schematic, "polygons", g))
    if value.notna().any():
        spec.legends.append(_Legend(f"Taakstelling {period} (personen)".replace("  ", " "), "scale", list(SCALE_COLOURS), lo, hi,
                                    (fmt_count(lo, small_counts=small_counts), fmt_count(hi, small_counts=small_counts))))


def _outline(spec, *, year, region, boundaries, offline, simplify_m):
    b = _boundaries(boundaries, year=year, region=region, offline=offline)
    b = _simplify(b, simplify_m)
    spec.boundaries = b
    _boundary_source(spec, b)
    spec.reference.append(f"gemeentelijke indeling {year}")
    tips = [_tip(n, [("CBS-code", c)]) for n, c in zip(b["name"], b["code"])]
    g = gpd.GeoDataFrame({"fill": "#f0f0f0", "stroke": "#666666", "weight": 1.0, "opacity": 0.3, "radius": 0.0, "tip": tips},
                         geometry=b.geometry.values, crs=4326)
    name = "Gemeentegrenzen (schematisch)" if b.attrs.get("schematic") else "Gemeentegrenzen"
    spec.layers.append(_Layer(name, "polygons", g))


def _location_category(row):
    if row.occupancy_status != "bekend":
        return "bezetting onbekend"
    if bool(row.overfull):
        return "overbezet"
    return "onderbenut" if bool(row.underused) else "bezet"


def _period_text(start, end):
    def one(v):
        return "onbekend" if v is None or pd.isna(v) else f"{MONTHS[pd.Timestamp(v).month - 1]} {pd.Timestamp(v).year}"

    if (start is None or pd.isna(start)) and (end is None or pd.isna(end)):
        return "periode onbekend"
    return f"{one(start)} – {one(end) if end is not None and not pd.isna(end) else 'heden'}"


def _radius(capacity):
    return float(4 + 1.2 * math.sqrt(max(float(capacity), 0.0) / 10)) if pd.notna(capacity) else 5.0


def _in_region(frame, region, year):
    """Rows whose municipality belongs to ``region`` (all rows when region is None)."""
    if region is None:
        return frame
    from .codes import code_map
    from .regions import region_codes

    wanted = set(region_codes(region, year))
    merged = code_map(year)
    return frame[frame["code"].map(lambda c: merged.get(c, c)).isin(wanted)].reset_index(drop=True)


def _step_locations(spec, *, locations, threshold, mix_scale, date, small_counts, analysis, crs, region=None, year=2016):
    from .capacity import reception_capacity

    if locations is not None:
        attrs = locations.attrs
        locations = _select(locations, "locations", "locations")
        locations.attrs = dict(attrs)
    r = _in_region(reception_capacity(locations, threshold=threshold, mix_scale=mix_scale, date=date, crs=crs), region, year)
    if locations is None:
        spec.add_registry("reception_locations")
    else:
        spec.add_source("Opvanglocaties", r.attrs.get("source", "eigen invoer"), r.attrs.get("status"))
    tips, fills, radii, table = [], [], [], []
    for row in r.itertuples():
        cat = _location_category(row)
        hide = small_counts and is_small(row.occupancy)
        rows = [("Gemeente (CBS)", row.code), ("Soort", getattr(row, "kind", "") or "–"),
                ("Capaciteit", fmt_int(row.capacity) + " plaatsen"),
                ("Bezetting", UNKNOWN if row.occupancy_status != "bekend" else fmt_count(row.occupancy, small_counts=small_counts)),
                ("Bezettingsgraad", "afgeschermd" if hide else fmt_pct(row.occupancy_rate)),
                ("Vrije plaatsen", "afgeschermd" if hide else fmt_int(row.free_places)),
                (f"Onderbenut (< {fmt_pct(threshold, 0)})", "onbekend" if row.underused is pd.NA else ("ja" if row.underused else "nee")),
                ("Open", _period_text(getattr(row, "open_from", None), getattr(row, "open_to", None)))]
        if analysis:
            rows.append((f"Gemengde groepen van ~{mix_scale}", "onbekend" if row.mix_groups is pd.NA or hide else fmt_int(row.mix_groups)))
            rows.append(("Afstand tot centrum", f"{fmt_num(row.distance_km)} km ({row.nearest_centre_name})"))
        tips.append(_tip(row.name, rows))
        table.append((str(row.name), rows))
        fills.append(CATEGORY_COLOURS[cat])
        radii.append(_radius(row.capacity))
    g = gpd.GeoDataFrame({"fill": fills, "stroke": "#333333", "weight": 1.0, "opacity": 0.85, "radius": radii, "tip": tips},
                         geometry=gpd.points_from_xy(r["lon"], r["lat"]), crs=4326)
    spec.layers.append(_Layer("Opvanglocaties (COA)", "points", g, table=table))
    cats = ["onderbenut", "bezet", "overbezet", "bezetting onbekend"]
    spec.legends.append(_Legend(f"Opvanglocaties (onderbenut: bezetting < {fmt_pct(threshold, 0)})", "categories",
                                [(CATEGORY_COLOURS[c], c) for c in cats]))
    if analysis:
        spec.notes.append(
            f"Onderbenut: bezettingsgraad onder {fmt_pct(threshold, 0)} (drempel: aanname). Gemengde groepen: "
            f"groepen van ongeveer {mix_scale} mensen, half bewoners, half anderen (Plan Einstein, Oliver e.a. 2020)."
        )



def _step_buildings(spec, *, buildings, m2_per_place, m2_per_dwelling, date, analysis, crs, region=None, year=2016):
    from .capacity import building_capacity

    if buildings is not None:
        attrs = buildings.attrs
        buildings = _select(buildings, "buildings", "buildings")
        buildings.attrs = dict(attrs)
    b = _in_region(building_capacity(buildings, m2_per_place=m2_per_place, m2_per_dwelling=m2_per_dwelling, date=date, crs=crs), region, year)
    if buildings is None:
        spec.add_registry("state_buildings")
    else:
        spec.add_source("Leegstaande rijksgebouwen", b.attrs.get("source", "eigen invoer"), b.attrs.get("status"))
    tips, fills, table = [], [], []
    for row in b.itertuples():
        example = getattr(row, "status", None) == "voorbeeld"
        cat = "rijksgebouw (fictief voorbeeld)" if example else "rijksgebouw"
        rows = [("Gemeente (CBS)", row.code),
                ("Vloeroppervlak", "onbekend" if row.area_status != "bekend" else fmt_int(row.floor_area_m2) + " m²"),
                (f"Geschatte plaatsen ({fmt_int(m2_per_place)} m² per plaats)", "onbekend" if row.est_places is pd.NA else fmt_int(row.est_places)),
                (f"Geschatte woningen ({fmt_int(m2_per_dwelling)} m² per woning)", "onbekend" if row.est_dwellings is pd.NA else fmt_int(row.est_dwellings)),
                ("Beschikbaar vanaf", "onbekend" if pd.isna(getattr(row, "available_from", None)) else dutch_date(row.available_from))]
        if example:
            rows.append(("Let op", "fictief voorbeeld, geen echt pand"))
        if analysis:
            rows.append(("Afstand tot centrum", f"{fmt_num(row.distance_km)} km ({row.nearest_centre_name})"))
        tips.append(_tip(row.name, rows))
        table.append((str(row.name), rows))
        fills.append(CATEGORY_COLOURS[cat])
    g = gpd.GeoDataFrame({"fill": fills, "stroke": "#1b3d1b", "weight": 1.5, "opacity": 0.9, "radius": 7.0, "tip": tips},
                         geometry=gpd.points_from_xy(b["lon"], b["lat"]), crs=4326)
    spec.layers.append(_Layer("Leegstaande rijksgebouwen", "points", g, table=table))
    spec.legends.append(_Legend("Rijksgebouwen", "categories",
                                [(CATEGORY_COLOURS[c], c) for c in ("rijksgebouw", "rijksgebouw (fictief voorbeeld)")]))
    spec.notes.append(
        f"Geschatte capaciteit: vloeroppervlak / {fmt_int(m2_per_place)} m² per plaats of / {fmt_int(m2_per_dwelling)} m² "
        "per woning (aanname: geen gepubliceerd kengetal gevonden)."
    )


def _step_demand(spec, *, demand, size_class, period, small_counts):
    if spec.boundaries is None:
        raise ValidationError("add_demand_layer: the map has no municipalities; build it with overzichtskaart or capaciteitskaart")
    attrs = demand.attrs
    d = _codes(_select(demand, "demand", "demand"), "demand")
    _require(d, ("code", "size_class", "households"), "demand")
    if "period" in d.columns and d["period"].notna().any():
        chosen = str(period) if period is not None else sorted(d["period"].dropna().astype(str).unique())[0]
        d = d[d["period"].astype(str) == chosen]
        if d.empty:
            raise ValidationError(f"demand: no rows for period {chosen!r}")
    else:
        chosen = ""
    if size_class is not None:
        d = d[d["size_class"].astype(str) == str(size_class)]
    hh = pd.to_numeric(d["households"], errors="coerce")
    if hh.isna().any() or (hh < 0).any():
        raise ValidationError(f"demand: column 'households' must hold non-negative numbers, found {d.loc[hh.isna() | (hh < 0), 'households'].tolist()[:8]}")
    d = d.assign(households=hh)
    total = d.groupby("code")["households"].sum()
    b = spec.boundaries
    value = b["code"].map(total)
    fills, lo, hi = _scale_colours(value, ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"))
    tips = []
    totals = _count_texts(value, small_counts)
    per_class = {}  # (code, size class) -> text, suppressed within each size class
    for sc, part in d.groupby(d["size_class"].astype(str), sort=False):
        per_class.update(zip(zip(part["code"], [sc] * len(part)), _count_texts(part["households"], small_counts)))
    for code, name, total in zip(b["code"], b["name"], totals):
        rows = [("Huishoudens (verwacht)", total or fmt_int(None))]
        part = d[d["code"] == code]
        for sc in part["size_class"].astype(str):
            rows.append((f"Woninggrootte {sc}", per_class[(code, sc)]))
        tips.append(_tip(name, rows))
    g = gpd.GeoDataFrame({"fill": fills, "stroke": "#555555", "weight": 1.0, "opacity": 0.7, "radius": 0.0, "tip": tips},
                         geometry=b.geometry.values, crs=4326)
    label = f"Verwachte vraag{' ' + chosen if chosen else ''}{' (grootte ' + str(size_class) + ')' if size_class else ''}"
    spec.layers.append(_Layer(label, "polygons", g, show=False))
    spec.legends.append(_Legend(f"{label}: huishoudens", "scale", ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"], lo, hi,
                                (fmt_count(lo, small_counts=small_counts), fmt_count(hi, small_counts=small_counts))))
    spec.add_source("Verwachte woningvraag", attrs.get("source", "toolkit.demand"), attrs.get("status", "schatting"))


def _step_matching(spec, *, matching, small_counts, show=False):
    if spec.boundaries is None:
        raise ValidationError("add_matching_layer: the map has no municipalities; build it with overzichtskaart or capaciteitskaart")
    attrs = matching.attrs
    m = _codes(_select(matching, "matching", "matching"), "matching")
    _require(m, ("code", "target", "persons_housed"), "matching")
    if m["code"].duplicated().any():
        raise ValidationError(f"matching: one row per municipality expected, found duplicates {sorted(m.loc[m['code'].duplicated(), 'code'])}")
    m = m.set_index("code")
    if "pct_target" not in m.columns:
        tgt = pd.to_numeric(m["target"], errors="coerce")
        m["pct_target"] = np.where(tgt > 0, pd.to_numeric(m["persons_housed"], errors="coerce") / tgt * 100, np.nan)
    b = spec.boundaries
    pct = b["code"].map(m["pct_target"]).astype(float)
    housed = b["code"].map(m["persons_housed"])
    housed_texts = _count_texts(housed, small_counts)
    target_texts = _count_texts(b["code"].map(m["target"]), small_counts, unit=" personen")
    hidden = pd.Series([t in ("<5", "afgeschermd") for t in housed_texts], index=b.index)
    shown = pct.where(~hidden)
    fills, lo, hi = _scale_colours(shown, MATCH_COLOURS, vmin=0.0, vmax=200.0)
    tips = []
    for name, p, h_text, t_text, hide in zip(b["name"], pct, housed_texts, target_texts, hidden):
        rows = [("Taakstelling", t_text or "niet beschikbaar"),
                ("Gehuisvest (matching)", h_text or fmt_int(None)),
                ("Percentage van taakstelling", "afgeschermd" if hide else fmt_pct(p / 100 if pd.notna(p) else np.nan))]
        tips.append(_tip(name, rows))
    g = gpd.GeoDataFrame({"fill": fills, "stroke": "#555555", "weight": 1.0, "opacity": 0.7, "radius": 0.0, "tip": tips},
                         geometry=b.geometry.values, crs=4326)
    if show:  # the view is about this layer: the other area layers start switched off
        for layer in spec.layers:
            layer.show = layer.show and layer.kind != "polygons"
    spec.layers.append(_Layer("Matching: % van taakstelling", "polygons", g, show=show))
    spec.legends.append(_Legend("Matching: gehuisvest als % van taakstelling", "scale", list(MATCH_COLOURS), 0.0, 200.0, ("0 %", "200 % of meer")))
    spec.add_source("Matchingresultaat", attrs.get("source", "toolkit.matching"), attrs.get("status", "schatting"))


START_COLOURS = {"onderbenut: ruimte om te starten": "#1a9850", "andere opvanglocatie": "#4575b4"}


def _step_start_locations(spec, *, locations, small_counts):
    attrs = locations.attrs
    d = _select(locations, "start_locations", "start locations")
    _require(d, ("name", "lat", "lon"), "start locations")
    if "code" in d.columns:
        d = _codes(d, "start locations")
    d = d[pd.to_numeric(d["lat"], errors="coerce").notna() & pd.to_numeric(d["lon"], errors="coerce").notna()]
    tips, fills, table = [], [], []
    for row in d.itertuples():
        occupancy = getattr(row, "occupancy", None)
        hide = small_counts and is_small(occupancy)
        underused = getattr(row, "underused", None)
        underused = bool(underused) if underused is not None and not pd.isna(underused) else False
        rows = [("Gemeente (CBS)", getattr(row, "code", "–")),
                ("Capaciteit", fmt_int(getattr(row, "capacity", None)) + " plaatsen"),
                ("Vrije plaatsen", "afgeschermd" if hide else fmt_int(getattr(row, "free_places", None))),
                ("Bezettingsgraad", "afgeschermd" if hide else fmt_pct(getattr(row, "occupancy_rate", None), 0)),
                ("Gemengde groepen van ~80", "afgeschermd" if hide else fmt_int(getattr(row, "mix_groups", None)))]
        tips.append(_tip(row.name, rows))
        table.append((str(row.name), rows))
        fills.append(START_COLOURS["onderbenut: ruimte om te starten" if underused else "andere opvanglocatie"])
    g = gpd.GeoDataFrame({"fill": fills, "stroke": "#333333", "weight": 1.0, "opacity": 0.85, "radius": 8.0, "tip": tips},
                         geometry=gpd.points_from_xy(pd.to_numeric(d["lon"]), pd.to_numeric(d["lat"])), crs=4326)
    spec.layers.append(_Layer("Startlocaties integratie", "points", g, table=table))
    spec.legends.append(_Legend("Startlocaties integratie vanaf dag 1", "categories", [(c, k) for k, c in START_COLOURS.items()]))
    if attrs.get("dataset") == "reception_locations" or not attrs.get("source"):
        spec.add_registry("reception_locations")
    else:
        spec.add_source("Startlocaties integratie", attrs.get("source"), attrs.get("status"))


# ----------------------------------------------------------------- recipe -> spec -> folium

def _spec_from_recipe(recipe, *, small_counts=None, date=None, prior=None):
    """The spec of ``recipe`` with ``small_counts`` and ``date`` overriding its options; returns ``(spec, opts)``.

    See :func:`_spec_and_layers`.
    """
    spec, opts, _ = _spec_and_layers(recipe, small_counts=small_counts, date=date, prior=prior)
    return spec, opts


def _spec_and_layers(recipe, *, small_counts=None, date=None, prior=None):
    """``(spec, opts, layers)``: the spec of ``recipe``, its options and what :func:`_layers_of` returned.

    ``prior`` (a map built here) lends the layers of its steps when they are
    the first steps of ``recipe`` under the same ``small_counts``: only the
    steps it lacks run (``add_*_layer`` and the exports of a map run no step
    twice). The steps read nothing else, so the spec is the one a full
    rebuild gives.
    """
    opts = dict(recipe["options"])
    if small_counts is not None:
        opts["small_counts"] = small_counts
    if date is not None:
        opts["date"] = date
    layers = _layers_of(recipe["steps"], opts["small_counts"], getattr(prior, "_dl_layers", None))
    spec = _copy_spec(layers[2])
    spec.title, spec.date = opts["title"], "" if opts["date"] is None else dutch_date(opts["date"])
    spec.small_counts, spec.box = opts["small_counts"], opts.get("box", ())
    if opts["small_counts"]:
        spec.notes.append(SMALL_NOTE)
    return spec, opts, layers


def _copy_spec(spec):
    """A copy whose lists, layers and legends can change without changing ``spec`` (frames are shared, never changed)."""
    return _Spec(title=spec.title, date=spec.date, layers=[dataclasses.replace(x) for x in spec.layers],
                 legends=[dataclasses.replace(x) for x in spec.legends], sources=list(spec.sources),
                 notes=list(spec.notes), boundaries=spec.boundaries, small_counts=spec.small_counts,
                 reference=list(spec.reference), box=spec.box)


def _layers_of(steps, small_counts, prior=None):
    """``(steps, small_counts, spec)``: the spec after running ``steps`` (no title, date, box or closing note).

    Starts from a copy of ``prior`` (the same triple of another map) when its
    steps are the first of ``steps`` (the same objects) under the same
    ``small_counts``. The returned spec is never changed afterwards.
    """
    if prior is not None and prior[1] == small_counts and len(prior[0]) <= len(steps) \
            and all(a is b for a, b in zip(prior[0], steps)):
        spec, done = _copy_spec(prior[2]), len(prior[0])
    else:
        spec, done = _Spec(title="", date=""), 0
    for name, kw in steps[done:]:
        kw = dict(kw)
        if name in ("municipalities", "locations", "demand", "matching", "start_locations"):
            kw["small_counts"] = small_counts
        _STEPS[name](spec, **kw)
        for lg in spec.legends:
            if lg.layer is None:
                lg.layer = len(spec.layers) - 1
    return tuple(steps), small_counts, spec


#: The one place where map layers are registered (see "Adding a map layer" in the module docstring).
_STEPS = {
    "municipalities": _step_municipalities,
    "outline": _outline,
    "locations": _step_locations,
    "buildings": _step_buildings,
    "demand": _step_demand,
    "matching": _step_matching,
    "start_locations": _step_start_locations,
}


class _GeoJsonLayer(folium.map.Layer):
    """A GeoJSON layer styled from per-feature properties, with escaped tooltips."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data_json }}, {
            style: function (f) { var p = f.properties; return {color: p.s, weight: p.w, fillColor: p.f, fillOpacity: p.o, opacity: 1}; },
            pointToLayer: function (f, latlng) {
                // points in their own pane above every polygon layer, whatever the order layers are switched on;
                // the pane lets the mouse through (only the markers' own SVG paths catch it), so the
                // municipalities' tooltips below stay reachable
                var map = {{ this._parent.get_name() }};
                if (!map.getPane("dlpoints")) {
                    var pane = map.createPane("dlpoints");
                    pane.style.zIndex = 450;
                    pane.style.pointerEvents = "none";
                    map._dlPoints = L.svg({pane: "dlpoints"});
                }
                return L.circleMarker(latlng, {radius: f.properties.r, pane: "dlpoints", renderer: map._dlPoints});
            },
            onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.t, {sticky: true, className: "dl-tip"}); }
        });
        // a legend is shown only while the layer it explains is drawn
        {{ this.get_name() }}.on("add remove", function (e) {
            document.querySelectorAll('.dl-lg[data-layer="{{ this.index }}"]').forEach(function (d) {
                d.style.display = e.type === "add" ? "" : "none"; });
        });
        {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, layer, *, index=0, precision=5):
        # Leaflet's layer control inserts names as HTML: escape them like any data text.
        super().__init__(name=escape(layer.name), overlay=True, control=True, show=layer.show)
        self._name = "DlLayer"
        self.index = int(index)
        self._gdf, self._precision, self._json = layer.gdf, precision, None

    @property
    def data_json(self):
        """The layer's GeoJSON, made when the map is rendered (a map that is only built or extended never needs it)."""
        if self._json is None:
            self._json = inert_json(_geojson(self._gdf, precision=self._precision))
        return self._json

    def render(self, **kwargs):
        # Skip Layer.render (it adds a second addTo); the template adds the layer itself.
        MacroElement.render(self, **kwargs)


def _round_coords(obj, precision):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), precision) for v in obj]
        return [_round_coords(v, precision) for v in obj]
    return obj


def _geojson(gdf, *, precision=5):
    feats = []
    for geom, f, s, w, o, r, t in zip(gdf.geometry, gdf["fill"], gdf["stroke"], gdf["weight"], gdf["opacity"], gdf["radius"], gdf["tip"]):
        if geom is None or geom.is_empty:
            continue
        gi = shapely.geometry.mapping(geom)
        feats.append({
            "type": "Feature",
            "geometry": {"type": gi["type"], "coordinates": _round_coords(gi["coordinates"], precision)},
            "properties": {"f": f, "s": s, "w": float(w), "o": float(o), "r": round(float(r), 1), "t": t},
        })
    return {"type": "FeatureCollection", "features": feats}


class _Labels(folium.map.Layer):
    """Municipality names at a point inside each polygon; the names are set as text, never as HTML.

    Names are placed by priority (most inhabitants first, else largest area) after every
    zoom or move, on their point or just beside it when a location marker is there; a name
    whose box would touch a name already placed or a map control (title, legend, layer
    list), or stick out of the map, is hidden, so no two names ever overlap.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            if (!map.getPane("dllabels")) { var pane = map.createPane("dllabels"); pane.style.zIndex = 460; pane.style.pointerEvents = "none"; }
            var group = L.layerGroup(), markers = [];
            {{ this.data_json }}.forEach(function (p) {
                var span = document.createElement("span");
                span.textContent = p[2];
                var marker = L.marker([p[0], p[1]], {icon: L.divIcon({className: "dl-label", html: span, iconSize: null}),
                                                      interactive: false, keyboard: false, pane: "dllabels"});
                markers.push(marker);
                group.addLayer(marker);
            });
            function overlaps(a, b) {
                return a.left < b.right + 2 && b.left < a.right + 2 && a.top < b.bottom + 2 && b.top < a.bottom + 2;
            }
            function declutter() {
                if (!group._map) { return; }
                var placed = [], dots = [], frame = map.getContainer().getBoundingClientRect();
                map.getContainer().querySelectorAll(".leaflet-control").forEach(function (c) {
                    if (c.offsetParent !== null) { placed.push(c.getBoundingClientRect()); }
                });
                map.eachLayer(function (l) {  // location markers: a name goes beside them, not under them
                    if (!(l instanceof L.CircleMarker)) { return; }
                    var p = map.latLngToContainerPoint(l.getLatLng()), r = l.getRadius() + 1;
                    dots.push({left: frame.left + p.x - r, right: frame.left + p.x + r, top: frame.top + p.y - r, bottom: frame.top + p.y + r});
                });
                function free(box, others) {
                    var outside = box.left < frame.left || box.right > frame.right || box.top < frame.top || box.bottom > frame.bottom;
                    return !outside && !others.some(function (b) { return overlaps(box, b); });
                }
                markers.forEach(function (m) {  // in priority order
                    var el = m.getElement();
                    if (!el) { return; }
                    var span = el.firstChild;
                    span.style.visibility = "";
                    span.style.transform = "";
                    // the box from the name's point and size, not from the screen: right even while the map animates
                    var p = map.latLngToContainerPoint(m.getLatLng()), w = span.offsetWidth, h = span.offsetHeight, chosen = null;
                    var box = {left: frame.left + p.x - w / 2, right: frame.left + p.x + w / 2, top: frame.top + p.y - h / 2,
                               bottom: frame.top + p.y + h / 2};
                    if (!free(box, placed)) { span.style.visibility = "hidden"; return; }  // a name or control is there
                    // only a marker in the way: the first spot beside it that is clear, else on the point after all
                    // the smallest shift down, up, right or left that clears the markers under it
                    var under = dots.filter(function (d) { return overlaps(box, d); }), far = function (f, side) {
                        return under.reduce(function (a, d) { return f(a, d[side]); }, side === "bottom" || side === "right" ? -1e9 : 1e9);
                    };
                    var down = far(Math.max, "bottom") - box.top + 2, up = box.bottom - far(Math.min, "top") + 2;
                    var right = far(Math.max, "right") - box.left + 2, left = box.right - far(Math.min, "left") + 2;
                    [[0, 0], [0, down], [0, -up], [right, 0], [-left, 0]].some(function (d) {
                        var b = {left: box.left + d[0], right: box.right + d[0], top: box.top + d[1], bottom: box.bottom + d[1]};
                        if (free(b, placed.concat(dots))) { chosen = [d, b]; return true; }
                        return false;
                    });
                    chosen = chosen || [[0, 0], box];
                    if (chosen[0][0] || chosen[0][1]) {  // moved exactly by a transform (a margin would also move the line)
                        span.style.transform = "translate(calc(-50% + " + chosen[0][0] + "px), calc(-50% + " + chosen[0][1] + "px))";
                    }
                    placed.push(chosen[1]);
                });
            }
            group.declutter = declutter;
            group.on("add", declutter);
            map.on("zoomend moveend resize", declutter);
            if (document.fonts) { document.fonts.ready.then(declutter); }  // the names' sizes are final then
            return group;
        })({{ this._parent.get_name() }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, boundaries, *, precision=5):
        super().__init__(name="Namen van gemeenten", overlay=True, control=True, show=True)
        self._name = "DlLabels"
        self._boundaries, self._precision, self._json = boundaries, precision, None

    @property
    def data_json(self):
        """The labels' points and names in priority order, made when the map is rendered."""
        if self._json is None:
            self._json = inert_json(_label_points(self._boundaries, self._precision))
        return self._json

    def render(self, **kwargs):
        MacroElement.render(self, **kwargs)


def _label_points(boundaries, precision=5):
    """``[lat, lon, name]`` of every municipality, most inhabitants first (else largest area).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"name": ["Klein", "Groot"], "population": [10, 20]},
    ...                      geometry=[box(5, 52, 5.2, 52.2), box(5.2, 52, 5.3, 52.1)], crs=4326)
    >>> [p[2] for p in _label_points(b)]
    ['Groot', 'Klein']
    >>> [p[2] for p in _label_points(b.drop(columns="population"))]
    ['Klein', 'Groot']
    """
    b = boundaries.reset_index(drop=True)
    points = b.geometry.representative_point()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        area = b.geometry.area  # only the order matters: degrees squared will do
    population = pd.to_numeric(b["population"], errors="coerce") if "population" in b.columns else None
    key = area if population is None else population.fillna(-1)
    order = sorted(range(len(b)), key=lambda i: (-float(key.iloc[i]), -float(area.iloc[i]), str(b["name"].iloc[i])))
    return [[round(float(points.iloc[i].y), precision), round(float(points.iloc[i].x), precision), str(b["name"].iloc[i])]
            for i in order if points.iloc[i] is not None and not points.iloc[i].is_empty]


class _Control(MacroElement):
    """A Leaflet control holding prepared (escaped) HTML."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}{% if this.css %}<style>{{ this.css }}</style>{% endif %}{% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
            div.innerHTML = {{ this.html_json }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text, *, position, css_class, css=""):
        super().__init__()
        self._name = "DlControl"
        self.html_json = inert_json(html_text)
        self.position = position
        self.css_class = css_class
        self.css = css


CSS = (
    ".dl-box{background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);"
    "font:12px/1.35 Arial,Helvetica,sans-serif;color:#222;max-width:340px}"
    ".dl-title h1{font-size:16px;margin:0 0 2px}.dl-title p{margin:0;color:#555}"
    ".dl-legend .sw{display:inline-block;width:12px;height:12px;margin-right:5px;border:1px solid #555;vertical-align:middle}"
    ".dl-legend .bar{height:10px;width:180px;border:1px solid #555}.dl-legend .ends{display:flex;justify-content:space-between;width:182px}"
    ".dl-legend h2{font-size:12px;margin:6px 0 3px}"
    ".dl-footer{max-width:460px;font-size:11px}.dl-footer ul{margin:2px 0 0 14px;padding:0}.dl-footer summary{cursor:pointer}"
    ".dl-scenario h2{font-size:12px;margin:6px 0 2px}.dl-scenario table{border-collapse:collapse}"
    ".dl-scenario th{text-align:left;font-weight:normal;color:#555;padding-right:8px}.dl-scenario td{font-weight:bold}"
    ".dl-tip table{border-collapse:collapse}.dl-tip th{text-align:left;font-weight:normal;color:#555;padding-right:8px}"
    ".dl-label span{display:inline-block;transform:translate(-50%,-50%);white-space:nowrap;font:bold 13px Arial,Helvetica,"
    "sans-serif;color:#1b1b1b;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}"
)


def _box_html(box):
    """The scenario box: settings and headline figures, as a small table under the title."""
    if not box:
        return ""
    heading, rows = box
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<div class="dl-scenario"><h2>{escape(heading)}</h2><table>{body}</table></div>'


def _legend_items(lg, layers):
    """The entries of legend ``lg`` worth showing: for categories, only the colours its layer draws.

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> layer = _Layer("punten", "points", gpd.GeoDataFrame({"fill": ["#111111"]}, geometry=[Point(5, 52)], crs=4326))
    >>> _legend_items(_Legend("x", "categories", [("#111111", "bezet"), ("#222222", "overbezet")], layer=0), [layer])
    [('#111111', 'bezet')]
    """
    if lg.kind != "categories" or lg.layer is None or not 0 <= int(lg.layer) < len(layers):
        return list(lg.items)
    drawn = set(layers[int(lg.layer)].gdf["fill"].astype(str))
    return [(c, label) for c, label in lg.items if c in drawn]


def drawn_legends(spec):
    """The legends of a static image: of layers that are drawn (switched on, with features), with only the
    categories that appear, as ``(legend, items)`` pairs."""
    out = []
    for lg in spec.legends:
        layer = None if lg.layer is None or not 0 <= int(lg.layer) < len(spec.layers) else spec.layers[int(lg.layer)]
        if layer is not None and (not layer.show or not len(layer.gdf)):
            continue
        items = _legend_items(lg, spec.layers)
        if items:
            out.append((lg, items))
    return out


def _legend_html(legends, layers=None):
    """Legend blocks; with ``layers``, the block of a layer that starts switched off starts hidden and a
    category legend lists only the colours its layer draws."""
    parts = []
    for lg in legends:
        items = lg.items if layers is None else _legend_items(lg, layers)
        if not items:
            continue
        index = -1 if lg.layer is None else int(lg.layer)
        hidden = layers is not None and 0 <= index < len(layers) and not layers[index].show
        style = ' style="display:none"' if hidden else ""
        parts.append(f'<div class="dl-lg" data-layer="{index}"{style}><h2>{escape(lg.title)}</h2>')
        if lg.kind == "categories":
            parts.extend(f'<div><span class="sw" style="background:{escape(c)}"></span>{escape(label)}</div>' for c, label in items)
        else:
            grad = ",".join(escape(c) for c in lg.items)
            lo, hi = lg.labels or (fmt_int(lg.vmin), fmt_int(lg.vmax))
            parts.append(f'<div class="bar" style="background:linear-gradient(to right,{grad})"></div>'
                         f'<div class="ends"><span>{escape(lo)}</span><span>{escape(hi)}</span></div>'
                         f'<div><span class="sw" style="background:{NO_DATA}"></span>geen gegevens</div>')
        parts.append("</div>")
    return "".join(parts)


def _footer_html(spec):
    items = "".join(
        f"<li>{escape(s['title'])}: {escape(s['source'])}{' (' + escape(s['licence']) + ')' if s['licence'] else ''}"
        f" &ndash; <i>status: {escape(s['status'])}</i></li>"
        for s in spec.sources
    )
    notes = "".join(f"<div>{escape(n)}</div>" for n in spec.notes)
    statuses = []
    for s in spec.sources:
        statuses.extend(x.strip() for x in s["status"].split(","))
    summary = f"Bronnen ({len(spec.sources)}) &ndash; status: {escape(', '.join(dict.fromkeys(statuses)))}"
    return f"<details><summary><b>{summary}</b></summary><ul>{items}</ul>{notes}</details>"


def _footer_text(spec):
    lines = ["Bronnen: " + "; ".join(f"{s['title']}: {s['source']} (status: {s['status']})" for s in spec.sources)]
    lines.extend(spec.notes)
    return lines


def _stable_ids(m):
    """Give every element of the map a deterministic id (traversal order)."""
    counter = itertools.count(1)
    root = m.get_root()
    stack = [root]
    seen = set()
    while stack:
        el = stack.pop(0)
        if id(el) in seen:
            continue
        seen.add(id(el))
        el._id = f"{next(counter):08x}"
        stack.extend(getattr(el, "_children", {}).values())
        for attr in ("header", "html", "script"):
            sub = getattr(el, attr, None)
            if sub is not None and hasattr(sub, "_children") and sub is not el:
                stack.append(sub)
    return m


def _title_html(spec):
    return f"<h1>{escape(spec.title)}</h1><p>{escape(spec.subtitle)}</p>" + _box_html(spec.box)


def _to_folium(spec, *, basemap="pdok", precision=5):
    bounds = None
    for layer in spec.layers:
        if len(layer.gdf):
            minx, miny, maxx, maxy = layer.gdf.total_bounds
            bounds = (miny, minx, maxy, maxx) if bounds is None else (
                min(bounds[0], miny), min(bounds[1], minx), max(bounds[2], maxy), max(bounds[3], maxx))
    centre = [52.09, 5.12] if bounds is None else [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2]
    schematic = spec.boundaries is not None and bool(spec.boundaries.attrs.get("schematic"))
    # a scale bar on a schematic map would suggest distances it does not have
    m = folium.Map(location=centre, zoom_start=10, tiles=None, prefer_canvas=True, control_scale=not schematic)
    # Only Leaflet: no jQuery, Bootstrap, Font Awesome or awesome-markers.
    m.default_js = [("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js")]
    m.default_css = [("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css")]
    if basemap is not None:
        if basemap not in BASEMAPS:
            raise ValidationError(f"basemap must be one of {list(BASEMAPS)} or None, got {basemap!r}")
        url, attr, name = BASEMAPS[basemap]
        folium.TileLayer(url, attr=attr, name=name, max_zoom=19, overlay=False, control=True).add_to(m)
    for i, layer in enumerate(spec.layers):
        m.add_child(_GeoJsonLayer(layer, index=i, precision=precision))
    if spec.boundaries is not None and len(spec.boundaries) and "name" in spec.boundaries.columns:
        m.add_child(_Labels(spec.boundaries, precision=precision))
    m.add_child(_Control(_title_html(spec), position="topleft", css_class="dl-box dl-title", css=CSS))
    if spec.legends:
        m.add_child(_Control(_legend_html(spec.legends, spec.layers), position="bottomright", css_class="dl-box dl-legend"))
    m.add_child(_Control(_footer_html(spec), position="bottomleft", css_class="dl-box dl-footer"))
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    if bounds is not None:
        m.fit_bounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]])
    return _stable_ids(m)


def _map_from_recipe(recipe, prior=None, **override):
    spec, opts, layers = _spec_and_layers(recipe, small_counts=override.get("small_counts"), date=override.get("date"),
                                          prior=prior)
    basemap = override.get("basemap", opts["basemap"])
    m = _to_folium(spec, basemap=basemap, precision=opts["precision"])
    m._dl_recipe = recipe
    m._dl_spec = spec
    m._dl_layers = layers  # the steps' spec, lent to maps built from this one (_spec_from_recipe)
    m._dl_children = frozenset(m._children)  # anything else added later would not be exported: export_map says so
    return m


def _options(*, title, date, basemap, small_counts, precision):
    if basemap is not None and basemap not in BASEMAPS:
        raise ValidationError(f"basemap must be one of {list(BASEMAPS)} or None, got {basemap!r}")
    return {"title": title, "date": date, "basemap": basemap, "small_counts": bool(small_counts), "precision": int(precision)}


def _region_label(region):
    return region if isinstance(region, str) else f"{len(region)} gemeenten" if region is not None else "Nederland"


# ----------------------------------------------------------------- public builders

def overzichtskaart(*, region="U16", year=2016, boundaries=None, targets=None, locations=None, buildings=None,
                    title=None, date=None, reference_date=None, basemap="pdok", small_counts=False, offline=True,
                    threshold=0.8, simplify_m=0, precision=5):
    """Overview map: municipalities by taakstelling, reception locations, state buildings.

    Parameters
    ----------
    region : str or list of str or None
        Municipalities to show (``None``: every polygon in ``boundaries``).
    year : int
        Municipal division and population year.
    boundaries : geopandas.GeoDataFrame, optional
        Columns code, name, geometry. Default
        :func:`toolkit.boundaries.load_boundaries` (schematic fallback,
        labelled as such on the map).
    targets : pandas.DataFrame, optional
        Columns code and target or target_int (persons), optionally period,
        realised and backlog. Default: the shipped national taakstelling of
        the last half year of ``year`` apportioned by
        :func:`toolkit.taakstelling.municipal_targets`. Realised and backlog
        per municipality are not shipped and show as "niet beschikbaar".
    locations, buildings : pandas.DataFrame, optional
        Input of :func:`toolkit.capacity.reception_capacity` and
        :func:`toolkit.capacity.building_capacity` (default: shipped tables).
        Pass ``False`` to leave a layer out.
    title, date : str, optional
        Title (default "Overzicht <region> <year>") and the date of the
        scenario printed beside the data's reference dates (default none:
        never the day the file was made).
    reference_date : date-like, optional
        Show only reception locations open on this date (unknown opening
        dates count as open) and mark buildings available then; default all
        shipped locations, whatever their dates.
    basemap : {"pdok", "pdok-grijs", "osm", None}
        Background tiles; PDOK BRT-Achtergrondkaart (Kadaster) by default.
    small_counts : bool
        Show person counts 1-4 as "<5" (council exports always do).
    offline : bool
        Passed to ``load_boundaries``: never download polygons.
    threshold : float
        Occupancy rate below which a location counts as under-used.
    simplify_m : float
        Topology-preserving simplification tolerance in metres (0: none).
    precision : int
        Decimals kept in coordinates (5 is about 1 m).

    Returns
    -------
    folium.Map
        Only Leaflet is needed to show it; see :func:`toolkit.export.export_map`.
    """
    boundaries = _resolve_boundaries(boundaries, year=year, region=region, offline=offline)
    steps = [("municipalities", dict(year=year, region=region, boundaries=boundaries, targets=targets, offline=offline, simplify_m=simplify_m))]
    if locations is not False:
        steps.append(("locations", dict(locations=locations, threshold=threshold, mix_scale=80, date=reference_date, analysis=False, crs="EPSG:4326", region=region, year=year)))
    if buildings is not False:
        from .capacity import M2_PER_DWELLING, M2_PER_PLACE

        steps.append(("buildings", dict(buildings=buildings, m2_per_place=M2_PER_PLACE, m2_per_dwelling=M2_PER_DWELLING, date=reference_date, analysis=False, crs="EPSG:4326", region=region, year=year)))
    title = title or f"Doorlopende Lijn: overzicht {_region_label(region)} ({year})"
    recipe = {"steps": tuple(steps), "options": _options(title=title, date=date, basemap=basemap, small_counts=small_counts, precision=precision)}
    return _map_from_recipe(recipe)


def capaciteitskaart(*, region="U16", year=2016, boundaries=None, locations=None, buildings=None, threshold=0.8,
                     mix_scale=80, m2_per_place=None, m2_per_dwelling=None, title=None, date=None, reference_date=None,
                     basemap="pdok", small_counts=False, offline=True, crs="EPSG:4326", simplify_m=0, precision=5):
    """Capacity map: under-used reception locations and vacant state buildings, with the analysis.

    Parameters
    ----------
    region, year, boundaries, basemap, small_counts, offline, simplify_m, precision
        As in :func:`overzichtskaart`.
    locations, buildings : pandas.DataFrame, optional
        See :func:`toolkit.capacity.reception_capacity` /
        :func:`toolkit.capacity.building_capacity`; ``False`` leaves a layer out.
    threshold, mix_scale : float, int
        Under-use threshold (default 0.8, aanname) and mixed-group size
        (default 80, Plan Einstein).
    m2_per_place, m2_per_dwelling : float, optional
        Floor area per place / dwelling (default
        :data:`toolkit.capacity.M2_PER_PLACE` / ``M2_PER_DWELLING``, aanname).
    title, date : str, optional
        Title and the scenario's date printed on the map (default none).
    reference_date : date-like, optional
        Date of the analysis: only locations open then, buildings marked
        available then (default: all shipped locations).
    crs : str
        CRS of the location/building coordinates ("EPSG:4326" or "EPSG:28992").

    Returns
    -------
    folium.Map
    """
    from .capacity import M2_PER_DWELLING, M2_PER_PLACE

    boundaries = _resolve_boundaries(boundaries, year=year, region=region, offline=offline)
    steps = [("outline", dict(year=year, region=region, boundaries=boundaries, offline=offline, simplify_m=simplify_m))]
    if locations is not False:
        steps.append(("locations", dict(locations=locations, threshold=threshold, mix_scale=mix_scale, date=reference_date, analysis=True, crs=crs, region=region, year=year)))
    if buildings is not False:
        steps.append(("buildings", dict(buildings=buildings, m2_per_place=m2_per_place or M2_PER_PLACE,
                                        m2_per_dwelling=m2_per_dwelling or M2_PER_DWELLING, date=reference_date, analysis=True, crs=crs, region=region, year=year)))
    title = title or f"Doorlopende Lijn: capaciteit opvang en rijksgebouwen {_region_label(region)}"
    recipe = {"steps": tuple(steps), "options": _options(title=title, date=date, basemap=basemap, small_counts=small_counts, precision=precision)}
    return _map_from_recipe(recipe)


def _recipe_of(m, what):
    recipe = getattr(m, "_dl_recipe", None)
    if recipe is None:
        raise ValidationError(f"{what}: the map was not built by toolkit.maps (use overzichtskaart or capaciteitskaart first)")
    return recipe


def _add_step(m, step, what, frame, **options):
    """A copy of ``m`` rebuilt with one more registered layer step (``frame`` is copied)."""
    recipe = _recipe_of(m, what)
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{what}: expected a pandas DataFrame, found {type(frame).__name__}")
    key = {"demand": "demand", "matching": "matching", "start_locations": "locations"}[step]
    new = (step, {key: frame.copy(), **options})
    return _map_from_recipe({"steps": recipe["steps"] + (new,), "options": recipe["options"]}, prior=m)


def add_demand_layer(m, demand, *, size_class=None, period=None):
    """A copy of map ``m`` with expected dwelling demand per municipality (layer off at start).

    Parameters
    ----------
    m : folium.Map
        Built by :func:`overzichtskaart` or :func:`capaciteitskaart`; not changed.
    demand : pandas.DataFrame
        Columns code, size_class ('1', '2', '3-4', '5+'), households, and
        optionally period (output of ``toolkit.demand.dwelling_demand``).
    size_class : str, optional
        Show one size class only (default: all summed).
    period : str, optional
        Period to show when ``demand`` has several (default: the first).

    Returns
    -------
    folium.Map
    """
    return _add_step(m, "demand", "add_demand_layer", demand, size_class=size_class, period=period)


def add_matching_layer(m, matching, *, show=False):
    """A copy of map ``m`` with the matching result per municipality (layer off at start unless ``show``).

    Parameters
    ----------
    m : folium.Map
        Built here; not changed.
    matching : pandas.DataFrame
        One row per municipality: code, target, persons_housed and
        optionally pct_target (percent; computed when absent).
    show : bool
        Switch the layer on at start (and the other municipality layers off):
        for a map that is about the matching.

    Returns
    -------
    folium.Map
    """
    recipe = _recipe_of(m, "add_matching_layer")
    if not isinstance(matching, pd.DataFrame):
        raise ValidationError(f"add_matching_layer: matching must be a DataFrame, found {type(matching).__name__}")
    step = ("matching", dict(matching=matching.copy(), show=bool(show)))
    return _map_from_recipe({"steps": recipe["steps"] + (step,), "options": recipe["options"]}, prior=m)


def add_start_locations_layer(m, locations):
    """A copy of map ``m`` with the start locations for integration from day one (a points layer).

    Parameters
    ----------
    m : folium.Map
        Built here (e.g. :func:`capaciteitskaart` with ``locations=False``); not changed.
    locations : pandas.DataFrame
        Output of :func:`toolkit.integration.start_locations`: name, lat, lon
        and optionally code, capacity, occupancy, occupancy_rate,
        free_places, underused, mix_groups. Under-used locations are green.

    Returns
    -------
    folium.Map
    """
    return _add_step(m, "start_locations", "add_start_locations_layer", locations)


def add_info_box(m, rows, *, heading="Scenario"):
    """A copy of map ``m`` with a box of scenario settings and headline figures under the title.

    Parameters
    ----------
    m : folium.Map
        Built here; not changed.
    rows : sequence of (str, str)
        Label and formatted value (escaped on the page).
    heading : str

    Returns
    -------
    folium.Map
    """
    recipe = _recipe_of(m, "add_info_box")
    rows = tuple((str(k), str(v)) for k, v in rows)
    return _map_from_recipe({"steps": recipe["steps"], "options": {**recipe["options"], "box": (str(heading), rows)}},
                            prior=m)

