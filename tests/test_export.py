"""Tests for toolkit.export: self-contained, deterministic, atomic, private, safe in a real browser."""

import html.parser
import json
import os
import re

import numpy as np
import pandas as pd
import pytest

from toolkit import ValidationError
from toolkit import export, maps
from toolkit.boundaries import schematic_boundaries

CODES = ["GM0344", "GM0356", "GM0355"]
PAYLOADS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "${alert(1)}", "`;alert(1);`",
            # Jinja: branca renders macro output again as a template, so these must stay text
            "{{7*7}}", "{% if 1 %}X{% endif %}", "{# c #}", "{{ ''.__class__ }}", "{{ x }} }} {%"]
#: A Jinja payload that would create a file if it ever ran as template source.
RCE = "{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch DL_PWNED') }}"


@pytest.fixture(scope="module")
def bounds():
    return schematic_boundaries(2016, region=CODES)


def locations(name="Locatie A", kind="azc"):
    return pd.DataFrame({
        "id": ["x1", "x2"], "name": [name, "Locatie B"], "code": ["GM0344", "GM0356"],
        "lat": [52.09, 52.04], "lon": [5.10, 5.09], "capacity": [10, 200], "occupancy": [3, 100],
        "kind": [kind, "azc"], "bewoner_naam": ["Jan Jansen", "Piet Pietersen"], "bsn": ["123456782", "987654321"],
    })


def buildings(name="Gebouw"):
    return pd.DataFrame({"id": ["g1"], "name": [name], "code": ["GM0355"], "lat": [52.11], "lon": [5.25],
                         "floor_area_m2": [1000.0], "contactpersoon": ["Klaas Klaassen"]})


def overview(bounds, **kw):
    kw.setdefault("locations", locations())
    kw.setdefault("buildings", buildings())
    return maps.overzichtskaart(region=CODES, boundaries=bounds, date="2016-10-04", **kw)


def test_self_contained_html(bounds, tmp_path):
    path = export.export_map(overview(bounds), tmp_path / "kaart.html", date="2016-10-04")
    text = path.read_text(encoding="utf-8")
    assert 'Leaflet 1.9.4' in text or "1.9.4" in text  # Leaflet inlined
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", text)
    assert "cdn.jsdelivr" not in text and "jquery" not in text.lower() and "bootstrap" not in text.lower()
    assert "Content-Security-Policy" in text
    assert path.stat().st_size < 400_000
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # usual permissions, not mkstemp's 0600


def test_two_exports_byte_identical(bounds, tmp_path):
    a = export.export_map(overview(bounds), tmp_path / "a.html", date="2016-10-04")
    b = export.export_map(overview(bounds), tmp_path / "b.html", date="2016-10-04")
    assert a.read_bytes() == b.read_bytes()
    c = export.export_map(overview(bounds), tmp_path / "c.html", date="2016-10-05")
    assert c.read_bytes() != a.read_bytes()  # the date is really in there


def plain(text):
    """Undo the JSON escapes of <, >, & and ' in the rendered scripts."""
    for code, ch in (("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&"), ("\\u0027", "'")):
        text = text.replace(code, ch)
    return text


def test_privacy_allow_list_and_small_counts(bounds, tmp_path):
    text = plain(export.export_map(overview(bounds), tmp_path / "k.html", date="2016-10-04").read_text(encoding="utf-8"))
    for secret in ("Jan Jansen", "Pietersen", "123456782", "987654321", "Klaas"):
        assert secret not in text
    assert "<td>&lt;5</td>" in text  # the 3 residents shown as <5
    analyst = export.export_map(overview(bounds), tmp_path / "a.html", council=False, date="2016-10-04")
    assert "<td>3</td>" in plain(analyst.read_text(encoding="utf-8"))


def test_atomic_write_leaves_old_file(bounds, tmp_path, monkeypatch):
    target = tmp_path / "kaart.html"
    target.write_text("oud", encoding="utf-8")

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        export.export_map(overview(bounds), target, date="2016-10-04")
    assert target.read_text(encoding="utf-8") == "oud"
    assert [p.name for p in tmp_path.iterdir()] == ["kaart.html"]  # no temp file left


