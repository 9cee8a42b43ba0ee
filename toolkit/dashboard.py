"""The collegedag dashboard: ipywidgets controls around the scenario engine.

A facilitator changes the settings of :class:`toolkit.scenario.Settings` with
a few controls; the headline figures, the scope comparison table, the map and
the charts follow. Every chart shows the reference scenario (the default
settings for the region) next to the current one. The views follow the
statements the meeting debated:

- Stelling 1: regional matching from day one (who goes where, what it gains);
- Stelling 2: more social housing against displacement (share of
  social-housing lettings going to permit holders, status ``schatting``);
- Stelling 3a: U16 instead of U10 (the same figures at both scales);
- Integratie: :func:`toolkit.integration.dashboard_tab`.

Only the visible tab is redrawn after a change; the others are redrawn when
they are opened. The callbacks are plain methods (:meth:`Dashboard.update`,
:meth:`Dashboard.export`), so they can be tested without a browser.
"""

from __future__ import annotations

import datetime as _dt
import html
import io
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import InfeasibleError, ValidationError

__all__ = ["Dashboard", "app", "export_for_council", "build_map", "map_data", "headline_html", "comparison_html",
           "sources_html", "chart_scopes", "chart_displacement", "chart_scope_municipalities"]

TAB_TITLES = ("Stelling 1", "Stelling 2", "Stelling 3a", "Integratie")
#: The statements of the collegedag, shown at the top of their tab.
STATEMENTS = ("Regionaal matchen vanaf dag 1: wie kan het best waar wonen, en wat levert het op?",
              "De sociale huurvoorraad in elke gemeente uitbreiden om verdringing te voorkomen.",
              "De U16 in plaats van de U10 als schaal voor huisvesting.",
              "Integratie vanaf dag 1: de huidige route en de pilot naast elkaar.")
SCOPE_LABELS = {"solo": "elke gemeente apart", "U10": "U10", "U16": "U16", "eigen selectie": "eigen selectie"}
#: First asylum applications per year shown when the facilitator types an own number (2016, IND; FACTS.md §2).
OWN_INFLOW_DEFAULT = 18171
REF_COLOUR, CUR_COLOUR = "#9aa5b1", "#154273"
BASIS_LABELS = {"gepubliceerd": "gepubliceerde taakstelling", "gepubliceerd x scenario":
                "gepubliceerde taakstelling, geschaald naar het instroomscenario", "prognose": "prognose",
                "opgegeven": "opgegeven"}

CSS = """
<style>
.dl-dash {font-size: 18px; line-height: 1.35}
.dl-dash h2 {font-size: 30px; margin: 4px 0 2px 0; color: #154273}
.dl-dash h3 {font-size: 24px; margin: 4px 0; color: #154273}
.dl-dash .widget-label, .dl-dash .widget-readout, .dl-dash .widget-toggle-button,
.dl-dash .widget-dropdown select, .dl-dash .widget-checkbox label, .dl-dash input {font-size: 17px}
.dl-dash .lm-TabBar-tab, .dl-dash .p-TabBar-tab {font-size: 18px; min-width: 230px}
.dl-tiles {display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0}
.dl-tile {background: #f2f5f9; border-left: 6px solid #154273; padding: 6px 14px; min-width: 170px}
.dl-tile .v {font-size: 38px; font-weight: 700; color: #154273}
.dl-tile .l {font-size: 17px}
.dl-tile .r {font-size: 14px; color: #555}
.dl-table {border-collapse: collapse; font-size: 18px; margin: 6px 0}
.dl-table th, .dl-table td {padding: 4px 12px; border-bottom: 1px solid #ccc}
.dl-table td.n {text-align: right; font-variant-numeric: tabular-nums}
.dl-table tr.chosen {background: #dbe7f5; font-weight: 700}
.dl-src {font-size: 13px; color: #444; margin-top: 6px}
.dl-status {display: inline-block; padding: 0 5px; border-radius: 4px; background: #eee}
.dl-status-schatting {background: #fff3cd} .dl-status-synthetisch {background: #e2e3ff}
.dl-status-gepubliceerd {background: #d1e7dd} .dl-status-voorbeeld {background: #f8d7da}
.dl-error {color: #8a1c1c; font-weight: 700; font-size: 18px}
.dl-note {font-size: 20px}
</style>
"""

