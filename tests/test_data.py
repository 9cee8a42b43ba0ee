"""Loaders of the shipped tables: documented columns and types, copies, filters, population."""

import pandas as pd
import pytest
from pandas.api import types as pdt

from toolkit import ValidationError, data, schemas

# (loader, schema, columns that must be integer / float / datetime)
LOADERS = [
    (data.load_municipalities, schemas.MUNICIPALITIES, [], ["lat", "lon", "area_km2"], ["valid_from", "valid_to"]),
    (data.load_population, schemas.POPULATION, ["population"], [], ["reference_date"]),
    (data.load_code_changes, schemas.CODE_CHANGES, [], [], ["date"]),
    (data.load_regions, schemas.REGIONS, [], [], ["valid_from", "valid_to"]),
    (data.load_taakstelling, schemas.TAAKSTELLING, ["target"], [], []),
    (data.load_reception_locations, schemas.RECEPTION_LOCATIONS, ["capacity"], ["lat", "lon"], ["occupancy_date", "open_from", "open_to"]),
    (data.load_state_buildings, schemas.STATE_BUILDINGS, [], ["lat", "lon", "floor_area_m2"], ["available_from"]),
    (data.load_housing_stock, schemas.HOUSING_STOCK, ["dwellings", "reference_year"], [], []),
    (data.load_lettings, schemas.LETTINGS, ["year"], ["share_urgent"], []),
    (data.load_benefit_norms, schemas.BENEFIT_NORMS, [], ["amount_eur_month"], ["date"]),
]


@pytest.mark.parametrize("loader,schema,ints,floats,dates", LOADERS, ids=[l[0].__name__ for l in LOADERS])
def test_loader_columns_and_types(loader, schema, ints, floats, dates):
    df = loader()
    assert list(df.columns) == schema.names
    assert len(df) > 0
    for c in ints:
        assert pdt.is_integer_dtype(df[c]), c
    for c in floats:
        assert pdt.is_float_dtype(df[c]), c
    for c in dates:
        assert pdt.is_datetime64_any_dtype(df[c]), c
    for col in schema.columns:
        if col.kind == "code":
            assert df[col.name].dropna().str.fullmatch(r"GM\d{4}|NL01").all(), col.name
        if col.allowed is not None:
            assert set(df[col.name].dropna()) <= set(col.allowed), col.name
        if not col.nullable:
            assert df[col.name].notna().all(), col.name
    assert df.attrs["dataset"] == schema.name
    assert df.attrs["status"] in schemas.STATUS
    assert df.attrs["source"]


def test_loaders_return_copies():
    a = data.load_population()
    a.loc[:, "population"] = 0
    a.attrs["status"] = "x"
    b = data.load_population()
    assert (b["population"] > 0).all()
    assert b.attrs["status"] == "gepubliceerd"


def test_load_dataset_loose_name_and_errors():
    assert data.load_dataset("Benefit-Norms").attrs["dataset"] == "benefit_norms"
    with pytest.raises(ValidationError, match="Unknown dataset 'benefits'.*Valid names are"):
        data.load_dataset("benefits")


def test_keys_are_unique():
    for loader, schema, *_ in LOADERS:
        df = loader()
        if schema.key:
            assert not df.duplicated(list(schema.key)).any(), schema.name


# ---- load_inflow --------------------------------------------------------


def test_inflow_columns_and_types():
    df = data.load_inflow()
    assert list(df.columns) == schemas.INFLOW.names + ["period_start", "period_end"]
    assert pdt.is_integer_dtype(df["value"])
    assert pdt.is_datetime64_any_dtype(df["period_start"]) and pdt.is_datetime64_any_dtype(df["period_end"])
    assert (df["value"] >= 0).all()
    assert (df["period_start"] <= df["period_end"]).all()


@pytest.mark.parametrize(
    "period,granularity,start,end",
    [
        ("2016-02", "maand", "2016-02-01", "2016-02-29"),  # leap year
        ("2018-02", "maand", "2018-02-01", "2018-02-28"),
        ("2018-Q1", "kwartaal", "2018-01-01", "2018-03-31"),
        ("2024-Q3", "kwartaal", "2024-07-01", "2024-09-30"),
        ("2015", "jaar", "2015-01-01", "2015-12-31"),
    ],
)
def test_inflow_period_bounds_hand_computed(period, granularity, start, end):
    df = data.load_inflow()
    row = df[(df["period"] == period) & (df["granularity"] == granularity)].iloc[0]
    assert row["period_start"] == pd.Timestamp(start)
    assert row["period_end"] == pd.Timestamp(end)


