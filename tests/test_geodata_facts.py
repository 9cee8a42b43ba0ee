"""Shipped figures cross-checked against /work/shared/reference/FACTS.md.

Every expected value below was typed in from FACTS.md (section in the comment), not copied
from geodata/. The sets of periods are exact, so a row invented to fill a gap ("n.f." in
FACTS.md) fails these tests as surely as a mistyped figure.
"""

import math

import pandas as pd
import pytest

from toolkit import data

# ---- population (§9: 1-1-2016; §1: 1-1-2019; §1: 1-1-2024) ---------------

POP_2016 = {
    "GM0312": 14_773, "GM0310": 42_375, "GM0736": 42_576, "GM0321": 48_765, "GM0353": 34_101, "GM0331": 14_156,
    "GM0335": 13_783, "GM0356": 61_749, "GM0589": 10_049, "GM1904": 64_061, "GM0344": 338_967, "GM1581": 48_506,
    "GM0620": 19_513, "GM0352": 23_384, "GM0632": 51_161, "GM0355": 62_258,
    "NL01": 16_979_120,
}
POP_2019 = {
    "GM0312": 15_188, "GM0310": 42_809, "GM0736": 44_064, "GM0321": 49_902, "GM0353": 34_162, "GM0331": 14_477,
    "GM0335": 13_996, "GM0356": 63_055, "GM0589": 10_199, "GM1904": 64_372, "GM0344": 352_795, "GM1581": 49_526,
    "GM0620": 20_457, "GM0352": 23_763, "GM0632": 52_204, "GM0355": 63_960,
    "GM0545": 21_223, "GM0707": 14_023,
}


def _pop(date):
    p = data.load_population()
    p = p[p["reference_date"] == pd.Timestamp(date)]
    return dict(zip(p["code"], p["population"]))


def _row(code, date):
    p = data.load_population()
    return p[(p["code"] == code) & (p["reference_date"] == pd.Timestamp(date))]


def test_population_2016():
    pop = _pop("2016-01-01")
    assert {c: pop[c] for c in POP_2016} == POP_2016
    assert len(pop) == 391  # 390 municipalities and NL01


def test_population_2019():
    assert _pop("2019-01-01") == POP_2019


def test_population_2024_and_2025():
    # SOURCES.md: the KWB 2024 (provisional) count of Vijfheerenlanden is 61,669 (FACTS.md has 61,650 from
    # Staat van Utrecht, kept in the note); Assen 70,392 on 1-1-2025 (cross-checked there with 86059NED)
    assert _pop("2024-01-01")["GM1961"] == 61_669
    assert "61.650" in _row("GM1961", "2024-01-01")["note"].item()
    assert _pop("2025-01-01")["GM0106"] == 70_392
    assert len(_pop("2024-01-01")) == len(_pop("2025-01-01")) == 343  # 342 municipalities and NL01


def test_population_qualifiers_are_kept():
    p = data.load_population()
    kwb24 = p[(p["reference_date"] == "2024-01-01") & (p["code"] != "NL01")]
    assert kwb24["source"].str.contains("voorlopig").all() and kwb24["note"].str.contains("voorlopig").all()
    nl = p[p["code"] == "NL01"].set_index("reference_date")
    assert nl.loc["2016-01-01", "population"] == 16_979_120 and nl.loc["2016-01-01", "status"] == "gepubliceerd"
    assert nl.loc["2024-01-01", "population"] == 17_942_942 and "voorlopig" in nl.loc["2024-01-01", "source"]
    # the 2025 national row is the sum of the municipalities, not a figure read: an estimate
    assert nl.loc["2025-01-01", "population"] == 18_044_027 and nl.loc["2025-01-01", "status"] == "schatting"


def test_population_2016_utrecht_cross_check():
    # §9: Utrecht counted 338,986 at the end of 2015; the shipped 1-1-2016 count is within 0.01 %
    assert abs(_pop("2016-01-01")["GM0344"] - 338_986) / 338_986 < 1e-4


def test_population_dates_only_those_published():
    dates = sorted(data.load_population()["reference_date"].dt.strftime("%Y-%m-%d").unique())
    assert dates == ["2016-01-01", "2019-01-01", "2024-01-01", "2025-01-01"]


# ---- municipalities (§1) -------------------------------------------------

