"""Tests for toolkit.capacity: hand-computed cases and bad input."""

import warnings

import pandas as pd
import pytest

from toolkit import ValidationError
from toolkit import capacity

CODES = {"GM0344", "GM0356"}
CENTRES = pd.DataFrame({"code": ["GM0344", "GM0356"], "name": ["Utrecht", "Nieuwegein"],
                        "lat": [52.0818, 52.0409], "lon": [5.0986, 5.0968]})


def locations(**over):
    df = pd.DataFrame({
        "id": ["a", "b", "c"],
        "name": ["Een", "Twee", "Drie"],
        "code": ["GM0344", "344", "GM0356"],
        "lat": [52.0818, 52.09, 52.0409],
        "lon": [5.0986, 5.10, 5.0968],
        "capacity": [100, 400, 250],
        "occupancy": [50, 360, None],
    })
    for k, v in over.items():
        df[k] = v
    return df


def test_reception_hand_computed():
    df = locations()
    before = df.copy()
    r = capacity.reception_capacity(df, known_codes=CODES, centres=CENTRES)
    pd.testing.assert_frame_equal(df, before)  # caller's frame untouched
    assert r["occupancy_rate"].iloc[0] == pytest.approx(0.5)
    assert r["occupancy_rate"].iloc[1] == pytest.approx(0.9)
    assert r["free_places"].iloc[:2].tolist() == [50, 40]
    assert r["underused"].iloc[:2].tolist() == [True, False]
    # mixed groups of 80 = 40 residents + 40 others: min(50, 50) // 40 = 1, min(40, 360) // 40 = 1
    assert r["mix_groups"].iloc[:2].tolist() == [1, 1]
    assert r["code"].iloc[1] == "GM0344"


def test_unknown_occupancy_is_not_zero():
    r = capacity.reception_capacity(locations(), known_codes=CODES, centres=CENTRES)
    row = r.iloc[2]
    assert row["occupancy_status"] == "bezetting onbekend"
    assert pd.isna(row["free_places"]) and pd.isna(row["occupancy_rate"])
    assert row["underused"] is pd.NA and row["mix_groups"] is pd.NA


def test_threshold_parameter():
    r = capacity.reception_capacity(locations(), threshold=0.95, known_codes=CODES, centres=CENTRES)
    assert r["underused"].iloc[:2].tolist() == [True, True]


def test_distance_to_nearest_centre():
    r = capacity.reception_capacity(locations(), known_codes=CODES, centres=CENTRES)
    assert r["nearest_centre_code"].tolist() == ["GM0344", "GM0344", "GM0356"]
    assert r["distance_km"].iloc[0] == pytest.approx(0, abs=1e-9)
    # 0.0082 deg latitude ~ 0.912 km; 0.0014 deg longitude at 52 deg ~ 0.096 km
    assert r["distance_km"].iloc[1] == pytest.approx(0.917, abs=0.01)


def test_occupancy_above_capacity_warns_naming_row():
    df = locations(occupancy=[120, 10, 0])
    with pytest.warns(UserWarning, match=r"row 2 \(id 'a'\): occupancy 120 is above capacity 100"):
        r = capacity.reception_capacity(df, known_codes=CODES, centres=CENTRES)
    assert r["free_places"].iloc[0] == 0 and bool(r["overfull"].iloc[0])


@pytest.mark.parametrize(
    "lat, lon, message",
    [
        (5.0986, 52.0818, r"row 3: lat=5.0986, lon=52.0818 look swapped"),
        (455000.0, 136000.0, r"row 3: .*look like RD New metres"),
        (136000.0, 455000.0, r"row 3: .*look like RD New metres"),
        (48.85, 2.35, r"row 3: .*outside the Netherlands"),
        (None, 5.1, r"row 3: missing or non-numeric coordinates"),
    ],
)
def test_bad_coordinates_name_the_row(lat, lon, message):
    df = locations()
    df["lat"] = df["lat"].astype(object)
    df.loc[1, "lat"] = lat
    df.loc[1, "lon"] = lon
    with pytest.raises(ValidationError, match=message):
        capacity.reception_capacity(df, known_codes=CODES, centres=CENTRES)


def test_rd_new_input_converted_and_degrees_as_rd_rejected():
    # RD New origin point, OLV tower Amersfoort: (155 000, 463 000) = 52 deg 09' 22.178" N, 5 deg 23' 15.500" E
    rd = pd.DataFrame({"id": ["d"], "name": ["Toren"], "code": ["GM0344"], "x": [155000.0], "y": [463000.0], "capacity": [10]})
    r = capacity.reception_capacity(rd, crs="EPSG:28992", known_codes=CODES, centres=CENTRES)
    assert r["lat"].iloc[0] == pytest.approx(52 + 9 / 60 + 22.178 / 3600, abs=0.002)  # Bessel vs WGS84 datum: ~100 m
    assert r["lon"].iloc[0] == pytest.approx(5 + 23 / 60 + 15.5 / 3600, abs=0.002)
    deg = rd.assign(x=[52.09], y=[5.12])
    with pytest.raises(ValidationError, match=r"row 2: .*look like WGS84 degrees"):
        capacity.reception_capacity(deg, crs="EPSG:28992", known_codes=CODES, centres=CENTRES)