def test_inflow_filters():
    yearly_first = data.load_inflow(series="eerste_aanvragen", granularity="jaar")
    assert set(yearly_first["series"]) == {"eerste_aanvragen"}
    assert set(yearly_first["granularity"]) == {"jaar"}
    assert yearly_first["period"].tolist() == [str(y) for y in range(2014, 2026)]  # sorted by start
    both = data.load_inflow(series=["eerste_aanvragen", "nareizigers"], granularity=["kwartaal"])
    assert set(both["series"]) == {"eerste_aanvragen", "nareizigers"}
    # nareizigers 2025-Q2 was not found: the two series differ by that gap
    assert len(both) == sum(len(data.load_inflow(series=s, granularity="kwartaal")) for s in ("eerste_aanvragen", "nareizigers"))


def test_inflow_is_sorted_within_series():
    df = data.load_inflow()
    for _, g in df.groupby(["series", "granularity"]):
        assert g["period_start"].is_monotonic_increasing


@pytest.mark.parametrize("kw,match", [({"series": "asiel"}, r"series must be among.*\['asiel'\]"),
                                     ({"granularity": ["maand", "week"]}, r"granularity must be among.*\['week'\]")])
def test_inflow_bad_filter(kw, match):
    with pytest.raises(ValidationError, match=match):
        data.load_inflow(**kw)


# ---- municipality_population --------------------------------------------

# FACTS.md §9 (1-1-2016) and §1 (1-1-2019), typed in
POP_2016 = {
    "GM0312": 14_773, "GM0310": 42_375, "GM0736": 42_576, "GM0321": 48_765, "GM0353": 34_101, "GM0331": 14_156,
    "GM0335": 13_783, "GM0356": 61_749, "GM0589": 10_049, "GM1904": 64_061, "GM0344": 338_967, "GM1581": 48_506,
    "GM0620": 19_513, "GM0352": 23_384, "GM0632": 51_161, "GM0355": 62_258,
}


def test_municipality_population_2016_u16():
    p = data.municipality_population(2016, "U16")
    assert list(p.columns) == ["code", "name", "population", "reference_date", "status", "note"]
    assert dict(zip(p["code"], p["population"])) == POP_2016
    assert p["population"].sum() == sum(POP_2016.values()) == 890_177  # summed by hand
    assert (p["reference_date"] == pd.Timestamp("2016-01-01")).all()
    assert set(p["status"]) == {"gepubliceerd"}
    assert pdt.is_integer_dtype(p["population"])


def test_municipality_population_2019_sums_vijfheerenlanden_and_marks_it():
    p = data.municipality_population(2019, "U16").set_index("code")
    # Vianen 20,457 + Leerdam 21,223 + Zederik 14,023 on 1-1-2019 (FACTS.md §1)
    assert p.loc["GM1961", "population"] == 55_703
    assert p.loc["GM1961", "status"] == "schatting"
    assert "GM0545" in p.loc["GM1961", "note"] and "GM0707" in p.loc["GM1961", "note"]
    assert p.loc["GM0344", "population"] == 352_795
    assert p.loc["GM0344", "status"] == "gepubliceerd"
    assert "GM0620" not in p.index


def test_municipality_population_code_list():
    p = data.municipality_population(2016, ["344", "GM0620"])
    assert p["population"].tolist() == [338_967, 19_513]


def test_municipality_population_no_counts_for_the_year():
    with pytest.raises(ValidationError, match=r"no counts for 1-1-2017; available dates: \['2016-01-01', '2019-01-01', '2024-01-01'\]"):
        data.municipality_population(2017)


def test_municipality_population_missing_counts_are_not_filled():
    # for 1-1-2024 only Vijfheerenlanden is shipped: the others must not be invented
    with pytest.raises(ValidationError, match=r"no population on 1-1-2024 for \['GM0312'"):
        data.municipality_population(2024, "U16")
    p = data.municipality_population(2024, ["GM1961"])
    assert p["population"].item() == 61_650


def test_municipality_population_unknown_code():
    with pytest.raises(ValidationError, match=r"unknown municipality codes for 2016: \['GM1961'\]"):
        data.municipality_population(2016, ["GM0344", "GM1961"])
