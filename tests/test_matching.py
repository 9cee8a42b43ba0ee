import numpy as np
import pandas as pd
import pytest

from toolkit import InfeasibleError, ValidationError, region_codes
from toolkit.matching import (
    MatchingModel,
    compare_scopes,
    default_supply_rates,
    fairness_report,
    households_from_caseload,
    rolling_plan,
    supply_from_stock,
)

A, B = "GM0312", "GM0310"  # Bunnik, De Bilt
PAIR = [A, B]


def hh(*rows, period=None):
    """Households from (size, adults, final_size) tuples, ids H1, H2, ... in arrival order."""
    out = pd.DataFrame(
        [
            {"household_id": f"H{i + 1}", "size": s, "adults": a, "children": s - a, "final_size": f}
            for i, (s, a, f) in enumerate(rows)
        ]
    )
    if period is not None:
        out["period"] = period
    return out


def supply(*rows):
    return pd.DataFrame(rows, columns=["code", "size_class", "dwellings"])


def targets(**by_code):
    return pd.DataFrame({"code": list(by_code), "target": list(by_code.values())})


def solve(h, s, t, **kw):
    kw.setdefault("scope", PAIR)
    return MatchingModel.from_frames(h, s, t, **kw).solve()


def placed(model):
    a = model.assignment_.set_index("household_id")
    return {i: (r.code, r.size_class) if r.status == "gehuisvest" else None for i, r in a.iterrows()}


# ---- optimum known by hand --------------------------------------------------


def test_pooling_beats_solo_by_hand():
    # couple (H1) is linked first to the largest target (De Bilt, 3), the family of 3 then to Bunnik.
    # Bunnik has one '2' dwelling, De Bilt one '3-4' dwelling.
    h = hh((2, 2, 2), (3, 2, 3))
    s = supply((A, "2", 1), (B, "3-4", 1))
    t = targets(**{A: 2, B: 3})
    pooled = solve(h, s, t)
    assert placed(pooled) == {"H1": (A, "2"), "H2": (B, "3-4")}
    assert pooled.objective_ == 0
    solo = solve(h, s, t, scope="solo")
    # couple in De Bilt's 3-4 dwelling: 1 empty bed-space; the family does not fit Bunnik's '2': waits
    assert placed(solo) == {"H1": (B, "3-4"), "H2": None}
    assert solo.objective_ == pytest.approx(1 * 1.0 + 3 * 10.0)
    assert solo.assignment_.set_index("household_id").loc["H1", "linked_code"] == B
    # greedy baseline in arrival order on the pooled input makes the same mistake as solo
    greedy = MatchingModel.from_frames(h, s, t, scope=PAIR).solve(method="greedy")
    assert placed(greedy) == {"H1": (B, "3-4"), "H2": None}
    assert greedy.objective_ == pytest.approx(31.0)


def test_under_occupation_cost_and_no_overcrowding():
    h = hh((1, 1, 1), (5, 2, 5))
    s = supply((A, "2", 1), (A, "3-4", 5))
    m = solve(h, s, targets(**{A: 6, B: 0}))
    assert placed(m)["H1"] == (A, "2")  # one empty bed-space beats two
    assert placed(m)["H2"] is None  # 5 persons never go into a 3-4 dwelling
    a = m.assignment_.set_index("household_id")
    assert a.loc["H1", "under_occupation"] == 1 and a.loc["H2", "cost_waiting"] == 50
    assert m.objective_ == pytest.approx(1 + 50)
    assert m.summary_["households_waiting"] == 1 and m.summary_["persons_waiting"] == 5


def test_final_size_on_and_off():
    h = hh((2, 2, 4))
    s = supply((A, "2", 1), (A, "3-4", 1))
    t = targets(**{A: 2, B: 0})
    on = solve(h, s, t)
    assert placed(on)["H1"] == (A, "3-4")
    off = solve(h, s, t, use_final_size=False)
    assert placed(off)["H1"] == (A, "2")
    assert off.assignment_["expected_overcrowding"].item() == 2
    assert off.municipalities_.set_index("code").loc[A, "expected_overcrowding"] == 2


