import dataclasses

import numpy as np
import pandas as pd
import pytest

from toolkit import ValidationError
from toolkit import integration as integ
from toolkit.integration import CURRENT, PILOT, Scenario, scenario

STATE_DIMENSIONS = {
    "location": ["in_reception", "housed"],
    "track": ["not_started", "exempt", "language", "inburgering", "completed"],
    "activity": ["no_activity", "volunteering", "paid_work"],
}

# CBS cohort 2014, share of adult permit holders with work (FACTS.md §10), typed in here
CBS_2014 = {18: 0.04, 30: 0.11, 36: 0.19, 72: 0.43, 108: 0.47}


def arrivals(**cols):
    base = {
        "code": ["GM0344", "GM0344", "GM0321", "gm355"],
        "month": ["2016-07", "2016-08", pd.Period("2016-08", "M"), "2017-01"],
        "persons": [30.0, 12.0, 9.0, 4.0],
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_cohort_totals_conserved_month_by_month():
    variants = [CURRENT, PILOT, scenario("dag1", buddy_share=0.3, housing_rate=0.05, complete_rate=0.2)]
    for s in variants:
        p = integ.project(arrivals(), s, horizon_months=36)
        # independent: adults per month is the running sum of the input (persons x adult share)
        utrecht = p[p["code"] == "GM0344"].set_index("month")
        assert utrecht.loc[pd.Period("2016-07", "M"), "adults"] == pytest.approx(30 * s.adult_share)
        assert utrecht.loc[pd.Period("2017-06", "M"), "adults"] == pytest.approx(42 * s.adult_share)
        for dim, cols in STATE_DIMENSIONS.items():
            np.testing.assert_allclose(p[cols].sum(axis=1), p["adults"], rtol=0, atol=1e-9, err_msg=dim)
        assert (p[sum(STATE_DIMENSIONS.values(), [])] >= -1e-12).all().all()
        np.testing.assert_allclose(p["participating"], p["volunteering"] + p["paid_work"], atol=1e-12)


def test_input_frame_not_mutated_and_codes_normalised():
    a = arrivals()
    before = a.copy()
    p = integ.project(a, CURRENT, horizon_months=12)
    pd.testing.assert_frame_equal(a, before)
    assert sorted(p["code"].unique()) == ["GM0321", "GM0344", "GM0355"]


def test_hand_computed_chain():
    # housing with 0.5 a month: half of those still waiting leave each month
    s = scenario("huidig", housing_rate=0.5, exempt_share=0.0, start_rate=0.0, volunteer_rate=0.0,
                 work_rates=((0, 0.1),))
    c = integ.cohort_curves(s, months=6)
    np.testing.assert_allclose(c["in_reception"], 0.5 ** np.arange(7))
    # nobody starts the track, so work follows 1 - 0.9^m exactly
    np.testing.assert_allclose(c["paid_work"], 1 - 0.9 ** np.arange(7))
    np.testing.assert_allclose(c["not_started"], 1.0)


def test_hand_computed_track_start_after_housing_vs_in_reception():
    common = dict(housing_rate=0.5, exempt_share=0.0, start_rate=1.0, start_month=0, complete_rate=0.0)
    after = integ.cohort_curves(scenario("huidig", start_in_reception=False, **common), months=3)
    # current route: started once housed, and housing happens in the same month step first
    np.testing.assert_allclose(after["inburgering"], [0, 0.5, 0.75, 0.875])
    assert (after["language"] == 0).all()
    day1 = integ.cohort_curves(scenario("huidig", start_in_reception=True, **common), months=3)
    np.testing.assert_allclose(day1["language"], [0, 0.5, 0.25, 0.125])
    np.testing.assert_allclose(day1["language"] + day1["inburgering"], [0, 1, 1, 1])


EARLIER_LATER = [
    (dict(start_in_reception=True), dict(start_in_reception=False)),
    (dict(start_month=1), dict(start_month=9)),
    (dict(start_rate=0.9), dict(start_rate=0.1)),
    (dict(start_in_reception=True, start_month=0, start_rate=0.8), dict(start_in_reception=False, start_month=3, start_rate=0.3)),
]


@pytest.mark.parametrize("base", ["huidig", "dag1"])
@pytest.mark.parametrize("early,late", EARLIER_LATER)
def test_earlier_start_never_lowers_participation(base, early, late):
    e = integ.cohort_curves(scenario(base, **early))
    lt = integ.cohort_curves(scenario(base, **late))
    for col in ("participating", "paid_work"):
        assert (e[col] - lt[col] >= -1e-12).all(), col
    # and the comparison is not vacuous
    assert (e["participating"] - lt["participating"]).max() > 1e-3


def test_earlier_start_in_projection_per_municipality():
    e = integ.project(arrivals(), scenario("huidig", start_in_reception=True), horizon_months=48)
    lt = integ.project(arrivals(), CURRENT, horizon_months=48)
    assert (e["participating"].to_numpy() - lt["participating"].to_numpy() >= -1e-9).all()


def test_buddy_demand_hand_computed():
    s = scenario("dag1", buddy_share=1.0, buddy_ratio=0.5, buddy_months=3)
    a = pd.DataFrame({"code": ["GM0344", "GM0344"], "month": ["2016-01", "2016-02"],
                      "persons": [30, 15], "households": [12, 6]})
    needs = integ.pilot_needs(integ.project(a, s, horizon_months=6), s)
    # active households: Jan 12, Feb 12+6, Mar 12+6, Apr 6 (Jan's 3 months are over), May 0; half a buddy each
    assert needs["buddies"].tolist() == pytest.approx([6, 9, 9, 3, 0, 0])
    half = dataclasses.replace(s, buddy_share=0.5)
    needs = integ.pilot_needs(integ.project(a, half, horizon_months=6), half)
    assert needs["buddies"].tolist() == pytest.approx([3, 4.5, 4.5, 1.5, 0, 0])


def test_coaching_and_course_places_hand_computed():
    s = scenario("dag1", exempt_share=0.0, start_rate=1.0, start_month=0, complete_rate=0.0,
                 guidance_until_month=2, coaching_hours=4.0, adult_share=0.5)
    a = pd.DataFrame({"code": ["GM0321"], "month": ["2016-03"], "persons": [20]})
    needs = integ.pilot_needs(integ.project(a, s, horizon_months=4), s)
    # 10 adults start in their first month and stay in the track; guidance covers months 0-1
    assert needs["course_places"].tolist() == pytest.approx([0, 10, 10, 10])
    assert needs["coaching_hours"].tolist() == pytest.approx([0, 40, 0, 0])


def test_region_total_sums_municipalities():
    p = integ.project(arrivals(), PILOT, horizon_months=12)
    r = integ.region_total(p)
    assert len(r) == 12
    assert r["adults"].iloc[-1] == pytest.approx(55 * PILOT.adult_share)
    assert r["paid_work"].sum() == pytest.approx(p["paid_work"].sum())


def test_current_route_reproduces_cbs_employment_roughly():
    c = integ.cohort_curves(CURRENT)
    for month, share in CBS_2014.items():
        assert abs(c["paid_work"].iloc[month] - share) < 0.01, month
    t = integ.calibration_table()
    assert (t["difference"].abs() < 0.01).all()


def test_pilot_participates_more_at_one_two_five_years():
    t = integ.participation_at(years=(1, 2, 5))
    assert t["month"].tolist() == [12, 24, 60]
    assert (t["verschil"] > 0).all()
    np.testing.assert_allclose(t["verschil"], t["pilot dag 1"] - t["huidige route"])


def test_cohorts_from_targets_spreads_half_years_evenly():
    from toolkit.taakstelling import municipal_targets

    t = municipal_targets(pd.DataFrame({"period": ["2016-II", "2017-I"], "target": [23000, 13000]}), year=2016)
    a = integ.cohorts_from_targets(t)
    assert a["month"].min() == pd.Period("2016-07", "M") and a["month"].max() == pd.Period("2017-06", "M")
    assert a["persons"].sum() == pytest.approx(t["target"].sum())
    utr = a[a["code"] == "GM0344"].set_index("month")["persons"]
    assert utr[pd.Period("2016-08", "M")] == pytest.approx(t[(t.code == "GM0344") & (t.period == "2016-II")]["target"].item() / 6)


def test_parameter_table_every_parameter_sourced():
    t = integ.parameter_table()
    fields = {f.name for f in dataclasses.fields(Scenario)} - {"name", "label"}
    assert set(t["name"]) == fields
    assert set(t["status"]) <= {"gepubliceerd", "schatting", "aanname"}
    assert t["source"].str.len().min() > 5
    assert t.set_index("name").loc["buddy_share", "pilot dag 1"] == "1"
    assert t.set_index("name").loc["housing_rate", "huidige route"] == "0,2"


@pytest.mark.parametrize(
    "changes,match",
    [
        (dict(housing_rate=1.5), "'housing_rate' must be a probability"),
        (dict(exempt_share=-0.1), "'exempt_share' must be a probability"),
        (dict(buddy_multiplier=0.5), "at least 1"),
        (dict(start_month=2.5), "whole number of months"),
        (dict(work_rates=((3, 0.1),)), "must start at 0"),
        (dict(work_rates=((0, 1.2),)), "probability"),
        (dict(work_rates=((0, 0.3),), volunteer_rate=0.1), "more than 100 %"),
        (dict(completed_multiplier=1.1, track_multiplier=1.5), "never lowers"),
        (dict(buddies=3), "unknown parameter"),
    ],
)
def test_bad_parameters(changes, match):
    with pytest.raises(ValidationError, match=match):
        scenario("dag1", **changes)


def test_gaps_in_arrivals_are_not_filled_silently():
    a = arrivals(month=["2016-07", "2016-10", "2016-08", "2017-01"])
    with pytest.raises(ValidationError, match=r"GM0344: no row for 2016-08, 2016-09"):
        integ.project(a, CURRENT, horizon_months=12)
    p = integ.project(a, CURRENT, horizon_months=12, allow_gaps=True)
    utrecht = p[p["code"] == "GM0344"].set_index("month")["new_persons"]
    assert utrecht[pd.Period("2016-09", "M")] == 0 and utrecht[pd.Period("2016-10", "M")] == 12


def test_bad_horizons():
    with pytest.raises(ValidationError, match="beyond the data"):
        integ.project(arrivals(), CURRENT, horizon_months=200)
    with pytest.raises(ValidationError, match="beyond the data"):
        integ.participation_at(years=(1, 10))
    with pytest.raises(ValidationError, match="after the horizon"):
        integ.project(arrivals(), CURRENT, horizon_months=3)


@pytest.mark.parametrize(
    "cols,match",
    [
        (dict(code=["GM0344", "GM9999", "GM0321", "GM0355"]), r"row 1, column 'code': unknown municipality code 'GM9999'"),
        (dict(code=["GM0344", "Utrecht", "GM0321", "GM0355"]), "expected a CBS code"),
        (dict(month=["2016-07", "juli", "2016-08", "2017-01"]), r"row 1, column 'month'"),
        (dict(persons=[30, -1, 9, 4]), r"row 1, column 'persons': expected a number >= 0"),
        (dict(adults=[40, 1, 1, 1]), r"row 0, column 'adults': 40 is more than the 30 persons"),
        (dict(month=["2016-07", "2016-07", "2016-08", "2017-01"]), "each \\(code, month\\) once"),
        (dict(month=["2016-07", None, "2016-08", "2017-01"]), r"row 1, column 'month'"),
        (dict(month=["2016-07", float("nan"), "2016-08", "2017-01"]), r"row 1, column 'month'"),
    ],
)
def test_bad_arrivals(cols, match):
    with pytest.raises(ValidationError, match=match):
        integ.project(arrivals(**cols), CURRENT, horizon_months=24)


def test_bad_targets():
    with pytest.raises(ValidationError, match="half years like '2016-II'"):
        integ.cohorts_from_targets(pd.DataFrame({"period": ["2016"], "code": ["GM0344"], "target": [5]}))
    with pytest.raises(ValidationError, match="columns"):
        integ.cohorts_from_targets(pd.DataFrame({"code": ["GM0344"]}))


def capacity_frame():
    return pd.DataFrame({
        "id": ["a", "b", "c"],
        "name": ["Vol <b>", "Leeg `${x}` <img src=x onerror=alert(1)>", "Onbekend"],
        "code": ["GM0344", "GM0355", "GM0321"],
        "lat": [52.08, 52.11, 52.0],
        "lon": [5.1, 5.25, 5.17],
        "capacity": [400, 370, 100],
        "occupancy_rate": [0.95, 0.5, np.nan],
        "free_places": [20.0, 185.0, np.nan],
        "underused": pd.array([False, True, pd.NA], dtype="boolean"),
        "mix_groups": pd.array([5, 2, pd.NA], dtype="Int64"),
    })


def test_start_locations_underused_first():
    cap = capacity_frame()
    out = integ.start_locations(cap)
    assert out["id"].tolist() == ["b", "a", "c"]
    assert out["start_places"].iloc[0] == 185
    assert cap["id"].tolist() == ["a", "b", "c"]
    assert integ.start_locations(cap, codes=["344", "GM0321"])["id"].tolist() == ["a", "c"]


def test_start_locations_from_capacity_module():
    out = integ.start_locations()
    assert {"name", "lat", "lon", "start_places"} <= set(out.columns)


def test_calibrate_recovers_known_rates():
    truth = scenario("huidig", work_rates=((0, 0.004), (12, 0.02)), volunteer_rate=0.006)
    c = integ.cohort_curves(truth, months=24)
    targets = pd.DataFrame({"month": [12, 24], "work_share": c["paid_work"].iloc[[12, 24]].to_numpy()})
    start = scenario("huidig", work_rates=((0, 0.01), (12, 0.01)), volunteer_rate=0.01)
    fitted = integ.calibrate(start, targets=targets, volunteer_target=(18, c["volunteering"].iloc[18]), rounds=3)
    assert [b for b, _ in fitted.work_rates] == [0, 12]
    np.testing.assert_allclose([r for _, r in fitted.work_rates], [0.004, 0.02], rtol=1e-3)
    assert fitted.volunteer_rate == pytest.approx(0.006, rel=1e-3)
