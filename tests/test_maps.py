"""Tests for toolkit.maps: escaping, layers, privacy, no mutation (formats: test_format.py)."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from toolkit import ValidationError
from toolkit import maps
from toolkit.boundaries import schematic_boundaries

CODES = ["GM0344", "GM0356", "GM0355"]


@pytest.fixture(scope="module")
def bounds():
    return schematic_boundaries(2016, region=CODES)


def small_locations():
    return pd.DataFrame({
        "id": ["x1", "x2"], "name": ["Locatie A", "Locatie B"], "code": ["GM0344", "GM0356"],
        "lat": [52.09, 52.04], "lon": [5.10, 5.09], "capacity": [10, 200], "occupancy": [3, 100],
        "kind": ["azc", "azc"],
        "bewoner_naam": ["Jan Jansen", "Piet Pietersen"], "bsn": ["123456782", "987654321"],
    })


def small_buildings():
    return pd.DataFrame({"id": ["g1"], "name": ["Gebouw"], "code": ["GM0355"], "lat": [52.11], "lon": [5.25],
                         "floor_area_m2": [1000.0], "contactpersoon": ["Klaas Klaassen"]})


def html_of(m):
    return m.get_root().render()


@pytest.mark.parametrize("payload", ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "${alert(1)}", "`);alert(1);//", "a\\`b"])
def test_escape_neutralises(payload):
    out = maps.escape(payload)
    for ch in "<>`$\\":
        assert ch not in out
    import html
    assert html.unescape(out) == payload  # shown as the same plain text


def test_overview_layers_and_footer(bounds):
    m = maps.overzichtskaart(region=CODES, boundaries=bounds, date="2016-10-04", basemap="pdok")
    spec = m._dl_spec
    assert [lay.name for lay in spec.layers] == [
        "Gemeenten: taakstelling 2016-II (schematisch)", "Opvanglocaties (COA)", "Leegstaande rijksgebouwen"]
    assert len(spec.layers[0].gdf) == 3
    text = html_of(m)
    assert "Kadaster" in text and "service.pdok.nl/brt/achtergrondkaart" in text
    assert "4 oktober 2016" in text
    # every dataset shown carries a status label
    assert {s["status"] for s in spec.sources} >= {"schatting", "gepubliceerd"}
    assert all(s["status"] for s in spec.sources)
    assert any("schematisch" in s["title"] for s in spec.sources)
    assert "jquery" not in text.lower() and "bootstrap" not in text.lower() and "font-awesome" not in text.lower()


def test_overview_targets_apportioned(bounds):
    # 2016-II national target 23,000; Utrecht 338,967 of 16,979,120 inhabitants -> 459.17 -> 459 persons
    m = maps.overzichtskaart(region=CODES, boundaries=bounds, date="2016-10-04", locations=False, buildings=False)
    tips = dict(zip(bounds["code"], m._dl_spec.layers[0].gdf["tip"]))
    assert "459 personen" in tips["GM0344"]
    assert "338.967" in tips["GM0344"]  # population, Dutch thousands separator
    assert "niet beschikbaar" in tips["GM0344"]  # realised per municipality is not shipped: never invented


def test_osm_option_and_bad_basemap(bounds):
    m = maps.overzichtskaart(region=CODES, boundaries=bounds, basemap="osm", locations=False, buildings=False)
    assert "tile.openstreetmap.org" in html_of(m)
    with pytest.raises(ValidationError, match="basemap must be one of"):
        maps.overzichtskaart(region=CODES, boundaries=bounds, basemap="google")


def test_inputs_not_mutated_and_extra_columns_dropped(bounds):
    locs, blds, b = small_locations(), small_buildings(), bounds.copy()
    before = (locs.copy(), blds.copy(), b.copy())
    m = maps.capaciteitskaart(region=CODES, boundaries=b, locations=locs, buildings=blds, date="2016-10-04")
    pd.testing.assert_frame_equal(locs, before[0])
    pd.testing.assert_frame_equal(blds, before[1])
    pd.testing.assert_frame_equal(pd.DataFrame(b.drop(columns="geometry")), pd.DataFrame(before[2].drop(columns="geometry")))
    text = html_of(m)
    for secret in ("Jan Jansen", "Pietersen", "123456782", "987654321", "Klaas"):
        assert secret not in text


def test_capacity_tooltips_hand_computed(bounds):
    m = maps.capaciteitskaart(region=CODES, boundaries=bounds, locations=small_locations(), buildings=small_buildings(),
                              m2_per_place=25, m2_per_dwelling=50, date="2016-10-04")
    loc_tips = list(m._dl_spec.layers[1].gdf["tip"])
    assert "50,0 %" in loc_tips[1] and "100" in loc_tips[1]  # 100 of 200 -> 50 %, 100 free
    # mixed groups of 80 (40 + 40): min(100 free, 100 residents) // 40 = 2
    assert "<th>Gemengde groepen van ~80</th><td>2</td>" in loc_tips[1]
    bld_tip = m._dl_spec.layers[2].gdf["tip"].iloc[0]
    assert "<td>40</td>" in bld_tip and "<td>20</td>" in bld_tip  # 1000 m2 / 25 and / 50
    assert "km (" in bld_tip


def test_small_counts_hide_revealing_figures(bounds):
    m = maps.capaciteitskaart(region=CODES, boundaries=bounds, locations=small_locations(), buildings=False,
                              small_counts=True, date="2016-10-04")
    tip = m._dl_spec.layers[1].gdf["tip"].iloc[0]  # 3 residents in 10 places
    assert "&lt;5" in tip
    assert "afgeschermd" in tip  # rate 30 % and 7 free places would reveal the 3
    assert "30,0 %" not in tip and "<td>7</td>" not in tip


def test_add_demand_layer_sums_and_copies(bounds):
    m = maps.overzichtskaart(region=CODES, boundaries=bounds, locations=False, buildings=False, date="2016-10-04")
    steps, n_layers = m._dl_recipe["steps"], len(m._dl_spec.layers)
    demand = pd.DataFrame({"code": ["GM0344", "GM0344", "GM0356"], "size_class": ["1", "3-4", "2"],
                           "households": [10, 7, 2], "period": ["2017", "2017", "2017"], "naam": ["A", "B", "C"]})
    m2 = maps.add_demand_layer(m, demand)
    # the original map is unchanged
    assert m._dl_recipe["steps"] == steps and len(m._dl_spec.layers) == n_layers
    assert "Verwachte vraag" not in html_of(m)
    layer = m2._dl_spec.layers[-1]
    assert layer.name == "Verwachte vraag 2017" and layer.show is False
    tips = dict(zip(bounds["code"], layer.gdf["tip"]))
    assert "<th>Huishoudens (verwacht)</th><td>17</td>" in tips["GM0344"]
    assert "<th>Woninggrootte 3-4</th><td>7</td>" in tips["GM0344"]
    m3 = maps.add_demand_layer(maps.overzichtskaart(region=CODES, boundaries=bounds, small_counts=True, locations=False,
                                                    buildings=False), demand)
    assert "&lt;5" in dict(zip(bounds["code"], m3._dl_spec.layers[-1].gdf["tip"]))["GM0356"]


def test_add_matching_layer_pct(bounds):
    m = maps.overzichtskaart(region=CODES, boundaries=bounds, locations=False, buildings=False)
    match = pd.DataFrame({"code": ["GM0344", "GM0356"], "target": [10, 40], "persons_housed": [5, 50]})
    layer = maps.add_matching_layer(m, match)._dl_spec.layers[-1]
    tips = dict(zip(bounds["code"], layer.gdf["tip"]))
    assert "50,0 %" in tips["GM0344"] and "125,0 %" in tips["GM0356"]
    assert "–" in tips["GM0355"]  # no row: no figure


def test_layers_need_a_toolkit_map():
    import folium
    with pytest.raises(ValidationError, match="not built by toolkit.maps"):
        maps.add_demand_layer(folium.Map(), pd.DataFrame({"code": ["GM0344"], "size_class": ["1"], "households": [1]}))


def test_bad_inputs(bounds):
    with pytest.raises(ValidationError, match=r"demand: missing column\(s\) \['households'\]"):
        maps.add_demand_layer(maps.overzichtskaart(region=CODES, boundaries=bounds, locations=False, buildings=False),
                              pd.DataFrame({"code": ["GM0344"], "size_class": ["1"]}))
    nocrs = gpd.GeoDataFrame({"code": CODES, "name": ["a", "b", "c"]}, geometry=[box(5, 52, 5.1, 52.1)] * 3)
    with pytest.raises(ValidationError, match="has no CRS"):
        maps.overzichtskaart(region=CODES, boundaries=nocrs)
    # RD metres labelled as WGS84
    wrong = gpd.GeoDataFrame({"code": CODES, "name": ["a", "b", "c"]}, geometry=[box(130000, 450000, 131000, 451000)] * 3, crs=4326)
    with pytest.raises(ValidationError, match="outside the Netherlands"):
        maps.overzichtskaart(region=CODES, boundaries=wrong)
    with pytest.raises(ValidationError, match=r"no polygon for \['GM0355'\]"):
        maps.overzichtskaart(region=CODES, boundaries=bounds[bounds["code"] != "GM0355"])


def test_rd_boundaries_accepted(bounds):
    m = maps.overzichtskaart(region=CODES, boundaries=bounds.to_crs(28992), locations=False, buildings=False)
    minx, miny, maxx, maxy = m._dl_spec.layers[0].gdf.total_bounds
    assert 4.5 < minx < maxx < 5.6 and 51.9 < miny < maxy < 52.3


def test_reference_date_filters_locations(bounds):
    locs = small_locations().assign(open_from=["2017-03-01", None], open_to=[None, "2016-12-31"])
    m = maps.overzichtskaart(region=CODES, boundaries=bounds, locations=locs, buildings=False, reference_date="2016-10-04")
    tips = list(m._dl_spec.layers[1].gdf["tip"])
    assert len(tips) == 1 and "Locatie B" in tips[0]
    assert "periode onbekend" not in tips[0] and "december 2016" in tips[0]


def test_points_outside_the_region_left_out(bounds):
    two = ["GM0344", "GM0356"]
    m = maps.capaciteitskaart(region=two, boundaries=bounds[bounds["code"].isin(two)], locations=small_locations(),
                              buildings=small_buildings())  # the building lies in Zeist (GM0355)
    assert len(m._dl_spec.layers[1].gdf) == 2 and len(m._dl_spec.layers[2].gdf) == 0


def test_no_population_no_target_and_says_so():
    # no population is shipped for 1-1-2021
    b = schematic_boundaries(2021, region=["GM0344", "GM1961"])
    m = maps.overzichtskaart(region=["GM0344", "GM1961"], year=2021, boundaries=b, locations=False, buildings=False)
    assert m._dl_spec.layers[0].name == "Gemeenten (schematisch)"
    assert any("niet getoond" in n for n in m._dl_spec.notes)
    assert all("niet beschikbaar" in t for t in m._dl_spec.layers[0].gdf["tip"])


def test_own_targets_with_realised_and_bad_values(bounds):
    t = pd.DataFrame({"code": CODES, "target": [100, 20, 3], "realised": [80, None, 2], "bsn": ["1", "2", "3"]})
    m = maps.overzichtskaart(region=CODES, boundaries=bounds, targets=t, small_counts=True, locations=False, buildings=False)
    tips = dict(zip(bounds["code"], m._dl_spec.layers[0].gdf["tip"]))
    assert "<th>Gerealiseerd</th><td>niet beschikbaar</td>" in tips["GM0356"]
    assert "<th>Gerealiseerd</th><td>&lt;5</td>" in tips["GM0355"]
    # one hidden value and a known total: the smallest other one is hidden too (80 = total - 2 otherwise)
    assert "<th>Gerealiseerd</th><td>afgeschermd</td>" in tips["GM0344"]
    assert ">3 personen<" not in tips["GM0355"] and ">20 personen<" not in tips["GM0356"]
    assert "<td>100 personen</td>" in tips["GM0344"]
    with pytest.raises(ValidationError, match=r"targets: column 'target' must hold numbers.*'veel'"):
        maps.overzichtskaart(region=CODES, boundaries=bounds, targets=t.assign(target=["veel", 1, 2]))


@pytest.mark.parametrize("housed, shown", [(0.6, "&lt;5"), (4.4, "&lt;5"), (4.6, "5"), (0.4, "0")])
def test_matching_layer_hides_counts_that_round_to_1_to_4(bounds, housed, shown):
    m = maps.overzichtskaart(region=CODES, boundaries=bounds, locations=False, buildings=False, small_counts=True)
    match = pd.DataFrame({"code": CODES, "target": [3, 40, 60], "persons_housed": [housed, 30, 50]})
    tips = dict(zip(bounds["code"], maps.add_matching_layer(m, match)._dl_spec.layers[-1].gdf["tip"]))
    assert f"<th>Gehuisvest (matching)</th><td>{shown}</td>" in tips["GM0344"]
    assert "<th>Taakstelling</th><td>&lt;5</td>" in tips["GM0344"]  # a target of 3 is a count of persons too
    assert ">3 personen<" not in " ".join(tips.values())


def start_frame():
    return pd.DataFrame({
        "id": ["a", "b", "c"], "name": ["Vol <b>", "Leeg `${x}` {{7*7}} <img src=x onerror=alert(1)>", "Onbekend"],
        "code": ["GM0344", "GM0355", "GM0356"], "lat": [52.08, 52.11, 52.0], "lon": [5.1, 5.25, 5.17],
        "capacity": [400, 370, 100], "occupancy": [380, 3, None], "occupancy_rate": [0.95, 0.5, None],
        "free_places": [20.0, 185.0, None], "underused": pd.array([False, True, pd.NA], dtype="boolean"),
        "bewoner": ["Jan Jansen", "x", "y"],
    })


def test_start_locations_layer_is_a_map_layer_like_the_others(bounds):
    m = maps.capaciteitskaart(region=CODES, boundaries=bounds, locations=False, buildings=False, small_counts=True)
    m2 = maps.add_start_locations_layer(m, start_frame())
    assert [layer.name for layer in m._dl_spec.layers] == ["Gemeentegrenzen (schematisch)"]  # m not changed
    layer = m2._dl_spec.layers[-1]
    assert layer.name == "Startlocaties integratie" and layer.kind == "points" and len(layer.gdf) == 3
    tips = " ".join(layer.gdf["tip"])
    assert "Jan Jansen" not in tips and "<img" not in tips and "{{" not in tips
    assert "&lt;img src=x onerror=alert(1)&gt;" in tips
    assert "afgeschermd" in tips  # 3 residents: rate and free places would reveal them
    assert layer.gdf["fill"].tolist()[1] == maps.START_COLOURS["onderbenut: ruimte om te starten"]
    assert any(lg.title.startswith("Startlocaties") for lg in m2._dl_spec.legends)


def test_a_layer_added_outside_the_toolkit_is_never_dropped_silently(bounds, tmp_path):
    import folium

    from toolkit import export

    m = maps.capaciteitskaart(region=CODES, boundaries=bounds, locations=False, buildings=False)
    folium.FeatureGroup(name="Mijn eigen laag").add_to(m)
    with pytest.raises(ValidationError, match="Mijn eigen laag.*add_start_locations_layer"):
        export.export_map(m, tmp_path / "k.html")
    with pytest.raises(ValidationError, match="Mijn eigen laag"):
        export.export_static(m, tmp_path / "k.png")
    assert not list(tmp_path.iterdir())
    ok = maps.add_start_locations_layer(maps.capaciteitskaart(region=CODES, boundaries=bounds, locations=False,
                                                              buildings=False), start_frame())
    text = export.export_map(ok, tmp_path / "k.html").read_text(encoding="utf-8")
    assert "Startlocaties integratie" in text

