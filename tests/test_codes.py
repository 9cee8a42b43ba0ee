"""CBS code normalisation, code_map chains and harmonisation across municipal divisions."""

import numpy as np
import pandas as pd
import pytest

import toolkit.codes
from toolkit import ValidationError, data, normalise_code
from toolkit.codes import code_map, harmonise

# FACTS.md §1: Vijfheerenlanden (GM1961) formed 1-1-2019 from Leerdam, Vianen, Zederik
VIJFHEERENLANDEN_PARTS = {"GM0545", "GM0620", "GM0707"}
# Numbers of municipalities on 1 January, from the CBS releases cited in the registry
# (rd.nl 2016: 388 in 2017; vng.nl: 380 in 2018; blikopnieuws.nl: 355 in 2019, 345 in 2022, 342 in 2023;
# nieuws.nl: 352 in 2021), typed in: not counted from the shipped table.
MUNICIPALITY_COUNTS = {2016: 390, 2017: 388, 2018: 380, 2019: 355, 2020: 355, 2021: 352, 2022: 345, 2023: 342, 2024: 342, 2025: 342}


# ---- normalise_code -------------------------------------------------------


@pytest.mark.parametrize("value", ["344", "GM344", "gm0344", 344, "0344", " GM0344 ", np.int64(344), 344.0, "Gm 344"])
def test_normalise_code_loose_spellings(value):
    assert normalise_code(value) == "GM0344"


@pytest.mark.parametrize("value,expected", [("1961", "GM1961"), (3, "GM0003"), ("nl01", "NL01")])
def test_normalise_code_other_codes(value, expected):
    assert normalise_code(value) == expected


@pytest.mark.parametrize("value", ["GM34567", "abc", 0, "0", "GM0000", None, "", "GM-344", 344.5, True, float("nan"), "PV26"])
def test_normalise_code_rejects(value):
    with pytest.raises(ValueError, match="expected a CBS municipality code"):
        normalise_code(value)


def test_normalise_code_message_shows_the_value():
    with pytest.raises(ValueError, match="'GM34567'"):
        normalise_code("GM34567")


# ---- code_map ------------------------------------------------------------


def test_code_map_2019_merger():
    m = code_map(2019)
    assert {c for c, new in m.items() if new == "GM1961"} == VIJFHEERENLANDEN_PARTS
    assert m["GM0009"] == m["GM0017"] == "GM0014"  # Ten Boer and Haren into Groningen (blikopnieuws.nl)
    assert "GM0457" not in m  # Weesp joined Amsterdam on 24-3-2022


def test_code_map_before_any_merger_is_empty():
    assert code_map(2016) == {}
    assert set(code_map(2017)) == {"GM0844", "GM0846", "GM0860"}  # Meierijstad (rd.nl)


def test_code_map_split_goes_to_the_largest_part():
    # Haaren (2021) went to Boxtel, Oisterwijk, Tilburg and Vught (nieuws.nl): one code cannot say all that
    assert code_map(2021)["GM0788"] in {"GM0757", "GM0824", "GM0855", "GM0865"}


@pytest.mark.parametrize("year", sorted(MUNICIPALITY_COUNTS))
def test_divisions_have_the_published_number_of_municipalities(year):
    from toolkit.regions import municipalities

    codes = municipalities(year)["code"]
    assert codes.is_unique
    assert len(codes) == MUNICIPALITY_COUNTS[year]


def test_merger_chains_are_consistent():
    c = data.load_code_changes()
    mun = data.load_municipalities().set_index("code")
    # every old code ends the day before its change and every new code is alive from then on
    for r in c.itertuples():
        assert mun.loc[r.old_code, "valid_to"] == r.date - pd.Timedelta(days=1), r.old_code
        assert pd.isna(mun.loc[r.new_code, "valid_to"]), r.new_code
        assert pd.isna(mun.loc[r.new_code, "valid_from"]) or mun.loc[r.new_code, "valid_from"] <= r.date, r.new_code
    # one date per old code; a new code is never also dissolved (no chain left half-way)
    assert (c.groupby("old_code")["date"].nunique() == 1).all()
    assert not set(c["new_code"]) & set(c["old_code"])
    # shares: only split municipalities have them, and they add up to 1
    split = c[c["kind"] == "opsplitsing"]
    assert set(split["old_code"]) == {"GM0140", "GM0053", "GM0788"}
    assert split.groupby("old_code")["share"].sum().round(3).eq(1.0).all()
    assert c.loc[c["kind"] != "opsplitsing", "share"].isna().all()
    assert set(split["status"]) == {"schatting"} and split["note"].str.contains("oppervlakteaandeel").all()
    # Haaren's successors as published (nieuws.nl): Boxtel, Oisterwijk, Tilburg, Vught
    assert set(split.loc[split["old_code"] == "GM0788", "new_name"]) == {"Boxtel", "Oisterwijk", "Tilburg", "Vught"}