MUNICIPALITIES = {
    # code: (name, lat, lon, area_km2)
    "GM0312": ("Bunnik", 52.0363, 5.2232, 38.0),
    "GM0310": ("De Bilt", 52.1395, 5.1710, 67.1),
    "GM0736": ("De Ronde Venen", 52.2369, 4.9234, 116.9),
    "GM0321": ("Houten", 52.0087, 5.1719, 55.6),
    "GM0353": ("IJsselstein", 52.0261, 5.0249, 23.3),
    "GM0331": ("Lopik", 51.9821, 4.9450, 77.0),
    "GM0335": ("Montfoort", 52.0414, 4.9472, 40.4),
    "GM0356": ("Nieuwegein", 52.0409, 5.0968, 26.4),
    "GM0589": ("Oudewater", 52.0261, 4.8641, 39.8),
    "GM1904": ("Stichtse Vecht", 52.1898, 4.9985, 105.2),
    "GM0344": ("Utrecht", 52.0818, 5.0986, 96.9),
    "GM1581": ("Utrechtse Heuvelrug", 52.0337, 5.3906, 136.9),
    "GM0620": ("Vianen", 51.9661, 5.1206, 41.5),
    "GM0352": ("Wijk bij Duurstede", 51.9925, 5.3129, 50.7),
    "GM0632": ("Woerden", 52.1149, 4.8934, 93.1),
    "GM0355": ("Zeist", 52.1152, 5.2517, 49.1),
    "GM1961": ("Vijfheerenlanden", 51.9298, 5.0496, 153.3),
}


def test_municipality_names_points_and_areas():
    m = data.load_municipalities().set_index("code")
    for code, (name, lat, lon, area) in MUNICIPALITIES.items():
        row = m.loc[code]
        assert row["name"] == name, code
        assert row["lat"] == pytest.approx(lat, abs=1e-4), code
        assert row["lon"] == pytest.approx(lon, abs=1e-4), code
        assert row["area_km2"] == pytest.approx(area, abs=0.05), code
    assert m.loc["GM0545", "name"] == "Leerdam" and m.loc["GM0707", "name"] == "Zederik"


def test_merger_dates():
    m = data.load_municipalities().set_index("code")
    assert m.loc["GM1961", "valid_from"] == pd.Timestamp("2019-01-01")
    for old in ("GM0620", "GM0545", "GM0707"):
        assert m.loc[old, "valid_to"] == pd.Timestamp("2018-12-31")
    # points of Leerdam and Zederik come from the 2016 polygons (SOURCES.md punten_2016), marked schatting
    assert set(m.loc[["GM0545", "GM0707"], "point_status"]) == {"schatting"}
    # dates from the CBS releases: Meierijstad 2017, Eemsdelta 2021, Weesp into Amsterdam 24-3-2022, Voorne aan Zee 2023
    assert m.loc["GM1948", "valid_from"] == pd.Timestamp("2017-01-01")
    assert m.loc["GM1979", "valid_from"] == pd.Timestamp("2021-01-01")
    assert m.loc["GM0457", "valid_to"] == pd.Timestamp("2022-03-23")
    assert m.loc["GM1992", "valid_from"] == pd.Timestamp("2023-01-01")


def test_code_changes_include_the_vijfheerenlanden_merger():
    c = data.load_code_changes()
    v = c[c["new_code"] == "GM1961"]
    assert sorted(v["old_code"]) == ["GM0545", "GM0620", "GM0707"]
    assert set(v["date"]) == {pd.Timestamp("2019-01-01")}
    assert set(v["kind"]) == {"samenvoeging"}
    # 390 - 342 = 48 fewer municipalities: 66 dissolved, 18 new (SOURCES.md counts)
    # successors: 26 whole ones, plus Súdwest-Fryslân, Boxtel, Oisterwijk and Tilburg, which only took parts
    # of split municipalities (vng.nl 2018, nieuws.nl 2021)
    assert c["old_code"].nunique() == 66 and c["new_code"].nunique() == 30
    assert c.loc[c["kind"] == "samenvoeging", "new_code"].nunique() == 25  # all but Vught, which only took part of Haaren


# ---- inflow (§2) ---------------------------------------------------------