def test_reserve_keeps_dwellings_free():
    h = hh(*[(1, 1, 1)] * 10)
    s = supply((A, "1", 10))
    t = targets(**{A: 10, B: 0})
    m = solve(h, s, t, reserve=0.1)
    assert m.summary_["households_housed"] == 9 and m.summary_["reserve_dwellings"] == 1
    m = solve(h, s, t, reserve=0.15)  # 1.5 kept -> rounded up to 2
    assert m.summary_["households_housed"] == 8
    # the latest arrival waits
    assert placed(m)["H10"] is None and placed(m)["H1"] == (A, "1")


def test_sharing_groups_singles():
    h = hh(*[(1, 1, 1)] * 4)
    s = supply((A, "2", 2))
    t = targets(**{A: 4, B: 0})
    alone = solve(h, s, t)
    assert alone.summary_["households_housed"] == 2 and alone.summary_["under_occupation"] == 2
    shared = solve(h, s, t, sharing=2)
    assert shared.summary_["households_housed"] == 4 and shared.summary_["shared_dwellings"] == 2
    assert shared.summary_["under_occupation"] == 0
    d = shared.dwellings_
    assert d["adults"].tolist() == [2, 2] and d["shared"].all()
    assert shared.assignment_["dwelling_id"].nunique() == 2
    # 4 sharing adults at share_penalty 1 each, nobody waits
    assert shared.objective_ == pytest.approx(4 * 1.0)


def test_sharing_is_a_choice_not_a_rule():
    h = hh((1, 1, 1), (1, 1, 1), (1, 1, 1))
    s = supply((A, "1", 2), (A, "2", 1))
    m = solve(h, s, targets(**{A: 3, B: 0}), sharing=2)
    # three singles, three dwellings: everybody alone, the third with one empty bed-space
    assert m.summary_["shared_dwellings"] == 0 and m.summary_["households_housed"] == 3
    m = solve(h, supply((A, "1", 1), (A, "2", 1)), targets(**{A: 3, B: 0}), sharing=2)
    # two dwellings: two share the '2' dwelling, one lives alone (in the '1')
    assert m.summary_["shared_dwellings"] == 1 and m.summary_["households_housed"] == 3
    assert sorted(m.dwellings_["size_class"]) == ["1", "2"]
    m = solve(h, supply((A, "3-4", 1)), targets(**{A: 3, B: 0}), sharing=3)
    assert m.dwellings_["adults"].tolist() == [3]


def test_allocation_balancing_spreads_over_targets():
    h = hh((1, 1, 1), (1, 1, 1))
    s = supply((A, "1", 2), (B, "1", 1))
    m = solve(h, s, targets(**{A: 1, B: 1}))
    assert m.municipalities_.set_index("code")["persons_housed"].to_dict() == {A: 1, B: 1}
    assert m.objective_ == 0 and m.gap_ == 0


def test_from_arrays_core():
    # types: 3 singles and 1 family of 4; municipality 0 has two '1' and one '3-4', municipality 1 one '1'
    m = MatchingModel.from_arrays(
        need=[1, 4], persons=[1, 4], count=[3, 1], origin=[0, 0],
        supply=np.array([[2, 0, 1, 0], [1, 0, 0, 0]]), targets=[6, 1],
    ).solve()
    assert m.waiting_.tolist() == [0, 0]
    assert m.objective_ == 0
    assert m.municipalities_["persons_housed"].tolist() == [6, 1]
    # with Bunnik's target one lower, one person is housed above target: 0.5
    m5 = MatchingModel.from_arrays(need=[1, 4], persons=[1, 4], count=[3, 1], origin=[0, 0],
                                   supply=np.array([[2, 0, 1, 0], [1, 0, 0, 0]]), targets=[5, 1]).solve()
    assert m5.objective_ == pytest.approx(0.5)
    assert m.lp_bound_ <= m.objective_ + 1e-9