# datasets each view rests on (registry names; the synthetic households are added separately)
_VIEW_DATASETS = {
    "headline": ("inflow", "taakstelling", "population", "regions", "housing_stock"),
    "stelling1": ("taakstelling", "population", "regions", "housing_stock", "municipalities"),
    "stelling2": ("housing_stock", "lettings", "taakstelling", "population"),
    "stelling3": ("regions", "taakstelling", "population", "housing_stock"),
}


def _esc(value):
    return html.escape(str(value), quote=True)


def _nl(value, decimals=0, *, percent=False):
    from .report import nl_number

    return nl_number(value, decimals, percent=percent)


def _scope_key(scope):
    return scope if isinstance(scope, str) else "eigen selectie"


# ----------------------------------------------------------------- HTML pieces (pure, testable)


def sources_html(names, *, households=None, extra=()):
    """A compact Dutch sources line with status labels.

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
        HTML; every text from data is escaped.

    Examples
    --------
    >>> page = sources_html(["housing_stock"], extra=[("<b>kaart</b>", "eigen", "schatting")])
    >>> "schatting" in page and "&lt;b&gt;kaart" in page and "<b>kaart" not in page
    True
    """
    from .registry import STATUS_LABELS, provenance

    items = []
    for r in provenance(list(names)).itertuples():
        statuses = [s.strip() for s in str(r.statuses or r.status).split(",") if s.strip()]
        items.append((r.title, r.source, statuses))
    if households is not None:
        items.append(("Huishoudens (synthetische caseload)", households.attrs.get("source", "toolkit.households"),
                      [households.attrs.get("status", "synthetisch")]))
    items.extend((t, s, [st]) for t, s, st in extra)
    parts = []
    for title, source, statuses in items:
        badges = " ".join(f'<span class="dl-status dl-status-{_esc(s)}">{_esc(STATUS_LABELS.get(s, s))}</span>'
                          for s in statuses)
        parts.append(f"<b>{_esc(title)}</b> {badges} <span title=\"{_esc(source)}\">({_esc(_short(source))})</span>")
    return '<div class="dl-src">Bronnen: ' + " · ".join(parts) + "</div>"


def _short(text, n=60):
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def headline_html(result, reference):
    """The headline tiles: current figures with the reference scenario's below them.

    Parameters
    ----------
    result, reference : toolkit.scenario.Result

    Returns
    -------
    str
    """
    h, r = result.headline, reference.headline
    scope = SCOPE_LABELS.get(_scope_key(result.settings.scope), _scope_key(result.settings.scope))
    tiles = [
        ("Huishoudens met woning", f"{_nl(h['households_housed'])} van {_nl(h['households'])}",
         f"{_nl(r['households_housed'])} van {_nl(r['households'])}"),
        ("Van de taakstelling", _nl(h["pct_target"] / 100, 0, percent=True), _nl(r["pct_target"] / 100, 0, percent=True)),
        ("Huishoudens wachten", _nl(h["households_waiting"]), _nl(r["households_waiting"])),
        ("Winst t.o.v. elke gemeente apart", f"+{_nl(h['gain_vs_solo'])}", f"+{_nl(r['gain_vs_solo'])}"),
        ("Verdringing (schatting)", _nl(h["displacement"], 1, percent=True), _nl(r["displacement"], 1, percent=True)),
    ]
    sub = (f"Halfjaar {_esc(h['period'])} · landelijk {_nl(h['national_persons'])} personen te huisvesten "
           f"({_esc(BASIS_LABELS.get(result.national['basis'], result.national['basis']))}) · regio {_nl(h['region_persons'])} personen · "
           f"matching: {_esc(scope)}")
    body = "".join(f'<div class="dl-tile"><div class="v">{_esc(v)}</div><div class="l">{_esc(label)}</div>'
                   f'<div class="r">referentie: {_esc(ref)}</div></div>' for label, v, ref in tiles)
    return f'<div class="dl-note">{sub}</div><div class="dl-tiles">{body}</div>'