YEARLY = {
    # year: (first applications, nareizigers)
    2014: (21_800, 5_400), 2015: (43_095, 13_845), 2016: (18_171, 11_814), 2017: (16_145, 14_490),
    2018: (20_500, 6_500), 2019: (22_500, 4_200), 2020: (13_720, 3_865), 2021: (24_740, 10_120),
    2022: (35_535, 11_000), 2023: (38_375, 10_125),
}
MONTHLY_TOTAL = {
    2014: [1610, 1330, 1270, 2595, 3500, 1970, 2530, 2455, 3420, 2465, 1950, 2075],
    2015: [1595, 1315, 1360, 1710, 3245, 4170, 4625, 6940, 8405, 11720, 7305, 4555],
    2016: [3340, 2465, 1675, 1325, 1430, 1480, 2085, 2385, 3000, 3500, 3900],  # December: n.f.
}
MONTHLY_SPLIT = {
    2018: "1560/700, 1200/705, 1390/735, 1450/620, 1575/815, 1295/540, 1930/565, 2025/370, 2250/350, 2225/350, 1840/410, 1770/315",
    2019: "1850/270, 1660/340, 1875/230, 1860/215, 1645/255, 1685/415, 1960/460, 1880/320, 2030/425, 2090/400, 2075/360, 1935/480",
    2020: "1970/465, 1515/470, 1025/125",
}
MONTHLY_SINGLES = {"2015-05": (2250, 995), "2016-02": (1775, 690), "2016-05": (990, 440), "2016-12": (1500, 2300), "2017-01": (1400, 1300)}
QUARTERLY = {  # thousands, as published
    2018: "4.155/2.140 4.320/1.970 6.205/1.280 5.835/1.070",
    2019: "5.380/0.845 5.190/0.890 5.870/1.200 6.100/1.245",
    2020: "4.470/1.065 1.255/0.260 4.100/0.860 3.895/1.680",
    2021: "2.720/1.510 3.340/2.600 8.815/2.780 9.870/3.230",
    2022: "6.450/2.570 7.325/3.165 11.015/3.650 10.745/1.545",
    2023: "6.940/1.905 7.950/2.630 10.510/2.600 12.975/2.990",
    2024: "8.965/3.090 7.710/2.780 8.115/2.650",  # Q4: n.f.
}


def _series(series, granularity):
    # FACTS.md covers up to 2024-Q3; later figures are checked in test_series_data.py
    df = data.load_inflow(series=series, granularity=granularity)
    df = df[df["period_start"] < "2024-10-01"] if granularity != "jaar" else df[df["period"] < "2024"]
    return dict(zip(df["period"], df["value"]))


def _split_expected():
    first, nar = {}, {}
    for year, text in MONTHLY_SPLIT.items():
        for month, pair in enumerate(text.split(", "), start=1):
            a, b = pair.split("/")
            first[f"{year}-{month:02d}"], nar[f"{year}-{month:02d}"] = int(a), int(b)
    for period, (a, b) in MONTHLY_SINGLES.items():
        first[period], nar[period] = a, b
    return first, nar


def test_inflow_yearly():
    assert _series("eerste_aanvragen", "jaar") == {str(y): v[0] for y, v in YEARLY.items()}
    assert _series("nareizigers", "jaar") == {str(y): v[1] for y, v in YEARLY.items()}


def test_published_totals_are_not_the_sum_of_the_series():
    # §2: 2015 total 58,880 but 43,095 + 13,845 = 56,940; 2016 (IND) total 31,642 but 18,171 + 11,814 = 29,985.
    # The published totals stay in the note; no yearly 'totaal' row is derived by adding the series.
    df = data.load_inflow(granularity="jaar")
    assert "totaal" not in set(df["series"])
    notes = dict(zip(df["period"], df["note"]))
    assert "58.880" in notes["2015"] and "31.642" in notes["2016"]


def test_inflow_monthly_total_exact_periods():
    expected = {f"{y}-{m:02d}": v for y, vals in MONTHLY_TOTAL.items() for m, v in enumerate(vals, start=1)}
    assert _series("totaal", "maand") == expected
    assert "2016-12" not in _series("totaal", "maand")  # n.f.: not filled, not derived from the split


def test_inflow_monthly_split_exact_periods():
    first, nar = _split_expected()
    assert _series("eerste_aanvragen", "maand") == first
    assert _series("nareizigers", "maand") == nar


def test_inflow_quarterly_exact_periods():
    first, nar = {}, {}
    for year, text in QUARTERLY.items():
        for q, pair in enumerate(text.split(), start=1):
            a, b = pair.split("/")
            first[f"{year}-Q{q}"] = round(float(a) * 1000)
            nar[f"{year}-Q{q}"] = round(float(b) * 1000)
    assert _series("eerste_aanvragen", "kwartaal") == first
    assert _series("nareizigers", "kwartaal") == nar
    assert "2024-Q4" not in first