def test_needs_places_restrict_municipalities():
    h = hh((1, 1, 1), (1, 1, 1)).assign(needs_medisch=[True, False])
    s = supply((A, "1", 1), (B, "1", 1))
    m = solve(h, s, targets(**{A: 0, B: 2}), needs_places={"medisch": [A]})
    assert placed(m)["H1"] == (A, "1")


# ---- fairness band: infeasible with an explanation --------------------------


def test_fairness_band_infeasible_explains_class_municipality_and_relaxation():
    # Bunnik must house all of its 5 but has one '3-4' dwelling; families of 4, 3 and 4:
    # the best it can do alone is 4 persons; with one more 3-4 dwelling it takes 4 + 3
    h = hh((4, 2, 4), (3, 1, 3), (4, 2, 4))
    s = supply((A, "3-4", 1), (B, "3-4", 2))
    t = targets(**{A: 5, B: 3})
    with pytest.raises(InfeasibleError) as err:
        solve(h, s, t, fairness_band=(1.0, None))
    msg = str(err.value)
    assert "Bunnik (GM0312): needs at least 5 persons" in msg
    assert "can house at most 4" in msg and "size class '3-4' short by 1 dwelling" in msg
    assert "lower fairness_band[0] to 80 % or less" in msg
    assert "De Bilt (" not in msg
    sf = err.value.shortfalls
    assert sf[["code", "size_class", "dwellings_short", "lower_bound", "max_alone"]].values.tolist() == [[A, "3-4", 1, 5, 4]]


def test_infeasible_without_enough_households():
    h = hh((1, 1, 1))
    with pytest.raises(InfeasibleError, match="Even with unlimited dwellings"):
        solve(h, supply((A, "1", 3)), targets(**{A: 3, B: 0}), fairness_band=(1.0, None))


def test_fairness_band_binding_but_feasible():
    h = hh((1, 1, 1), (1, 1, 1))
    s = supply((A, "1", 2), (B, "1", 2))
    m = solve(h, s, targets(**{A: 2, B: 0}), fairness_band=(1.0, 1.0))
    assert m.municipalities_.set_index("code").loc[A, "persons_housed"] == 2
    assert fairness_report(m)["within_band"].all()


def test_reserve_named_when_it_causes_infeasibility():
    h = hh((1, 1, 1), (1, 1, 1))
    s = supply((A, "1", 2))
    with pytest.raises(InfeasibleError, match="lower reserve"):
        solve(h, s, targets(**{A: 2, B: 0}), fairness_band=(1.0, None), reserve=0.5)


# ---- invariants -------------------------------------------------------------


def random_instance(seed, n=60):
    rng = np.random.default_rng(seed)
    from toolkit.regions import region_codes

    codes = region_codes("U16", 2016)
    adults = rng.choice([1, 2], n, p=[0.6, 0.4])
    children = rng.choice([0, 1, 2, 3, 4], n, p=[0.5, 0.15, 0.15, 0.1, 0.1])
    size = adults + children
    h = pd.DataFrame({
        "household_id": [f"H{i}" for i in range(n)], "size": size, "adults": adults, "children": children,
        "final_size": size + rng.choice([0, 0, 1, 2], n),
        "nationality_group": rng.choice(["a", "b", "c"], n), "referent_sex": rng.choice(["m", "v"], n),
    })
    s = pd.DataFrame([(c, k, int(rng.integers(0, 4))) for c in codes for k in ("1", "2", "3-4", "5+")],
                     columns=["code", "size_class", "dwellings"])
    w = rng.uniform(1, 10, len(codes))
    t = pd.DataFrame({"code": codes, "target": np.round(w / w.sum() * size.sum())})
    return h, s, t


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_solo_never_better_than_u16(seed):
    h, s, t = random_instance(seed)
    table = compare_scopes(h, s, t, scopes=("solo", "U10", "U16"), region="U16").set_index("scope")
    assert table.loc["solo", "objective"] >= table.loc["U10", "objective"] - 1e-9
    assert table.loc["U10", "objective"] >= table.loc["U16", "objective"] - 1e-9
    assert (table["gap"] <= 1e-6).all()
    assert (table["households_housed"] + table["households_waiting"] == len(h)).all()