def _hostile_map(payload):
    """Overview map with ``payload`` in every text field that reaches the page."""
    b = schematic_boundaries(2016, region=CODES)
    b.loc[0, "name"] = payload
    locs = locations(name=payload, kind=payload)
    locs.attrs = {"source": payload, "status": "voorbeeld"}
    targets = pd.DataFrame({"code": CODES, "target": [5, 6, 7], "period": [payload] * 3})
    targets.attrs = {"source": payload}
    m = maps.overzichtskaart(region=CODES, boundaries=b, locations=locs, buildings=buildings(payload),
                             targets=targets, title=payload, date="2016-10-04", basemap=None)
    demand = pd.DataFrame({"code": CODES, "size_class": [payload] * 3, "households": [10, 11, 12]})
    demand.attrs = {"source": payload}
    start = pd.DataFrame({"name": [payload], "code": ["GM0344"], "lat": [52.07], "lon": [5.12], "capacity": [50]})
    start.attrs = {"source": payload, "status": "schatting"}
    return maps.add_start_locations_layer(maps.add_demand_layer(m, demand), start)


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if "{" in p] + [RCE])
def test_jinja_in_data_is_never_template_source(tmp_path, monkeypatch, payload):
    monkeypatch.chdir(tmp_path)
    text = export.export_map(_hostile_map(payload), tmp_path / "kaart.html", date="2016-10-04").read_text(encoding="utf-8")
    assert not (tmp_path / "DL_PWNED").exists()
    if "7*7" in payload:
        assert text.count("7*7") >= 5  # title, tooltips, layer names, legend, footer: never evaluated
    for delim in ("{{7", "{% if", "{# c", "{{ x", "{{ self"):
        assert delim not in text


def test_capacity_map_with_jinja_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    b = schematic_boundaries(2016, region=CODES)
    b.loc[1, "name"] = RCE
    m = maps.capaciteitskaart(region=CODES, boundaries=b, locations=locations(name=RCE, kind=RCE),
                              buildings=buildings(RCE), title=RCE, date="2016-10-04", basemap=None)
    text = export.export_map(m, tmp_path / "kaart.html", date="2016-10-04").read_text(encoding="utf-8")
    assert not (tmp_path / "DL_PWNED").exists() and "{{ self" not in text


