"""Council exports: one self-contained HTML file, and a static image.

:func:`export_map` writes a map built by :mod:`toolkit.maps` as ONE HTML file
that works without a network: Leaflet's JS and CSS (with its images as data
URIs) are inlined from the ``django-js-lib-leaflet`` package, nothing else is
loaded except the optional basemap tiles, and the vector layers show without
them. A Content-Security-Policy lets only the inline scripts the toolkit wrote
(by sha256 hash) run, so even a text that escaped escaping could not execute.
The file is deterministic (stable element ids, the date passed in) and written
atomically (a temporary file then ``os.replace``).

:func:`export_static` draws the same map with geopandas/matplotlib (PNG, and
PDF on request) with legend and sources, without a browser.

:func:`write_council_export` is the one writer of a scenario's council files
(map HTML and PNG with the scenario box, optional capacity map, one-page summary), used by
``doorlopende-lijn demo``, ``doorlopende-lijn kaart`` and the dashboard.
"""

from __future__ import annotations

import base64
import hashlib
import re
import textwrap
from pathlib import Path

from ._errors import ValidationError
from ._files import atomic_write
from ._format import suppress_counts

__all__ = ["export_map", "export_static", "write_council_export", "leaflet_dir", "render_html", "inline", "disclose",
           "COUNT_COLUMNS"]

#: Columns of the toolkit's frames that count persons or households: every export shows their
#: values that round to 1-4 as "<5" (with secondary suppression, see toolkit._format). Codes,
#: identifiers, dwellings on offer, places, euros and differences between totals are not counts
#: of people and are shown as they are.
COUNT_COLUMNS = (
    "target", "target_int", "realised", "backlog", "persons", "persons_housed", "persons_waiting",
    "households", "households_housed", "households_waiting", "linked_households_waiting", "households_lo",
    "households_hi", "dwellings_1", "dwellings_2", "dwellings_3-4", "dwellings_5+", "dwellings_used",
    "dwellings_needed", "under_occupation", "expected_overcrowding", "short_of_target", "over_target",
    "shared_dwellings", "adults_sharing", "dwellings_saved", "occupancy", "households_outside", "sharing_adults",
    "practice_households_housed", "practice_persons_housed", "largest_first_households_housed",
    "largest_first_persons_housed",
)
#: Figures computed from a count: hidden wherever that count is hidden.
DERIVED_COLUMNS = {
    "share": "target",
    "pct_target": ("persons_housed", "target"),
    "displacement": ("dwellings_used", "linked_households_waiting"),
    "occupancy_rate": "occupancy",
    "free_places": "occupancy",
}


def disclose(frame, columns=COUNT_COLUMNS, *, derived=None):
    """The frame as it may leave the toolkit: counts of persons or households 1-4 as "<5".

    Applies :func:`toolkit._format.suppress_counts` to the ``columns`` present
    (default :data:`COUNT_COLUMNS`), with secondary suppression and the
    derived figures of :data:`DERIVED_COLUMNS` hidden alongside. Used for
    every table a council or the public gets (CSV, xlsx, report, summary).

    >>> import pandas as pd
    >>> disclose(pd.DataFrame({"code": ["GM1", "GM2", "GM3"], "persons_housed": [2, 9, 30]}))["persons_housed"].tolist()
    ['<5', 'x', 30]
    """
    return suppress_counts(frame, columns, derived=DERIVED_COLUMNS if derived is None else derived)

