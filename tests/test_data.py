"""Loaders of the shipped tables: documented columns and types, copies, filters, population."""

import pandas as pd
import pytest
from pandas.api import types as pdt

from toolkit import ValidationError, data, schemas
from toolkit.regions import region_codes

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
    # one line: the dataset, the file to supply and the command that fetches it
    with pytest.raises(ValidationError) as err:
        data.municipality_population(2017)
    msg = str(err.value)
    assert "\n" not in msg
    assert "bevolking per gemeente op 1-1-2017" in msg
    assert "beschikbaar: 2016, 2019, 2024, 2025" in msg
    assert "doorlopende-lijn data importeren population" in msg
    assert "doorlopende-lijn data bijwerken --jaar 2017" in msg


def test_municipality_population_missing_counts_are_not_filled():
    # for 1-1-2019 only the U16 (and Vijfheerenlanden's parts) are shipped: the rest must not be invented
    with pytest.raises(ValidationError, match=r"no population on 1-1-2019 for GM0003, GM0010, GM0014.* and 331 more\. Geen bevolking"):
        data.municipality_population(2019, "NL")
    # FACTS.md §1 gives 61,650 (Staat van Utrecht); the shipped national table has CBS's provisional KWB count
    p = data.municipality_population(2024, ["GM1961"])
    assert p["population"].item() == 61_669


def test_municipality_population_unknown_code():
    with pytest.raises(ValidationError, match=r"GM1961 \(Vijfheerenlanden\) only exists from 01-01-2019"):
        data.municipality_population(2016, ["GM0344", "GM1961"])
    with pytest.raises(ValidationError, match=r"unknown municipality codes for 2016: \['GM9999'\]"):
        data.municipality_population(2016, ["GM0344", "GM9999"])


# ---- the whole country, by year -------------------------------------------

# CBS totals typed from /work/shared/reference/national/SOURCES.md (not summed from the shipped file)
NL_TOTAL = {2016: 16_979_120, 2024: 17_942_942, 2025: 18_044_027}
UTRECHT_PROVINCE = {2024: 1_400_057, 2025: 1_409_144, 2016: 1_273_613}


@pytest.mark.parametrize("year", sorted(NL_TOTAL))
def test_national_population_adds_up_to_the_cbs_total(year):
    p = data.municipality_population(year, "NL")
    assert len(p) == {2016: 390, 2024: 342, 2025: 342}[year]
    assert p["code"].is_unique
    assert p["population"].sum() == NL_TOTAL[year]


@pytest.mark.parametrize("year", sorted(UTRECHT_PROVINCE))
def test_province_of_utrecht_population(year):
    p = data.municipality_population(year, "PV26")
    assert len(p) == 26
    assert p["population"].sum() == UTRECHT_PROVINCE[year]


def test_population_2016_brought_to_2024_keeps_the_total_and_marks_estimates():
    # harmonising the 2016 counts to the 2024 division: every person lands somewhere, split municipalities by share
    from toolkit.codes import harmonise

    p16 = data.municipality_population(2016, "NL")
    out = harmonise(p16[["code", "population"]], 2024)
    assert len(out) == 342 and out["population"].sum() == NL_TOTAL[2016]
    assert set(out["code"]) == set(data.municipality_population(2024, "NL")["code"])


def test_population_years():
    assert data.population_years() == [2016, 2019, 2024, 2025]


def test_housing_stock_by_division():
    h16 = data.load_housing_stock()
    h24 = data.load_housing_stock(2025)
    assert h16["code"].nunique() == 390 and h24["code"].nunique() == 342
    assert h24.attrs["dataset"] == "housing_stock_2024"
    # 2017-2023: the 2016 table brought to that year's division, same total
    h19 = data.load_housing_stock(2019)
    assert h19["code"].nunique() == 355
    assert h19["dwellings"].sum() == h16["dwellings"].sum()
    assert set(h19.columns) == set(h16.columns)
    for h in (h16, h19, h24):
        assert (h.groupby("code")["size_class"].count() == 4).all()


# ---- layering: no import cycles among the data modules (issue 10, item 6) ----