_COMPARISON_COLUMNS = (
    ("households_housed", "Huishoudens met woning", 0, False),
    ("households_waiting", "Wachten", 0, False),
    ("pct_target", "% van taakstelling", 0, False),
    ("under_occupation", "Woningen te groot", 0, False),
    ("municipalities_below_90pct", "Gemeenten onder 90 %", 0, False),
)


def comparison_html(result):
    """The scope comparison table in Dutch; the chosen scope's row is highlighted.

    Returns
    -------
    str
    """
    chosen = _scope_key(result.settings.scope)
    head = "<th>Matching</th>" + "".join(f"<th>{_esc(label)}</th>" for _, label, _, _ in _COMPARISON_COLUMNS)
    rows = []
    for _, row in result.comparison.iterrows():
        key = str(row["scope"])
        cells = "".join(f'<td class="n">{_esc(_nl(row[c], d))}</td>' for c, _, d, _ in _COMPARISON_COLUMNS)
        cls = ' class="chosen"' if key == chosen else ""
        rows.append(f"<tr{cls}><td>{_esc(SCOPE_LABELS.get(key, key))}</td>{cells}</tr>")
    return f'<table class="dl-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _scope_table_html(comparison, scopes):
    """Figures of two scopes side by side (rows are figures), with the difference."""
    c = comparison.set_index(comparison["scope"].astype(str))
    head = "<th></th>" + "".join(f"<th>{_esc(s)}</th>" for s in scopes) + "<th>verschil</th>"
    rows = []
    for col, label, d, _ in _COMPARISON_COLUMNS:
        vals = [float(c.loc[s, col]) for s in scopes]
        diff = vals[-1] - vals[0]
        sign = "+" if diff > 0 else ""
        cells = "".join(f'<td class="n">{_esc(_nl(v, d))}</td>' for v in vals)
        rows.append(f"<tr><td>{_esc(label)}</td>{cells}<td class=\"n\">{_esc(sign + _nl(diff, d))}</td></tr>")
    return f'<table class="dl-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


# ----------------------------------------------------------------- charts (matplotlib, no pyplot)


def _figure(width=9.0, height=4.2, *, left=0.1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=90)
    FigureCanvasAgg(fig)
    # fixed margins instead of bbox_inches="tight", which draws the figure twice
    # room for the title (0.45 inch) above and tick labels, axis label and legend (1.1 inch) below
    fig.subplots_adjust(left=left, right=0.95, top=1 - 0.45 / height, bottom=1.1 / height)
    return fig


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _bars(ax, labels, ref, cur, *, horizontal=False, ref_label="referentie", cur_label="huidige instellingen",
          colours=(REF_COLOUR, CUR_COLOUR), decimals=0):
    x = np.arange(len(labels))
    width = 0.4
    draw = ax.barh if horizontal else ax.bar
    for offset, values, label, colour in ((-width / 2, ref, ref_label, colours[0]), (width / 2, cur, cur_label, colours[1])):
        bars = draw(x + offset, values, width, label=label, color=colour)
        ax.bar_label(bars, labels=[_nl(v, decimals) for v in values], fontsize=11, padding=2)
    if horizontal:
        ax.set_yticks(x, labels)
        ax.invert_yaxis()
    else:
        ax.set_xticks(x, labels)
    ax.figure.legend(fontsize=13, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=2)
    ax.tick_params(labelsize=13)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def chart_scopes(result, reference):
    """PNG: households housed per scope, reference next to current."""
    fig = _figure()
    ax = fig.add_subplot()
    ref = reference.comparison.set_index(reference.comparison["scope"].astype(str))["households_housed"]
    cur = result.comparison.set_index(result.comparison["scope"].astype(str))["households_housed"]
    keys = list(cur.index)
    _bars(ax, [SCOPE_LABELS.get(k, k) for k in keys], ref.reindex(keys).to_numpy(float), cur.to_numpy(float))
    ax.set_ylabel("huishoudens met woning", fontsize=13)
    ax.set_title("Huishoudens met een passende woning per schaal", fontsize=15)
    return _png(fig)


