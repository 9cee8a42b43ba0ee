"""The collegedag dashboard: ipywidgets controls around the scenario engine.

A facilitator changes the settings of :class:`toolkit.scenario.Settings` with
a few controls; four headline tiles and the visible view follow. Every view
shows the reference scenario (the default settings for the region) beside the
current one. The views follow the statements the meeting debated:

- Stelling 1: regional matching from day one (what pooling gains against each
  municipality alone, and the map);
- Stelling 2: more social housing against displacement (share of
  social-housing lettings going to permit holders, status ``schatting``);
- Stelling 3a: U16 instead of U10 (both scales on the same axes);
- Integratie: the current route and the "dag 1" pilot of :mod:`toolkit.integration`.

A change is cheap: only the headline and the visible view are redrawn (the
others when they are opened), the charts are HTML, and the map page is loaded
once: later changes push the new colours, tooltips and legend as JSON that the
page reads (the layers the user ticked stay ticked). Results are cached, and
:meth:`Dashboard.precompute` solves, in a background thread, the sweep of every
single control from the reference, so moving one control from the reference
needs no new solve. The callbacks are plain methods (:meth:`Dashboard.update`,
:meth:`Dashboard.export`), so they can be tested without a browser.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import sys
import threading
import time
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd

from markupsafe import escape as _esc  # Jinja's own escape rule, for the widget HTML

from ._errors import InfeasibleError, ValidationError
from ._format import nl_number as _nl
from ._labels import BASIS_LABELS, SCOPE_LABELS
from ._labels import scope_key as _scope_key
from ._labels import scope_label as _scope_label

__all__ = ["Dashboard", "app", "export_for_council", "build_map", "map_data", "map_payload", "headline_html",
           "sources_html", "target_note_html", "pooling_chart", "displacement_chart", "scales_chart", "integration_view"]

TAB_TITLES = ("Stelling 1", "Stelling 2", "Stelling 3a", "Integratie")
#: The statements of the collegedag, shown at the top of their tab.
STATEMENTS = ("Regionaal matchen vanaf dag 1: wie kan het best waar wonen, en wat levert het op?",
              "De sociale huurvoorraad in elke gemeente uitbreiden om verdringing te voorkomen.",
              "De U16 in plaats van de U10 als schaal voor huisvesting.",
              "Integratie vanaf dag 1: de huidige route en de pilot naast elkaar.")
#: First asylum applications per year shown when the facilitator types an own number (2016, IND; FACTS.md §2).
OWN_INFLOW_DEFAULT = 18171
REF_COLOUR, CUR_COLOUR, U10_COLOUR = "#9aa5b1", "#154273", "#e07b39"

# Sized for a projector at 1280x720 and 1920x1080: no text below 18 px (16 px in the map's own frame).
CSS = """
<style>
.dl-dash, .dl-dash .widget-html-content {font-size: 18px; line-height: 1.3; color: #1b1b1b}
.dl-export {font-size: 18px; overflow-wrap: anywhere} .dl-export code {font-size: 16px}
.dl-export ul {margin: 2px 0 0 18px; padding: 0}
.dl-dash .widget-label, .dl-dash .widget-readout, .dl-dash .widget-toggle-button, .dl-dash .widget-button,
.dl-dash .widget-dropdown select, .dl-dash .widget-checkbox label, .dl-dash input, .dl-dash button,
.dl-dash .widget-inline-hbox .widget-label {font-size: 18px}
.dl-dash .widget-label {min-width: 0}
.dl-dash .lm-TabBar-tab, .dl-dash .p-TabBar-tab {font-size: 18px; min-width: 130px; max-width: 200px}
.dl-dash .lm-TabBar, .dl-dash .p-TabBar {min-height: 36px}
.dl-dash .widget-tab > .widget-tab-contents, .dl-dash .lm-TabPanel-stackedPanel {padding: 6px 10px}
.dl-top {display: flex; align-items: baseline; gap: 18px; flex-wrap: wrap; margin: 0 0 4px 0}
.dl-top h2 {font-size: 26px; margin: 0; color: #154273}
.dl-top span {font-size: 18px; color: #333}
.dl-panel h3, .dl-dash h3 {font-size: 22px; margin: 2px 0 6px 0; color: #154273}
.dl-tiles {display: grid; grid-template-columns: minmax(0, 1.4fr) repeat(3, minmax(0, 1fr)); gap: 8px; margin: 0 0 6px 0}
.dl-tile {background: #f2f5f9; border-left: 6px solid #154273; padding: 4px 10px; min-width: 0}
.dl-tile .v {font-size: 28px; font-weight: 700; color: #154273}
.dl-tile .l {font-size: 18px}
.dl-tile .r {font-size: 18px; color: #4a4a4a}
.dl-note {font-size: 18px; margin: 2px 0 6px 0}
.dl-table {border-collapse: collapse; font-size: 18px; margin: 4px 0}
.dl-table th, .dl-table td {padding: 3px 12px; border-bottom: 1px solid #ccc; text-align: left}
.dl-table td.n, .dl-table th.n {text-align: right; font-variant-numeric: tabular-nums}
.dl-src {font-size: 18px; color: #333; margin-top: 6px}
.dl-src summary {cursor: pointer}
.dl-src ul {margin: 4px 0 0 18px; padding: 0}
.dl-status {display: inline-block; padding: 0 6px; border-radius: 4px; background: #eee}
.dl-status-schatting {background: #fff3cd} .dl-status-synthetisch {background: #e2e3ff}
.dl-status-gepubliceerd {background: #d1e7dd} .dl-status-voorbeeld {background: #f8d7da}
.dl-status-aanname {background: #fde2c8}
.dl-error {color: #8a1c1c; font-weight: 700; font-size: 18px}
.dl-chart {font-size: 18px; max-width: 860px}
.dl-chart .t {font-weight: 700; margin: 2px 0 4px 0}
.dl-chart .row {display: flex; align-items: center; gap: 8px; height: 26px}
.dl-chart .name {flex: 0 0 200px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap}
.dl-chart .short {flex-basis: 110px}
.dl-chart .track {position: relative; flex: 1 1 auto; height: 20px}
.dl-chart .bar {position: absolute; top: 2px; height: 16px}
.dl-chart .thin {top: 7px; height: 6px}
.dl-chart .mark {position: absolute; top: 0; width: 3px; height: 20px; background: #333}
.dl-chart .dot {position: absolute; top: 2px; width: 16px; height: 16px; border-radius: 50%; margin-left: -8px}
.dl-chart .line {position: absolute; top: 9px; height: 2px; background: #888}
.dl-chart .val {flex: 0 0 90px; text-align: right; font-variant-numeric: tabular-nums}
.dl-chart .key {display: flex; gap: 18px; margin-top: 4px; color: #333}
.dl-chart .sw {display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -1px}
.dl-chart .panel {margin-bottom: 8px}
.dl-ro {font-variant-numeric: tabular-nums}
</style>
"""

# datasets each view rests on (registry names; the synthetic households are added separately)
_VIEW_DATASETS = {
    "headline": ("inflow", "taakstelling", "population", "regions", "housing_stock"),
    "stelling1": ("taakstelling", "population", "regions", "housing_stock", "municipalities"),
    "stelling2": ("housing_stock", "lettings", "taakstelling", "population"),
    "stelling3": ("regions", "taakstelling", "population", "housing_stock"),
}


def _signed(value, decimals=0):
    """``+12``, ``−3`` (minus sign), ``0``."""
    text = _nl(abs(value), decimals)
    return ("+" if value > 0 else "\u2212" if value < 0 else "") + text


# ----------------------------------------------------------------- HTML pieces (pure, testable)


def sources_html(names, *, households=None, extra=()):
    """The sources of a view with their status labels, collapsed (``<details>``) below it.

    Parameters
    ----------
    names : sequence of str
        Registry names (:func:`toolkit.registry.provenance`).
    households : pandas.DataFrame, optional
        Households whose ``attrs`` (status, source) are listed as well.
    extra : sequence of (title, source, status)
        Further sources, e.g. the schematic map.

    Returns
    -------
    str
        HTML; the summary line shows how many sources and every status; every
        text from data is escaped.

    Examples
    --------
    >>> page = sources_html(["housing_stock"], extra=[("<b>kaart</b>", "eigen", "schatting")])
    >>> "schatting" in page and "&lt;b&gt;kaart" in page and "<b>kaart" not in page
    True
    >>> page.startswith('<details class="dl-src"><summary>Bronnen (2)')
    True
    """
    from .registry import STATUS_LABELS, provenance

    items = []
    for r in provenance(list(names)).itertuples() if names else ():
        statuses = [s.strip() for s in str(r.statuses or r.status).split(",") if s.strip()]
        items.append((r.title, r.bron, statuses))
    if households is not None:
        items.append(("Huishoudens (synthetische caseload)", households.attrs.get("source", "toolkit.households"),
                      [households.attrs.get("status", "synthetisch")]))
    items.extend((t, s, [st]) for t, s, st in extra)

    def badge(s):
        return f'<span class="dl-status dl-status-{_esc(s)}">{_esc(STATUS_LABELS.get(s, s))}</span>'

    all_statuses = list(dict.fromkeys(s for _, _, statuses in items for s in statuses))
    rows = "".join(f"<li><b>{_esc(title)}</b> {' '.join(badge(s) for s in statuses)}: {_esc(source)}</li>"
                   for title, source, statuses in items)
    return (f'<details class="dl-src"><summary>Bronnen ({len(items)}): {" ".join(badge(s) for s in all_statuses)}'
            f"</summary><ul>{rows}</ul></details>")


def target_note_html(national):
    """One line under the sources: which national target the scenario uses and why (``Result.national``).

    >>> target_note_html({"reason": "landelijke taakstelling opgegeven"})
    '<div class="dl-note">Landelijke taakstelling opgegeven</div>'
    """
    reason = str(national["reason"])
    return f'<div class="dl-note">{_esc(reason[:1].upper() + reason[1:])}</div>'


def headline_html(result, reference):
    """The four headline tiles: current figures with the reference scenario's below them.

    Parameters
    ----------
    result, reference : toolkit.scenario.Result

    Returns
    -------
    str
    """
    h, r = result.headline, reference.headline
    tiles = [
        ("huishoudens met woning", f"{_nl(h['households_housed'])} van {_nl(h['households'])}",
         _nl(r["households_housed"])),
        ("wachten op een woning", _nl(h["households_waiting"]), _nl(r["households_waiting"])),
        ("personen meer dan elk apart", _signed(h["persons_gain_vs_solo"]), _signed(r["persons_gain_vs_solo"])),
        ("verdringing (schatting)", _nl(h["displacement"], 1, percent=True), _nl(r["displacement"], 1, percent=True)),
    ]
    body = "".join(f'<div class="dl-tile"><div class="v">{_esc(v)}</div><div class="l">{_esc(label)}</div>'
                   f'<div class="r">referentie {_esc(ref)}</div></div>' for label, v, ref in tiles)
    return f'<div class="dl-tiles">{body}</div>'


def _context_html(result):
    """One line under the title: half year, regional task, matching scale."""
    h = result.headline
    return (f"<span>halfjaar {_esc(h['period'])} · regio {_nl(h['region_persons'])} personen te huisvesten · "
            f"{_esc(_scope_label(result.settings.scope))}</span>")


_COMPARISON_COLUMNS = (
    ("households_housed", "Huishoudens met woning", 0, False),
    ("households_waiting", "Wachten", 0, False),
    ("pct_target", "% van taakstelling", 0, False),
    ("under_occupation", "Woningen te groot", 0, False),
    ("municipalities_below_90pct", "Gemeenten onder 90 %", 0, False),
)


def _scope_table_html(result, scopes):
    """Two regional figures of two scopes side by side, with the difference (only those scopes are solved)."""
    c = {s: result.models[s].summary_ for s in scopes}
    head = "<th></th>" + "".join(f'<th class="n">{_esc(s)}</th>' for s in scopes) + '<th class="n">verschil</th>'
    rows = []
    for col, label in (("households_housed", "Huishoudens met woning"), ("households_waiting", "Huishoudens wachten")):
        vals = [float(c[s][col]) for s in scopes]
        cells = "".join(f'<td class="n">{_esc(_nl(v))}</td>' for v in vals)
        rows.append(f'<tr><td>{_esc(label)}</td>{cells}<td class="n">{_esc(_signed(vals[-1] - vals[0]))}</td></tr>')
    return f'<table class="dl-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


# ----------------------------------------------------------------- charts (HTML: crisp on a projector, instant)


def _pct(value, top):
    return 0.0 if top <= 0 or not np.isfinite(value) else float(np.clip(100 * value / top, 0, 100))


def _key(*items):
    return '<div class="key">' + "".join(f'<span><span class="sw" style="background:{c}"></span>{_esc(t)}</span>'
                                         for c, t in items) + "</div>"


def _gains(result, scope):
    """What matching at ``scope`` gains against each municipality alone (solo): persons, mismatch, waiting.

    Only those two scopes are solved (``result.models``), not the whole comparison.
    """
    s, solo = result.models[scope].summary_, result.models["solo"].summary_
    return {"persons": float(s["persons_housed"] - solo["persons_housed"]),
            "mismatch": float(solo["mismatch"] - s["mismatch"]),
            "waiting": float(solo["households_waiting"] - s["households_waiting"])}


_GAIN_PANELS = (("persons", "Meer personen met een woning"), ("mismatch", "Minder mismatch (plekken)"),
                ("waiting", "Minder huishoudens die wachten"))


def pooling_chart(result, reference):
    """HTML: the gain of matching together against "each municipality alone", reference beside current.

    Three panels (persons housed, mismatch, households waiting), each with the
    reference and the current setting as the difference to matching solo. The
    scale shown is the chosen one, or the largest when the chosen one is solo.

    Returns
    -------
    str
    """
    scopes = list(result.models)
    scope = _scope_key(result.settings.scope)
    if scope not in scopes or scope == "solo":
        scope = scopes[-1]
    ref_scope = scope if scope in reference.models else list(reference.models)[-1]
    cur, ref = _gains(result, scope), _gains(reference, ref_scope)
    panels = []
    for key, title in _GAIN_PANELS:
        top = max(abs(cur[key]), abs(ref[key]), 1.0)
        rows = []
        for label, value, colour in (("referentie", ref[key], REF_COLOUR), ("nu", cur[key], CUR_COLOUR)):
            colour = colour if value >= 0 else "#b2182b"
            rows.append(f'<div class="row"><span class="name short">{label}</span><span class="track">'
                        f'<span class="bar" style="left:0;width:{_pct(abs(value), top):.1f}%;background:{colour}"></span>'
                        f'</span><span class="val">{_esc(_signed(value))}</span></div>')
        panels.append(f'<div class="panel"><div>{_esc(title)}</div>{"".join(rows)}</div>')
    head = f"Winst van samen matchen ({_esc(scope)}) tegenover elk apart"
    return f'<div class="dl-chart dl-pooling"><div class="t">{head}</div>{"".join(panels)}</div>'


def displacement_chart(result, reference):
    """HTML: displacement per municipality, sorted by the current value, one label per bar.

    The bar is the current setting; the dark mark on it is the reference.

    Returns
    -------
    str
    """
    cur = result.municipalities.set_index("code")
    ref = reference.municipalities.set_index("code")["displacement"].reindex(cur.index)
    order = cur["displacement"].sort_values(ascending=False, kind="stable").index
    top = max(float(np.nanmax(cur["displacement"].to_numpy(float))), float(np.nanmax(ref.to_numpy(float))), 1e-9)
    rows = []
    for code in order:
        v, rv = float(cur.loc[code, "displacement"]), float(ref.loc[code])
        rows.append(f'<div class="row"><span class="name">{_esc(cur.loc[code, "name"])}</span><span class="track">'
                    f'<span class="bar" style="left:0;width:{_pct(v, top):.1f}%;background:{CUR_COLOUR}"></span>'
                    f'<span class="mark" title="referentie {_esc(_nl(rv, 1, percent=True))}" '
                    f'style="left:{_pct(rv, top):.1f}%"></span></span>'
                    f'<span class="val">{_esc(_nl(v, 1, percent=True))}</span></div>')
    return (f'<div class="dl-chart dl-displacement"><div class="t">Verdringing per gemeente: deel van de sociale '
            f'verhuringen naar statushouders</div>{"".join(rows)}'
            f'{_key((CUR_COLOUR, "huidige instellingen"), ("#333", "streep: referentie"))}</div>')


def scales_chart(results):
    """HTML: % of the target housed per municipality under two scales, on the same axis.

    ``results`` maps a scope name to its Result (two entries, e.g. U10 and
    U16 with the same settings). Rows are sorted by the gain of the second
    scale; the dashed line is 100 %.

    Returns
    -------
    str
    """
    (a, ra), (b, rb) = list(results.items())
    cb = rb.municipalities.set_index("code")
    ca = ra.municipalities.set_index("code")["pct_target"].reindex(cb.index)
    order = (cb["pct_target"] - ca).sort_values(ascending=False, kind="stable").index
    top = max(100.0, float(np.nanmax(cb["pct_target"].to_numpy(float))), float(np.nanmax(ca.to_numpy(float)))) * 1.05
    rows = []
    for code in order:
        va, vb = float(ca.loc[code]), float(cb.loc[code, "pct_target"])
        lo, hi = sorted((_pct(va, top), _pct(vb, top)))
        tip = f"{a} {_nl(va / 100, 0, percent=True)}, {b} {_nl(vb / 100, 0, percent=True)}"
        rows.append(f'<div class="row" title="{_esc(tip)}"><span class="name">{_esc(cb.loc[code, "name"])}</span>'
                    f'<span class="track"><span class="mark" style="left:{_pct(100, top):.1f}%;background:#bbb"></span>'
                    f'<span class="line" style="left:{lo:.1f}%;width:{hi - lo:.1f}%"></span>'
                    f'<span class="dot" style="left:{_pct(va, top):.1f}%;background:{U10_COLOUR}"></span>'
                    f'<span class="dot" style="left:{_pct(vb, top):.1f}%;background:{CUR_COLOUR}"></span></span></div>')
    return (f'<div class="dl-chart dl-scales"><div class="t">Gehuisvest als % van de taakstelling, per gemeente '
            f'(grijze streep: 100 %)</div>{"".join(rows)}'
            f'{_key((U10_COLOUR, f"matching {a}"), (CUR_COLOUR, f"matching {b}"))}</div>')


# ----------------------------------------------------------------- map and council export


def _load_boundaries(region, year):
    """Polygons once per dashboard; the schematic fallback's warning becomes a Dutch note."""
    from .boundaries import load_boundaries

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = load_boundaries(year, region=region, offline=True)
    return b


def map_data(result):
    """The per-municipality frame the map shows: code, name, target, persons_housed, pct_target."""
    return result.municipalities[["code", "name", "target", "persons_housed", "pct_target"]].copy()


def _map_title(result):
    s = result.settings
    label = s.region if isinstance(s.region, str) else f"{len(s.region)} gemeenten"
    return f"Collegedag {label}: {_scope_label(s.scope)}"


def build_map(result, *, boundaries=None, basemap=None, title=None, locations=None):
    """A folium map of the region with the taakstelling and the matching result of ``result``.

    The matching layer is switched on (the map is about it); the taakstelling
    layer can be switched on in the layer control. ``locations`` (reception
    locations, e.g. a COA occupancy list through
    :func:`toolkit.data.locations_from_occupancy`) adds the reception layer;
    without them the map has none.
    """
    from . import maps

    s = result.settings
    region = s.region if isinstance(s.region, str) else list(s.region)
    m = maps.overzichtskaart(region=region, year=s.year, boundaries=boundaries, targets=result.targets,
                             locations=False if locations is None else locations, buildings=False, basemap=basemap,
                             title=title or _map_title(result))
    return maps.add_matching_layer(m, map_data(result), show=True)


def map_payload(result, *, boundaries=None, locations=None, recipe=None):
    """What the dashboard's map page needs to restyle itself for ``result``, as inert JSON text.

    Per layer (in the map's order) the fill colour and the tooltip of every
    municipality, the legend and the title, all built and escaped by
    :mod:`toolkit.maps`; ``inert_json`` keeps any data text from reading as
    markup or code. The page restyles in place: no reload, the ticked layers
    stay ticked.

    Parameters
    ----------
    result : toolkit.scenario.Result
    boundaries, locations
        As for :func:`build_map`.
    recipe : dict, optional
        The ``_dl_recipe`` of the page's map (from :func:`build_map`): its
        layers are kept and only the scenario's targets, matching and title
        replaced, so no folium map is drawn. Default: built here.

    Returns
    -------
    str
        JSON: ``{"layers": [{"f": [...], "t": [...]}], "legend": html, "title": html}``.
    """
    from . import maps

    if recipe is None:
        recipe = build_map(result, boundaries=boundaries, locations=locations)._dl_recipe
    scenario_kw = {"municipalities": {"targets": result.targets}, "matching": {"matching": map_data(result)}}
    steps = tuple((name, {**kw, **scenario_kw.get(name, {})}) for name, kw in recipe["steps"])
    spec, _ = maps._spec_from_recipe({"steps": steps, "options": {**recipe["options"], "title": _map_title(result)}})
    layers = [{"f": [str(f) for f in layer.gdf["fill"]], "t": [str(t) for t in layer.gdf["tip"]]} for layer in spec.layers]
    return maps.inert_json({"layers": layers, "legend": maps._legend_html(spec.legends),
                            "title": maps._title_html(spec)})


# Runs inside the map page (written by the toolkit, never data): reads the JSON the dashboard
# puts in the parent page and restyles the layers in place.
_MAP_LISTENER = """
(function () {
  var last = null;
  function layers() {
    return Object.keys(window).filter(function (k) { return k.indexOf("dl_layer_") === 0; }).sort()
      .map(function (k) { return window[k]; });
  }
  function apply(d, version) {
    var ls = layers();
    d.layers.forEach(function (spec, i) {
      var layer = ls[i], j = 0;
      if (!layer || !layer.eachLayer) { return; }
      layer.eachLayer(function (f) {
        if (j < spec.f.length) { f.setStyle({fillColor: spec.f[j]}); f.setTooltipContent(spec.t[j]); }
        j += 1;
      });
    });
    var legend = document.querySelector(".dl-legend");
    if (legend) {
      legend.innerHTML = d.legend;
      legend.querySelectorAll(".dl-lg").forEach(function (g) {
        var layer = ls[Number(g.getAttribute("data-layer"))];
        g.style.display = layer && layer._map ? "" : "none";
      });
    }
    var title = document.querySelector(".dl-title");
    if (title) { title.innerHTML = d.title; }
    document.body.setAttribute("data-dl-version", version);
  }
  function check() {
    var el = null;
    try { el = window.parent.document.querySelector("script.dl-map-data"); } catch (e) { return; }
    if (!el || el.getAttribute("data-v") === last) { return; }
    last = el.getAttribute("data-v");
    apply(JSON.parse(el.textContent), last);
  }
  function theMap() {
    var map = null;
    Object.keys(window).forEach(function (k) { if (k.indexOf("map_") === 0 && window[k] instanceof L.Map) { map = window[k]; } });
    return map;
  }
  function fit() {
    // Fit the municipalities into the part of the frame no title, layer list or legend covers. Each corner's
    // boxes are kept clear either by a strip across the top/bottom or by a strip down the side: of the 16
    // choices the one that draws the region largest is taken.
    var map = theMap();
    var shown = layers().filter(function (l) { return l.getBounds && l.getLayers().length; });
    if (!map || !shown.length) { return; }
    map.options.zoomSnap = 0.1;
    var c = map.getContainer().getBoundingClientRect(), gap = 8;
    var corners = ["top left", "top right", "bottom left", "bottom right"].map(function (pos) {
      var x = 0, y = 0, top = pos.indexOf("top") === 0, left = pos.indexOf("left") > 0;
      var corner = map.getContainer().querySelector(".leaflet-" + pos.replace(" ", ".leaflet-"));
      (corner ? Array.prototype.slice.call(corner.children) : []).forEach(function (el) {
        if (el.offsetParent === null) { return; }
        var r = el.getBoundingClientRect();
        x = Math.max(x, left ? r.right - c.left : c.right - r.left);
        y = Math.max(y, top ? r.bottom - c.top : c.bottom - r.top);
      });
      return {top: top, left: left, x: x, y: y};
    });
    var bounds = L.featureGroup(shown).getBounds(), best = null;
    for (var choice = 0; choice < 16; choice += 1) {
      var pad = {t: 0, b: 0, l: 0, r: 0};
      corners.forEach(function (k, i) {
        if (choice & (1 << i)) { if (k.left) { pad.l = Math.max(pad.l, k.x); } else { pad.r = Math.max(pad.r, k.x); } }
        else if (k.top) { pad.t = Math.max(pad.t, k.y); } else { pad.b = Math.max(pad.b, k.y); }
      });
      if (pad.l + pad.r + 2 * gap >= c.width || pad.t + pad.b + 2 * gap >= c.height) { continue; }
      var zoom = map.getBoundsZoom(bounds, false, L.point(pad.l + pad.r + 2 * gap, pad.t + pad.b + 2 * gap));
      if (best === null || zoom > best.zoom) { best = {zoom: zoom, pad: pad}; }
    }
    if (best === null) { return; }
    map.fitBounds(bounds, {animate: false, paddingTopLeft: [best.pad.l + gap, best.pad.t + gap],
                           paddingBottomRight: [best.pad.r + gap, best.pad.b + gap]});
    Object.keys(window).forEach(function (k) {
      if (k.indexOf("dl_labels_") === 0 && window[k] && window[k].declutter) { window[k].declutter(); }
    });
    document.body.setAttribute("data-dl-fitted", String(Number(document.body.getAttribute("data-dl-fitted") || 0) + 1));
  }
  var queued = false;
  try {
    new window.parent.MutationObserver(function () {
      if (!queued) { queued = true; setTimeout(function () { queued = false; check(); }, 0); }
    }).observe(window.parent.document.body, {childList: true, subtree: true, characterData: true});
  } catch (e) { /* not inside the dashboard: a plain map */ }
  // Projector sizes: no text under 16 px in the map either. The title goes in a band above the map and the
  // legend in a band below it, so they never cover a municipality; the layer list joins the title's band in a
  // wide frame and folds into its button on the map in a narrow one (Leaflet's own collapsed list: open on
  // hover or tap). The sources are listed under the map in the dashboard, so the map's own source box is left
  // out here and the zoom buttons take its corner.
  var style = document.createElement("style");
  style.textContent = "html,body{display:flex;flex-direction:column;overflow:hidden}" +
    ".dl-band{display:flex;flex-wrap:wrap;align-items:flex-start;justify-content:space-between;gap:6px 16px;" +
    "padding:6px 8px;background:#fff;flex:0 0 auto;font:16px/1.25 Arial,Helvetica,sans-serif}" +
    ".dl-band .leaflet-control{margin:0;float:none;clear:none}" +
    ".dl-band .dl-box{box-shadow:none;padding:0;font-size:16px;line-height:1.25;max-width:none;flex:1 1 240px}" +
    ".dl-band .leaflet-control-layers{box-shadow:none;border:1px solid #ccc;flex:0 1 auto}" +
    ".dl-title h1{font-size:18px}.dl-legend h2{font-size:16px;margin:0 0 2px}.dl-legend .sw{width:16px;height:16px}" +
    ".dl-foot .dl-lg{display:inline-block;vertical-align:top;margin-right:16px}" +
    ".dl-foot .dl-lg:has(.bar){display:inline-grid;grid-template-columns:auto auto;column-gap:16px;align-items:center}" +
    ".dl-foot .dl-lg:has(.bar) h2{grid-column:1/span 2}.dl-foot .dl-lg .bar{grid-column:1;grid-row:2}" +
    ".dl-foot .dl-lg .ends{grid-column:1;grid-row:3}.dl-foot .dl-lg:has(.bar)>div:last-child{grid-column:2;grid-row:2/span 2}" +
    ".leaflet-container .dl-label span{font-size:16px}" +
    ".leaflet-control-layers{font:16px/1.2 Arial,Helvetica,sans-serif}" +
    ".leaflet-container .leaflet-control-attribution,.leaflet-container .leaflet-control-scale-line{font-size:16px}" +
    ".leaflet-container .dl-footer{display:none}";
  document.head.appendChild(style);
  var map = theMap(), arrange = function () {};
  if (map) {
    var box = map.getContainer(), head = document.createElement("div"), foot = document.createElement("div");
    head.className = "dl-band dl-head";
    foot.className = "dl-band dl-foot";
    box.parentNode.insertBefore(head, box);
    box.parentNode.insertBefore(foot, box.nextSibling);
    var title = box.querySelector(".dl-title"), legend = box.querySelector(".dl-legend");
    if (title) { head.appendChild(title); }
    if (legend) { foot.appendChild(legend); } else { foot.style.display = "none"; }
    var list = box.querySelector(".leaflet-control-layers"), corner = list && list.parentNode;
    if (list) {
      var link = list.querySelector(".leaflet-control-layers-toggle"), open = "leaflet-control-layers-expanded";
      if (link) { link.title = "Kaartlagen"; link.setAttribute("aria-label", "Kaartlagen"); }
      var folded = function () { return list.parentNode === corner; };
      list.addEventListener("mouseenter", function () { list.classList.add(open); });
      list.addEventListener("mouseleave", function () { if (folded()) { list.classList.remove(open); } });
      map.on("click", function () { if (folded()) { list.classList.remove(open); } });
      arrange = function () {  // wide frame: the list in the title's band; narrow: folded on the map
        if (box.offsetWidth >= 700 || head.offsetWidth >= 700) { head.appendChild(list); list.classList.add(open); }
        else { corner.appendChild(list); list.classList.remove(open); }
      };
      arrange();
    }
    box.style.flex = "1 1 auto";
    box.style.height = "auto";
    box.style.minHeight = "0";
    if (map.zoomControl) { map.zoomControl.setPosition("bottomleft"); }
    map.invalidateSize({animate: false});
  }
  check();
  fit();
  function mapSize() { return map ? map.getContainer().offsetWidth + "x" + map.getContainer().offsetHeight : ""; }
  var fittedFor = mapSize();
  new MutationObserver(function () {  // a title of another length changed the bands: fit again
    if (mapSize() !== fittedFor) { fittedFor = mapSize(); map.invalidateSize({animate: false}); fit(); }
  }).observe(document.body, {attributes: true, attributeFilter: ["data-dl-version"]});
  window.addEventListener("resize", function () {
    setTimeout(function () { arrange(); map.invalidateSize({animate: false}); fittedFor = mapSize(); fit(); }, 250);
  });
})();
"""

_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*" />')


def map_page(m):
    """The self-contained map page of the dashboard: map ``m`` (:func:`build_map`) as exported, plus the restyle listener.

    Returns
    -------
    str
        HTML; its Content-Security-Policy allows the listener by hash like every other script.
    """
    from . import export

    page = export.render_html(m, council=False, basemap=None)
    cut = page.rindex("</script>") + len("</script>")
    page = page[:cut] + "\n<script>" + _MAP_LISTENER + "</script>" + page[cut:]
    csp = export._csp(_CSP_META.sub("", page), set())
    return _CSP_META.sub(lambda _: f'<meta http-equiv="Content-Security-Policy" content="{csp}" />', page, count=1)


def _settings_table(s):
    inflow = s.inflow if isinstance(s.inflow, str) else f"{_nl(s.inflow)} eerste aanvragen per jaar"
    rows = [
        ("Regio en indeling", f"{s.region if isinstance(s.region, str) else ', '.join(s.region)} ({s.year})"),
        ("Instroomscenario", inflow if s.national_target is None else f"landelijk {_nl(s.national_target)} personen"),
        ("Inwilligingspercentage", _nl(s.recognition_rate, 1, percent=True)),
        ("Nareizigers per referent", "volgens synthetische caseload" if s.nareizigers_per_referent is None
         else _nl(s.nareizigers_per_referent, 1)),
        ("Alleenstaanden die een woning delen", _nl(s.share_singles_sharing, 0, percent=True)),
        ("Gezinnen krijgen direct een woning voor de eindgrootte", "ja" if s.final_size_dwellings else "nee"),
        ("Reserve vrije woningen", _nl(s.reserve, 0, percent=True)),
        ("Extra sociale huurwoningen per gemeente", _nl(s.extra_dwellings) if not isinstance(s.extra_dwellings, dict)
         else ", ".join(f"{k}: {v}" for k, v in s.extra_dwellings.items())),
        ("Schaal van de matching", SCOPE_LABELS.get(_scope_key(s.scope), _scope_key(s.scope))),
    ]
    return pd.DataFrame(rows, columns=["Instelling", "Waarde"])


def _summary_sections(result, reference):
    from .report import Section

    h, r = result.headline, reference.headline
    rows = [
        ("Huishoudens met een woning", h["households_housed"], r["households_housed"], 0, False),
        ("Huishoudens die wachten", h["households_waiting"], r["households_waiting"], 0, False),
        ("Gehuisvest als deel van de taakstelling", h["pct_target"] / 100, r["pct_target"] / 100, 1, True),
        ("Personen meer gehuisvest dan elke gemeente apart", h["persons_gain_vs_solo"], r["persons_gain_vs_solo"], 0, False),
        ("Huishoudens meer gehuisvest dan elke gemeente apart", h["gain_vs_solo"], r["gain_vs_solo"], 0, False),
        ("Verdringing: deel van de sociale verhuringen naar statushouders (schatting)", h["displacement"],
         r["displacement"], 1, True),
        ("Woningen bespaard door delen", h["dwellings_saved"], r["dwellings_saved"], 0, False),
    ]
    head = pd.DataFrame([(label, _nl(a, d, percent=p), _nl(b, d, percent=p)) for label, a, b, d, p in rows],
                        columns=["Kerncijfer", "Dit scenario", "Referentie"])
    comp = result.comparison.assign(scope=result.comparison["scope"].astype(str).map(lambda k: SCOPE_LABELS.get(k, k)))
    comp = comp[["scope"] + [c for c, *_ in _COMPARISON_COLUMNS]]
    comp.columns = ["Matching"] + [label for _, label, *_ in _COMPARISON_COLUMNS]
    from ._format import SMALL_NOTE
    from .export import disclose

    mun = disclose(result.municipalities)
    per = pd.DataFrame({"Gemeente": mun["name"], "Taakstelling (personen)": mun["target"],
                        "Gehuisvest": mun["persons_housed"], "% van taakstelling": mun["pct_target"],
                        "Verdringing (schatting)": mun["displacement"]})
    text = (f"Halfjaar {h['period']}: landelijk {_nl(h['national_persons'])} personen te huisvesten "
            f"({BASIS_LABELS.get(result.national['basis'], result.national['basis'])}); deze regio {_nl(h['region_persons'])} personen in {_nl(h['households'])} "
            "huishoudens. De huishoudens komen uit een synthetische caseload (status synthetisch), de vrije "
            "woningen en de verdringing zijn schattingen. De referentie is het standaardscenario voor deze regio.")
    return [
        Section("Instellingen van dit scenario", table=_settings_table(result.settings)),
        Section("Kerncijfers", text=text, table=head),
        Section("Matching op verschillende schaal", table=comp),
        Section("Per gemeente", text=SMALL_NOTE, table=per, percent_cols=("Verdringing (schatting)",)),
    ]


def export_for_council(result, out_dir="out/raad", *, reference=None, boundaries=None, date=None, stem=None,
                       locations=None):
    """Write the council HTML map and a one-page scenario summary (HTML) for ``result``.

    Parameters
    ----------
    result : toolkit.scenario.Result
    out_dir : str or Path
        Folder; created when missing.
    reference : toolkit.scenario.Result, optional
        Shown next to the scenario in the summary (default: the default settings for the region).
    boundaries : geopandas.GeoDataFrame, optional
        Polygons for the map (default: shipped/cached, offline).
    date : date-like, optional
        Date printed (default today).
    stem : str, optional
        File name start (default ``scenario_<yyyymmdd-hhmmss>``, with ``-2``,
        ``-3`` ... when that name is taken).
    locations : pandas.DataFrame, optional
        Reception locations for the map (e.g. a COA occupancy list through
        :func:`toolkit.data.locations_from_occupancy`; default the shipped ones).

    Returns
    -------
    dict
        ``{"kaart": Path, "afbeelding": Path, "samenvatting": Path}`` (written by
        :func:`toolkit.export.write_council_export`).
    """
    from . import export
    from .scenario import run

    s = result.settings
    if reference is None:
        reference = run(_reference_settings(s))
    if boundaries is None:
        boundaries = _load_boundaries(s.region if isinstance(s.region, str) else list(s.region), s.year)
    out = Path(out_dir)
    if stem is None:
        stem = base = "scenario_" + _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        n = 1
        while (out / f"{stem}_kaart_overzicht.html").exists() or (out / f"{stem}_samenvatting.html").exists():
            n += 1
            stem = f"{base}-{n}"  # a second export in the same second does not overwrite the first
    kaart, afbeelding, samenvatting = export.write_council_export(
        result, out, boundaries=boundaries, date=date, prefix=f"{stem}_", summary=_summary_sections(result, reference),
        locations=locations)
    return {"kaart": kaart, "afbeelding": afbeelding, "samenvatting": samenvatting}


def _reference_settings(s):
    from .scenario import Settings, scopes_for

    return Settings(region=s.region, year=s.year, scope=scopes_for(s.region, s.year)[-1], seed=s.seed)


# ----------------------------------------------------------------- controls


def _pct0(v):
    return _nl(v, 0, percent=True)


def _pct1(v):
    return _nl(v, 1, percent=True)


def _num1(v):
    return _nl(v, 1)


def _num2(v):
    return _nl(v, 2)


def _int(v):
    return _nl(v)


LABEL_WIDTH, SLIDER_WIDTH, READOUT_WIDTH = 178, 150, 84  # pixels: fixed, so no track is ever squeezed to nothing


def _fixed(width):
    import ipywidgets as w

    return w.Layout(width=f"{width}px", min_width=f"{width}px", flex="0 0 auto")


def _slider_row(slider, label, fmt, *, lead=None, label_width=LABEL_WIDTH, readout_width=READOUT_WIDTH):
    """One control line: a fixed-width label, a fixed-width slider track and a Dutch readout."""
    import ipywidgets as w

    readout = w.Label(fmt(slider.value), layout=_fixed(readout_width))
    readout.add_class("dl-ro")
    slider.observe(lambda ch: setattr(readout, "value", fmt(ch["new"])), names="value")
    width = label_width if lead is None else label_width - 32
    items = ([] if lead is None else [lead]) + [w.Label(label, layout=_fixed(width)), slider, readout]
    row = w.HBox(items, layout=w.Layout(align_items="center", margin="1px 0"))
    row.readout = readout
    return row


def _slider(cls, value, lo, hi, step, *, width=SLIDER_WIDTH, **kw):
    return cls(value=value, min=lo, max=hi, step=step, readout=False, continuous_update=False,
               layout=_fixed(width), **kw)


def _labelled(widget, label):
    import ipywidgets as w

    return w.HBox([w.Label(label, layout=_fixed(LABEL_WIDTH)), widget],
                  layout=w.Layout(align_items="center", margin="1px 0"))


# ----------------------------------------------------------------- the Integratie view

#: The pilot parameters on the Integratie view: short Dutch label, readout format.
INTEGRATION_CONTROLS = {
    "start_rate": ("Start per maand", _pct0),
    "buddy_share": ("Met een buddy", _pct0),
    "buddy_ratio": ("Buddies p. huish.", _num2),
    "buddy_months": ("Maanden buddy", _int),
    "guidance_until_month": ("Begeleid tot mnd", _int),
    "coaching_hours": ("Coachuren p. mnd", _num1),
    "buddy_multiplier": ("Effect buddy", _num2),
    "guidance_multiplier": ("Effect begeleiding", _num2),
}
#: Their slider ranges: min, max, step (an int step gives an integer slider).
_INTEGRATION_RANGES = {
    "start_rate": (0.0, 1.0, 0.05), "buddy_share": (0.0, 1.0, 0.05), "buddy_ratio": (0.0, 3.0, 0.25),
    "buddy_months": (0, 36, 1), "guidance_until_month": (0, 60, 1), "coaching_hours": (0.0, 20.0, 0.5),
    "buddy_multiplier": (1.0, 2.0, 0.05), "guidance_multiplier": (1.0, 2.0, 0.05),
}
_INTEGRATION_YEARS = (1, 5)


def _integration_html(arrivals, base, pilot, horizon_months):
    from . import integration

    t = integration.participation_at([base, pilot], years=_INTEGRATION_YEARS)
    rows = "".join(
        f'<tr><td style="white-space:nowrap">na {int(r.years)} jaar</td><td class="n">{_esc(_pct0(r[2]))}</td><td class="n">{_esc(_pct0(r[3]))}</td>'
        f'<td class="n">{_esc(_signed(100 * r[4]))}</td></tr>' for r in t.itertuples(index=False))
    needs = integration.region_total(integration.pilot_needs(
        integration.project(arrivals, pilot, horizon_months=horizon_months), pilot))
    return (
        "<h3>Aan het werk of vrijwilligerswerk (per cohort)</h3>"
        f'<table class="dl-table"><thead><tr><th></th><th class="n">{_esc(base.name)}</th><th class="n">{_esc(pilot.name)}</th>'
        f'<th class="n">verschil (%-punt)</th></tr></thead><tbody>{rows}</tbody></table>'
        "<h3>Wat de pilot nodig heeft in de regio</h3>"
        f'<table class="dl-table"><tbody>'
        f'<tr><td>buddies (hoogste maand)</td><td class="n">{_esc(_int(needs["buddies"].max()))}</td></tr>'
        f'<tr><td>cursusplaatsen (hoogste maand)</td><td class="n">{_esc(_int(needs["course_places"].max()))}</td></tr>'
        f'<tr><td>coachuren in {horizon_months} maanden</td><td class="n">{_esc(_int(needs["coaching_hours"].sum()))}</td></tr>'
        "</tbody></table>"
    )


def _integration_sources():
    from . import integration

    t = integration.parameter_table()
    extra = [(f"Aanname integratie: {r.label}", r.source, r.status) for r in t.itertuples()]
    return sources_html(("taakstelling", "population"), extra=extra)


def integration_view(arrivals, *, base=None, pilot=None, horizon_months=60):
    """The Integratie view: the pilot's parameters as sliders, participation and needs beside them.

    Parameters
    ----------
    arrivals : pandas.DataFrame
        As for :func:`toolkit.integration.project` (e.g.
        :func:`toolkit.integration.cohorts_from_targets` output).
    base, pilot : toolkit.integration.Scenario, optional
        The route to compare with (default the current route) and the pilot
        the sliders start from (default the "dag 1" pilot).

    Returns
    -------
    ipywidgets.HBox
        ``.controls`` maps parameter names to the sliders, ``.result`` is the
        HTML the sliders update and ``.set_arrivals(frame)`` redraws it for new
        arrivals; invalid combinations show the validation message instead of figures.
    """
    import ipywidgets as w

    from . import integration

    base = integration.CURRENT if base is None else base
    pilot = integration.PILOT if pilot is None else pilot
    state = {"arrivals": integration._validate_arrivals(arrivals, source="integration_view: arrivals", s=pilot)}
    integration.project(state["arrivals"], base, horizon_months=horizon_months)  # fail early on a bad horizon
    ranges = _INTEGRATION_RANGES
    controls, rows = {}, []
    for name, (label, fmt) in INTEGRATION_CONTROLS.items():
        lo, hi, step = ranges[name]
        cls = w.IntSlider if isinstance(step, int) else w.FloatSlider
        controls[name] = _slider(cls, getattr(pilot, name), lo, hi, step, width=120)
        rows.append(_slider_row(controls[name], label, fmt, label_width=170, readout_width=64))
    result = w.HTML(layout=w.Layout(flex="1 1 auto"))

    def update(_=None):
        try:
            changed = integration.scenario(pilot, **{n: c.value for n, c in controls.items()})
            result.value = _integration_html(state["arrivals"], base, changed, horizon_months)
        except ValidationError as exc:
            result.value = f'<p class="dl-error">Ongeldige invoer: {_esc(exc)}</p>'

    def set_arrivals(frame):
        state["arrivals"] = integration._validate_arrivals(frame, source="integration_view: arrivals", s=pilot)
        update()

    for c in controls.values():
        c.observe(update, names="value")
    update()
    box = w.HBox([w.VBox([w.HTML("<h3>De pilot instellen</h3>"), *rows], layout=_fixed(372)), result],
                 layout=w.Layout(gap="16px"))
    box.controls, box.result, box.set_arrivals = controls, result, set_arrivals
    return box


# ----------------------------------------------------------------- the app


def _wait_for_viewer(settle=15.0):
    """In a Voilà pre-heated kernel, block until a page claims it, then let that page draw first.

    Voilà keeps a spare kernel that has run the notebook; it should not spend
    minutes of CPU on the sweep while the facilitator uses the other one.
    ``settle`` seconds leave the page time to fetch and draw its widgets (2.3
    to 5.1 s on a loaded 2-core machine, benchmarks/dashboard_browser.py)
    before the sweep competes with it. Outside Voilà's pre-heat mode this
    returns at once.
    """
    if os.environ.get("VOILA_PREHEAT", "False") == "False":
        return
    try:
        from voila.utils import wait_for_request
    except ImportError:
        return
    wait_for_request()
    time.sleep(settle)


def _nearest(candidates, current):
    """Index of the settings in ``candidates`` with the fewest fields unlike ``current`` (the first of equals)."""
    import dataclasses

    names = [f.name for f in dataclasses.fields(current)]
    here = [getattr(current, n) for n in names]
    return min(range(len(candidates)),
               key=lambda i: (sum(getattr(candidates[i], n) != v for n, v in zip(names, here)), i))


class Dashboard:
    """The facilitator dashboard (ipywidgets).

    Parameters
    ----------
    region : str or tuple of str
        ``"U16"`` (default), ``"U10"`` or CBS codes.
    year : int
        Municipal division and population year.
    out_dir : str or Path
        Where "exporteer voor de raad" writes (default ``out/raad``).
    show_map : bool
        Draw the map in Stelling 1 (off: faster, e.g. in tests).
    cache_size : int
        Scenario results kept, so switching back is instant (0: none).
    precompute : bool
        Start :meth:`precompute` in a background thread (the sweep of every
        single control from the reference).
    opvang : str or Path, optional
        A COA occupancy list (CSV/xlsx, :func:`toolkit.io.read_coa_occupancy`)
        whose locations the map shows as its reception layer
        (:func:`toolkit.data.locations_from_occupancy`); default no reception
        layer. A file that cannot be read is named in a Dutch message above
        the views and the map has no reception layer.

    Attributes
    ----------
    controls : dict
        Control name -> widget (inflow, own_inflow, recognition_rate,
        set_nareizigers, nareizigers_per_referent, share_singles_sharing,
        final_size_dwellings, reserve, extra_dwellings, scope).
    readouts : dict
        Slider name -> the Label with its value in Dutch format.
    result, reference : toolkit.scenario.Result
        Current and reference scenario.
    widget : ipywidgets.VBox
        What the notebook displays.
    headline, status, map, map_data, export_status : ipywidgets.HTML
    done : ipywidgets.HTML
        Hidden; set last after every change (change count and Python time), for
        ``benchmarks/dashboard_browser.py``.
    tabs : ipywidgets.Tab
    views : dict
        Tab index -> the HTML widgets of that view (text, chart, sources ...).
    """

    def __init__(self, *, region="U16", year=2016, out_dir="out/raad", show_map=True, cache_size=16, precompute=False,
                 opvang=None):
        from .scenario import Settings, scopes_for

        self.region = region if isinstance(region, str) else tuple(region)
        self.year = int(year)
        self.out_dir = Path(out_dir)
        self.show_map = bool(show_map)
        self.cache_size = int(cache_size)
        self._cache = OrderedDict()
        self._sweep = {}
        self._payloads = {}  # map data of the swept and the cached results
        self._sweep_thread = None
        self._inflight = None  # the settings the sweep is solving now
        self._busy = False  # a change is being computed
        self._solved = threading.Condition()
        self._stop = threading.Event()
        self._idle = threading.Event()  # clear while a change is computed: the sweep waits between its stages
        self._idle.set()
        self._last_change = 0.0
        self.scopes = scopes_for(self.region, self.year)
        self._base = Settings(region=self.region, year=self.year, scope=self.scopes[-1])
        self._boundaries = _load_boundaries(self.region if isinstance(self.region, str) else list(self.region),
                                            self.year) if show_map else None
        self._locations, self._opvang_error = self._read_opvang(opvang)
        self._recipe = None  # of the map page, once drawn
        self._recipe_lock = threading.Lock()
        self.reference = self._run(_reference_settings(self._base))
        self.result = self.reference
        self._dirty = set(range(len(TAB_TITLES)))
        self._map_version = -1
        self._integration_targets = None
        self._build_widgets()
        self.status.value = self._opvang_error
        self._render_top()
        self._render_tab(self.tabs.selected_index or 0)
        if precompute:
            self.precompute(background=True)

    def _read_opvang(self, path):
        """The reception locations of a COA occupancy list, or None and the Dutch message why not."""
        if path is None or path == "":
            return None, ""
        from . import io
        from .data import locations_from_occupancy

        try:
            return locations_from_occupancy(io.read_coa_occupancy(path), self.year), ""
        except (ValidationError, OSError) as exc:
            return None, (f'<div class="dl-error">De opvanglijst kon niet worden gelezen, de kaart toont geen '
                          f"opvanglocaties: {_esc(exc)}</div>")

    # -- widgets

    def _build_widgets(self):
        import ipywidgets as w

        s = self._base
        c = {}
        c["inflow"] = w.Dropdown(options=[("laag", "laag"), ("midden", "midden"), ("hoog", "hoog"),
                                          ("eigen aantal", "eigen")], value=s.inflow,
                                 layout=_fixed(234))
        c["own_inflow"] = w.BoundedIntText(value=OWN_INFLOW_DEFAULT, min=0, max=200_000, step=500, disabled=True,
                                           layout=_fixed(150))
        c["recognition_rate"] = _slider(w.FloatSlider, s.recognition_rate, 0.3, 1.0, 0.025)
        c["set_nareizigers"] = w.Checkbox(value=False, indent=False, description="",
                                          layout=_fixed(28))
        c["nareizigers_per_referent"] = _slider(w.FloatSlider, 1.0, 0.0, 4.0, 0.1, disabled=True)
        c["share_singles_sharing"] = _slider(w.FloatSlider, s.share_singles_sharing, 0.0, 1.0, 0.05)
        c["final_size_dwellings"] = w.ToggleButtons(options=[("eindgrootte", True), ("huidige", False)],
                                                    value=s.final_size_dwellings, style={"button_width": "112px"})
        c["reserve"] = _slider(w.FloatSlider, s.reserve, 0.0, 0.5, 0.05)
        c["extra_dwellings"] = _slider(w.IntSlider, 0, 0, 50, 1)
        c["scope"] = w.ToggleButtons(options=[("apart" if _scope_key(x) == "solo" else _scope_key(x), _scope_key(x))
                                              for x in self.scopes],
                                     tooltips=[_scope_label(x) for x in self.scopes], value=_scope_key(s.scope),
                                     style={"button_width": "74px"})
        self.controls = c
        rows = {
            "inflow": _labelled(c["inflow"], "Instroom"),
            "own_inflow": _labelled(c["own_inflow"], "Aanvragen per jaar"),
            "recognition_rate": _slider_row(c["recognition_rate"], "Inwilliging", _pct1),
            "nareizigers_per_referent": _slider_row(c["nareizigers_per_referent"], "Nareizigers", _num1,
                                                    lead=c["set_nareizigers"]),
            "share_singles_sharing": _slider_row(c["share_singles_sharing"], "Delen (alleenst.)", _pct0),
            "final_size_dwellings": _labelled(c["final_size_dwellings"], "Woning voor"),
            "reserve": _slider_row(c["reserve"], "Reserve", _pct0),
            "extra_dwellings": _slider_row(c["extra_dwellings"], "Extra woningen", lambda v: f"{_int(v)}/gem."),
            "scope": _labelled(c["scope"], "Matching"),
        }
        rows["own_inflow"].layout.display = "none"
        self._rows = rows
        self.readouts = {k: r.readout for k, r in rows.items() if hasattr(r, "readout")}
        for widget in c.values():
            widget.observe(self._on_change, names="value")

        self.title = w.HTML()
        self.done = w.HTML(layout=w.Layout(display="none"))
        self._changes = 0
        self.status = w.HTML()
        self.headline = w.HTML()
        self.export_status = w.HTML(layout=w.Layout(width="410px"))
        self.export_button = w.Button(description="Exporteer voor de raad", button_style="primary",
                                      layout=w.Layout(width="300px", height="44px", margin="10px 0 0 0"))
        self.export_button.on_click(lambda _: self.export())
        statement = [w.HTML(f"<h3>{_esc(t)}</h3>") for t in STATEMENTS]
        self.views = {i: {"text": w.HTML(), "chart": w.HTML(), "sources": w.HTML()} for i in range(3)}
        self.map = w.HTML(layout=w.Layout(flex="1 1 auto", min_width="320px"))
        self.map_data = w.HTML(layout=w.Layout(display="none"))
        v = self.views
        v[0]["chart"].layout = _fixed(330)
        body0 = [v[0]["chart"]] + ([self.map, self.map_data] if self.show_map else [])
        pages = [
            w.VBox([statement[0], w.HBox(body0, layout=w.Layout(gap="14px")), v[0]["sources"]]),
            w.VBox([statement[1], v[1]["text"], v[1]["chart"], v[1]["sources"]]),
            w.VBox([statement[2], v[2]["text"], v[2]["chart"], v[2]["sources"]]),
            w.VBox([statement[3]]),
        ]
        self._pages = pages
        self.tabs = w.Tab(children=pages)
        self.tabs.titles = TAB_TITLES
        self.tabs.observe(lambda ch: self._render_tab(ch["new"]), names="selected_index")
        panel = w.VBox([w.HTML("<h3>Instellingen</h3>"), *rows.values(), self.export_button, self.export_status],
                       layout=_fixed(430))
        panel.add_class("dl-panel")
        main = w.VBox([self.headline, self.status, self.tabs], layout=w.Layout(flex="1 1 auto", min_width="0"))
        self.widget = w.VBox([self.title, w.HBox([panel, main], layout=w.Layout(gap="12px")), self.done])
        self.widget.add_class("dl-dash")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # -- settings and computation

    @property
    def settings(self):
        """The :class:`toolkit.scenario.Settings` the controls describe."""
        return self._settings_from({name: widget.value for name, widget in self.controls.items()})

    def _settings_from(self, v):
        inflow = v["inflow"]
        return self._base.replace(
            inflow=float(v["own_inflow"]) if inflow == "eigen" else inflow,
            recognition_rate=round(float(v["recognition_rate"]), 4),
            nareizigers_per_referent=round(float(v["nareizigers_per_referent"]), 4) if v["set_nareizigers"] else None,
            share_singles_sharing=round(float(v["share_singles_sharing"]), 4),
            final_size_dwellings=bool(v["final_size_dwellings"]),
            reserve=round(float(v["reserve"]), 4),
            extra_dwellings=int(v["extra_dwellings"]),
            scope=self._scope_value(v["scope"]),
        )

    def _scope_value(self, key):
        for x in self.scopes:
            if _scope_key(x) == key:
                return x if isinstance(x, str) else tuple(x)
        return key

    def _run(self, settings):
        from .scenario import run

        with self._solved:  # the sweep is solving these very settings: wait for it instead of solving twice
            while self._inflight == settings:
                self._idle.set()  # and let it go on meanwhile
                self._solved.wait()
        if self._busy:
            self._idle.clear()
        hit = self._sweep.get(settings)
        if hit is not None:
            return hit
        if settings in self._cache:
            self._cache.move_to_end(settings)
            return self._cache[settings]
        result = run(settings)
        if self.cache_size > 0:
            self._cache[settings] = result
            while len(self._cache) > self.cache_size:
                old, _ = self._cache.popitem(last=False)
                if old not in self._sweep:
                    self._payloads.pop(old, None)
        return result

    def sweep_settings(self):
        """The settings one control away from the reference, nearest values first.

        Every value of every slider, dropdown and toggle (the own inflow
        number excepted), with all other controls at the reference.

        Returns
        -------
        list of toolkit.scenario.Settings
        """
        start = {name: widget.value for name, widget in self.controls.items()}
        start.update(set_nareizigers=False, scope=_scope_key(self.reference.settings.scope))
        grids = {}
        for name, widget in self.controls.items():
            if hasattr(widget, "step") and hasattr(widget, "max") and name != "own_inflow":
                n = int(round((widget.max - widget.min) / widget.step))
                values = [widget.min + k * widget.step for k in range(n + 1)]
                centre = start[name] if name != "nareizigers_per_referent" else widget.value
                grids[name] = sorted(values, key=lambda x, c=centre: (abs(x - c), x))
            elif hasattr(widget, "options"):
                values = [value for _, value in widget.options if value != "eigen"]
                grids[name] = sorted(values, key=lambda x, c=start[name]: x != c)
        out, seen = [], {self.reference.settings}
        depth = max(len(g) for g in grids.values())
        for k in range(depth):
            for name, values in grids.items():
                if k >= len(values) or name == "set_nareizigers":
                    continue
                change = {name: values[k]}
                if name == "nareizigers_per_referent":
                    change["set_nareizigers"] = True
                s = self._settings_from({**start, **change})
                if s not in seen:
                    seen.add(s)
                    out.append(s)
        return out

    def precompute(self, *, background=True, idle=1.5, settings=None):
        """Solve :meth:`sweep_settings` ahead, so a single move from the reference needs no solve.

        Parameters
        ----------
        background : bool
            Run in a daemon thread (started after the first view is drawn);
            it pauses while a change is being computed (between two stages
            of the scenario it is solving, ``scenario.run(pause=...)``) and
            ``idle`` seconds after it, takes next the settings nearest the current ones (the
            control the facilitator is moving first) and shortens Python's
            thread switch interval so the widgets stay responsive meanwhile.
            A change to the settings the sweep is solving at that moment
            waits for that solve instead of starting a second one.
        settings : list of toolkit.scenario.Settings, optional
            What to solve (default :meth:`sweep_settings`).

        Returns
        -------
        threading.Thread or None
        """
        from .scenario import run

        todo = [s for s in (self.sweep_settings() if settings is None else settings) if s not in self._sweep]

        def work():
            if background:
                _wait_for_viewer()
            while todo:
                while background and not self._stop.is_set() and (
                        self._busy or time.monotonic() - self._last_change < idle):
                    time.sleep(0.1)
                if self._stop.is_set():
                    return
                s = todo.pop(_nearest(todo, self.settings) if background else 0)
                if s in self._sweep:
                    continue
                with self._solved:
                    self._inflight = s
                try:
                    result = self._cache.get(s) or run(s, pause=self._pause)
                    if self.show_map:
                        self._payloads[s] = map_payload(result, recipe=self._map_recipe())
                    self._sweep[s] = result
                except (ValidationError, InfeasibleError):
                    continue
                finally:
                    with self._solved:
                        self._inflight = None
                        self._solved.notify_all()

        if not background:
            work()
            return None
        # A busy Python thread makes the kernel's own thread (which serves the widgets) wait up to one
        # switch interval for every small step; a short interval keeps the page responsive meanwhile.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.0005))
        self._last_change = time.monotonic()  # let the first view be drawn first
        self._sweep_thread = threading.Thread(target=work, name="dl-dashboard-sweep", daemon=True)
        self._sweep_thread.start()
        return self._sweep_thread

    def _pause(self):
        """In the sweep's thread: wait while a change is being computed (a stage at a time, not a whole scenario)."""
        if threading.current_thread() is self._sweep_thread:
            self._idle.wait()

    def close(self):
        """Stop the background sweep (the widgets stay)."""
        self._stop.set()
        self._idle.set()
        if self._sweep_thread is not None:
            self._sweep_thread.join(timeout=30)

    def _on_change(self, change=None):
        c = self.controls
        c["own_inflow"].disabled = c["inflow"].value != "eigen"
        self._rows["own_inflow"].layout.display = None if c["inflow"].value == "eigen" else "none"
        c["nareizigers_per_referent"].disabled = not c["set_nareizigers"].value
        self.update()

    def update(self):
        """Recompute the scenario for the current controls and redraw the headline and the visible view.

        Invalid settings show a Dutch message and keep the last figures.

        Returns
        -------
        toolkit.scenario.Result
        """
        self._busy = True  # the sweep waits: it would compete with this change for the CPU
        self._idle.clear()  # also in the middle of a scenario: before its next stage
        try:
            return self._update()
        finally:
            self._busy = False
            self._idle.set()

    def _update(self):
        start = self._last_change = time.monotonic()
        try:
            result = self._run(self.settings)
        except (ValidationError, InfeasibleError) as exc:
            self.status.value = (f'<div class="dl-error">Deze instellingen kunnen niet worden doorgerekend: '
                                 f"{_esc(exc)}. De cijfers hieronder horen nog bij de vorige instellingen.</div>")
            self._mark_done(start)
            return self.result
        self.status.value = self._opvang_error
        self.result = result
        self._dirty = set(range(len(TAB_TITLES)))
        self._render_top()
        self._render_tab(self.tabs.selected_index or 0)
        self._mark_done(start)
        return result

    def _mark_done(self, start):
        """The last update of a change: how many changes so far and how long Python took (for the browser probe)."""
        self._last_change = time.monotonic()
        self._changes += 1
        self.done.value = (f'<span class="dl-done" data-n="{self._changes}" '
                           f'data-ms="{1000 * (self._last_change - start):.1f}"></span>')

    def _render_top(self):
        region = self.region if isinstance(self.region, str) else f"{len(self.region)} gemeenten"
        self.title.value = (CSS + f'<div class="dl-top"><h2>Collegedag {_esc(region)} ({self.year})</h2>'
                            f"{_context_html(self.result)}</div>")
        self.headline.value = headline_html(self.result, self.reference)

    def _render_tab(self, index):
        if index is None or index not in self._dirty:
            return
        [self._tab_stelling1, self._tab_stelling2, self._tab_stelling3, self._tab_integration][index]()
        self._dirty.discard(index)

    def _map_sources(self):
        out = []
        if self._boundaries is not None and self._boundaries.attrs.get("schematic"):
            out.append(("Kaart: schematische gemeentevlakken (geen echte grenzen)",
                        self._boundaries.attrs.get("source", ""), "schatting"))
        if self._locations is not None:
            out.append(("Opvanglocaties: eigen COA-bezettingslijst", self._locations.attrs.get("source", ""), "eigen"))
            if (self._locations["coord_status"] == "schatting").any():
                out.append(("Opvanglocaties zonder adres: punt midden van de gemeente", "toolkit.data", "schatting"))
        return tuple(out)

    def _tab_stelling1(self):
        r, v = self.result, self.views[0]
        v["chart"].value = pooling_chart(r, self.reference)
        if self.show_map:
            self._map_version += 1
            if not self.map.value:  # the page is loaded once; later changes restyle it
                self.map.value = self._map_html()
            payload = self._payloads.get(r.settings)
            if payload is None:
                payload = map_payload(r, recipe=self._map_recipe())
                if r.settings in self._cache:
                    self._payloads[r.settings] = payload
            self.map_data.value = (f'<script type="application/json" class="dl-map-data" data-v="{self._map_version}">'
                                   f"{payload}</script>")
        v["sources"].value = (sources_html(_VIEW_DATASETS["stelling1"], households=r.households, extra=self._map_sources())
                              + target_note_html(r.national))

    def _map(self, result):
        return build_map(result, boundaries=self._boundaries, locations=self._locations)

    def _map_recipe(self):
        """The recipe of the map page (its layers), drawn once for the payloads of every later result."""
        with self._recipe_lock:
            if self._recipe is None:
                self._recipe = self._map(self.reference)._dl_recipe
            return self._recipe

    def _map_html(self):
        m = self._map(self.result)
        with self._recipe_lock:
            self._recipe = self._recipe or m._dl_recipe
        page = map_page(m)
        return (f'<iframe class="dl-map" title="Kaart matching per gemeente" srcdoc="{_esc(page)}" '
                'style="width:100%;height:max(390px, calc(100vh - 330px));border:1px solid #ccc"></iframe>')

    def _tab_stelling2(self):
        r, ref, v = self.result, self.reference, self.views[1]
        v["text"].value = (
            f'<p class="dl-note">Regio: <b>{_nl(r.headline["displacement"], 1, percent=True)}</b> van de sociale '
            f"verhuringen naar statushouders (referentie {_nl(ref.headline['displacement'], 1, percent=True)}), "
            f"met <b>{_nl(r.settings.extra_dwellings)}</b> per gemeente extra sociale huurwoningen.</p>")
        v["chart"].value = displacement_chart(r, ref)
        explain = ("Verdringing (berekening)", "deel van de sociale verhuringen in het halfjaar dat naar statushouders moet "
                   "gaan om de taakstelling te halen: toegewezen woningen plus wachtende huishoudens, gedeeld door de "
                   "verhuringen (voorraad x mutatiegraad per halfjaar plus de extra woningen)", "schatting")
        v["sources"].value = sources_html(_VIEW_DATASETS["stelling2"], households=r.households, extra=(explain,))

    def _tab_stelling3(self):
        v = self.views[2]
        keys = [_scope_key(x) for x in self.scopes]
        if not {"U10", "U16"} <= set(keys):
            v["text"].value = (f'<p class="dl-note">In deze regio ({_esc(self.region)}) kunnen U10 en U16 niet naast '
                               "elkaar worden vergeleken: kies regio U16 in de parameters van het notebook.</p>")
            v["chart"].value = ""
            return
        pair = {}
        for scope in ("U10", "U16"):
            pair[scope] = self.result if _scope_key(self.result.settings.scope) == scope else \
                self._run(self.result.settings.replace(scope=scope))
        v["text"].value = _scope_table_html(self.result, ["U10", "U16"])
        v["chart"].value = scales_chart(pair)
        v["sources"].value = sources_html(_VIEW_DATASETS["stelling3"], households=self.result.households)

    def _tab_integration(self):
        import ipywidgets as w

        from . import integration

        targets = self.result.targets
        if self._integration_targets is not None and self._integration_targets.equals(targets):
            return
        arrivals = integration.cohorts_from_targets(targets)
        page = self._pages[3]
        if len(page.children) == 1:
            self.integration = integration_view(arrivals)
            note = ('<p class="dl-note">Instroom per gemeente: de taakstelling van dit scenario, gelijk verdeeld over de '
                    "maanden van het halfjaar. Alle uitkomsten zijn schattingen met aannames.</p>")
            page.children = [page.children[0], self.integration, w.HTML(note + _integration_sources())]
        else:
            self.integration.set_arrivals(arrivals)
        self._integration_targets = targets

    # -- export

    def export(self):
        """Write the council map and the scenario summary for the current settings into ``out_dir``.

        Returns
        -------
        dict
            ``{"kaart": Path, "samenvatting": Path}``; the full paths are shown under the button.
        """
        try:
            paths = export_for_council(self.result, self.out_dir, reference=self.reference, boundaries=self._boundaries,
                                       locations=self._locations)
        except (ValidationError, OSError) as exc:
            self.export_status.value = f'<div class="dl-error">Exporteren mislukt: {_esc(exc)}</div>'
            return {}
        items = "".join(f"<li>{_esc(k)}: <code>{_esc(Path(p).resolve())}</code></li>" for k, p in paths.items())
        self.export_status.value = f'<div class="dl-export">Geschreven:<ul>{items}</ul></div>'
        return paths


def app(*, region="U16", year=2016, out_dir="out/raad", show_map=True, precompute=True, opvang=None):
    """Build the collegedag dashboard; display the returned object (or its ``.widget``) in a notebook.

    With ``precompute`` (default) the sweep of every single control from the
    reference is solved in a background thread after the first view;
    ``opvang`` is a COA occupancy list for the map's reception layer (see
    :class:`Dashboard`).

    Returns
    -------
    Dashboard
    """
    return Dashboard(region=region, year=year, out_dir=out_dir, show_map=show_map, precompute=precompute,
                     opvang=opvang)