def _imports(module):
    """Every toolkit module a module imports, at top level or inside a function."""
    import ast
    from pathlib import Path

    import toolkit

    tree = ast.parse((Path(toolkit.__file__).parent / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names)
    return found


def test_no_import_cycles_among_data_codes_regions():
    modules = ("_tables", "registry", "io", "codes", "regions", "data")
    graph = {m: _imports(m) & set(modules) for m in modules}
    # the intended layering, lowest first: registry < _tables < codes < regions < data < io (the file boundary)
    order = {"registry": 0, "_tables": 1, "codes": 2, "regions": 3, "data": 4, "io": 5}
    for m, deps in graph.items():
        for d in deps:
            assert order[d] < order[m], f"{m} imports {d}"


# ---- every region kind and year, library level ------------------------------

REGION_CASES = [
    ("U16", 2016, 16), ("U16", 2025, 16), ("PV26", 2025, 26), ("provincie Noord-Holland", 2024, 44),
    ("NL", 2016, 390), ("NL", 2025, 342), (["GM0307", "GM0327", "GM0313"], 2025, 3),  # Amersfoort, Leusden, Bunschoten
]


@pytest.mark.parametrize("region,year,n", REGION_CASES, ids=[f"{r}-{y}" for r, y, _ in REGION_CASES])
def test_every_region_kind_has_population_targets_stock_and_points(region, year, n):
    from toolkit import boundaries, taakstelling
    from toolkit.regions import municipalities

    codes = region_codes(region, year)
    assert len(codes) == n
    pop = data.municipality_population(year, region)
    assert pop["code"].tolist() == codes and (pop["population"] > 0).all()
    # the national target is apportioned by population share: the region's share of 13,000 (hand check by ratio)
    targets = taakstelling.municipal_targets(13_000, year=year, region=region)
    nl = data.municipality_population(year, "NL")["population"].sum()
    assert targets["target"].sum() == pytest.approx(13_000 * pop["population"].sum() / nl, rel=1e-9)
    stock = data.load_housing_stock(year)
    assert set(codes) <= set(stock["code"])
    mun = municipalities(year, region)
    assert mun[["lat", "lon", "area_km2"]].notna().all().all()
    with pytest.warns(boundaries.SchematicWarning):
        b = boundaries.load_boundaries(year, region=region, offline=True)
    assert b["code"].tolist() == codes


def test_a_year_without_population_is_named_not_filled():
    with pytest.raises(ValidationError, match=r"Geen bevolking per gemeente op 1-1-2026.*data bijwerken --jaar 2026"):
        data.municipality_population(2026, "U16")


def test_coa_occupancy_list_becomes_map_locations(tmp_path):
    from toolkit import capacity, io

    shipped = data.load_reception_locations()
    einstein = shipped[shipped["name"].str.contains("Einsteindreef")].iloc[0]
    f = tmp_path / "coa.csv"
    f.write_text("locatie;gemeentecode;peildatum;capaciteit;bezetting\n"
                 "AZC Amersfoort;307;01-01-2026;300;240\nAZC Amersfoort;307;01-06-2026;300;290\n"
                 f"{einstein['name'].upper()};344;01-06-2026;400;100\n", encoding="utf-8")
    coa = io.read_coa_occupancy(f)
    locs = data.locations_from_occupancy(coa, 2025)
    assert len(locs) == 2  # the latest date per location
    ams = locs.set_index("name").loc["AZC Amersfoort"]
    assert ams["occupancy"] == 290 and ams["coord_status"] == "schatting" and "midden van de gemeente" in ams["note"]
    point = data.load_municipal_points().query("division == '2024' and code == 'GM0307'").iloc[0]
    assert (ams["lat"], ams["lon"]) == (point["lat"], point["lon"])
    # a location shipped with hand-geocoded coordinates keeps them (names compared without case)
    hit = locs[locs["code"] == "GM0344"].iloc[0]
    assert (hit["lat"], hit["lon"]) == (einstein["lat"], einstein["lon"])
    cap = capacity.reception_capacity(locs)
    assert cap.set_index("name").loc["AZC Amersfoort", "free_places"] == 10


def test_population_of_a_region_is_handed_out_as_a_copy():
    # computed once per table state (the dashboard's map and targets read it on every change)
    first = data.municipality_population(2016, "U16")
    first.loc[0, "population"] = -1
    first.attrs["source"] = "changed"
    again = data.municipality_population(2016, "U16")
    assert again.loc[0, "population"] > 0 and again.attrs["source"] != "changed"
    assert again.equals(data.municipality_population(2016, list(again["code"])))
