"""The national series shipped in toolkit/geodata against the reference tables they were typed from.

The reference tables (``shared/reference/national/*.csv``, beside a checkout) were compiled from the
original sources; these tests read them with the csv module and compare figure by figure, so a typing
error in the shipped tables or a gap filled in by hand fails here. Without the reference folder the
comparisons are skipped with a reason; the checks on qualifiers run everywhere.
"""

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from toolkit import data

ROOT = Path(__file__).resolve().parents[1]
# beside a checkout (main, CI) or beside the folder of worktrees
_CANDIDATES = [ROOT.parent / "shared" / "reference" / "national", ROOT.parents[1] / "shared" / "reference" / "national"]
NATIONAL = next((p for p in _CANDIDATES if (p / "SOURCES.md").exists()), None)


def _ref(name):
    if NATIONAL is None:
        pytest.skip(f"reference tables not found in {_CANDIDATES[0]} (only present beside a checkout)")
    with open(NATIONAL / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _number(text):
    text = (text or "").strip()
    return None if text in ("", "n.f.") else float(text)


# ------------------------------------------------------------------ inflow

# reference qualifier words -> the shipped qualifier (the CBS 2024 quarters were already shipped as
# 'afgerond': published in thousands with three decimals, which is the same figure)
_INFLOW_QUALIFIER = {"exact": {"exact", "afgerond"}, "ongeveer": {"ongeveer"}, "iets meer dan": {"minimaal"},
                     "ruim": {"minimaal"}, "afgerond": {"afgerond"}}


def _qualifier_word(text):
    text = text.strip()
    return "afgerond" if text.startswith("afgerond") else text


def test_inflow_matches_the_reference_quarter_by_quarter():
    ref = _ref("asiel_instroom.csv")
    shipped = data.load_inflow().set_index(["granularity", "period", "series"])
    checked = 0
    for r in ref:
        if r["periodetype"] not in ("kwartaal", "jaar"):
            continue  # the nine-month row has no granularity in the table (see the next test)
        for series, col, qcol in (("eerste_aanvragen", "eerste_asielaanvragen", "eerste_kwalificatie"),
                                  ("nareizigers", "nareizigers", "nareizigers_kwalificatie")):
            key = (r["periodetype"], r["periode"], series)
            value = _number(r[col])
            if value is None:
                assert key not in shipped.index, f"{key} is n.f. in the reference but shipped: a filled gap"
                continue
            assert shipped.loc[key, "value"] == value, key
            assert shipped.loc[key, "qualifier"] in _INFLOW_QUALIFIER[_qualifier_word(r[qcol])], key
            checked += 1
    assert checked >= 15


def test_first_three_quarters_of_2025_add_up_to_the_published_nine_months():
    # CBS gave 2025-Q1..Q3 together as 16,6 thousand first applications (an independent figure)
    ref = {r["periode"]: r for r in _ref("asiel_instroom.csv")}
    nine = _number(ref["2025-Q1-Q3"]["eerste_asielaanvragen"])
    q = data.load_inflow("eerste_aanvragen", "kwartaal").set_index("period")["value"]
    total = q[["2025-Q1", "2025-Q2", "2025-Q3"]].sum()
    assert abs(total - nine) <= 50 + 50  # 16,6 thousand is rounded to 100; Q3 to 100 as well


def test_inflow_keeps_the_published_words_of_approximate_figures():
    df = data.load_inflow()
    for _, r in df[df["period"].str.startswith("2025")].iterrows():
        note = str(r["note"])
        if "ruim" in note or "iets meer dan" in note:
            assert r["qualifier"] == "minimaal", r["period"]
        if "duizend'" in note:
            assert r["qualifier"] == "afgerond", r["period"]


def test_quarterly_series_reaches_2025_q3_and_leaves_the_gaps():
    from toolkit.forecast import quarterly_series

    apps = quarterly_series("eerste_aanvragen")
    nar = quarterly_series("nareizigers")
    assert apps["period"].iloc[-1] == "2025-Q3" and nar["period"].iloc[-1] == "2025-Q3"
    assert "2024-Q4" not in set(apps["period"]) and "2025-Q2" not in set(nar["period"])


# ------------------------------------------------------------------ taakstelling


def test_taakstelling_matches_the_reference_with_its_revisions():
    shipped = data.load_taakstelling().set_index("period")
    checked = 0
    for r in _ref("taakstelling_landelijk.csv"):
        target = _number(r["taakstelling"])
        if target is None:
            if r["periode"] in shipped.index:
                # only a figure from FACTS.md may be shipped where the reference found none
                assert "FACTS.md" in r["toelichting"], r["periode"]
            continue
        row = shipped.loc[r["periode"]]
        if "later naar beneden bijgesteld" in r["toelichting"]:
            # the reference has the first announcement; the shipped target is the revised one
            assert row["first_announced"] == target and row["first_announced_qualifier"] == "minimaal"
            assert row["target"] < target
        else:
            assert row["target"] == target, r["periode"]
        checked += 1
    assert checked == 5
    assert shipped.loc["2025-I", "first_announced"] == 17700
    assert "2024-II" not in shipped.index  # not found: never filled


# ------------------------------------------------------------------ the new tables


def test_grant_rates_match_and_gaps_stay_gaps():
    shipped = data.load_grant_rates().set_index("period")
    for r in _ref("inwilliging_en_opvang.csv"):
        if not r["indicator"].startswith("inwilligingspercentage"):
            continue
        value = _number(r["waarde"])
        period = r["peildatum_of_periode"]
        if value is None:
            assert period not in shipped.index
            continue
        assert shipped.loc[period, "grant_rate_pct"] == value
        assert shipped.loc[period, "grant_rate"] == pytest.approx(value / 100)
        assert (shipped.loc[period, "qualifier"] == "ongeveer") == ("ongeveer" in r["eenheid"])


def test_waiting_permit_holders_and_reception_figures_match():
    shipped = data.load_reception_stocks()
    values = set(shipped["value"])
    for r in _ref("inwilliging_en_opvang.csv"):
        value = _number(r["waarde"])
        if r["indicator"].startswith("inwilligingspercentage") or value is None:
            continue
        assert value in values, r["indicator"]
    wait = shipped[shipped["indicator"] == "statushouders_azc_wachtend_op_woning"].set_index("reference")
    assert wait.loc["2026-01-05", "value"] == 18420 and wait.loc["2026-01-05", "qualifier"] == "exact"
    assert wait.loc["2024-12-31", "qualifier"] == "ongeveer"  # "about 12,000"


def test_mpp_ranges_match():
    shipped = data.load_mpp()
    pairs = {(int(r.year), int(r.low), int(r.high)) for r in shipped.itertuples()}
    checked = 0
    for r in _ref("mpp_prognose.csv"):
        if _number(r["instroom_min"]) is None:
            assert int(r["jaar"]) not in set(shipped["year"])
            continue
        assert (int(r["jaar"]), int(r["instroom_min"]), int(r["instroom_max"])) in pairs
        checked += 1
    assert checked == 5
    latest = shipped[shipped["publication"] == "MPP 26-9-2025"].set_index("year")
    assert latest.loc[2025, ["low", "high"]].tolist() == [40000, 55300]
    assert latest.loc[2026, ["low", "high"]].tolist() == [39000, 67100]


_WORD = {"exact": "exact", "bijna": "maximaal", "een krappe": "maximaal", "ruim": "minimaal", "zo'n": "ongeveer"}


def test_spreidingswet_matches_with_its_qualifiers():
    shipped = data.load_spreidingswet()
    checked = 0
    for r in _ref("spreidingswet.csv"):
        value = _number(r["indicatief_aantal_opvangplekken"])
        if value is None:
            assert not ((shipped["level"] == r["niveau"]) & (shipped["area"] == r["gebied"])).any()
            continue
        area = r["gebied"].replace(" (gevonden dec. 2024)", "")
        indicator = "gevonden" if "gevonden" in r["gebied"] else "opgave"
        row = shipped[(shipped["level"] == r["niveau"]) & (shipped["area"] == area) & (shipped["indicator"] == indicator)]
        assert len(row) == 1, r["gebied"]
        assert row["places"].item() == value and row["qualifier"].item() == _WORD[r["kwalificatie"]]
        assert (row["code"].fillna("").item()) == r["gm_code"]
        checked += 1
    assert checked == 20
    codes = shipped["code"].dropna()
    assert codes.map(lambda c: bool(re.fullmatch(r"GM\d{4}", c))).all()


def test_policy_changes_hold_every_reference_event_in_date_order():
    shipped = data.load_policy_changes()
    ref = _ref("beleid_2024_2026.csv")
    assert len(shipped) == len(ref)
    events = set(zip(shipped["date"], shipped["topic"], shipped["event"], shipped["legal_status"]))
    for r in ref:
        assert (r["datum"], r["onderwerp"], r["gebeurtenis"], r["status_laatst_gevonden"]) in events
    assert shipped["date_start"].is_monotonic_increasing
    assert shipped.loc[shipped["date"] == "2024-07 / 2025", "date_start"].item() == pd.Timestamp("2024-07-01")