def chart_displacement(result, reference):
    """PNG: displacement per municipality (share of lettings to permit holders), reference and current."""
    cur = result.municipalities.set_index("code")
    ref = reference.municipalities.set_index("code").reindex(cur.index)
    fig = _figure(9.0, max(3.5, 0.36 * len(cur) + 1.2), left=0.24)
    ax = fig.add_subplot()
    _bars(ax, cur["name"].astype(str).tolist(), 100 * ref["displacement"].to_numpy(float),
          100 * cur["displacement"].to_numpy(float), horizontal=True, decimals=1)
    ax.set_xlabel("% van de sociale verhuringen naar statushouders (schatting)", fontsize=13)
    ax.set_title("Verdringing per gemeente", fontsize=15)
    return _png(fig)


def chart_scope_municipalities(results):
    """PNG: % of the target housed per municipality for two scopes side by side.

    ``results`` maps a scope name to its Result (two entries).
    """
    (a, ra), (b, rb) = list(results.items())
    cur = rb.municipalities.set_index("code")
    ref = ra.municipalities.set_index("code").reindex(cur.index)
    fig = _figure(9.0, max(3.5, 0.36 * len(cur) + 1.2), left=0.24)
    ax = fig.add_subplot()
    _bars(ax, cur["name"].astype(str).tolist(), ref["pct_target"].to_numpy(float), cur["pct_target"].to_numpy(float),
          horizontal=True, ref_label=f"matching {a}", cur_label=f"matching {b}", colours=("#e07b39", CUR_COLOUR))
    ax.axvline(100, color="#333", lw=1, ls="--")
    ax.set_xlabel("gehuisvest als % van de taakstelling", fontsize=13)
    ax.set_title(f"{a} en {b} naast elkaar (huidige instellingen)", fontsize=15)
    return _png(fig)


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


def build_map(result, *, boundaries=None, basemap=None, title=None):
    """A folium map of the region with the taakstelling and the matching result of ``result``."""
    from . import maps

    s = result.settings
    region = s.region if isinstance(s.region, str) else list(s.region)
    label = region if isinstance(region, str) else f"{len(region)} gemeenten"
    title = title or f"Collegedag {label}: matching {SCOPE_LABELS.get(_scope_key(s.scope), _scope_key(s.scope))}"
    m = maps.overzichtskaart(region=region, year=s.year, boundaries=boundaries, targets=result.targets,
                             locations=False, buildings=False, basemap=basemap, title=title)
    return maps.add_matching_layer(m, map_data(result))


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
        ("Meer gehuisvest dan elke gemeente apart", h["gain_vs_solo"], r["gain_vs_solo"], 0, False),
        ("Verdringing: deel van de sociale verhuringen naar statushouders (schatting)", h["displacement"],
         r["displacement"], 1, True),
        ("Woningen bespaard door delen", h["dwellings_saved"], r["dwellings_saved"], 0, False),
    ]
    head = pd.DataFrame([(label, _nl(a, d, percent=p), _nl(b, d, percent=p)) for label, a, b, d, p in rows],
                        columns=["Kerncijfer", "Dit scenario", "Referentie"])
    comp = result.comparison.assign(scope=result.comparison["scope"].astype(str).map(lambda k: SCOPE_LABELS.get(k, k)))
    comp = comp[["scope"] + [c for c, *_ in _COMPARISON_COLUMNS]]
    comp.columns = ["Matching"] + [label for _, label, *_ in _COMPARISON_COLUMNS]
    mun = result.municipalities
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
        Section("Per gemeente", table=per, percent_cols=("Verdringing (schatting)",)),
    ]


