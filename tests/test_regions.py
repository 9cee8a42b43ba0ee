"""Regions as dated lists of codes; municipalities existing in a year.

Expected compositions are typed in from /work/shared/reference/FACTS.md §1, and checked
against the real CBS polygons when those are present (shared_geodata fixture).
"""

import json

import pytest

from toolkit import U10, U16, ValidationError, municipalities, region_codes
from toolkit.regions import region_names

# FACTS.md §1
U10_2016 = {"GM0312", "GM0310", "GM0321", "GM0353", "GM0356", "GM1904", "GM0344", "GM0620", "GM0632", "GM0355"}
U16_EXTRA = {"GM0736", "GM0331", "GM0335", "GM0589", "GM1581", "GM0352"}
U16_2016 = U10_2016 | U16_EXTRA
# the 2019 list names Vijfheerenlanden in Vianen's place
U16_2019 = (U16_2016 - {"GM0620"}) | {"GM1961"}
# by 2023 the U10 had 12 members: + Utrechtse Heuvelrug, Wijk bij Duurstede; Vijfheerenlanden for Vianen
U10_2023 = (U10_2016 - {"GM0620"}) | {"GM1961", "GM1581", "GM0352"}


def test_constants():
    assert (U10, U16) == ("U10", "U16")
    assert region_names() == ["U10", "U16"]


def test_u16_2016_is_the_sixteen_codes_with_vianen():
    codes = region_codes("U16", 2016)
    assert len(codes) == 16 == len(set(codes))
    assert set(codes) == U16_2016
    assert "GM0620" in codes and "GM1961" not in codes


@pytest.mark.parametrize("year", [2019, 2024])
def test_u16_after_the_merger(year):
    codes = region_codes("U16", year)
    assert set(codes) == U16_2019
    assert "GM1961" in codes and "GM0620" not in codes
    # 15 of the 2016 members survive; Vijfheerenlanden is the 16th
    assert len(set(codes) & U16_2016) == 15
    assert len(codes) == 16


def test_u10_2016_has_ten_codes():
    codes = region_codes("U10", 2016)
    assert len(codes) == 10
    assert set(codes) == U10_2016


def test_u10_2023_has_twelve_codes():
    assert set(region_codes("U10", 2023)) == U10_2023
    assert len(region_codes("U10", 2024)) == 12


@pytest.mark.parametrize("year", [2019, 2020, 2022])
def test_u10_gap_is_not_filled(year):
    # U10 membership 2019-2022 was not found (registry derivation): no invented composition
    with pytest.raises(ValidationError, match=rf"No known composition of U10 on 1-1-{year}.*pass a list of codes"):
        region_codes("U10", year)


def test_region_name_is_case_insensitive():
    assert region_codes(" u16 ", 2016) == region_codes("U16", 2016)


def test_alle_gives_every_shipped_municipality_of_the_year():
    assert set(region_codes("alle", 2016)) == U16_2016 | {"GM0545", "GM0707"}
    assert set(region_codes("all", 2019)) == U16_2019


def test_unknown_region_lists_valid_ones():
    with pytest.raises(ValidationError, match=r"Unknown region 'U99'; expected one of \['U10', 'U16'\]"):
        region_codes("U99")


def test_code_list_is_normalised_and_ordered():
    assert region_codes(["344", "gm0355", 312]) == ["GM0344", "GM0355", "GM0312"]


@pytest.mark.parametrize(
    "bad,match",
    [
        (["GM0344", "abc"], r"expected CBS municipality codes.*'abc'"),
        (["344", "GM0344"], r"more than once: \['GM0344'\]"),
        ([], "non-empty list"),
        (None, "non-empty list"),
    ],
)
def test_bad_code_lists(bad, match):
    with pytest.raises(ValidationError, match=match):
        region_codes(bad)


# ---- municipalities ------------------------------------------------------


def test_municipalities_2016_and_2019():
    m16 = municipalities(2016)
    m19 = municipalities(2019)
    # 2016: the U16 plus Leerdam and Zederik (shipped for the merger)
    assert set(m16["code"]) == U16_2016 | {"GM0545", "GM0707"}
    assert set(m19["code"]) == U16_2019
    assert m19["code"].is_unique and m16["code"].is_unique


def test_last_day_before_the_merger_still_has_vianen():
    # Vianen's last day is 31-12-2018, so it exists on 1-1-2018 but not on 1-1-2019
    assert "GM0620" in set(municipalities(2018)["code"])
    assert "GM1961" not in set(municipalities(2018)["code"])


def test_municipalities_of_a_region_keep_region_order_and_columns():
    m = municipalities(2016, "U16")
    assert m["code"].tolist() == region_codes("U16", 2016)
    assert list(m.columns) == ["code", "name", "province", "valid_from", "valid_to", "lat", "lon", "area_km2", "point_status"]
    assert m.set_index("code").loc["GM0344", "name"] == "Utrecht"


def test_municipalities_of_a_code_list():
    m = municipalities(2019, ["GM1961", "344"])
    assert m["name"].tolist() == ["Vijfheerenlanden", "Utrecht"]


@pytest.mark.parametrize("year,codes", [(2016, ["GM0344", "GM9999"]), (2016, ["GM1961"]), (2024, ["GM0620"])])
def test_municipalities_unknown_code_is_a_validation_error(year, codes):
    with pytest.raises(ValidationError, match=rf"{codes[-1]}.*{year}"):
        municipalities(year, codes)


# ---- against the real CBS polygons (../shared, via the fixture) ---------


def _statcodes(path):
    return {f["properties"]["statcode"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]}


def test_compositions_exist_in_the_real_polygons(shared_geodata):
    codes16 = _statcodes(shared_geodata / "gemeente_2016_wgs84.geojson")
    codes24 = _statcodes(shared_geodata / "gemeente_2024_wgs84.geojson")
    assert set(region_codes("U16", 2016)) <= codes16
    assert set(region_codes("U16", 2024)) <= codes24
    assert "GM0620" not in codes24 and {"GM0545", "GM0707"}.isdisjoint(codes24)
    # every shipped municipality existing in the year has a polygon of that year
    assert set(municipalities(2016)["code"]) <= codes16
    assert set(municipalities(2024)["code"]) <= codes24
