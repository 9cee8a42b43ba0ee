"""The collegedag dashboard without a browser: controls in, recomputed figures out."""

from __future__ import annotations

import dataclasses
import re

import pytest

from toolkit import dashboard
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


def test_scope_control_moves_the_highlight_not_the_comparison(app):
    before = app.result.comparison.copy()
    chart = bytes(app._views[0].children[1].value)
    assert re.search(r'<tr class="chosen"><td>U16</td>', app.comparison.value)
    app.controls["scope"].value = "U10"
    assert re.search(r'<tr class="chosen"><td>U10</td>', app.comparison.value)
    assert app.comparison.value.count('class="chosen"') == 1
    assert app.result.comparison.equals(before)  # the same inputs solved for every scope
    h = app.result.headline
    assert h["households_housed"] == _row(app.result, "U10")["households_housed"]
    assert h["gain_vs_solo"] == _row(app.result, "U10")["households_housed"] - _row(app.result, "solo")["households_housed"]
    assert f"{h['households_housed']} van {h['households']}" in app.headline.value
    assert bytes(app._views[0].children[1].value) == chart  # the per-scope chart does not depend on the chosen scope


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


def test_every_tab_shows_sources_and_status_labels(app):
    for i in range(len(dashboard.TAB_TITLES)):
        app.tabs.selected_index = i
        page = " ".join(ch.value for ch in app._views[i].children if isinstance(getattr(ch, "value", None), str))
        assert "Bronnen:" in page and "dl-status-" in page, dashboard.TAB_TITLES[i]
    assert "synthetisch" in app.sources.value and "schatting" in app.sources.value


def test_tabs_are_redrawn_only_when_opened(app):
    app.tabs.selected_index = 1
    chart = app._views[1].children[1].value
    app.tabs.selected_index = 0
    app.controls["extra_dwellings"].value = 25
    assert app._views[1].children[1].value == chart  # not yet redrawn
    app.tabs.selected_index = 1
    assert app._views[1].children[1].value != chart
    assert app._views[1].children[1].value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<b>25</b> per gemeente" in app._views[1].children[0].value


def test_stelling_3a_puts_u10_and_u16_side_by_side(app):
    app.controls["reserve"].value = 0.1
    app.tabs.selected_index = 2
    table = app._views[2].children[1].value
    u10, u16 = _row(app.result, "U10"), _row(app.result, "U16")
    diff = int(u16["households_housed"] - u10["households_housed"])
    assert f'<td class="n">{int(u10["households_housed"])}</td><td class="n">{int(u16["households_housed"])}</td>' in table
    assert f"{'+' if diff > 0 else ''}{diff}</td>" in table
    assert app._views[2].children[2].value[:4] == b"\x89PNG"


def test_u10_region_says_why_there_is_no_u16_comparison(tmp_path):
    app = dashboard.Dashboard(region="U10", year=2016, out_dir=tmp_path, show_map=False)
    assert [o[1] for o in app.controls["scope"].options] == ["solo", "U10"]
    app.tabs.selected_index = 2
    assert "niet naast elkaar" in app._views[2].children[0].value


def test_integration_tab_follows_the_scenario_targets(app):
    app.tabs.selected_index = 3
    tab = app._views[3].children[0]
    assert "buddy_share" in tab.controls
    app.controls["inflow"].value = "hoog"
    assert app._views[3].children[0] is not tab  # rebuilt for the new targets


def test_export_writes_map_and_summary(app):
    app.controls["extra_dwellings"].value = 5
    paths = app.export()
    assert set(paths) == {"kaart", "samenvatting"}
    for p in paths.values():
        assert p.exists() and p.parent == app.out_dir and p.stat().st_size > 0
        assert str(p) in app.export_status.value
    summary = paths["samenvatting"].read_text(encoding="utf-8")
    assert "Bronnen en status van de gegevens" in summary and "schatting" in summary
    assert "Extra sociale huurwoningen per gemeente" in summary and "<script" not in summary
    assert "<html" in paths["kaart"].read_text(encoding="utf-8")[:400]
    again = app.export()  # pressed twice in the same second: nothing is overwritten
    assert set(again.values()).isdisjoint(paths.values()) and all(p.exists() for p in [*paths.values(), *again.values()])


def test_text_from_data_is_escaped_everywhere(app, boundaries, tmp_path):
    evil = '<script>alert("x")</script>'
    r = app.result
    poisoned = dataclasses.replace(r, municipalities=r.municipalities.assign(name=evil),
                                   households=r.households.copy())
    poisoned.households.attrs["source"] = evil
    b = boundaries.copy()
    b["name"] = evil
    paths = dashboard.export_for_council(poisoned, tmp_path, reference=app.reference, boundaries=b, date="2016-10-04")
    for p in paths.values():
        text = p.read_text(encoding="utf-8")
        assert evil not in text and "alert(" in text  # there, but as text
    assert evil not in dashboard.sources_html(["housing_stock"], households=poisoned.households,
                                              extra=[(evil, evil, "schatting")])
    assert evil not in dashboard.headline_html(poisoned, app.reference)
    # the map in Stelling 1 sits in an iframe: its whole page must be one escaped attribute value
    holder = type("Holder", (), {"result": poisoned, "_boundaries": b})()
    iframe = dashboard.Dashboard._map_html(holder)
    inner = re.fullmatch(r'<iframe title="[^"]*" srcdoc="([^"]*)" style="[^"]*"></iframe>', iframe)
    assert inner is not None and "<" not in inner.group(1)


def test_export_rejects_nothing_silently(tmp_path, app):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    app.out_dir = blocker / "raad"
    assert app.export() == {}
    assert "Exporteren mislukt" in app.export_status.value
