"""Regions as dated lists of codes; municipalities existing in a year.

Expected compositions are typed in from /work/shared/reference/FACTS.md §1, and checked
against the real CBS polygons when those are present (shared_geodata fixture).
"""

import json

import pytest

import pandas as pd

from toolkit import U10, U16, ValidationError, data, municipalities, region_codes
from toolkit.regions import RegionWarning, preset, region_label, region_names

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


@pytest.mark.parametrize("name", ["alle", "all", "NL", "nl", "Nederland", "NL01"])
def test_the_whole_country(name):
    # 390 municipalities on 1-1-2016, 342 in 2024-2026 (SOURCES.md; CBS)
    assert len(region_codes(name, 2016)) == 390
    assert len(set(region_codes(name, 2025))) == 342
    assert U16_2016 <= set(region_codes(name, 2016)) and U16_2019 <= set(region_codes(name, 2024))


# the 26 municipalities of the province of Utrecht in 2024 (SOURCES.md province counts: Utrecht 26)
PROVINCE_COUNTS_2024 = {"PV30": 56, "PV25": 51, "PV28": 50, "PV27": 44, "PV31": 31, "PV26": 26, "PV23": 25,
                        "PV21": 18, "PV29": 13, "PV22": 12, "PV20": 10, "PV24": 6}


@pytest.mark.parametrize("code,count", sorted(PROVINCE_COUNTS_2024.items()))
def test_provinces_2024(code, count):
    assert len(region_codes(code, 2024)) == count


def test_provinces_partition_the_country():
    for year in (2016, 2025):
        members = [c for p in PROVINCE_COUNTS_2024 for c in region_codes(p, year)]
        assert sorted(members) == sorted(region_codes("NL", year))


@pytest.mark.parametrize("spelling", ["PV26", "pv26", "provincie Utrecht", "Provincie utrecht", "Utrecht (provincie)"])
def test_province_spellings(spelling):
    assert region_codes(spelling, 2025) == region_codes("PV26", 2025)


def test_province_of_utrecht_2016_has_vianen_but_not_leerdam():
    # Leerdam and Zederik belonged to Zuid-Holland until Vijfheerenlanden (Utrecht) was formed in 2019
    u16 = set(region_codes("provincie Utrecht", 2016))
    assert "GM0620" in u16 and "GM0545" not in u16 and "GM0707" not in u16
    assert "GM0545" in set(region_codes("provincie Zuid-Holland", 2016))
    assert "GM1961" in set(region_codes("PV26", 2019))
    assert U16_2016 <= u16


def test_friesland_alias():
    assert region_codes("provincie Friesland", 2025) == region_codes("PV21", 2025)


def test_unknown_region_lists_valid_ones():
    with pytest.raises(ValidationError, match=r"Unknown region 'U99'; expected one of \['U10', 'U16'\], 'NL'.*province.*list of CBS codes.*region file"):
        region_codes("U99")


@pytest.mark.parametrize("name,closest", [("U61", "'U16'"), ("provinse Utrecht", "'provincie Utrecht'"), ("Nederlnd", "'Nederland'")])
def test_unknown_region_suggests_the_closest_names(name, closest):
    with pytest.raises(ValidationError, match=rf"Closest: .*{closest}"):
        region_codes(name, 2025)


def test_unknown_province_lists_the_provinces():
    with pytest.raises(ValidationError, match=r"Unknown province 'provincie Holland'.*PV26 Utrecht.*PV31 Limburg"):
        region_codes("provincie Holland", 2025)


def test_codes_of_another_division_are_mapped_with_a_warning():
    with pytest.warns(RegionWarning, match=r"GM0620 \(Vianen\) -> GM1961 \(Vijfheerenlanden\)"):
        assert region_codes(["GM0620", "GM0344"], 2025) == ["GM1961", "GM0344"]
    # two parts of one successor give it once
    with pytest.warns(RegionWarning):
        assert region_codes(["GM0545", "GM0707"], 2025) == ["GM1961"]


def test_codes_that_cannot_be_mapped_are_rejected():
    with pytest.raises(ValidationError, match=r"GM0788 \(Haaren\) was split over Boxtel, Oisterwijk, Tilburg, Vught"):
        region_codes(["GM0788"], 2025)
    with pytest.raises(ValidationError, match=r"GM1961 \(Vijfheerenlanden\) only exists from 01-01-2019; on 1-1-2016 it was GM0545, GM0620, GM0707"):
        region_codes(["GM1961"], 2016)


def test_a_comma_separated_string_and_a_single_code():
    assert region_codes("GM0344, 355", 2025) == ["GM0344", "GM0355"]
    assert region_codes("GM0307", 2025) == ["GM0307"]