def test_every_2016_municipality_maps_into_the_2024_division():
    from toolkit.regions import municipalities

    m = code_map(2024)
    codes24 = set(municipalities(2024)["code"])
    assert {m.get(c, c) for c in municipalities(2016)["code"]} == codes24


def test_successors_agree_with_the_real_polygons(shared_geodata):
    # independent check: each 2016 polygon lies mostly inside its successor's 2024 polygon
    import geopandas as gpd

    old = gpd.read_file(shared_geodata / "gemeente_2016_rd.geojson").to_crs(28992)
    new = gpd.read_file(shared_geodata / "gemeente_2024_wgs84.geojson").to_crs(28992)
    old = old.set_index("statcode").geometry
    new = new.set_index("statcode").geometry
    c = data.load_code_changes()
    for r in c[c["kind"] == "samenvoeging"].itertuples():
        share = old[r.old_code].intersection(new[r.new_code]).area / old[r.old_code].area
        # the 2016 polygons are strongly simplified (and small boundary corrections happened): 85 %, not 100 %
        assert share > 0.85, (r.old_code, r.new_code, share)


@pytest.fixture
def chained_changes(monkeypatch):
    """A made-up chain A -> B (2019) -> C (2021) and a separate D -> C (2021)."""
    changes = pd.DataFrame(
        {
            "date": pd.to_datetime(["2019-01-01", "2021-01-01", "2021-01-01"]),
            "old_code": ["GM0001", "GM0002", "GM0004"],
            "old_name": ["A", "B", "D"],
            "new_code": ["GM0002", "GM0003", "GM0003"],
            "new_name": ["B", "C", "C"],
            "kind": ["samenvoeging"] * 3,
            "source": ["test"] * 3,
        }
    )
    monkeypatch.setattr(toolkit.codes, "_changes", lambda: changes.copy())
    return changes


def test_code_map_follows_chains(chained_changes):
    assert code_map(2020) == {"GM0001": "GM0002"}
    assert code_map(2022) == {"GM0001": "GM0003", "GM0002": "GM0003", "GM0004": "GM0003"}


def test_harmonise_follows_chains(chained_changes):
    t = pd.DataFrame({"code": ["GM0001", "GM0002", "GM0004", "GM0009"], "n": [1, 10, 100, 1000]})
    out = harmonise(t, 2022).set_index("code")
    assert out.loc["GM0003", "n"] == 111
    assert out.loc["GM0009", "n"] == 1000
    assert out.loc["GM0003", "harmonised_from"] == "GM0001,GM0002,GM0004"
    mid = harmonise(t, 2020).set_index("code")
    assert mid.loc["GM0002", "n"] == 11
    assert mid.loc["GM0004", "n"] == 100


# ---- harmonise -----------------------------------------------------------


def test_harmonise_2016_to_2019_sums_the_parts():
    # 1-1-2019 counts typed from FACTS.md §1: Vianen 20,457, Leerdam 21,223, Zederik 14,023
    t = pd.DataFrame(
        {
            "code": ["GM0620", "GM0545", "GM0707", "GM0344"],
            "name": ["Vianen", "Leerdam", "Zederik", "Utrecht"],
            "population": [20_457, 21_223, 14_023, 352_795],
        }
    )
    before = t.copy()
    out = harmonise(t, 2019)
    pd.testing.assert_frame_equal(t, before)  # the caller's frame is untouched
    assert list(out.columns) == ["code", "name", "population", "harmonised_from"]
    out = out.set_index("code")
    assert sorted(out.index) == ["GM0344", "GM1961"]
    assert out.loc["GM1961", "population"] == 20_457 + 21_223 + 14_023 == 55_703
    assert out.loc["GM1961", "name"] == "Vijfheerenlanden"
    assert out.loc["GM1961", "harmonised_from"] == "GM0545,GM0620,GM0707"
    assert out.loc["GM0344", "population"] == 352_795
    assert out.loc["GM0344", "name"] == "Utrecht"
    assert out.loc["GM0344", "harmonised_from"] == "GM0344"