def test_unknown_code_and_negative_capacity_reported():
    df = locations(code=["GM0344", "GM9999", "GM0356"])
    with pytest.raises(ValidationError, match=r"unknown municipality code 'GM9999' in row 3"):
        capacity.reception_capacity(df, known_codes=CODES, centres=CENTRES)
    with pytest.raises(ValidationError, match=r"'capacity': expected a value of at least 0"):
        capacity.reception_capacity(locations(capacity=[100, -1, 5]), known_codes=CODES, centres=CENTRES)


def test_date_filters_open_locations():
    df = locations(open_from=["2016-01-01", None, "2018-01-01"], open_to=[None, "2016-12-31", None])
    r = capacity.reception_capacity(df, date="2017-06-01", known_codes=CODES, centres=CENTRES)
    assert r["id"].tolist() == ["a"]


def test_shipped_locations_keep_unknowns_flagged():
    r = capacity.reception_capacity()
    assert set(r["occupancy_status"]) == {"bekend", "bezetting onbekend"}
    assert r.loc[r["occupancy_status"] == "bezetting onbekend", "free_places"].isna().all()
    assert r.attrs["status"] == "gepubliceerd"


def buildings(**over):
    df = pd.DataFrame({
        "id": ["k", "l"], "name": ["Kantoor", "Kazerne"], "code": ["GM0356", "GM0344"],
        "lat": [52.035, 52.09], "lon": [5.09, 5.12], "floor_area_m2": [1000.0, None],
        "available_from": ["2017-01-01", None],
    })
    for k, v in over.items():
        df[k] = v
    return df


def test_building_estimates_hand_computed():
    b = capacity.building_capacity(buildings(), m2_per_place=25, m2_per_dwelling=60, date="2016-06-01",
                                   known_codes=CODES, centres=CENTRES)
    assert b["est_places"].iloc[0] == 40  # 1000 / 25
    assert b["est_dwellings"].iloc[0] == 16  # floor(1000 / 60)
    assert b["est_places"].iloc[1] is pd.NA
    assert b["area_status"].tolist() == ["bekend", "vloeroppervlak onbekend"]
    assert b["available"].iloc[0] is False or b["available"].iloc[0] == False  # noqa: E712
    later = capacity.building_capacity(buildings(), date="2017-01-01", known_codes=CODES, centres=CENTRES)
    assert bool(later["available"].iloc[0]) is True


def test_negative_floor_area_and_bad_parameters():
    with pytest.raises(ValidationError, match=r"'floor_area_m2': expected a value of at least 0, found .*-5\.0\)? in row 3"):
        capacity.building_capacity(buildings(floor_area_m2=[100.0, -5.0]), known_codes=CODES, centres=CENTRES)
    with pytest.raises(ValidationError, match="m2_per_place must be a positive number"):
        capacity.building_capacity(buildings(), m2_per_place=0, known_codes=CODES, centres=CENTRES)


def test_no_warning_for_clean_shipped_data():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        capacity.building_capacity()
        capacity.reception_capacity()


def test_all_problems_reported_at_once():
    df = locations(code=["GM0344", "GM9999", "GM0356"])
    df.loc[0, "lat"], df.loc[0, "lon"] = 5.0986, 52.0818
    with pytest.raises(ValidationError, match=r"2 problem\(s\)") as info:
        capacity.reception_capacity(df, known_codes=CODES, centres=CENTRES)
    assert any("row 2" in p and "swapped" in p for p in info.value.problems)
    assert any("GM9999" in p for p in info.value.problems)


# ---- boundaries, bounds and file names (issue 10 mutant, issue 11) ---------


def test_underused_is_strictly_below_the_threshold():
    # by hand: 80 / 100 = 0.8 is exactly the threshold, so not under-used; 79 / 100 = 0.79 is below it.
    df = locations(capacity=[100, 100, 100], occupancy=[80, 79, 81])
    r = capacity.reception_capacity(df, threshold=0.8, known_codes=CODES, centres=CENTRES)
    assert r["underused"].tolist() == [False, True, False]


@pytest.mark.parametrize("area", [float("inf"), 1e300, 2_000_000.0])
def test_infinite_or_huge_floor_area_is_rejected_not_a_crash(area):
    with pytest.raises(ValidationError, match=r"'floor_area_m2': expected a (finite number|value of at most 1e\+06)"):
        capacity.building_capacity(buildings(floor_area_m2=[area, None]), known_codes=CODES, centres=CENTRES)


def test_largest_floor_area_allowed_is_computed():
    b = capacity.building_capacity(buildings(floor_area_m2=[1_000_000.0, None]), known_codes=CODES, centres=CENTRES)
    assert b["est_places"].iloc[0] == 40_000  # 1,000,000 / 25
    assert b["est_dwellings"].iloc[0] == 16_666  # floor(1,000,000 / 60)


def test_capacity_above_the_stated_maximum_is_rejected():
    with pytest.raises(ValidationError, match=r"'capacity': expected a value of at most 10000, found 99999 in row 3"):
        capacity.reception_capacity(locations(capacity=[100, 99999, 5]), known_codes=CODES, centres=CENTRES)


def test_messages_name_the_file_and_spreadsheet_rows():
    df = locations(capacity=[100, -1, 5])
    df.attrs["source"] = "azc.csv"
    with pytest.raises(ValidationError, match=r"(?s)^azc\.csv \(reception locations\): .*found -1 in row 3"):
        capacity.reception_capacity(df, known_codes=CODES, centres=CENTRES)