@pytest.mark.parametrize("seed", [4, 5])
def test_optimum_never_worse_than_greedy(seed):
    h, s, t = random_instance(seed)
    opt = MatchingModel.from_frames(h, s, t, scope="U16").solve()
    gr = MatchingModel.from_frames(h, s, t, scope="U16").solve(method="greedy")
    assert opt.objective_ <= gr.objective_ + 1e-9
    # the solution respects supply and classes
    used = opt.dwellings_.groupby(["code", "size_class"]).size()
    avail = s.set_index(["code", "size_class"])["dwellings"]
    assert (used <= avail.reindex(used.index)).all()
    a = opt.assignment_[opt.assignment_["status"] == "gehuisvest"]
    cap = a["size_class"].map({"1": 1, "2": 2, "3-4": 4, "5+": 10})
    assert (a["need"] <= cap).all()


def test_nationality_and_sex_do_not_change_placement():
    h, s, t = random_instance(7)
    base = solve(h, s, t, scope="U16")
    rng = np.random.default_rng(0)
    shuffled = h.assign(nationality_group=rng.permutation(h["nationality_group"].to_numpy()),
                        referent_sex=rng.permutation(h["referent_sex"].to_numpy()))
    other = solve(shuffled, s, t, scope="U16")
    cols = ["household_id", "code", "size_class", "status"]
    pd.testing.assert_frame_equal(base.assignment_[cols], other.assignment_[cols])
    assert not {"nationality_group", "referent_sex"} & set(base.assignment_.columns)


@pytest.mark.parametrize("sharing", [1, 3])
def test_cost_components_add_up_to_the_objective(sharing):
    h, s, t = random_instance(8)
    h = pd.concat([h, hh(*[(1, 1, 1)] * 12).assign(household_id=lambda d: "S" + d["household_id"])], ignore_index=True)
    m = solve(h, s, t, scope="U16", sharing=sharing)
    a = m.assignment_
    assert a["reason"].str.len().gt(0).all()
    over = m.municipalities_["over_target"].sum()
    assert a["cost_total"].sum() + 0.5 * over == pytest.approx(m.objective_)
    assert len(a) == len(h) and a["household_id"].is_unique


# ---- inputs -----------------------------------------------------------------


def test_caseload_converter():
    c = pd.DataFrame({
        "household_id": ["a", "b"], "nationality_group": ["x", "y"], "referent_age": [30, 40],
        "referent_sex": ["m", "v"], "partner_present": [True, False], "children_present": [2, 0],
        "family_abroad": [0, 3], "months_since_permit": [1, 2],
    })
    out = households_from_caseload(c, period="2017-I")
    assert out["size"].tolist() == [4, 1] and out["adults"].tolist() == [2, 1]
    assert out["final_size"].tolist() == [4, 4]
    assert "nationality_group" not in out and "referent_sex" not in out
    m = MatchingModel.from_frames(c, supply((A, "3-4", 2)), targets(**{A: 5, B: 0}), scope=PAIR).solve()
    assert m.summary_["households_housed"] == 2