def test_only_toolkit_maps_exported(tmp_path):
    import folium
    with pytest.raises(ValidationError, match="only maps built by toolkit.maps"):
        export.export_map(folium.Map(), tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_export_does_not_change_the_map(bounds, tmp_path):
    m = maps.overzichtskaart(region=CODES, boundaries=bounds, date="2016-10-04", locations=locations(), buildings=False)
    tip = m._dl_spec.layers[1].gdf["tip"].iloc[0]
    export.export_map(m, tmp_path / "k.html")
    assert m._dl_spec.layers[1].gdf["tip"].iloc[0] == tip and "<td>3</td>" in tip


def test_static_png_and_pdf(bounds, tmp_path):
    import matplotlib.image as mpimg

    files = export.export_static(overview(bounds), tmp_path / "kaart.png", pdf=True, date="2016-10-04", dpi=60)
    assert [f.suffix for f in files] == [".png", ".pdf"]
    assert files[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert files[1].read_bytes()[:5] == b"%PDF-"
    img = mpimg.imread(files[0])
    assert np.std(img[..., :3]) > 0.05  # not blank


def test_static_text_is_plain(bounds, tmp_path):
    # '$' starts matplotlib mathtext; an unbalanced formula from data must neither fail nor render as maths
    payload = "$\\frac{1}{$ en $x^2$"
    b = bounds.copy()
    b.loc[0, "name"] = payload
    m = maps.capaciteitskaart(region=CODES, boundaries=b, locations=locations(name=payload), buildings=buildings(payload),
                              title=payload, date="2016-10-04")
    assert export.export_static(m, tmp_path / "k.png", dpi=50)[0].stat().st_size > 1000


def test_static_image_prints_readably_and_shows_only_what_is_drawn(bounds):
    from matplotlib.text import Text

    m = maps.add_demand_layer(overview(bounds), pd.DataFrame({"code": CODES, "size_class": ["1"] * 3,
                                                              "households": [10, 20, 30]}))  # demand layer is off
    spec = export._spec_for_static(m, True, "2016-10-04")
    fig = export._static_figure(spec, dpi=60)
    fig.canvas.draw()
    hidden = {id(t) for ax in fig.axes if not ax.axison for axis in (ax.xaxis, ax.yaxis) for t in axis.findobj(Text)}
    texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible() and id(t) not in hidden]
    assert min(t.get_fontsize() for t in texts) >= export.MIN_FONT_PT
    everything = "\n".join(t.get_text() for t in texts)
    assert ".csv" not in everything and "geodata/" not in everything
    assert "Verwachte vraag" not in everything  # legend of a layer that is not drawn
    assert "Taakstelling" in everything
    width, height = fig.canvas.get_width_height()
    renderer = fig.canvas.get_renderer()
    for t in texts:  # nothing cut off at the edge ("200 % of meer" was)
        box = t.get_window_extent(renderer)
        assert box.x0 >= -1 and box.x1 <= width + 1, t.get_text()


# ----------------------------------------------------------------- real browser

COUNT_FEATURES = """() => {
  const m = Object.values(window).find(v => v instanceof L.Map);
  let n = 0; m.eachLayer(l => { if (l.feature) n += 1; }); return n;
}"""
OPEN_TOOLTIPS = """() => {
  const m = Object.values(window).find(v => v instanceof L.Map);
  m.eachLayer(l => { if (l.feature && l.getTooltip()) { l.openTooltip(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter()); } });
  return Array.from(document.querySelectorAll('.leaflet-tooltip')).map(e => e.textContent).join('\\n');
}"""


def _load(offline_page, url):
    page, blocked = offline_page()
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_function("() => typeof L !== 'undefined' && document.querySelector('.leaflet-control-layers')")
    return page, blocked, dialogs, errors


@pytest.mark.browser
@pytest.mark.parametrize("builder", ["overzichtskaart", "capaciteitskaart"])
def test_export_renders_offline(offline_page, serve_dir, tmp_path, builder):
    b = schematic_boundaries(2016, region=CODES)
    m = getattr(maps, builder)(region=CODES, boundaries=b, locations=locations(), buildings=buildings(), date="2016-10-04")
    export.export_map(m, tmp_path / "kaart.html", date="2016-10-04", basemap=None)
    page, blocked, dialogs, errors = _load(offline_page, serve_dir(tmp_path) + "kaart.html")
    assert page.evaluate("() => L.version") == "1.9.4"
    assert page.evaluate(COUNT_FEATURES) == 3 + 2 + 1  # municipalities + locations + building
    assert blocked == [] and errors == [] and dialogs == []
    shot = page.screenshot()
    import io

    import matplotlib.image as mpimg
    img = mpimg.imread(io.BytesIO(shot), format="png")
    assert np.std(img[..., :3]) > 0.05
    page.context.close()


@pytest.mark.browser
def test_only_tiles_are_requested_outside(offline_page, serve_dir, tmp_path):
    b = schematic_boundaries(2016, region=CODES)
    export.export_map(overview(b), tmp_path / "kaart.html", date="2016-10-04")  # PDOK basemap kept
    page, blocked, dialogs, errors = _load(offline_page, serve_dir(tmp_path) + "kaart.html")
    assert page.evaluate(COUNT_FEATURES) == 6  # vector layers work although tiles are aborted
    assert blocked and all(u.startswith("https://service.pdok.nl/brt/achtergrondkaart/") for u in blocked)
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("csp", [True, False], ids=["with-csp", "escaping-only"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_shown_as_text(offline_page, serve_dir, tmp_path, payload, csp):
    m = _hostile_map(payload)
    path = export.export_map(m, tmp_path / "kaart.html", date="2016-10-04")
    if not csp:  # prove the escaping on its own, without the Content-Security-Policy safety net
        text, n = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", path.read_text(encoding="utf-8"))
        assert n == 1
        path.write_text(text, encoding="utf-8")
    page, blocked, dialogs, errors = _load(offline_page, serve_dir(tmp_path) + "kaart.html")
    page.evaluate("() => document.querySelector('.dl-footer details').open = true")
    page.evaluate("""() => document.querySelectorAll('.leaflet-control-layers-selector')
                             .forEach(c => { if (!c.checked) c.click(); })""")
    tips = page.evaluate(OPEN_TOOLTIPS)
    page.wait_for_timeout(100)
    assert dialogs == [] and errors == []
    assert page.evaluate("() => document.querySelectorAll('img[src=x], .leaflet-tooltip script, .dl-box script').length") == 0
    assert tips.count(payload) >= 4  # municipality, location name and kind, building, demand size class
    title = page.inner_text(".dl-title h1")
    assert title == payload
    footer = page.inner_text(".dl-footer")
    assert payload in footer
    assert payload in page.inner_text(".leaflet-control-layers")  # layer names (period, size class)
    assert payload in page.inner_text(".dl-legend")
    page.context.close()


# ----------------------------------------------------------------- small counts in every output of the main job

#: Person or household counts, as the tables name them (English) and as the council files label them (Dutch).
#: Written for this test from what each column means, independent of toolkit.export.COUNT_COLUMNS.
COUNT_NAME = re.compile(r"^(target(_int)?|persons(_\w+)?|households(_\w+)?|\w*_waiting|dwellings_(1|2|3-4|5\+|used|needed)"
                        r"|under_occupation|expected_overcrowding|adults_sharing|shared_dwellings|dwellings_saved"
                        r"|short_of_target|over_target|occupancy|realised|backlog)$")
COUNT_LABEL = re.compile(r"taakstelling|gehuisvest|wachten|wachtend|huishoudens|personen|woningen \d|woninggrootte|"
                         r"bezetting$|gerealiseerd|achterstand|^(1|2|3-4|5\+)$", re.I)
NOT_A_COUNT = re.compile(r"%|winst|extra gehuisvest|aandeel|graad|halfjaar", re.I)
SHOWN_1_TO_4 = re.compile(r"^[1-4](\s*(personen|huishoudens))?$")


def _count_label(label):
    label = " ".join(str(label).split())
    return bool(COUNT_LABEL.search(label)) and not NOT_A_COUNT.search(label)


class _Tables(html.parser.HTMLParser):
    """Every table of a page as rows of cell texts (th and td), plus all text."""

    def __init__(self):
        super().__init__()
        self.tables, self.text, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _leaks_in_tables(tables, where):
    """Cells showing 1-4 in a count column (header row) or a count row (label in the first cell)."""
    leaks = []
    for t in tables:
        if not t:
            continue
        head = t[0]
        for r, row in enumerate(t):
            for i, cell in enumerate(row):
                col = head[i] if i < len(head) and r > 0 else ""
                label_value = len(row) == 2 and i == 1 and _count_label(row[0])  # tooltips, key figures
                if SHOWN_1_TO_4.match(cell) and (_count_label(col) or label_value):
                    leaks.append(f"{where}: {row[0]!r} / {col!r} = {cell!r}")
    return leaks


def _leaks_in_html(path):
    text = path.read_text(encoding="utf-8")
    pages = [text]
    # maps: tooltips, legends and controls are JSON strings inside the scripts
    for script in re.findall(r"<script>(.*?)</script>", text, re.S):
        for literal in re.findall(r'"(?:[^"\\]|\\.)*"', script):
            try:
                value = json.loads(literal)
            except ValueError:
                continue
            if "<" in value:
                pages.append(value)
    leaks = []
    for page in pages:
        p = _Tables()
        p.feed(page)
        leaks += _leaks_in_tables(p.tables, path.name)
        for title, lo, hi in re.findall(r"<h2>([^<]*)</h2><div class=\"bar\"[^>]*></div><div class=\"ends\"><span>([^<]*)"
                                        r"</span><span>([^<]*)</span>", page):
            leaks += [f"{path.name}: legend {title!r} = {v!r}" for v in (lo, hi) if _count_label(title) and SHOWN_1_TO_4.match(v)]
    return leaks


def _leaks_in_frame(frame, where):
    leaks = []
    for col in frame.columns:
        if COUNT_NAME.match(str(col)) or _count_label(col):
            for i, v in enumerate(frame[col]):
                if SHOWN_1_TO_4.match(str(v).removesuffix(".0")) or (isinstance(v, float) and 0.5 <= v < 4.5):
                    leaks.append(f"{where}: row {i + 2} / {col!r} = {v!r}")
    return leaks


def test_no_output_of_the_main_job_shows_a_count_from_1_to_4(tmp_path, monkeypatch):
    import openpyxl

    from toolkit.demo import run_demo

    static_specs = []
    real = export._spec_for_static

    def spy(*args, **kwargs):  # records the data text the PNG is drawn from; the drawing itself is real
        spec = real(*args, **kwargs)
        static_specs.append(spec)
        return spec

    monkeypatch.setattr(export, "_spec_for_static", spy)
    with pytest.warns(Warning):  # the schematic map warns that it is schematic
        files = run_demo(tmp_path / "out", date="2016-10-04", progress=None)["files"]
    leaks = []
    kinds = set()
    for path in files:
        kinds.add(path.suffix)
        if path.suffix == ".html":
            leaks += _leaks_in_html(path)
        elif path.suffix == ".csv":
            leaks += _leaks_in_frame(pd.read_csv(path, dtype=str, keep_default_na=False), path.name)
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True)
            for ws in book.worksheets:
                rows = list(ws.iter_rows(values_only=True))
                if rows:
                    frame = pd.DataFrame([list(r) for r in rows[1:]], columns=[str(c) for c in rows[0]])
                    leaks += _leaks_in_frame(frame, f"{path.name}[{ws.title}]")
            book.close()
    assert {".html", ".csv", ".xlsx", ".png"} <= kinds
    assert static_specs, "the PNG step did not run"
    for spec in static_specs:
        for layer in spec.layers:
            for name, rows in layer.table:
                leaks += [f"png table {name!r} / {label!r} = {v!r}" for label, v in rows
                          if _count_label(label) and SHOWN_1_TO_4.match(str(v))]
        for lg in spec.legends:
            leaks += [f"png legend {lg.title!r} = {v!r}" for v in lg.labels if _count_label(lg.title) and SHOWN_1_TO_4.match(str(v))]
    assert leaks == []
    # and the rule was really applied, not avoided: the U16 has small municipalities
    report = (tmp_path / "out" / "rapport.html").read_text(encoding="utf-8")
    assert "&lt;5" in report and "&#39;&lt;5&#39;" in report  # hidden cells and the note that explains them


MAP_SETTLED = """() => {
  const m = Object.values(window).find(v => v instanceof L.Map);
  const r = m.getContainer().getBoundingClientRect(), size = m.getSize();
  const key = [r.width, r.height, size.x, size.y, m.latLngToContainerPoint(m.getCenter()).x, m.getZoom()].join();
  const still = window.__dlLastView === key && size.x === Math.round(r.width) && size.y === Math.round(r.height);
  window.__dlLastView = key;
  return still;
}"""


FIND_SPOT = """([lat, lon]) => {
  const m = Object.values(window).find(v => v instanceof L.Map);
  const p = m.latLngToContainerPoint([lat, lon]);
  const box = m.getContainer().getBoundingClientRect();
  const x = box.left + p.x, y = box.top + p.y;
  const el = document.elementFromPoint(x, y);
  if (!el || el.closest('.leaflet-control') || (el.tagName === 'path' && el.closest('.leaflet-dlpoints-pane'))) return null;
  return [x, y];
}"""


@pytest.mark.browser
def test_every_municipality_tooltip_is_reachable_with_the_mouse_under_the_points(offline_page, serve_dir, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from toolkit.boundaries import schematic_boundaries as sb
    from toolkit.regions import region_codes

    codes = region_codes("U16", 2016)
    b = sb(2016, region=codes)
    m = maps.overzichtskaart(region=codes, boundaries=b, date="2016-10-04", basemap=None)  # shipped locations and buildings
    assert any(layer.kind == "points" and len(layer.gdf) for layer in m._dl_spec.layers)
    export.export_map(m, tmp_path / "kaart.html", date="2016-10-04", basemap=None)
    page, blocked, dialogs, errors = _load(offline_page, serve_dir(tmp_path) + "kaart.html")
    page.set_viewport_size({"width": 1600, "height": 1200})
    page.evaluate("() => document.querySelectorAll('.leaflet-control-container .dl-box').forEach(e => e.style.display = 'none')")
    page.wait_for_function(MAP_SETTLED, polling=250, timeout=10000)  # the resize has been handled and the map is still
    reached = []
    for name, poly in zip(b["name"], b.geometry):
        inner = poly.buffer(-0.002) if not poly.buffer(-0.002).is_empty else poly
        candidates = [inner.representative_point()] + [inner.centroid] + list(
            inner.exterior.interpolate(f, normalized=True) for f in (0.0, 0.25, 0.5, 0.75)) if inner.geom_type == "Polygon" \
            else [inner.representative_point()]
        # Leaflet's canvas renderer handles mouse moves at most every 32 ms: move in steps and wait for the
        # tooltip (a few rounds, so a loaded machine does not lose a move; an unreachable one still fails).
        # The spot is looked up again in each round: on a loaded machine the resize above may still be moving the map.
        for _ in range(3):
            spot = next((s for s in (page.evaluate(FIND_SPOT, [c.y, c.x]) for c in candidates) if s), None)
            assert spot is not None, f"no free spot inside {name}"
            for dx in (-4, -2, 0):
                page.mouse.move(spot[0] + dx, spot[1] + dx)
                page.wait_for_timeout(60)
            try:
                page.wait_for_function("(n) => Array.from(document.querySelectorAll('.leaflet-tooltip'))"
                                       ".some(e => e.textContent.includes(n))", arg=name, timeout=1000)
            except PlaywrightTimeout:
                continue
            reached.append(name)
            break
    assert reached == list(b["name"]), f"reached {len(reached)} of {len(b)}"
    # and the points above the polygons still have their own tooltips
    first = page.evaluate("""() => { const p = document.querySelector('.leaflet-dlpoints-pane path.leaflet-interactive');
                                     const r = p.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }""")
    for dx in (-2, 0):
        page.mouse.move(first[0] + dx, first[1] + dx)
        page.wait_for_timeout(60)
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.leaflet-tooltip'))
                                  .some(e => /Capaciteit|Vloeroppervlak/.test(e.textContent))""", timeout=5000)
    assert errors == [] and dialogs == []
    page.context.close()


def test_council_export_has_the_scenario_box_and_the_matching_layer_on(tmp_path):
    from toolkit.regions import region_codes
    from toolkit.report import Section
    from toolkit.scenario import Settings, run

    result = run(Settings())
    b = schematic_boundaries(2016, region=region_codes("U16", 2016))
    paths = export.write_council_export(result, tmp_path, boundaries=b, prefix="x_", summary=[Section("Kop", "tekst")])
    assert [p.name for p in paths] == ["x_kaart_overzicht.html", "x_kaart_overzicht.png", "x_samenvatting.html"]
    text = plain(paths[0].read_text(encoding="utf-8"))
    assert "dl-scenario" in text and "<th>Halfjaar</th><td>2017-I</td>" in text
    housed = result.headline["households_housed"]
    assert f"{housed} van {result.headline['households']}" in text
    assert "Stand:" not in text  # no "made on" date: the scenario and the data's reference dates
    assert "inwoners 1 januari 2016" in text
    # the matching layer is switched on: its script adds it to the map at load
    assert re.search(r"Matching: % van taakstelling", text)
    assert "Content-Security-Policy" in paths[2].read_text(encoding="utf-8")


def test_static_legend_lists_only_drawn_layers_and_the_categories_they_draw(bounds):
    m = maps.add_demand_layer(overview(bounds), pd.DataFrame({"code": CODES, "size_class": ["1"] * 3,
                                                              "households": [10, 20, 30]}))  # demand layer is off
    spec = export._spec_for_static(m, True, "2016-10-04")
    shown = {lg.title: [label for _, label in items] if lg.kind == "categories" else items
             for lg, items in maps.drawn_legends(spec)}
    assert not any(t.startswith("Verwachte vraag") for t in shown)
    # both fixture locations are under 80 % (3 of 10, 100 of 200): no "bezet" or "overbezet" entry
    assert next(v for t, v in shown.items() if t.startswith("Opvanglocaties")) == ["onderbenut"]
    assert shown["Rijksgebouwen"] == ["rijksgebouw"]  # the one building is a real one, not an example


def test_static_names_are_not_under_the_markers(bounds):
    from matplotlib.collections import PathCollection
    from matplotlib.text import Annotation

    points = bounds.geometry.representative_point()  # a location right on each name
    locs = pd.DataFrame({"id": [f"x{i}" for i in range(3)], "name": ["A", "B", "C"], "code": list(bounds["code"]),
                         "lat": points.y.values, "lon": points.x.values, "capacity": [400, 400, 400],
                         "occupancy": [100, 100, 100], "kind": ["azc"] * 3})
    spec = export._spec_for_static(overview(bounds, locations=locs), True, "2016-10-04")
    fig = export._static_figure(spec, dpi=60)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    names = [t.get_window_extent(renderer) for t in fig.findobj(Annotation) if t.get_text() in set(bounds["name"])]
    assert len(names) == 3
    markers = []
    for coll in fig.findobj(PathCollection):
        for (x, y), s in zip(coll.get_offset_transform().transform(coll.get_offsets()), np.broadcast_to(coll.get_sizes(), len(coll.get_offsets()))):
            half = np.sqrt(s) / 2 * 60 / 72
            markers.append((x - half, y - half, x + half, y + half))
    assert len(markers) >= 3
    for box in names:
        for x0, y0, x1, y1 in markers:
            assert not (box.x0 < x1 and x0 < box.x1 and box.y0 < y1 and y0 < box.y1), (box, (x0, y0, x1, y1))


NAMES_AND_DOTS = """() => {
  const m = Object.values(window).find(v => v instanceof L.Map), c = m.getContainer().getBoundingClientRect();
  const dots = [];
  m.eachLayer(l => { if (l instanceof L.CircleMarker) {
    const p = m.latLngToContainerPoint(l.getLatLng()), r = l.getRadius();
    dots.push({left: c.left + p.x - r, right: c.left + p.x + r, top: c.top + p.y - r, bottom: c.top + p.y + r}); } });
  const names = [...document.querySelectorAll('.dl-label span')].filter(s => getComputedStyle(s).visibility !== 'hidden')
    .map(s => [s.textContent, s.getBoundingClientRect()]);
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  return {names: names.length, dots: dots.length,
          under: names.filter(([, r]) => dots.some(d => hit(r, d))).map(([n]) => n),
          overlap: names.flatMap(([a, ra], i) => names.slice(i + 1).filter(([, rb]) => hit(ra, rb)).map(([b]) => a + '/' + b))};
}"""


@pytest.mark.browser
def test_council_map_names_beside_the_markers_not_under_them(offline_page, serve_dir, tmp_path):
    """A location right on each municipality's name: every name moves beside its marker, none overlap."""
    b = schematic_boundaries(2016, region=CODES)
    points = b.geometry.representative_point()
    locs = pd.DataFrame({"id": ["x1", "x2", "x3"], "name": ["A", "B", "C"], "code": list(b["code"]),
                         "lat": points.y.values, "lon": points.x.values, "capacity": [400] * 3, "occupancy": [100] * 3,
                         "kind": ["azc"] * 3})
    m = maps.overzichtskaart(region=CODES, boundaries=b, locations=locs, buildings=False, date="2016-10-04")
    export.export_map(m, tmp_path / "kaart.html", date="2016-10-04", basemap=None)
    page, blocked, dialogs, errors = _load(offline_page, serve_dir(tmp_path) + "kaart.html")
    # the map has finished fitting itself (no zoom animation running, the same view twice in a row)
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')", polling=100)
    page.wait_for_function(MAP_SETTLED, polling=150)
    found = page.evaluate(NAMES_AND_DOTS)
    assert found["names"] == 3 and found["dots"] == 3
    assert found["under"] == [] and found["overlap"] == []
    assert errors == []
    page.context.close()


def test_every_council_map_carries_the_scenario_half_year_without_a_date(tmp_path, monkeypatch):
    """No date given: no 'made on' day, but the scenario's half-year on the overview and the capacity map."""
    from toolkit.regions import region_codes
    from toolkit.scenario import Settings, run

    result = run(Settings())
    b = schematic_boundaries(2016, region=region_codes("U16", 2016))
    titles = []
    real = export._spec_for_static

    def spy(*args, **kwargs):  # the title and dates the PNG is drawn with; the drawing itself is real
        spec = real(*args, **kwargs)
        titles.append(f"{spec.title} {spec.subtitle}")
        return spec

    monkeypatch.setattr(export, "_spec_for_static", spy)
    paths = export.write_council_export(result, tmp_path, boundaries=b, capacity=True)
    period = result.headline["period"]
    for path in paths:
        if path.suffix == ".html":
            assert period in plain(path.read_text(encoding="utf-8")), path.name
    assert len(titles) == 2 and all(period in t for t in titles), titles