def test_region_file(tmp_path):
    from toolkit.io import read_region_file

    f = tmp_path / "eemland.csv"
    f.write_text("regio;gemeentecode\nEemland;GM0307\nEemland;327\n", encoding="utf-8")
    table = read_region_file(f)
    assert region_codes(table, 2025) == ["GM0307", "GM0327"]
    assert region_label(table) == "Eemland"
    # a 2016 code in the file is mapped like any list of codes
    g = tmp_path / "vijf.csv"
    g.write_text("code\nGM0620\n", encoding="utf-8")
    with pytest.warns(RegionWarning):
        assert region_codes(read_region_file(g), 2025) == ["GM1961"]
    assert region_label(read_region_file(g)) == "vijf"
    # a path is refused with the advice (validation happens once, at the boundary, in toolkit.io)
    with pytest.raises(ValidationError, match=r"is a file: read it with toolkit\.io\.read_region_file"):
        region_codes(str(f), 2025)


def test_region_file_errors_name_file_row_and_column(tmp_path):
    from toolkit.io import read_region_file

    f = tmp_path / "regio.csv"
    f.write_text("code\nGM0307\nGM9999\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"(?s)regio\.csv.*'code'.*GM9999.*row 3"):
        read_region_file(f)
    g = tmp_path / "twee.csv"
    g.write_text("regio,code\nA,GM0307\nB,GM0327\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"one region name for the whole file, found \['A', 'B'\]"):
        read_region_file(g)


def test_presets():
    assert preset("collegedag") == {**preset("collegedag"), "region": "U16", "year": 2016, "period": "2017-I"}
    today = preset("vandaag")
    assert today["region"] == "U16"
    assert today["year"] == max(data.population_years())
    # the latest half year in the taakstelling table at run time, not a constant
    periods = data.load_taakstelling()["period"]
    assert today["period"] in set(periods)
    later = [p for p in periods if (int(p[:4]), len(p.split("-")[1])) > (int(today["period"][:4]), len(today["period"].split("-")[1]))]
    assert later == []
    codes = region_codes(today["region"], today["year"])
    assert "GM1961" in codes and "GM0620" not in codes
    with pytest.raises(ValidationError, match="Unknown preset 'morgen'"):
        preset("morgen")


# The U16 of 2016 as listed in ../shared/reference/FACTS.md (section 1, the CBS codes confirmed by
# the CBS 2016 boundary file), typed here so that the check does not go through the shipped tables.
U16_2016_FACTS = {"GM0312", "GM0310", "GM0736", "GM0321", "GM0353", "GM0331", "GM0335", "GM0356", "GM0589",
                  "GM1904", "GM0344", "GM1581", "GM0620", "GM0352", "GM0632", "GM0355"}


def test_preset_of_today_is_the_u16_with_vijfheerenlanden_for_vianen():
    today = preset("vandaag")
    assert today["year"] >= 2024  # the 2024-2026 division
    codes = region_codes(today["region"], today["year"])
    assert len(codes) == len(set(codes)) == 16
    assert set(codes) == (U16_2016_FACTS - {"GM0620"}) | {"GM1961"}
    assert len(U16_2016_FACTS) == 16 and set(region_codes("U16", 2016)) == U16_2016_FACTS


def test_preset_follows_the_taakstelling_table(monkeypatch):
    import toolkit.regions

    real = toolkit.regions.load_table

    def fake(name):
        df = real(name)
        if name == "taakstelling":
            extra = df.iloc[[-1]].assign(period="2031-II")
            df = pd.concat([df, extra], ignore_index=True)
        return df

    monkeypatch.setattr(toolkit.regions, "load_table", fake)
    assert preset("vandaag")["period"] == "2031-II"


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
    assert U16_2016 | {"GM0545", "GM0707"} <= set(m16["code"])
    assert U16_2019 <= set(m19["code"]) and not {"GM0545", "GM0620", "GM0707"} & set(m19["code"])
    assert m19["code"].is_unique and m16["code"].is_unique


def test_municipalities_use_the_points_of_the_division_in_force():
    # Groningen took in Haren and Ten Boer in 2019: its 2024 area is larger than its 2016 area
    g16 = municipalities(2016).set_index("code").loc["GM0014", "area_km2"]
    g24 = municipalities(2024).set_index("code").loc["GM0014", "area_km2"]
    assert g24 > g16 + 50
    # Utrecht 2016: the point of FACTS.md §1; 2025: the point of the 2024 polygons, close by
    row = municipalities(2016).set_index("code").loc["GM0344"]
    assert (row["lat"], row["lon"]) == (52.0818, 5.0986)
    row = municipalities(2025).set_index("code").loc["GM0344"]
    assert abs(row["lat"] - 52.0818) < 0.01 and abs(row["lon"] - 5.0986) < 0.01


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


@pytest.mark.parametrize("year,codes", [(2016, ["GM0344", "GM9999"]), (2016, ["GM1961"])])
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