def export_for_council(result, out_dir="out/raad", *, reference=None, boundaries=None, date=None, stem=None):
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

    Returns
    -------
    dict
        ``{"kaart": Path, "samenvatting": Path}``.
    """
    from . import export, report
    from .scenario import DATASETS, run

    s = result.settings
    if reference is None:
        reference = run(_reference_settings(s))
    if boundaries is None:
        boundaries = _load_boundaries(s.region if isinstance(s.region, str) else list(s.region), s.year)
    out = Path(out_dir)
    if stem is None:
        stem = base = "scenario_" + _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        n = 1
        while (out / f"{stem}_kaart.html").exists() or (out / f"{stem}_samenvatting.html").exists():
            n += 1
            stem = f"{base}-{n}"  # a second export in the same second does not overwrite the first
    m = build_map(result, boundaries=boundaries, basemap="pdok")
    kaart = export.export_map(m, out / f"{stem}_kaart.html", council=True, date=date)
    region = s.region if isinstance(s.region, str) else f"{len(s.region)} gemeenten"
    samenvatting = report.write_report(
        out / f"{stem}_samenvatting.html", f"Scenario collegedag {region}", _summary_sections(result, reference),
        datasets=DATASETS, date=date or _dt.date.today(),
        subtitle=f"Doorlopende Lijn · matching {SCOPE_LABELS.get(_scope_key(s.scope), _scope_key(s.scope))}",
    )
    return {"kaart": Path(kaart), "samenvatting": Path(samenvatting)}


def _reference_settings(s):
    from .scenario import Settings, scopes_for

    return Settings(region=s.region, year=s.year, scope=scopes_for(s.region, s.year)[-1], seed=s.seed)


# ----------------------------------------------------------------- the app


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
        Draw the folium map in Stelling 1 (off: faster, e.g. in tests).
    cache_size : int
        Scenario results kept, so switching back is instant (0: none).

    Attributes
    ----------
    controls : dict
        Control name -> widget (inflow, own_inflow, recognition_rate,
        set_nareizigers, nareizigers_per_referent, share_singles_sharing,
        final_size_dwellings, reserve, extra_dwellings, scope).
    result, reference : toolkit.scenario.Result
        Current and reference scenario.
    widget : ipywidgets.VBox
        What the notebook displays.
    headline, comparison, sources, status, map, export_status : ipywidgets.HTML
    tabs : ipywidgets.Tab
    """

    def __init__(self, *, region="U16", year=2016, out_dir="out/raad", show_map=True, cache_size=16):
        from .scenario import Settings, scopes_for

        self.region = region if isinstance(region, str) else tuple(region)
        self.year = int(year)
        self.out_dir = Path(out_dir)
        self.show_map = bool(show_map)
        self.cache_size = int(cache_size)
        self._cache = OrderedDict()
        self.scopes = scopes_for(self.region, self.year)
        self._base = Settings(region=self.region, year=self.year, scope=self.scopes[-1])
        self._boundaries = _load_boundaries(self.region if isinstance(self.region, str) else list(self.region),
                                            self.year) if show_map else None
        self.reference = self._run(_reference_settings(self._base))
        self.result = self.reference
        self._dirty = set(range(len(TAB_TITLES)))
        self._integration_targets = None
        self._charts = {}
        self._build_widgets()
        self._render_top()
        self._render_tab(self.tabs.selected_index or 0)

    # -- widgets

    def _build_widgets(self):
        import ipywidgets as w

        s = self._base
        style = {"description_width": "initial"}
        wide = w.Layout(width="95%")
        c = {}
        c["inflow"] = w.Dropdown(options=[("laag", "laag"), ("midden", "midden"), ("hoog", "hoog"),
                                          ("eigen aantal", "eigen")], value=s.inflow,
                                 description="Instroomscenario", style=style, layout=wide)
        c["own_inflow"] = w.BoundedIntText(value=OWN_INFLOW_DEFAULT, min=0, max=200_000, step=500, disabled=True,
                                           description="Eerste asielaanvragen per jaar", style=style, layout=wide)
        c["recognition_rate"] = w.FloatSlider(value=s.recognition_rate, min=0.3, max=1.0, step=0.025,
                                              readout_format=".1%", description="Inwilligingspercentage",
                                              continuous_update=False, style=style, layout=wide)
        c["set_nareizigers"] = w.Checkbox(value=False, description="Nareizigers per referent zelf instellen",
                                          style=style, indent=False, layout=wide)
        c["nareizigers_per_referent"] = w.FloatSlider(value=1.0, min=0.0, max=4.0, step=0.1, disabled=True,
                                                      description="Nareizigers per referent", continuous_update=False,
                                                      style=style, layout=wide)
        c["share_singles_sharing"] = w.FloatSlider(value=s.share_singles_sharing, min=0.0, max=1.0, step=0.05,
                                                   readout_format=".0%", description="Alleenstaanden die delen",
                                                   continuous_update=False, style=style, layout=wide)
        c["final_size_dwellings"] = w.ToggleButtons(
            options=[("voor eindgrootte", True), ("voor huidige grootte", False)],
            value=s.final_size_dwellings, description="Gezinnen met nareizigers",
            style={**style, "button_width": "170px"})
        c["reserve"] = w.FloatSlider(value=s.reserve, min=0.0, max=0.5, step=0.05, readout_format=".0%",
                                     description="Reserve vrije woningen", continuous_update=False, style=style,
                                     layout=wide)
        c["extra_dwellings"] = w.IntSlider(value=0, min=0, max=50, step=1, continuous_update=False,
                                           description="Extra sociale huurwoningen per gemeente", style=style,
                                           layout=wide)
        c["scope"] = w.ToggleButtons(options=[(_scope_key(x), _scope_key(x)) for x in self.scopes],
                                     tooltips=[SCOPE_LABELS.get(_scope_key(x), _scope_key(x)) for x in self.scopes],
                                     value=_scope_key(s.scope), description="Matching",
                                     style={**style, "button_width": "90px"})
        self.controls = c
        for widget in c.values():
            widget.observe(self._on_change, names="value")

        self.status = w.HTML()
        self.headline = w.HTML()
        self.sources = w.HTML()
        self.comparison = w.HTML()
        self.map = w.HTML()
        self.export_status = w.HTML()
        self.export_button = w.Button(description="Exporteer voor de raad", button_style="primary",
                                      layout=w.Layout(width="280px", height="44px"))
        self.export_button.on_click(lambda _: self.export())
        self._views = {i: w.VBox() for i in range(len(TAB_TITLES))}
        self.tabs = w.Tab(children=[self._views[i] for i in range(len(TAB_TITLES))])
        self.tabs.titles = TAB_TITLES
        self.tabs.observe(lambda ch: self._render_tab(ch["new"]), names="selected_index")
        region = self.region if isinstance(self.region, str) else f"{len(self.region)} gemeenten"
        title = w.HTML(CSS + f"<h2>Doorlopende Lijn · collegedag {_esc(region)} ({self.year})</h2>")
        panel = w.VBox([w.HTML("<b>Instellingen</b>"), *c.values(), self.export_button, self.export_status],
                       layout=w.Layout(width="34%", min_width="340px"))
        main = w.VBox([self.headline, self.status, self.comparison, self.sources, self.tabs], layout=w.Layout(width="66%"))
        self.widget = w.VBox([title, w.HBox([panel, main])])
        self.widget.add_class("dl-dash")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # -- settings and computation

    @property
    def settings(self):
        """The :class:`toolkit.scenario.Settings` the controls describe."""
        c = self.controls
        inflow = c["inflow"].value
        return self._base.replace(
            inflow=float(c["own_inflow"].value) if inflow == "eigen" else inflow,
            recognition_rate=round(float(c["recognition_rate"].value), 4),
            nareizigers_per_referent=round(float(c["nareizigers_per_referent"].value), 4)
            if c["set_nareizigers"].value else None,
            share_singles_sharing=round(float(c["share_singles_sharing"].value), 4),
            final_size_dwellings=bool(c["final_size_dwellings"].value),
            reserve=round(float(c["reserve"].value), 4),
            extra_dwellings=int(c["extra_dwellings"].value),
            scope=self._scope_value(c["scope"].value),
        )

    def _scope_value(self, key):
        for x in self.scopes:
            if _scope_key(x) == key:
                return x if isinstance(x, str) else tuple(x)
        return key

    def _run(self, settings):
        from .scenario import run

        if settings in self._cache:
            self._cache.move_to_end(settings)
            return self._cache[settings]
        result = run(settings)
        if self.cache_size > 0:
            self._cache[settings] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    def _on_change(self, change=None):
        c = self.controls
        c["own_inflow"].disabled = c["inflow"].value != "eigen"
        c["nareizigers_per_referent"].disabled = not c["set_nareizigers"].value
        self.update()

    def update(self):
        """Recompute the scenario for the current controls and redraw the headline, table and visible tab.

        Invalid settings show a Dutch message and keep the last figures.

        Returns
        -------
        toolkit.scenario.Result
        """
        try:
            result = self._run(self.settings)
        except (ValidationError, InfeasibleError) as exc:
            self.status.value = (f'<div class="dl-error">Deze instellingen kunnen niet worden doorgerekend: '
                                 f"{_esc(exc)}. De cijfers hieronder horen nog bij de vorige instellingen.</div>")
            return self.result
        self.status.value = ""
        self.result = result
        self._dirty = set(range(len(TAB_TITLES)))
        self._render_top()
        self._render_tab(self.tabs.selected_index or 0)
        return result

    def _render_top(self):
        self.headline.value = headline_html(self.result, self.reference)
        self.sources.value = sources_html(_VIEW_DATASETS["headline"], households=self.result.households)
        self.comparison.value = comparison_html(self.result)

    def _render_tab(self, index):
        if index is None or index not in self._dirty:
            return
        [self._tab_stelling1, self._tab_stelling2, self._tab_stelling3, self._tab_integration][index]()
        self._dirty.discard(index)

    def _chart(self, name, key, make):
        """A chart's PNG (or the map page), redrawn only when the frame it depends on (``key``) changed."""
        old = self._charts.get(name)
        if old is not None and old[0].equals(key):
            return old[1]
        png = make()
        self._charts[name] = (key.copy(), png)
        return png

    def _image(self, png):
        import ipywidgets as w

        return w.Image(value=png, format="png", layout=w.Layout(max_width="900px"))

    def _tab_stelling1(self):
        import ipywidgets as w

        r, h = self.result, self.result.headline
        text = (f"<h3>{_esc(STATEMENTS[0])}</h3>"
                f'<p class="dl-note">Met matching op schaal <b>{_esc(SCOPE_LABELS.get(_scope_key(r.settings.scope)))}</b> '
                f"krijgen <b>{_nl(h['households_housed'])}</b> van de {_nl(h['households'])} huishoudens direct een "
                f"passende woning: <b>{_nl(h['gain_vs_solo'])}</b> meer dan wanneer elke gemeente alleen matcht. "
                "De kaart toont per gemeente de taakstelling en (laag 'Matching') het aandeel dat gehuisvest is.</p>")
        chart = self._chart("scopes", r.comparison, lambda: chart_scopes(r, self.reference))
        children = [w.HTML(text), self._image(chart)]
        if self.show_map:
            key = map_data(self.result).merge(self.result.targets[["code", "target_int"]], on="code", suffixes=("", "_int"))
            self.map.value = self._chart("map", key, self._map_html)
            children.append(self.map)
        extra = ()
        if self._boundaries is not None and self._boundaries.attrs.get("schematic"):
            extra = (("Kaart: schematische gemeentevlakken (geen echte grenzen)", self._boundaries.attrs.get("source", ""),
                      "schatting"),)
        children.append(w.HTML(sources_html(_VIEW_DATASETS["stelling1"], households=r.households, extra=extra)))
        self._views[0].children = children

    def _map_html(self):
        from .export import render_html

        page = render_html(build_map(self.result, boundaries=self._boundaries, basemap=None), council=False,
                           basemap=None)
        return (f'<iframe title="Kaart matching per gemeente" srcdoc="{_esc(page)}" '
                'style="width:100%;height:540px;border:1px solid #ccc"></iframe>')

    def _tab_stelling2(self):
        import ipywidgets as w

        r, ref = self.result, self.reference
        extra = r.settings.extra_dwellings
        added = int(r.supply["added"].sum())
        text = (f"<h3>{_esc(STATEMENTS[1])}</h3>"
                '<p class="dl-note">Verdringing = het deel van de sociale verhuringen in dit halfjaar dat naar '
                "statushouders moet gaan om de taakstelling te halen (toegewezen woningen plus wachtende huishoudens, "
                "gedeeld door de verhuringen: voorraad x mutatiegraad per halfjaar plus de extra woningen; "
                '<span class="dl-status dl-status-schatting">schatting</span>).</p>'
                f'<p class="dl-note">Regio: <b>{_nl(r.headline["displacement"], 1, percent=True)}</b> (referentie '
                f"{_nl(ref.headline['displacement'], 1, percent=True)}). Extra sociale huurwoningen: "
                f"<b>{_nl(extra)}</b> per gemeente, {_nl(added)} in de regio; er wachten dan "
                f"<b>{_nl(r.headline['households_waiting'])}</b> huishoudens (referentie "
                f"{_nl(ref.headline['households_waiting'])}).</p>")
        chart = self._chart("displacement", r.municipalities[["code", "name", "displacement"]],
                            lambda: chart_displacement(r, ref))
        self._views[1].children = [w.HTML(text), self._image(chart),
                                   w.HTML(sources_html(_VIEW_DATASETS["stelling2"], households=r.households))]

    def _tab_stelling3(self):
        import ipywidgets as w

        keys = [_scope_key(x) for x in self.scopes]
        if not {"U10", "U16"} <= set(keys):
            self._views[2].children = [w.HTML(
                f"<h3>{_esc(STATEMENTS[2])}</h3>"
                f'<p class="dl-note">In deze regio ({_esc(self.region)}) kunnen U10 en U16 niet naast elkaar worden '
                "vergeleken: kies regio U16 in de parameters van het notebook.</p>")]
            return
        pair = {}
        for scope in ("U10", "U16"):
            pair[scope] = self.result if _scope_key(self.result.settings.scope) == scope else \
                self._run(self.result.settings.replace(scope=scope))
        text = (f"<h3>{_esc(STATEMENTS[2])}</h3>"
                '<p class="dl-note">Dezelfde instellingen, gematcht binnen de U10 en binnen de U16 '
                "(gemeenten buiten de schaal matchen alleen).</p>")
        self._views[2].children = [w.HTML(text), w.HTML(_scope_table_html(self.result.comparison, ["U10", "U16"])),
                                   self._image(chart_scope_municipalities(pair)),
                                   w.HTML(sources_html(_VIEW_DATASETS["stelling3"], households=self.result.households))]

    def _tab_integration(self):
        import ipywidgets as w

        from . import integration

        targets = self.result.targets
        if self._integration_targets is not None and self._integration_targets.equals(targets):
            return
        tab = integration.dashboard_tab(integration.cohorts_from_targets(targets))
        self._integration_targets = targets
        note = ('<p class="dl-src">Instroom per gemeente: de taakstelling van dit scenario, gelijk verdeeld over de '
                'maanden van het halfjaar. Alle uitkomsten zijn <span class="dl-status dl-status-schatting">schatting'
                "</span> met aannames (zie notebook 05_integratie).</p>")
        self._views[3].children = [tab, w.HTML(note + sources_html(("taakstelling", "population")))]

    # -- export

    def export(self):
        """Write the council map and the scenario summary for the current settings into ``out_dir``.

        Returns
        -------
        dict
            ``{"kaart": Path, "samenvatting": Path}``; the paths are shown under the button.
        """
        try:
            paths = export_for_council(self.result, self.out_dir, reference=self.reference, boundaries=self._boundaries)
        except (ValidationError, OSError) as exc:
            self.export_status.value = f'<div class="dl-error">Exporteren mislukt: {_esc(exc)}</div>'
            return {}
        items = "".join(f"<li>{_esc(k)}: <code>{_esc(p)}</code></li>" for k, p in paths.items())
        self.export_status.value = f'<div class="dl-export">Geschreven:<ul>{items}</ul></div>'
        return paths


def app(*, region="U16", year=2016, out_dir="out/raad", show_map=True):
    """Build the collegedag dashboard; display the returned object (or its ``.widget``) in a notebook.

    Returns
    -------
    Dashboard
    """
    return Dashboard(region=region, year=year, out_dir=out_dir, show_map=show_map)