_LEAFLET_JS = re.compile(r'<script src="[^"]*leaflet[^"]*\.js"></script>')
_LEAFLET_CSS = re.compile(r'<link rel="stylesheet" href="[^"]*leaflet[^"]*\.css"\s*/>')
_EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=|@import|url\(\s*['"]?(?:https?:)?//""", re.I)
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def leaflet_dir():
    """Folder with Leaflet 1.9.4's files from the ``django-js-lib-leaflet`` package."""
    try:
        import js_lib_leaflet
    except ImportError as exc:  # pragma: no cover - dependency of the project
        raise ImportError(
            "Self-contained exports need Leaflet's files from the package django-js-lib-leaflet: "
            "pip install django-js-lib-leaflet"
        ) from exc
    folder = Path(js_lib_leaflet.__file__).parent / "static" / "js_lib_leaflet"
    if not (folder / "leaflet.js").exists():
        raise ValidationError(f"leaflet.js not found in {folder}; reinstall django-js-lib-leaflet")
    return folder


def _leaflet_assets():
    folder = leaflet_dir()
    js = (folder / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match):
        img = folder / match.group(1)
        return "url(data:image/png;base64," + base64.b64encode(img.read_bytes()).decode("ascii") + ")"

    css = re.sub(r"url\((images/[\w\-.]+\.png)\)", data_uri, css)
    return js, css


def _csp(html_text, tile_hosts):
    hashes = sorted({
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii") + "'"
        for s in _SCRIPT.findall(html_text)
    })
    img = " ".join(["data:"] + sorted(tile_hosts))
    return (
        f"default-src 'none'; script-src {' '.join(hashes)}; style-src 'unsafe-inline'; "
        f"img-src {img}; connect-src 'none'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
    )


def _refuse_foreign_layers(m, what):
    """Raise when ``m`` holds elements toolkit.maps did not put there: an export would drop them."""
    foreign = [child for key, child in m._children.items() if key not in getattr(m, "_dl_children", ())]
    if foreign:
        names = ", ".join(repr(getattr(c, "layer_name", None) or c.get_name()) for c in foreign)
        raise ValidationError(
            f"{what}: the map has layer(s) {names} that were added outside toolkit.maps (e.g. with .add_to(map)); "
            "the export rebuilds the map from its recipe and would leave them out. Add them with a toolkit.maps "
            "add_*_layer function (e.g. add_start_locations_layer) or build the map without them"
        )


def _map_for_export(m, *, council, small_counts, date, basemap):
    from .maps import BASEMAPS, _map_from_recipe

    recipe = getattr(m, "_dl_recipe", None)
    if recipe is None:
        raise ValidationError(
            "export_map: only maps built by toolkit.maps (overzichtskaart, capaciteitskaart, add_*_layer) can be "
            "exported; their data can be checked for escaping, privacy and self-containment"
        )
    _refuse_foreign_layers(m, "export_map")
    if small_counts is None:
        small_counts = bool(council)
    override = {"small_counts": small_counts, "date": date}
    if basemap != "keep":
        if basemap is not None and basemap not in BASEMAPS:
            raise ValidationError(f"export_map: basemap must be one of {list(BASEMAPS)}, None or 'keep', got {basemap!r}")
        override["basemap"] = basemap
    return _map_from_recipe(recipe, prior=m, **override)


def render_html(m, *, council=True, small_counts=None, date=None, basemap="keep"):
    """The self-contained HTML text of a map (what :func:`export_map` writes)."""
    from .maps import BASEMAPS

    built = _map_for_export(m, council=council, small_counts=small_counts, date=date, basemap=basemap)
    text = built.get_root().render()
    js, css = _leaflet_assets()
    text, n_js = _LEAFLET_JS.subn(lambda _: "<script>" + js + "</script>", text, count=1)
    text, n_css = _LEAFLET_CSS.subn(lambda _: "<style>" + css + "</style>", text, count=1)
    if n_js != 1 or n_css != 1:
        raise ValidationError("export_map: could not find the Leaflet links to inline in the rendered map")
    leftover = _EXTERNAL.findall(text)
    if leftover:
        raise ValidationError(f"export_map: the map still refers to external resources {leftover[:5]}; it would not work offline")
    basemap_used = built._dl_recipe["options"]["basemap"] if basemap == "keep" else basemap
    hosts = set()
    if basemap_used is not None:
        url = BASEMAPS[basemap_used][0]
        hosts.add("/".join(url.split("/")[:3]))
    csp = _csp(text, hosts)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}" />\n'
    text = text.replace("<head>", "<head>\n    " + meta, 1)
    return text


def export_map(m, path, *, council=True, small_counts=None, date=None, basemap="keep"):
    """Write map ``m`` as one self-contained, deterministic HTML file.

    Parameters
    ----------
    m : folium.Map
        Built by :mod:`toolkit.maps`; rebuilt from its recipe with the export
        settings (``m`` itself is not changed).
    path : str or Path
        Target file; written atomically (no half file on failure).
    council : bool
        Council export: small counts hidden by default.
    small_counts : bool, optional
        Show person counts 1-4 as "<5"; default ``council``.
    date : date-like, optional
        The scenario's date printed on the map beside the data's reference
        dates (default: the date the map was built with, else none: never
        the day the file was made).
    basemap : {"keep", "pdok", "pdok-grijs", "osm", None}
        Background tiles (the only thing loaded from outside; optional).

    Returns
    -------
    pathlib.Path
    """
    text = render_html(m, council=council, small_counts=small_counts, date=date, basemap=basemap)
    return atomic_write(path, text)


def _spec_for_static(m, small_counts, date):
    from .maps import _spec_from_recipe

    recipe = getattr(m, "_dl_recipe", None)
    if recipe is None:
        raise ValidationError("export_static: expected a map built by toolkit.maps (overzichtskaart, capaciteitskaart)")
    _refuse_foreign_layers(m, "export_static")
    spec, _ = _spec_from_recipe(recipe, small_counts=small_counts, date=date, prior=m)
    return spec


def export_static(m, path_png, *, pdf=False, small_counts=True, date=None, dpi=150, labels=True):
    """Draw map ``m`` as a PNG (and PDF) with legend, date and sources; no browser needed.

    Parameters
    ----------
    m : folium.Map
        Built by :mod:`toolkit.maps`.
    path_png : str or Path
        PNG file to write (atomically).
    pdf : bool
        Also write a PDF beside it (same name, ``.pdf``).
    small_counts : bool
        Counts 1-4 as "<5" in the text (default on: images go into council documents).
    date : date-like, optional
        The scenario's date printed beside the data's reference dates.
    dpi : int
    labels : bool
        Write municipality names when there are at most 40 polygons.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    # A bare Figure with the Agg canvas: no pyplot, so the caller's backend and figures are untouched.
    fig = _static_figure(_spec_for_static(m, small_counts, date), dpi=dpi, labels=labels)
    path_png = Path(path_png)
    written = [atomic_write(path_png, lambda f: fig.savefig(f, format="png", dpi=dpi, metadata={"Software": None}))]
    if pdf:
        written.append(atomic_write(path_png.with_suffix(".pdf"),
                                     lambda f: fig.savefig(f, format="pdf", metadata={"CreationDate": None, "Creator": None, "Producer": None})))
    return written


#: Smallest font in a static image (points): sources and tables stay readable in print.
MIN_FONT_PT = 7.0
_PATHS = re.compile(r"(?:\s+(?:in|uit|via))?\s*\(?[\w./\\-]+\.(?:csv|json|geojson|gpkg|shp|xlsx|py|php)\b\)?", re.I)


def _plain_source(text):
    """A source line for print: file paths left out (they mean nothing on paper).

    >>> _plain_source("Gemeenten: geodata/municipalities.csv (status: schatting)")
    'Gemeenten: (status: schatting)'
    >>> _plain_source("cellen rond de punten in geodata/municipal_points.csv, begrensd; (geodata/x.json); CBS")
    'cellen rond de punten, begrensd; CBS'
    """
    out = _PATHS.sub("", str(text))
    out = re.sub(r"\(\s*\)", "", out)
    out = re.sub(r"\s+([,;:)])", r"\1", out)
    out = re.sub(r"([,;])(?:\s*[,;])+", r"\1", out)
    return re.sub(r"\s{2,}", " ", out).strip()


def _static_figure(spec, *, dpi=150, labels=True):
    """The matplotlib Figure of :func:`export_static` (no pyplot; Agg canvas)."""
    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, Normalize
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .maps import drawn_legends

    tables = [(layer.name, layer.table) for layer in spec.layers if layer.show and layer.table][:2]
    n_rows = sum(min(len(t), MAX_TABLE_ROWS) + 4 for _, t in tables)  # title, a header of up to 3 lines
    table_h = 0.0 if not tables else 0.03 + 0.0125 * n_rows
    fig = Figure(figsize=(9, 10.5 + 14 * table_h), dpi=dpi)
    FigureCanvasAgg(fig)
    scale = 10.5 / (10.5 + 14 * table_h)  # keep the map and footer the same size in inches
    map_bottom = 1 - scale * 0.8
    ax = fig.add_axes([0.03, map_bottom, 0.72, scale * 0.72])
    for layer in spec.layers:
        if not layer.show or not len(layer.gdf):
            continue
        g = layer.gdf
        if layer.kind == "polygons":
            # GeoSeries.plot ends with canvas.draw_idle(), which on Agg renders the whole figure at once; the
            # image is drawn once, by savefig
            fig.canvas.draw_idle = _no_draw
            g.plot(ax=ax, color=list(g["fill"]), edgecolor=list(g["stroke"]), linewidth=0.6, alpha=1.0)
            del fig.canvas.draw_idle
        else:
            ax.scatter(g.geometry.x, g.geometry.y, s=(g["radius"].astype(float) * 1.6) ** 2, c=list(g["fill"]),
                       edgecolors=list(g["stroke"]), linewidths=0.8, zorder=3)
    ax.set_aspect(1 / 0.62)  # about 1/cos(52 deg): degrees look square at this latitude
    ax.set_axis_off()
    b = spec.boundaries
    if labels and b is not None and len(b) <= 40:
        _draw_names(fig, ax, spec, b, dpi=dpi, halo=[patheffects.withStroke(linewidth=2.5, foreground="white")])
    fig.text(0.03, 1 - scale * 0.035, _mpl(spec.title), fontsize=14, weight="bold", va="top")
    fig.text(0.03, 1 - scale * 0.065, _mpl(spec.subtitle), fontsize=10, color="#555555", va="top")
    y = 1 - scale * 0.1
    for lg, items in drawn_legends(spec):
        if lg.kind == "categories":
            handles = [Patch(facecolor=c, edgecolor="#555555", label=_mpl(label)) for c, label in items]
            leg = fig.legend(handles=handles, title=_mpl("\n".join(textwrap.wrap(lg.title, 28))), loc="upper left",
                             bbox_to_anchor=(0.76, y), fontsize=MIN_FONT_PT, title_fontsize=7.5, frameon=False)
            # the legend's extent needs the renderer only, not a drawn figure (each draw renders every polygon and text)
            bbox = leg.get_window_extent(fig.canvas.get_renderer()).transformed(fig.transFigure.inverted())
            y = bbox.y0 - 0.02
        else:
            cax = fig.add_axes([0.78, y - 0.05, 0.18, 0.015])
            cmap = LinearSegmentedColormap.from_list("dl", list(lg.items))
            sm = ScalarMappable(norm=Normalize(lg.vmin, lg.vmax), cmap=cmap)
            cb = fig.colorbar(sm, cax=cax, orientation="horizontal")
            cb.set_ticks([lg.vmin, lg.vmax])
            cb.set_ticklabels([_mpl(v) for v in lg.labels] if lg.labels else [str(lg.vmin), str(lg.vmax)])
            cb.ax.tick_params(labelsize=MIN_FONT_PT)
            ends = cb.ax.get_xticklabels()
            ends[0].set_horizontalalignment("left")  # both end labels inside the bar's width: nothing cut off
            ends[-1].set_horizontalalignment("right")
            cax.set_title(_mpl("\n".join(textwrap.wrap(lg.title, 30))), fontsize=7.5, loc="left")
            y -= scale * 0.12
    if any(layer.kind == "points" and layer.show and len(layer.gdf) for layer in spec.layers):
        fig.legend(handles=[Line2D([], [], marker="o", linestyle="", color="#888888", label="grootte ~ capaciteit")],
                   loc="upper left", bbox_to_anchor=(0.76, max(y, map_bottom + 0.05)), fontsize=MIN_FONT_PT, frameon=False)
        y -= scale * 0.04
    if spec.box:
        heading, rows = spec.box
        lines = [heading] + [f"{k}: {v}" for k, v in rows]
        text = "\n".join(textwrap.fill(_mpl(x), 34, subsequent_indent="  ") for x in lines)
        fig.text(0.76, max(y, map_bottom + 0.02), text, fontsize=MIN_FONT_PT, va="top", color="#222222")
    from .maps import _footer_text

    footer = []
    for line in _footer_text(spec):
        footer.extend(textwrap.wrap(_plain_source(line), 125))
    footer.append("Achtergrond: geen (vectorkaart). Doorlopende Lijn toolkit.")
    top = map_bottom - 0.01
    for name, rows in tables:
        top = _draw_table(fig, name, rows[:MAX_TABLE_ROWS], top, more=len(rows) - MAX_TABLE_ROWS)
    if len(footer) > MAX_FOOTER_LINES:  # never a sentence cut off without saying so
        footer = footer[:MAX_FOOTER_LINES - 1] + ["… (de volledige lijst van bronnen staat in de HTML-kaart)"]
    fig.text(0.03, top - 0.005, _mpl("\n".join(footer)), fontsize=MIN_FONT_PT, va="top", color="#333333")
    return fig


MAX_TABLE_ROWS = 12
MAX_FOOTER_LINES = 16


def _label_offsets(labels, obstacles, *, gap=2.0):
    """Where each name goes: the first spot near its point whose box is clear of every obstacle and name.

    Parameters
    ----------
    labels : list of (x, y, width, height)
        The point of each name and the size of its text, in pixels (y up), in priority order.
    obstacles : list of (x0, y0, x1, y1)
        Boxes no name may touch (the markers).

    Returns
    -------
    list of (dx, dy)
        The shift of each name from its point: on it, else below, above, right or left of it, one
        to three steps away. A name with no clear spot stays on its point.

    >>> _label_offsets([(0, 0, 40, 10)], [(-5, -5, 5, 5)])  # a marker on the point: the name moves below it
    [(0.0, -12.0)]
    >>> _label_offsets([(0, 0, 40, 10), (0, 0, 40, 10)], [])  # two names on one point: the second moves
    [(0.0, 0.0), (0.0, -12.0)]
    """
    placed = [tuple(map(float, o)) for o in obstacles]
    out = []
    for x, y, w, h in labels:
        steps = [(0.0, 0.0)]
        for k in (1, 2, 3):
            steps += [(0.0, -k * (h + gap)), (0.0, k * (h + gap)), (k * (w / 2 + gap), 0.0), (-k * (w / 2 + gap), 0.0)]
        chosen = steps[0]
        for dx, dy in steps:
            box = (x + dx - w / 2, y + dy - h / 2, x + dx + w / 2, y + dy + h / 2)
            if not any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in placed):
                chosen = (dx, dy)
                break
        placed.append((x + chosen[0] - w / 2, y + chosen[1] - h / 2, x + chosen[0] + w / 2, y + chosen[1] + h / 2))
        out.append((float(chosen[0]), float(chosen[1])))
    return out


def _draw_names(fig, ax, spec, b, *, dpi, halo):
    """Municipality names beside the markers (not under them), most inhabitants first, with a white halo."""
    from .maps import _label_points

    ax.apply_aspect()
    renderer = fig.canvas.get_renderer()
    obstacles = []
    for layer in spec.layers:
        if layer.kind == "points" and layer.show and len(layer.gdf):
            for pt, r in zip(layer.gdf.geometry, layer.gdf["radius"].astype(float)):
                x, y = ax.transData.transform((pt.x, pt.y))
                half = r * 1.6 / 2 * dpi / 72 + 1  # scatter size is the marker's diameter in points, squared
                obstacles.append((x - half, y - half, x + half, y + half))
    texts, boxes = [], []
    for lat, lon, name in _label_points(b):
        t = ax.annotate(_mpl(name), (lon, lat), xytext=(0, 0), textcoords="offset pixels", ha="center", va="center",
                        fontsize=MIN_FONT_PT, color="#222222", zorder=5, path_effects=halo)
        box = t.get_window_extent(renderer)
        x, y = ax.transData.transform((lon, lat))
        texts.append(t)
        boxes.append((x, y, box.width, box.height))
    for t, (dx, dy) in zip(texts, _label_offsets(boxes, obstacles)):
        t.set_position((dx, dy))


def _no_draw(*args, **kwargs):
    """Stands in for a canvas's draw_idle while a layer is plotted (see :func:`_static_figure`)."""


def _mpl(text):
    """Plain text for matplotlib: '$' would start mathtext."""
    return str(text).replace("$", r"\$")


def _draw_table(fig, name, rows, top, *, more=0):
    """A plain table of the figures behind a point layer; returns the new top (figure fraction)."""
    columns = []
    for _, vals in rows:
        columns.extend(label for label, _ in vals if label not in columns and label != "Gemeente (CBS)")
    header = ["Naam"] + columns
    cells = [[textwrap.shorten(str(n), 34, placeholder="…")]
             + [textwrap.shorten(str(dict(vals).get(c, "")), 30, placeholder="…") for c in columns]
             for n, vals in rows]
    if more > 0:
        cells.append([f"… en nog {more}"] + [""] * len(columns))
    # column widths by content, so names and texts are not cut off
    widths = [max([len(r[i]) for r in cells] + [min(len(header[i]), 18)]) + 2 for i in range(len(header))]
    widths = [w / sum(widths) for w in widths]
    wrapped = ["\n".join(textwrap.wrap(_mpl(c), 18)) for c in header]
    header_lines = max(w.count("\n") + 1 for w in wrapped)
    h = 0.0125 * (len(cells) + header_lines)
    fig.text(0.03, top, _mpl(name), fontsize=8, weight="bold", va="top")
    ax = fig.add_axes([0.03, top - 0.015 - h, 0.94, h])
    ax.set_axis_off()
    tab = ax.table(cellText=[[_mpl(v) for v in r] for r in cells],
                   colLabels=wrapped,
                   colWidths=widths, loc="upper left", cellLoc="left", colLoc="left", bbox=[0, 0, 1, 1])
    tab.auto_set_font_size(False)
    tab.set_fontsize(MIN_FONT_PT)
    for (r, _), cell in tab.get_celld().items():
        cell.set_linewidth(0.3)
        cell.PAD = 0.02
        if r == 0:
            cell.set_facecolor("#eeeeee")
            cell.set_height(cell.get_height() * header_lines)  # wrapped headers stay inside their cell
    return top - 0.03 - h


def _scenario_box(result):
    """Settings and headline figures of a scenario, for the box on a council map."""
    from ._format import fmt_int, fmt_pct
    from ._labels import scope_label

    s, h = result.settings, result.headline
    inflow = s.inflow if isinstance(s.inflow, str) else f"{fmt_int(s.inflow)} eerste aanvragen per jaar"
    return [
        ("Halfjaar", str(h["period"])),
        ("Instroomscenario", inflow if s.national_target is None else f"landelijk {fmt_int(s.national_target)} personen"),
        ("Matching", scope_label(s.scope)),
        ("Taakstelling regio", f"{fmt_int(h['region_persons'])} personen"),
        ("Huishoudens met woning", f"{fmt_int(h['households_housed'])} van {fmt_int(h['households'])}"),
        ("Gehuisvest van de taakstelling", fmt_pct(h["pct_target"] / 100, 0)),
        ("Meer dan elke gemeente alleen", f"{fmt_int(h['persons_gain_vs_solo'])} personen, {fmt_int(h['gain_vs_solo'])} huishoudens"),
    ]


def write_council_export(result, out_dir, *, boundaries=None, date=None, demand=None, prefix="", summary=None,
                         capacity=False, pdf=False, basemap="pdok", title=None, locations=None, reference_date=None):
    """The one writer of a scenario's council files: map HTML and PNG, and a one-page summary.

    Used by ``doorlopende-lijn demo``, ``doorlopende-lijn kaart`` and the dashboard's "Exporteer voor de raad".

    Parameters
    ----------
    result : toolkit.scenario.Result
    out_dir : str or Path
        Created when missing; files are written atomically.
    boundaries : geopandas.GeoDataFrame, optional
        Municipal polygons (default :func:`toolkit.boundaries.load_boundaries`, offline).
    date : date-like, optional
        The scenario's date printed beside the data's reference dates (default none).
    demand : pandas.DataFrame, optional
        Dwelling demand per municipality (:func:`toolkit.demand.dwelling_demand`): one more layer.
    prefix : str
        Start of every file name (e.g. ``"scenario_20161004-101500_"``).
    summary : list of toolkit.report.Section, optional
        The one-page summary, written as ``<prefix>samenvatting.html``.
    capacity : bool
        Also write the capacity map (``kaart_capaciteit``, HTML and PNG).
    pdf : bool
        Also write PDFs of the images.
    basemap : str or None
    title : str, optional
    locations : pandas.DataFrame, optional
        Reception locations for both maps (e.g. a COA occupancy list through
        :func:`toolkit.data.locations_from_occupancy`; default the shipped ones).
    reference_date : date-like, optional
        Show only reception locations open on this date (default: all).

    Returns
    -------
    list of pathlib.Path
        ``<prefix>kaart_overzicht.html``, ``.png`` (``.pdf``), optionally
        ``<prefix>kaart_capaciteit.*`` and ``<prefix>samenvatting.html``. The
        overview has the matching layer switched on and a box with the
        scenario's settings and headline figures.
    """
    from . import maps
    from ._format import SMALL_NOTE
    from ._labels import scope_label
    from .report import write_report
    from .scenario import DATASETS

    s = result.settings
    codes = list(result.targets["code"])
    boundaries = maps._resolve_boundaries(boundaries, year=s.year, region=codes, offline=True)
    out = Path(out_dir)
    region = s.region if isinstance(s.region, str) else f"{len(s.region)} gemeenten"
    m = maps.overzichtskaart(region=codes, year=s.year, boundaries=boundaries, targets=result.targets, date=date,
                             basemap=basemap, small_counts=True, locations=locations, reference_date=reference_date,
                             title=title or f"Doorlopende Lijn: {region} ({s.year}), matching {scope_label(s.scope)}")
    if demand is not None:
        m = maps.add_demand_layer(m, demand)
    m = maps.add_matching_layer(m, result.municipalities, show=True)  # the layer the export is about
    m = maps.add_info_box(m, _scenario_box(result))
    written = [export_map(m, out / f"{prefix}kaart_overzicht.html", council=True, date=date)]
    written.extend(export_static(m, out / f"{prefix}kaart_overzicht.png", pdf=pdf, date=date))
    if capacity:
        c = maps.capaciteitskaart(region=codes, year=s.year, boundaries=boundaries, date=date, basemap=basemap,
                                  small_counts=True, locations=locations, reference_date=reference_date,
                                  title=f"Doorlopende Lijn: capaciteit opvang en rijksgebouwen {region}, scenario "
                                        f"halfjaar {result.headline['period']}")  # the scenario's date on every map
        written.append(export_map(c, out / f"{prefix}kaart_capaciteit.html", council=True, date=date))
        written.extend(export_static(c, out / f"{prefix}kaart_capaciteit.png", pdf=pdf, date=date))
    if summary is not None:
        written.append(write_report(out / f"{prefix}samenvatting.html", f"Scenario collegedag {region}", summary,
                                    datasets=DATASETS, date=date, notes=[SMALL_NOTE],
                                    subtitle=f"Doorlopende Lijn · halfjaar {result.headline['period']} · matching "
                                             f"{scope_label(s.scope)}"))
    return [Path(p) for p in written]


class InlineMap:
    """A self-contained map page shown in a notebook output as an ``<iframe srcdoc>``.

    The page is the one :func:`render_html` writes (the toolkit's own Leaflet
    inlined, CSP), so it shows without internet and without a trusted
    notebook. ``html`` is the iframe element.
    """

    def __init__(self, page, *, height=560, title="Kaart"):
        import html

        self.page = page
        self.html = (f'<iframe title="{html.escape(str(title), quote=True)}" srcdoc="{html.escape(page, quote=True)}" '
                     f'style="width:100%;height:{int(height)}px;border:1px solid #ccc"></iframe>')

    def _repr_html_(self):
        return self.html


def inline(m, *, height=560, council=False, small_counts=None, date=None, basemap="keep", title="Kaart"):
    """Map ``m`` for a notebook output: self-contained, works offline (no CDN, no "trust this notebook").

    Parameters
    ----------
    m : folium.Map
        Built by :mod:`toolkit.maps`.
    height : int
        Height of the frame in pixels.
    council, small_counts, date, basemap
        As for :func:`render_html` (default: an analyst's map, counts shown as they are).
    title : str
        Accessible title of the frame.

    Returns
    -------
    InlineMap
        Displays itself (``_repr_html_``); ``.page`` is the HTML page.
    """
    return InlineMap(render_html(m, council=council, small_counts=small_counts, date=date, basemap=basemap),
                     height=height, title=title)