def test_inflow_gaps_stay_gaps():
    df = data.load_inflow()
    periods = set(zip(df["granularity"], df["period"]))
    assert ("maand", "2016-12") in periods  # the split was published ...
    assert not ((df["period"] == "2016-12") & (df["series"] == "totaal")).any()  # ... the total was not
    assert not any(g == "kwartaal" and p.startswith("2024-Q4") for g, p in periods)
    assert not any(g == "kwartaal" and p < "2018" for g, p in periods)
    # months between February 2017 and December 2017, and after March 2020, were not published
    months = {p for g, p in periods if g == "maand"}
    assert not any("2017-02" <= p <= "2017-12" for p in months)
    assert not any(p > "2020-03" for p in months)
    # 2024 and 2025 have year rows (test_series_data.py); 2026 was not found
    assert not any(g == "jaar" and int(p) >= 2026 for g, p in periods)


@pytest.mark.parametrize(
    "period,granularity,series,qualifier",
    [
        ("2014", "jaar", "eerste_aanvragen", "afgerond"),
        ("2015", "jaar", "eerste_aanvragen", "exact"),
        ("2022", "jaar", "nareizigers", "ongeveer"),
        ("2023", "jaar", "eerste_aanvragen", "voorlopig"),
        ("2016-09", "maand", "totaal", "minimaal"),  # published as '>3,000'
        ("2016-10", "maand", "totaal", "ongeveer"),
        ("2016-12", "maand", "nareizigers", "ongeveer"),
        ("2016-05", "maand", "totaal", "exact"),
    ],
)
def test_inflow_qualifiers(period, granularity, series, qualifier):
    df = data.load_inflow()
    row = df[(df["period"] == period) & (df["granularity"] == granularity) & (df["series"] == series)]
    assert row["qualifier"].item() == qualifier


def test_inflow_all_published():
    assert set(data.load_inflow()["status"]) == {"gepubliceerd"}


# ---- taakstelling (§3) ---------------------------------------------------

NA = None
TAAKSTELLING = {
    # period: (target, target incl. backlog, housed, balance at end)
    "2015-I": (14_000, NA, NA, NA),
    "2015-II": (14_900, NA, NA, NA),
    "2016-II": (23_000, NA, NA, NA),  # '>28,000' is not a number: kept in the note
    "2017-I": (13_000, NA, NA, NA),
    "2017-II": (10_000, NA, NA, NA),
    "2018-I": (13_000, NA, NA, NA),
    "2018-II": (8_000, NA, NA, NA),
    "2019-I": (6_000, 8_934, 6_372, -2_540),
    "2019-II": (6_000, 8_537, 6_962, -1_575),
    "2020-I": (5_500, 7_192, 4_987, -2_205),
    "2020-II": (6_500, 8_706, 7_025, -1_681),
    "2021-I": (13_500, 15_144, 9_596, -5_548),
    "2021-II": (11_000, 16_586, 12_787, -3_728),
    "2022-I": (10_000, 13_748, 11_934, -1_810),
    "2022-II": (13_500, 15_333, 17_126, 1_793),
    "2023-I": (21_200, 19_418, 14_296, -5_122),
    "2023-II": (17_600, NA, NA, -6_400),  # 'about -6,400'
    "2024-I": (18_750, NA, 14_271, -10_900),  # '>25,000'; 'about -10,900'
}


def _same(value, expected):
    if expected is None:
        return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)
    return value == expected


def test_taakstelling_exact_periods_and_values():
    t = data.load_taakstelling().set_index("period")
    t = t[t.index <= "2024-I"]  # FACTS.md ends there; 2025 is checked in test_series_data.py
    assert list(t.index) == list(TAAKSTELLING)  # 2014, 2016-I: n.f., absent
    for period, (target, incl, housed, balance) in TAAKSTELLING.items():
        row = t.loc[period]
        assert row["target"] == target, period
        assert _same(row["target_incl_backlog"], incl), period
        assert _same(row["housed"], housed), period
        assert _same(row["balance_end"], balance), period


def test_taakstelling_backlog_carried_in():
    t = data.load_taakstelling().set_index("period")
    assert t.loc["2016-II", "backlog_start"] == 5_283
    assert t.loc["2017-I", "backlog_start"] == 6_082
    assert t["backlog_start"].notna().sum() == 2  # no other backlog_start was published


def test_taakstelling_approximate_figures_are_explained():
    t = data.load_taakstelling().set_index("period")
    assert "6.400" in t.loc["2023-II", "note"]
    assert "25.000" in t.loc["2024-I", "note"] and "10.900" in t.loc["2024-I", "note"]
    assert "28.000" in t.loc["2016-II", "note"]


# ---- reception locations and state buildings (§5, §11) -------------------