def test_supply_from_stock_hand_case_and_default_rates():
    stock = pd.DataFrame({"code": ["GM0344", "GM0344"], "size_class": ["1", "2"], "dwellings": [1000, 200]})
    out = supply_from_stock(stock, turnover=0.1, share_permit_holders=0.2, periods=["2017-I", "2017-II"])
    assert out[out["period"] == "2017-I"]["dwellings"].tolist() == [10, 2]  # 1000 x 0.1 / 2 x 0.2 and 200 x 0.01
    rates = default_supply_rates()
    assert rates["turnover"] == pytest.approx(6220 / 103960)
    assert rates["share_permit_holders"] == pytest.approx(11000 / 162500)
    shipped = supply_from_stock()
    assert shipped.attrs["status"] == "schatting" and len(shipped) == 4 * 390  # every municipality of 2016


@pytest.mark.parametrize(
    "kind, match",
    [
        ("negative supply", "at least 0"),
        ("size 0", "at least 1"),
        ("too large", "larger than any dwelling class"),
        ("unknown code", "unknown municipality codes"),
        ("target outside scope", "outside the scope"),
        ("empty scope", "empty scope"),
        ("size mismatch", "adults \\+ children"),
    ],
)
def test_bad_input(kind, match):
    h = hh((2, 2, 2))
    s = supply((A, "2", 1))
    t = targets(**{A: 2, B: 0})
    kw = {"scope": PAIR}
    if kind == "negative supply":
        s = supply((A, "2", -1))
    elif kind == "size 0":
        h = h.assign(size=0, adults=0)
    elif kind == "too large":
        h = hh((11, 2, 11))
    elif kind == "unknown code":
        s = supply(("GM9999", "2", 1))
    elif kind == "target outside scope":
        t = targets(**{A: 2, B: 0, "GM0344": 3})
    elif kind == "empty scope":
        kw["scope"] = []
    elif kind == "size mismatch":
        h = h.assign(size=3, final_size=3)
    with pytest.raises(ValidationError, match=match):
        MatchingModel.from_frames(h, s, t, **kw)


def test_bad_parameters():
    h, s, t = hh((1, 1, 1)), supply((A, "1", 1)), targets(**{A: 1, B: 0})
    with pytest.raises(ValidationError, match="fairness_band"):
        MatchingModel.from_frames(h, s, t, scope=PAIR, fairness_band=(1.2, 0.8))
    with pytest.raises(ValidationError, match="reserve"):
        MatchingModel.from_frames(h, s, t, scope=PAIR, reserve=1.5)
    with pytest.raises(ValidationError, match="sharing"):
        MatchingModel.from_frames(h, s, t, scope=PAIR, sharing=0)
    with pytest.raises(ValidationError, match="several periods"):
        MatchingModel.from_frames(h, pd.concat([s.assign(period="2017-I"), s.assign(period="2017-II")]), t, scope=PAIR)


# ---- over time --------------------------------------------------------------


def test_rolling_plan_carries_waiting_households_and_backlog():
    h = pd.concat([hh((1, 1, 1), (1, 1, 1), period="2017-I"),
                   hh((1, 1, 1), period="2017-II").assign(household_id="H3")], ignore_index=True)
    s = pd.concat([supply((A, "1", 1)).assign(period=p) for p in ("2017-I", "2017-II")], ignore_index=True)
    t = pd.concat([targets(**{A: 2, B: 0}).assign(period=p) for p in ("2017-I", "2017-II")], ignore_index=True)
    plan = rolling_plan(h, s, t, scope=PAIR)
    m = plan.municipalities.set_index(["period", "code"])
    assert m.loc[("2017-I", A), "persons_housed"] == 1
    assert m.loc[("2017-II", A), "target_incl_backlog"] == 3  # 2 + 2 cumulative minus 1 housed
    assert m.loc[("2017-II", A), "cum_housed"] == 2 and m.loc[("2017-II", A), "cum_pct"] == pytest.approx(50)
    a = plan.assignment[plan.assignment["plan_period"] == "2017-II"].set_index("household_id")
    assert a.loc["H2", "status"] == "gehuisvest"  # the carried household arrived first
    assert a.loc["H3", "status"] == "wachtend"
    assert plan.regional["households_waiting"].tolist() == [1, 1]


