"""The collegedag dashboard without a browser: controls in, recomputed figures out."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import threading

import pytest

from toolkit import dashboard, scenario
from toolkit.data import load_housing_stock
from toolkit.matching import default_supply_rates

U16_CODES = 16


@pytest.fixture(scope="module")
def boundaries():
    return dashboard._load_boundaries("U16", 2016)


@pytest.fixture
def app(tmp_path):
    return dashboard.Dashboard(region="U16", year=2016, out_dir=tmp_path / "raad", show_map=False)


def _row(result, scope):
    c = result.comparison
    return c[c["scope"].astype(str) == scope].iloc[0]


def _html_children(widget):
    """Every HTML widget inside ``widget``, depth first."""
    import ipywidgets as w

    if isinstance(widget, w.HTML):
        yield widget
    for child in getattr(widget, "children", ()):
        yield from _html_children(child)


def _values(chart):
    """The value labels of an HTML chart, in the order shown, as floats."""
    return [float(v.replace(".", "").replace(",", ".").replace("\u2212", "-").rstrip(" %"))
            for v in re.findall(r'<span class="val">([^<]*)</span>', chart)]


def test_controls_describe_the_settings(app):
    s = app.settings
    assert s == app.reference.settings  # the reference is what the controls start from
    assert (s.region, s.year, s.scope, s.inflow, s.nareizigers_per_referent) == ("U16", 2016, "U16", "midden", None)
    c = app.controls
    c["inflow"].value = "eigen"
    c["own_inflow"].value = 20_000
    c["set_nareizigers"].value = True
    c["nareizigers_per_referent"].value = 1.5
    c["scope"].value = "U10"
    c["extra_dwellings"].value = 7
    s = app.settings
    assert (s.inflow, s.nareizigers_per_referent, s.scope, s.extra_dwellings) == (20_000.0, 1.5, "U10", 7)
    assert not c["own_inflow"].disabled and not c["nareizigers_per_referent"].disabled
    assert app.result.settings == s


def test_readouts_are_dutch_and_follow_the_sliders(app):
    r = app.readouts
    assert r["recognition_rate"].value == "77,5 %"
    assert r["nareizigers_per_referent"].value == "1,0"
    app.controls["recognition_rate"].value = 0.8
    app.controls["reserve"].value = 0.15
    assert (r["recognition_rate"].value, r["reserve"].value) == ("80,0 %", "15 %")
    for c in app.controls.values():  # no slider shows its own (English) readout
        assert getattr(c, "readout", False) is False


def test_u16_never_scores_worse_than_solo(app):
    c = app.controls
    cases = [dict(), dict(reserve=0.2), dict(extra_dwellings=10), dict(inflow="hoog"),
             dict(share_singles_sharing=0.5, inflow="laag"), dict(final_size_dwellings=False)]
    for case in cases:
        for name, value in case.items():
            c[name].value = value
        r = app.result
        assert r.settings == app.settings
        assert _row(r, "U16")["objective"] <= _row(r, "U10")["objective"] <= _row(r, "solo")["objective"], case
        assert _row(r, "U16")["households_housed"] >= _row(r, "solo")["households_housed"], case


def test_pooling_chart_shows_the_gain_against_each_municipality_alone(app):
    app.controls["reserve"].value = 0.1
    app.controls["scope"].value = "U10"
    cur, ref = app.result, app.reference
    chart = app.views[0]["chart"].value
    assert "(U10)" in chart
    expected = []
    for column, sign in (("persons_housed", 1), ("mismatch", -1), ("households_waiting", -1)):
        for r in (ref, cur):  # the reference first, then the current setting
            expected.append(sign * (_row(r, "U10")[column] - _row(r, "solo")[column]))
    assert _values(chart) == pytest.approx(expected)
    # matching solo has no gain against itself: the chart shows the largest scale instead
    app.controls["scope"].value = "solo"
    assert "(U16)" in app.views[0]["chart"].value


def test_a_change_solves_only_the_scopes_its_view_shows(app, monkeypatch):
    # Stelling 1: the headline and the chart compare the chosen U16 with solo; U10 and the baseline rules of
    # the comparison table wait until a view shows them
    solved = []
    real = scenario.solve_scope
    monkeypatch.setattr(scenario, "solve_scope", lambda s, scope, *a, **k: solved.append(scope) or real(s, scope, *a, **k))
    app.controls["reserve"].value = 0.45  # a value nothing solved before
    assert sorted(solved) == ["U16", "solo"]
    assert app.result._comparison is None
    app.tabs.selected_index = 2  # Stelling 3a shows U10 beside U16
    assert sorted(solved) == ["U10", "U16", "solo"]
    assert _row(app.result, "U10")["households_housed"] == app.result.models["U10"].summary_["households_housed"]


def test_scope_control_moves_the_headline_not_the_comparison(app):
    before = app.result.comparison.copy()
    app.controls["scope"].value = "U10"
    assert app.result.comparison.equals(before)  # the same inputs solved for every scope
    h = app.result.headline
    assert h["households_housed"] == _row(app.result, "U10")["households_housed"]
    assert h["gain_vs_solo"] == _row(app.result, "U10")["households_housed"] - _row(app.result, "solo")["households_housed"]
    assert f"{h['households_housed']} van {h['households']}" in app.headline.value
    # the tile shows the first priority, persons housed (a gain in persons with no gain in households shows)
    gain = _row(app.result, "U10")["persons_housed"] - _row(app.result, "solo")["persons_housed"]
    shown = f"+{gain}" if gain > 0 else f"\u2212{-gain}" if gain < 0 else "0"
    assert f'{shown}</div><div class="l">personen meer dan elk apart' in app.headline.value
    assert "samen als U10" in app.title.value


def test_a_larger_reserve_never_lowers_the_waiting_households(app):
    waiting = []
    for reserve in (0.0, 0.1, 0.2, 0.3, 0.5):
        app.controls["reserve"].value = reserve
        assert app.result.settings.reserve == reserve
        waiting.append(app.result.headline["households_waiting"])
    assert waiting == sorted(waiting), waiting
    assert waiting[-1] > waiting[0]  # half the free dwellings in reserve does bite


def test_added_dwellings_add_exactly_to_the_lettings_and_never_raise_displacement(app):
    base = app.result.municipalities.set_index("code")
    app.controls["extra_dwellings"].value = 10
    more = app.result.municipalities.set_index("code")
    # lettings = stock x turnover / 2 (+ added): by hand from the shipped stock
    stock = load_housing_stock().groupby("code")["dwellings"].sum()
    expected = stock.reindex(base.index) * default_supply_rates()["turnover"] / 2
    assert base["lettings"].to_numpy() == pytest.approx(expected.to_numpy())
    assert (more["lettings"] - base["lettings"]).to_numpy() == pytest.approx([10.0] * U16_CODES)
    assert int(app.result.supply["added"].sum()) == 10 * U16_CODES
    assert app.result.headline["displacement"] <= app.reference.headline["displacement"]
    assert app.result.headline["households_waiting"] <= app.reference.headline["households_waiting"]


def test_recognition_rate_and_inflow_move_the_regional_task_the_right_way(app):
    persons = []
    for rate in (0.5, 0.7, 0.9):
        app.controls["recognition_rate"].value = rate
        persons.append(app.result.headline["region_persons"])
    assert persons == sorted(persons) and persons[0] < persons[-1]
    app.controls["recognition_rate"].value = 0.775
    by_scenario = {}
    for name in ("laag", "midden", "hoog"):
        app.controls["inflow"].value = name
        by_scenario[name] = app.result.headline["region_persons"]
    assert by_scenario["laag"] < by_scenario["midden"] < by_scenario["hoog"]
    # the reference is the published 2017-I target of 13,000 persons (FACTS.md §3)
    assert app.reference.headline["national_persons"] == pytest.approx(13_000)


def test_invalid_settings_show_a_dutch_message_and_keep_the_figures(app):
    shown = app.result
    app._base = app._base.replace(period="1999-I")  # no published target for that half year
    app.controls["reserve"].value = 0.1
    assert app.result is shown
    assert "kunnen niet worden doorgerekend" in app.status.value and "1999-I" in app.status.value
    app._base = app._base.replace(period="2017-I")
    app.controls["reserve"].value = 0.2
    assert app.status.value == "" and app.result.settings.reserve == 0.2


def test_headline_has_four_tiles_with_the_reference(app):
    tiles = re.findall(r'<div class="dl-tile">(.*?)</div></div>', app.headline.value)
    assert len(tiles) == 4 and all("referentie" in t for t in tiles)
    numbers = re.findall(r"\d+(?:[.,]\d+)?", re.sub(r"<[^>]+>", " ", app.headline.value))
    assert len(numbers) <= 9  # about eight figures before any view


def test_every_view_has_its_sources_collapsed_with_status_labels(app):
    for i in range(len(dashboard.TAB_TITLES)):
        app.tabs.selected_index = i
        page = " ".join(ch.value for ch in _html_children(app._pages[i]))
        assert '<details class="dl-src"><summary>Bronnen (' in page and "dl-status-" in page, dashboard.TAB_TITLES[i]
    app.tabs.selected_index = 3
    assert "parameter_table()" not in " ".join(ch.value for ch in _html_children(app._pages[3]))


def test_views_are_redrawn_only_when_opened(app):
    app.tabs.selected_index = 1
    chart = app.views[1]["chart"].value
    app.tabs.selected_index = 0
    app.controls["extra_dwellings"].value = 25
    assert app.views[1]["chart"].value == chart  # not yet redrawn
    app.tabs.selected_index = 1
    assert app.views[1]["chart"].value != chart
    assert "<b>25</b> per gemeente" in app.views[1]["text"].value


def test_stelling_2_is_sorted_with_one_label_per_bar(app):
    app.controls["extra_dwellings"].value = 5
    app.tabs.selected_index = 1
    chart = app.views[1]["chart"].value
    values = _values(chart)
    assert len(values) == U16_CODES
    assert values == sorted(values, reverse=True)
    top = app.result.municipalities.sort_values("displacement", ascending=False).iloc[0]
    assert values[0] == pytest.approx(round(100 * top["displacement"], 1))
    assert chart.index(top["name"]) < chart.index('class="val"', chart.index(top["name"]))


def test_stelling_3a_puts_u10_and_u16_on_the_same_axis(app):
    app.controls["reserve"].value = 0.1
    app.tabs.selected_index = 2
    table = app.views[2]["text"].value
    u10, u16 = _row(app.result, "U10"), _row(app.result, "U16")
    diff = int(u16["households_housed"] - u10["households_housed"])
    assert f'<td class="n">{int(u10["households_housed"])}</td><td class="n">{int(u16["households_housed"])}</td>' in table
    assert f"{'+' if diff > 0 else ''}{diff}</td>" in table
    chart = app.views[2]["chart"].value
    assert len(re.findall(r'<span class="dot"', chart)) == 2 * U16_CODES  # U10 and U16 in one row each
    u10_run = scenario.run(app.result.settings.replace(scope="U10")).municipalities.set_index("name")["pct_target"]
    gain = app.result.municipalities.set_index("name")["pct_target"] - u10_run
    names = re.findall(r'<span class="name">([^<]*)</span>', chart)
    assert [gain[n] for n in names] == sorted(gain, reverse=True)


def test_u10_region_says_why_there_is_no_u16_comparison(tmp_path):
    app = dashboard.Dashboard(region="U10", year=2016, out_dir=tmp_path, show_map=False)
    assert [o[1] for o in app.controls["scope"].options] == ["solo", "U10"]
    app.tabs.selected_index = 2
    assert "niet naast elkaar" in app.views[2]["text"].value


def test_integration_view_follows_the_scenario_targets(app):
    app.tabs.selected_index = 3
    view = app.integration
    assert set(view.controls) == set(dashboard.INTEGRATION_CONTROLS)
    before = view.result.value
    app.controls["inflow"].value = "hoog"  # more arrivals: the pilot needs more buddies
    assert app.integration is view and view.result.value != before
    view.controls["buddy_share"].value = 0.5
    assert "Ongeldige invoer" not in view.result.value
    assert "%" in view.result.value and not re.search(r"\b0\.\d", view.result.value)  # Dutch decimals


def test_sweep_changes_one_control_and_is_used(app):
    ref = app.reference.settings
    sweep = app.sweep_settings()
    fields = [f.name for f in dataclasses.fields(ref)]
    for s in sweep:
        changed = [f for f in fields if getattr(s, f) != getattr(ref, f)]
        assert len(changed) == 1, changed
    assert len(sweep) == len(set(sweep))
    assert {s.reserve for s in sweep if s.reserve != ref.reserve} == {round(0.05 * k, 4) for k in range(1, 11)}
    target = next(s for s in sweep if s.reserve == 0.05)
    app.precompute(background=False, settings=[target])
    assert set(app._sweep) == {target}
    app.controls["reserve"].value = 0.05
    assert app.result is app._sweep[target]  # no new solve


def test_the_sweep_takes_the_settings_nearest_the_current_ones_first(app):
    sweep = app.sweep_settings()
    app.controls["extra_dwellings"].value = 7
    assert sweep[dashboard._nearest(sweep, app.settings)] == app.settings  # these very settings first
    rest = [s for s in sweep if s != app.settings]
    nxt = rest[dashboard._nearest(rest, app.settings)]
    assert nxt.extra_dwellings not in (0, 7) and nxt.replace(extra_dwellings=0) == app.reference.settings
    assert nxt == next(s for s in rest if s.extra_dwellings != 0)  # then that control, nearest the reference first


def test_the_sweep_waits_between_stages_while_a_change_is_computed(app):
    import time

    todo = [s for s in app.sweep_settings() if s.reserve in (0.3, 0.35)]
    scenario.clear_cache()  # nothing from other tests: every stage is to be computed
    app._idle.clear()  # as during a change: the sweep starts its first scenario and stops before a stage
    thread = app.precompute(background=True, idle=0, settings=todo)
    end = time.monotonic() + 60
    while app._inflight is None and time.monotonic() < end:
        time.sleep(0.01)
    assert app._inflight in todo
    time.sleep(1.0)
    assert not app._sweep  # still waiting before its first stage to solve
    app._idle.set()  # the change is done: the sweep goes on
    thread.join(timeout=120)
    assert set(app._sweep) == set(todo)
    # in the main thread the pause never waits (a view may solve a scope of a swept result)
    app._idle.clear()
    app._pause()
    app._idle.set()


def test_a_change_to_what_the_sweep_is_solving_waits_for_that_solve(app):
    import time

    target = next(s for s in app.sweep_settings() if s.reserve == 0.2)
    thread = app.precompute(background=True, idle=0, settings=[target])
    end = time.monotonic() + 120
    while app._inflight != target and target not in app._sweep and time.monotonic() < end:
        time.sleep(0.002)
    solving = app._inflight == target
    app.controls["reserve"].value = 0.2
    thread.join(timeout=300)
    assert app.result is app._sweep[target]  # the sweep's result, not a second solve
    assert solving or pytest.skip("the sweep finished before the change could be made")


def test_the_map_page_is_loaded_once_and_restyled(tmp_path, boundaries):
    app = dashboard.Dashboard(region="U16", year=2016, out_dir=tmp_path, show_map=True)
    page = app.map.value
    assert page.startswith('<iframe class="dl-map"') and 'class="dl-map-data"' in app.map_data.value
    def pushed():
        m = re.fullmatch(r'<script type="application/json" class="dl-map-data" data-v="(\d+)">(.*)</script>',
                         app.map_data.value)
        return int(m.group(1)), json.loads(m.group(2))

    v0, first = pushed()
    first_payload = app._payloads[app.reference.settings]
    app.controls["reserve"].value = 0.3
    assert app.map.value == page  # not rebuilt: the ticked layers stay as they are
    v1, now = pushed()
    assert v1 == v0 + 1
    # the matching layer (second) follows the result: its colours are those of a freshly built map
    fresh = dashboard.build_map(app.result, boundaries=app._boundaries)._dl_spec.layers[1].gdf["fill"].tolist()
    assert now["layers"][1]["f"] == fresh != first["layers"][1]["f"]
    app.controls["reserve"].value = app.reference.settings.reserve  # back: the reference's map data is kept
    assert app._payloads[app.reference.settings] == first_payload


def test_map_has_names_no_scale_bar_when_schematic_and_legends_of_drawn_layers(app, boundaries, shared_geodata):
    import geopandas as gpd

    from toolkit import export

    assert boundaries.attrs.get("schematic")
    page = export.render_html(dashboard.build_map(app.result, boundaries=boundaries), council=False, basemap=None)
    for name in boundaries["name"]:
        assert f'"{name}"' in page  # every municipality named, as text
    assert "L.control.scale" not in page
    legends = re.findall(r'class=\\"dl-lg\\" data-layer=\\"(\d)\\"( style=\\"display:none\\")?\\u003e', page)
    assert legends == [("0", ' style=\\"display:none\\"'), ("1", "")]  # taakstelling off, matching on
    real = gpd.read_file(shared_geodata / "gemeente_2016_wgs84.geojson").rename(columns={"statcode": "code",
                                                                                       "statnaam": "name"})
    real = real[real["code"].isin(app.result.municipalities["code"])][["code", "name", "geometry"]]
    assert len(real) == U16_CODES
    assert "L.control.scale" in export.render_html(dashboard.build_map(app.result, boundaries=real), council=False,
                                                   basemap=None)


def test_export_writes_map_and_summary(app):
    app.controls["extra_dwellings"].value = 5
    paths = app.export()
    assert set(paths) == {"kaart", "afbeelding", "samenvatting"}
    for p in paths.values():
        assert p.exists() and p.parent == app.out_dir and p.stat().st_size > 0
        assert str(p.resolve()) in app.export_status.value
    summary = paths["samenvatting"].read_text(encoding="utf-8")
    assert "Bronnen en status van de gegevens" in summary and "schatting" in summary
    assert "Extra sociale huurwoningen per gemeente" in summary and "<script" not in summary
    assert "<html" in paths["kaart"].read_text(encoding="utf-8")[:400]
    again = app.export()  # pressed twice in the same second: nothing is overwritten
    assert set(again.values()).isdisjoint(paths.values()) and all(p.exists() for p in [*paths.values(), *again.values()])


def test_text_from_data_is_escaped_everywhere(app, boundaries, tmp_path):
    evil = '<script>alert("x")</script>{{7*7}}'
    r = app.result
    poisoned = dataclasses.replace(r, municipalities=r.municipalities.assign(name=evil),
                                   households=r.households.copy())
    poisoned.households.attrs["source"] = evil
    b = boundaries.copy()
    b["name"] = evil
    paths = dashboard.export_for_council(poisoned, tmp_path, reference=app.reference, boundaries=b, date="2016-10-04")
    for p in (paths["kaart"], paths["samenvatting"]):
        text = p.read_text(encoding="utf-8")
        assert evil not in text and "alert(" in text  # there, but as text
    assert evil not in dashboard.sources_html(["housing_stock"], households=poisoned.households,
                                              extra=[(evil, evil, "schatting")])
    assert evil not in dashboard.headline_html(poisoned, app.reference)
    for chart in (dashboard.displacement_chart(poisoned, app.reference), dashboard.scales_chart({"U10": poisoned, "U16": poisoned})):
        assert "<script" not in chart and "&lt;script&gt;" in chart
    # the map data: inert JSON whose tooltips are escaped HTML
    payload = dashboard.map_payload(poisoned, boundaries=b)
    assert "<" not in payload and "{{" not in payload
    tips = json.loads(payload)["layers"][1]["t"]
    assert all("&lt;script&gt;" in t and "<script" not in t for t in tips)
    # the map in Stelling 1 sits in an iframe: its whole page must be one escaped attribute value
    holder = dashboard.Dashboard.__new__(dashboard.Dashboard)
    holder.result, holder._boundaries, holder._locations, holder._recipe = poisoned, b, None, None
    holder._recipe_lock = threading.Lock()
    iframe = holder._map_html()
    inner = re.fullmatch(r'<iframe class="dl-map" title="[^"]*" srcdoc="([^"]*)" style="[^"]*"></iframe>', iframe)
    assert inner is not None and "<" not in inner.group(1)


def test_export_rejects_nothing_silently(tmp_path, app):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    app.out_dir = blocker / "raad"
    assert app.export() == {}
    assert "Exporteren mislukt" in app.export_status.value


def _coa_list(folder):
    f = folder / "coa.csv"
    f.write_text("locatie;gemeentecode;peildatum;capaciteit;bezetting\n"
                 "AZC Einsteindreef (Plan Einstein);344;01-06-2016;400;360\n"
                 "Opvang <b>Houten</b>;321;01-03-2016;120;80\nOpvang <b>Houten</b>;321;01-06-2016;120;90\n",
                 encoding="utf-8")
    return f


def test_an_opvang_list_is_the_maps_reception_layer_and_survives_a_change(tmp_path):
    app = dashboard.Dashboard(region="U16", year=2016, out_dir=tmp_path, opvang=_coa_list(tmp_path))
    assert app.status.value == ""
    page = app.map.value
    assert "Opvanglocaties (COA)" in page and "Plan Einstein" in page
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    assert "Opvang \\u0026lt;b\\u0026gt;Houten" in inner and "Opvang <b>" not in inner  # a name from the file is text
    assert "eigen COA-bezettingslijst" in app.views[0]["sources"].value
    assert "midden van de gemeente" in app.views[0]["sources"].value  # Houten has no shipped point

    app.controls["reserve"].value = 0.3
    assert app.map.value == page
    pushed = json.loads(re.search(r">(.*)</script>", app.map_data.value).group(1))
    # the payload keeps the page's layer order (taakstelling, reception, matching), as a fresh map draws it
    fresh = dashboard.build_map(app.result, boundaries=app._boundaries, locations=app._locations)._dl_spec
    assert [layer.name for layer in fresh.layers][1] == "Opvanglocaties (COA)"
    assert [p["f"] for p in pushed["layers"]] == [layer.gdf["fill"].tolist() for layer in fresh.layers]
    assert len(pushed["layers"][1]["f"]) == 2  # the latest date of each location, one point each
    assert 'data-layer="1"' in pushed["legend"]  # the reception legend stays in the restyled legend


def test_an_unreadable_opvang_list_is_named_and_the_map_has_no_reception_layer(tmp_path):
    bad = tmp_path / "coa.csv"
    bad.write_text("locatie;gemeentecode;peildatum;capaciteit;bezetting\nAZC X;344;01-06-2016;100;150\n",
                   encoding="utf-8")  # occupancy above capacity
    app = dashboard.Dashboard(region="U16", year=2016, out_dir=tmp_path, opvang=bad)
    assert "opvanglijst kon niet worden gelezen" in app.status.value and "coa.csv" in app.status.value
    assert "Opvanglocaties (COA)" not in app.map.value
    app.controls["reserve"].value = 0.3  # the message stays while the figures change
    assert "opvanglijst kon niet worden gelezen" in app.status.value
    missing = dashboard.Dashboard(region="U16", year=2016, out_dir=tmp_path, show_map=False, opvang=tmp_path / "nee.csv")
    assert "nee.csv" in missing.status.value


def test_the_council_export_shows_the_opvang_list_instead_of_the_shipped_locations(tmp_path):
    shipped = dashboard.Dashboard(region="U16", year=2016, out_dir=tmp_path / "a", show_map=False).export()
    own = dashboard.Dashboard(region="U16", year=2016, out_dir=tmp_path / "b", show_map=False,
                              opvang=_coa_list(tmp_path)).export()
    shipped_map, own_map = (paths["kaart"].read_text(encoding="utf-8") for paths in (shipped, own))
    assert "Kamp van Zeist" in shipped_map and "Kamp van Zeist" not in own_map
    assert "Plan Einstein" in own_map and "Opvang \\u0026lt;b\\u0026gt;Houten" in own_map


def test_stelling_1_says_which_national_target_is_used_and_why(app):
    app.tabs.selected_index = 0
    note = app.views[0]["sources"].value
    # the dashboard of 2016 works on 2017-I, whose published national target is 13,000 (geodata/taakstelling.csv)
    assert '<div class="dl-note">Gepubliceerde taakstelling 2017-I: 13.000 personen.</div>' in note
    beyond = {"reason": "Voor 2026-I is nog geen taakstelling gepubliceerd. Gekozen: <doortrekken>."}
    assert dashboard.target_note_html(beyond) == ('<div class="dl-note">Voor 2026-I is nog geen taakstelling gepubliceerd. '
                                                  "Gekozen: &lt;doortrekken&gt;.</div>")