def test_reception_locations():
    r = data.load_reception_locations().set_index("id")
    by_name = {row["name"]: row for _, row in r.iterrows()}

    def find(fragment):
        hits = [row for name, row in by_name.items() if fragment in name]
        assert len(hits) == 1, fragment
        return hits[0]

    zeist = find("Zeist")
    assert (zeist["code"], zeist["capacity"]) == ("GM0355", 370)
    assert zeist["open_from"] == pd.Timestamp("2014-03-01") and zeist["open_to"].year == 2018
    ravel = find("Ravellaan")
    assert (ravel["code"], ravel["capacity"], ravel["occupancy"]) == ("GM0344", 250, 194)
    assert ravel["open_from"] == pd.Timestamp("2016-05-01") and ravel["open_to"] == pd.Timestamp("2017-08-02")
    einstein = find("Einsteindreef")
    assert (einstein["capacity"], einstein["occupancy"]) == (400, 360)
    assert einstein["occupancy_date"] == pd.Timestamp("2017-09-01")
    assert einstein["open_from"] == pd.Timestamp("2017-03-01")
    assert find("Leersum")["capacity"] == 525
    assert find("Joseph Haydnlaan")["capacity"] == 590
    # coordinates were geocoded by hand: n.f. in FACTS.md, so never 'gepubliceerd'
    assert set(r["coord_status"]) == {"schatting"}


def test_state_buildings_real_and_fictitious():
    b = data.load_state_buildings()
    real = b[b["status"] == "gepubliceerd"]
    assert any("Wolvenplein" in n for n in real["name"]) and any("Maliebaan 10" in n for n in real["name"])
    assert real["floor_area_m2"].isna().all()  # floor areas of the real buildings: n.f.
    fake = b[b["status"] == "voorbeeld"]
    assert len(fake) >= 1
    assert fake["name"].str.contains("fictief|Voorbeeld", case=False).all()
    assert set(b["status"]) <= {"gepubliceerd", "voorbeeld"}


# ---- benefit norms (§6), housing stock (§7), lettings (§11) ---------------


def test_benefit_norms_january_2016():
    n = data.load_benefit_norms().set_index("household_type")["amount_eur_month"].to_dict()
    assert n == {"alleenstaande": 972.70, "alleenstaande_ouder": 972.70, "gehuwden": 1389.57}
    assert set(data.load_benefit_norms()["date"]) == {pd.Timestamp("2016-01-01")}


def test_housing_stock_estimate_adds_up_to_published_totals():
    h = data.load_housing_stock()
    assert set(h["status"]) == {"schatting"}
    assert h.loc[h["code"] == "GM0344", "dwellings"].sum() == 42_403  # Utrecht 2017, utrecht-monitor.nl
    u16 = h[h["code"].isin(set(POP_2016) - {"NL01"})]
    assert u16["dwellings"].sum() == 103_960  # U16 2017, rwu-utrecht.nl
    assert h["code"].nunique() == 390
    assert (h.groupby("code")["size_class"].apply(sorted) == pd.Series([["1", "2", "3-4", "5+"]] * 390)
            .set_axis(sorted(set(h["code"])))).all()
    # outside the U16: CBS 82900NED 2016 corporation stock per inhabitant (2,281,742 / 16,979,120), hand-checked
    # for Amersfoort (GM0307), to within the rounding of each municipality
    ams = h[h["code"] == "GM0307"]["dwellings"].sum()
    pop = _row("GM0307", "2016-01-01")["population"].item()
    assert abs(ams - 2_281_742 * pop / 16_979_120) <= 1


def test_housing_stock_2024_province_of_utrecht():
    h = data.load_dataset("housing_stock_2024")
    assert set(h["status"]) == {"schatting"} and h["code"].nunique() == 342
    utrecht = data.load_municipalities().query("province == 'Utrecht'")["code"]
    assert h[h["code"].isin(utrecht)]["dwellings"].sum() == 163_310  # CBS 82900NED, province 2023 (FACTS.md §7)


def test_lettings():
    l = data.load_lettings().set_index(["area", "year"])
    for year, lettings, stock, urgent in [(2015, 2379, 43_681, 0.40), (2016, 2207, 43_461, 0.39), (2017, 2305, 42_403, 0.33)]:
        row = l.loc[("GM0344", year)]
        assert (row["lettings"], row["stock"]) == (lettings, stock)
        assert row["share_urgent"] == pytest.approx(urgent)
    assert l.loc[("U16", 2014), "lettings"] == 6_220
    assert l.loc[("U16", 2020), "lettings"] == 5_351
    assert l.loc[("U16", 2017), "stock"] == 103_960
    assert l.loc[("U16", 2018), "stock"] == 104_305
    assert (l.loc[("NL01", 2022), "lettings"], l.loc[("NL01", 2022), "lettings_permit_holders"]) == (162_500, 11_000)
