import numpy as np
import pandas as pd
import pytest

from toolkit import ValidationError
from toolkit.demand import dwelling_demand, simulate_households, size_class
from toolkit.households import HouseholdSizeModel, synthetic_caseload
from toolkit.taakstelling import municipal_targets

COLUMNS = ["period", "code", "size_class", "households", "households_lo", "households_hi", "persons"]
MIXED = {1: 0.4, 2: 0.2, 3: 0.15, 4: 0.1, 6: 0.1, 9: 0.05}


def targets(*rows):
    return pd.DataFrame(rows, columns=["period", "code", "target"])


def test_size_class_mapping():
    assert size_class([1, 2, 3, 4, 5, 6, 12]).tolist() == ["1", "2", "3-4", "3-4", "5+", "5+", "5+"]
    with pytest.raises(ValidationError, match="at least 1"):
        size_class([0, 2])


def test_simulation_hand_cases():
    h, sizes = simulate_households(10, {2: 1.0}, n_sims=50, seed=1)
    assert sizes.tolist() == [2.0] and (h == 5).all()
    # 11 persons in pairs: 5 pairs, and a sixth with probability 1/2 (11 - 10) / 2
    h, _ = simulate_households(11, {2: 1.0}, n_sims=4000, seed=2)
    assert set(np.unique(h)) == {5, 6}
    assert abs(h.mean() - 5.5) < 4 * 0.5 / np.sqrt(4000)
    h, _ = simulate_households(0, MIXED, n_sims=10)
    assert (h == 0).all()


def test_simulation_keeps_households_whole_and_persons_near_target():
    target = 123.4
    h, sizes = simulate_households(target, MIXED, n_sims=4000, seed=3)
    persons = h @ sizes
    # every draw stops within one household of the target ...
    assert (persons > target - sizes.max()).all() and (persons < target + sizes.max()).all()
    # ... and the persons housed equal the target in expectation
    assert abs(persons.mean() - target) < 4 * persons.std() / np.sqrt(len(persons))


def test_large_targets_match_the_renewal_expectation():
    # For many persons, households of size s -> P * p(s) / E[size] (independent closed form)
    p = pd.Series(MIXED)
    target = 5000
    h, sizes = simulate_households(target, MIXED, n_sims=400, seed=4)
    expected = target * p.to_numpy() / float((p.index.to_numpy() * p).sum())
    assert np.allclose(h.mean(axis=0), expected, rtol=0.02, atol=1)


def test_demand_layout_and_classes_add_up():
    t = targets(("2016-II", "GM0344", 460.0), ("2016-II", "GM0312", 20.0), ("2017-I", "GM0344", 260.0))
    before = t.copy()
    d = dwelling_demand(t, size_distribution=MIXED, n_sims=2000, seed=5)
    pd.testing.assert_frame_equal(t, before)
    assert list(d.columns) == COLUMNS
    assert len(d) == 3 * 4
    for _, g in d.groupby(["period", "code"]):
        assert g["size_class"].tolist() == ["1", "2", "3-4", "5+"]
    # persons add up to the target: per draw within one household, so the mean within
    # max size / sqrt(n_sims) * 4 of it
    tol = 4 * 9 / np.sqrt(2000)
    got = d.groupby(["period", "code"], sort=False)["persons"].sum().to_numpy()
    assert np.allclose(got, t["target"].to_numpy(), atol=tol)
    # class '3-4' holds sizes 3 and 4, '5+' sizes 6 and 9: persons per household inside the class range
    per = d.set_index(["period", "code", "size_class"])
    ratio = per["persons"] / per["households"]
    assert ratio.xs("1", level="size_class").eq(1).all()
    assert ratio.xs("3-4", level="size_class").between(3, 4).all()
    assert ratio.xs("5+", level="size_class").between(6, 9).all()
    assert (d["households_lo"] <= d["households"]).all() and (d["households"] <= d["households_hi"]).all()
    assert d.loc[d["size_class"] == "2", "persons"].div(d.loc[d["size_class"] == "2", "households"]).eq(2).all()


def test_interval_covers_fresh_realisations():
    t = targets(("2016-II", "GM0344", 300.0))
    d = dwelling_demand(t, size_distribution=MIXED, n_sims=2000, seed=6)
    fresh, sizes = simulate_households(300.0, MIXED, n_sims=2000, seed=99)
    classes = size_class(sizes)
    for _, row in d.iterrows():
        n = fresh[:, classes == row["size_class"]].sum(axis=1)
        inside = ((n >= row["households_lo"]) & (n <= row["households_hi"])).mean()
        assert 0.75 <= inside <= 0.95, (row["size_class"], inside)


def test_demand_from_municipal_targets_and_default_distribution():
    national = pd.DataFrame({"period": ["2016-II", "2017-I"], "target": [23000, 13000]})
    t = municipal_targets(national, year=2016, region="U16")
    d = dwelling_demand(t, n_sims=300, seed=7)
    assert set(d["code"]) == set(t["code"]) and len(d) == 2 * 16 * 4
    assert d.attrs["status"] == "synthetisch"
    assert d.attrs["size_distribution"].sum() == pytest.approx(1)
    again = dwelling_demand(t, n_sims=300, seed=7)
    pd.testing.assert_frame_equal(d, again)
    whole = dwelling_demand(t, n_sims=300, seed=7, column="target_int")
    got = whole.groupby("period")["persons"].sum()
    assert np.allclose(got.to_numpy(), t.groupby("period")["target_int"].sum().to_numpy(), rtol=0.01)


def test_demand_from_model_and_caseload():
    train = synthetic_caseload(4000, seed=8)
    model = HouseholdSizeModel().fit(train)
    waiting = synthetic_caseload(1000, seed=9).drop(columns="final_size")
    t = targets(("2016-II", "GM0344", 200.0))
    d = dwelling_demand(t, model=model, caseload=waiting, n_sims=500)
    assert d.attrs["status"] == "synthetisch"
    assert d["persons"].sum() == pytest.approx(200, abs=4 * 9 / np.sqrt(500))
    # the shares used are the model's expectation over the caseload
    dist = d.attrs["size_distribution"]
    assert np.allclose(dist.to_numpy(), model.predict_proba(waiting).mean(axis=0))


@pytest.mark.parametrize(
    "frame, kwargs, match",
    [
        (targets(("2016-II", "GM0344", -5.0)), {}, r"(?s)targets.*'target'.*at least 0"),
        (pd.DataFrame({"period": ["2016-II"], "code": ["GM0344"]}), {}, "no column 'target'"),
        (pd.DataFrame({"period": ["2016-II"], "target": [3.0]}), {}, "missing column 'code'"),
        (targets(("2016-II", "GM0344", 5.0), ("2016-II", "344", 6.0)), {}, "duplicates"),
        (targets(("2016-II", "GM0344", 5.0)), {"size_distribution": {0: 1.0}}, "household sizes"),
        (targets(("2016-II", "GM0344", 5.0)), {"size_distribution": {1: -1.0, 2: 2.0}}, "non-negative shares"),
        (targets(("2016-II", "GM0344", 5.0)), {"interval": 1.2}, "'interval'"),
        (targets(("2016-II", "GM0344", 5.0)), {"n_sims": 0}, "'n_sims'"),
        (targets(("2016-II", "GM0344", 5.0)), {"model": object()}, "'model' and 'caseload' go together"),
        (targets(("2016-II", "GM0344", 5.0)), {"size_distribution": MIXED, "caseload": pd.DataFrame()}, "not both"),
    ],
)
def test_bad_input(frame, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        dwelling_demand(frame, **kwargs)