def test_from_arrays_bad_input():
    with pytest.raises(ValidationError, match="at least 0"):
        MatchingModel.from_arrays(need=[1], persons=[1], count=[1], origin=[0], supply=[[-1, 0, 0, 0]], targets=[1])
    with pytest.raises(ValidationError, match="larger than any dwelling class"):
        MatchingModel.from_arrays(need=[12], persons=[12], count=[1], origin=[0], supply=[[1, 0, 0, 0]], targets=[1])
    with pytest.raises(ValidationError, match="at least one municipality"):
        MatchingModel.from_arrays(need=[1], persons=[1], count=[1], origin=[0], supply=np.zeros((0, 4)), targets=[])


def test_synthetic_caseload_runs_through_the_model():
    from toolkit.households import synthetic_caseload

    c = synthetic_caseload(40, seed=3)
    s = supply_from_stock(share_permit_holders=0.2)
    s = s[s["code"].isin(region_codes("U16", 2016))]
    t = pd.DataFrame({"code": s["code"].unique(), "target": 5.0})
    m = MatchingModel.from_frames(c, s, t, scope="U16").solve()
    a = m.assignment_
    assert len(a) == 40 and set(a["household_id"]) == set(c["household_id"])
    sizes = 1 + c["partner_present"].astype(int) + c["children_present"]
    assert a.set_index("household_id")["size"].to_dict() == dict(zip(c["household_id"], sizes))


def test_compare_scopes_table_shape():
    h, s, t = random_instance(9)
    table = compare_scopes(h, s, t, scopes=("solo", "U16"))
    assert table["scope"].tolist() == ["solo", "U16"]
    assert table["gain_vs_first"].iloc[0] == 0
    assert table["gain_vs_first"].iloc[1] == table["households_housed"].iloc[1] - table["households_housed"].iloc[0]


def test_compare_scopes_matches_separate_solves_and_names_unknown_parameters():
    h, s, t = random_instance(9)
    table = compare_scopes(h, s, t, scopes=("solo", "U16"), reserve=0.1).set_index("scope")
    for scope in ("solo", "U16"):
        alone = MatchingModel.from_frames(h, s, t, scope=scope, region="U16", reserve=0.1).solve()
        assert table.loc[scope, "objective"] == pytest.approx(alone.objective_)
    with pytest.raises(ValidationError, match="bogus"):
        compare_scopes(h, s, t, scopes=("solo",), bogus=1)


def test_rolling_plan_balances_the_cumulative_share():
    # period 1: only Bunnik has dwellings, both singles go there (1 above its target);
    # period 2: both have a dwelling; the new single goes to De Bilt, which is behind
    h = pd.concat([hh((1, 1, 1), (1, 1, 1), period="2017-I"),
                   hh((1, 1, 1), period="2017-II").assign(household_id="H3")], ignore_index=True)
    s = pd.concat([supply((A, "1", 2)).assign(period="2017-I"),
                   supply((A, "1", 1), (B, "1", 1)).assign(period="2017-II")], ignore_index=True)
    t = pd.concat([targets(**{A: 1, B: 1}).assign(period=p) for p in ("2017-I", "2017-II")], ignore_index=True)
    plan = rolling_plan(h, s, t, scope=PAIR)
    a = plan.assignment.set_index(["plan_period", "household_id"])
    assert a.loc[("2017-I", "H1"), "code"] == A and a.loc[("2017-I", "H2"), "code"] == A
    assert a.loc[("2017-II", "H3"), "code"] == B
    m = plan.municipalities.set_index(["period", "code"])
    assert m.loc[("2017-II", A), "target_incl_backlog"] == 0 and m.loc[("2017-II", B), "target_incl_backlog"] == 2
    assert m.loc[("2017-II", B), "cum_pct"] == pytest.approx(50)