def test_harmonise_total_is_preserved():
    rng = np.random.default_rng(1)
    codes = ["GM0620", "GM0545", "GM0707", "GM0344", "GM0355", "GM0312"]
    t = pd.DataFrame({"code": codes, "a": rng.integers(0, 1000, len(codes)), "b": rng.random(len(codes))})
    out = harmonise(t, 2024)
    assert out["a"].sum() == t["a"].sum()
    assert out["b"].sum() == pytest.approx(t["b"].sum())
    assert len(out) == 4


def test_harmonise_spreads_a_split_municipality_by_its_shares():
    # Haaren with 100 (made up) goes to four successors; whole numbers stay whole and add up
    t = pd.DataFrame({"code": ["GM0788", "GM0855"], "n": [100, 1_000], "x": [1.0, 0.0]})
    out = harmonise(t, 2021).set_index("code")
    assert set(out.index) == {"GM0757", "GM0824", "GM0855", "GM0865"}
    assert out["n"].sum() == 1_100 and pdt_is_int(out["n"])
    assert out["x"].sum() == pytest.approx(1.0)
    shares = data.load_code_changes().query("old_code == 'GM0788'").set_index("new_code")["share"]
    for code, share in shares.items():
        assert abs(out.loc[code, "n"] - (1_000 if code == "GM0855" else 0) - 100 * share) < 1, code
    assert out.loc["GM0855", "harmonised_from"] == "GM0788,GM0855"


def pdt_is_int(s):
    return pd.api.types.is_integer_dtype(s)


def test_harmonise_normalises_loose_codes():
    t = pd.DataFrame({"code": ["620", "gm545", 344], "n": [1, 2, 3]})
    out = harmonise(t, 2019).set_index("code")["n"].to_dict()
    assert out == {"GM0344": 3, "GM1961": 3}


def test_harmonise_keeps_periods_apart_with_by():
    t = pd.DataFrame(
        {
            "period": ["2016-II", "2016-II", "2017-I", "2017-I"],
            "code": ["GM0620", "GM0545", "GM0620", "GM0545"],
            "n": [1, 2, 10, 20],
        }
    )
    out = harmonise(t, 2019, by=["period"])
    assert list(out.columns) == ["period", "code", "n", "harmonised_from"]
    assert out.set_index("period")["n"].to_dict() == {"2016-II": 3, "2017-I": 30}


def test_harmonise_to_the_same_division_changes_nothing():
    t = pd.DataFrame({"code": ["GM0620", "GM0344"], "n": [5, 7]})
    out = harmonise(t, 2016)
    assert out.set_index("code")["n"].to_dict() == {"GM0620": 5, "GM0344": 7}
    assert (out["code"] == out["harmonised_from"]).all()


def test_harmonise_only_value_cols_are_summed():
    t = pd.DataFrame({"code": ["GM0620", "GM0545"], "n": [1, 2], "year": [2018, 2018]})
    out = harmonise(t, 2019, value_cols=["n"])
    assert out["n"].item() == 3
    assert out["year"].item() == 2018  # agreeing non-value column kept, not summed to 4036


def test_harmonise_backwards_raises():
    t = pd.DataFrame({"code": ["GM1961", "GM0344"], "n": [61_650, 1]})
    with pytest.raises(ValidationError, match=r"GM1961.*only exist after 1-1-2016.*not supported"):
        harmonise(t, 2016)
    with pytest.raises(ValidationError, match="Harmonise to 2019 or later"):
        harmonise(t, 2018)


def test_harmonise_missing_code_column_raises():
    with pytest.raises(ValidationError, match=r"harmonise: expected a column 'gemeente'.*found columns \['code', 'n'\]"):
        harmonise(pd.DataFrame({"code": ["GM0344"], "n": [1]}), 2019, code_col="gemeente")


def test_harmonise_custom_code_col():
    t = pd.DataFrame({"gemeente": ["GM0620", "GM0707"], "n": [1, 2]})
    assert harmonise(t, 2019, code_col="gemeente")["gemeente"].tolist() == ["GM1961"]


def test_harmonise_malformed_code_is_a_validation_error_naming_row_and_column():
    t = pd.DataFrame({"code": ["GM0344", "abc"], "n": [1, 2]})
    with pytest.raises(ValidationError, match=r"harmonise.*'code'.*'abc'"):
        harmonise(t, 2019)


def test_harmonise_does_not_fill_a_missing_part_with_zero():
    t = pd.DataFrame({"code": ["GM0620", "GM0545", "GM0707"], "population": [20_457.0, np.nan, 14_023.0]})
    out = harmonise(t, 2019)
    assert pd.isna(out["population"].item())
