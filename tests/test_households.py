import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from toolkit import ValidationError
from toolkit.households import (
    NATIONALITY_GROUPS,
    GroupMeanBaseline,
    HouseholdSizeModel,
    calibration_by_size,
    current_size,
    error_report,
    final_size_distribution,
    parameter_table,
    reliability_table,
    synthetic_caseload,
    validate_caseload,
)

# Published figures typed in from FACTS.md §4 (independent of the module's table)
FIRST_2023 = {"syrisch": 13030, "eritrees": 2345}
TOTAL_FIRST_2023 = 38375
REUNITED_12M = {"syrisch": 0.30, "eritrees": 0.03}


def household(**kw):
    row = dict(
        household_id="h1",
        nationality_group="syrisch",
        referent_age=30,
        referent_sex="m",
        partner_present=False,
        children_present=0,
        family_abroad=0,
        months_since_permit=3,
        final_size=1,
    )
    row.update(kw)
    return row


@pytest.fixture(scope="module")
def train():
    return synthetic_caseload(20000, seed=11)


@pytest.fixture(scope="module")
def test_set():
    return synthetic_caseload(20000, seed=12)


@pytest.fixture(scope="module")
def model(train):
    return HouseholdSizeModel().fit(train)


# ---- generator ------------------------------------------------------------


def test_synthetic_caseload_layout_and_status():
    c = synthetic_caseload(500, seed=1)
    assert list(c.columns) == [
        "household_id", "nationality_group", "referent_age", "referent_sex", "partner_present",
        "children_present", "family_abroad", "months_since_permit", "final_size",
    ]
    assert c.attrs["status"] == "synthetisch"
    assert c["household_id"].is_unique
    assert set(c["nationality_group"]) <= set(NATIONALITY_GROUPS)
    assert set(c["referent_sex"]) <= {"m", "v"}
    assert (c["referent_age"] >= 18).all()
    # it passes its own schema unchanged
    pd.testing.assert_frame_equal(validate_caseload(c).reset_index(drop=True), c, check_dtype=False)


def test_synthetic_caseload_is_reproducible():
    a, b = synthetic_caseload(300, seed=4), synthetic_caseload(300, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(synthetic_caseload(300, seed=5))


def test_final_size_is_current_or_current_plus_declared_family():
    c = synthetic_caseload(5000, seed=2)
    cur = current_size(c)
    assert ((c["final_size"] == cur) | (c["final_size"] == cur + c["family_abroad"])).all()
    # households with nobody abroad are complete
    done = c["family_abroad"] == 0
    assert (c.loc[done, "final_size"] == cur[done]).all()


def test_generator_reproduces_published_shares():
    c = synthetic_caseload(100_000, seed=3)
    for g, first in FIRST_2023.items():
        p = first / TOTAL_FIRST_2023
        se = np.sqrt(p * (1 - p) / len(c))
        assert abs((c["nationality_group"] == g).mean() - p) < 4 * se


def test_generator_reproduces_family_reunited_within_a_year():
    # With nobody travelling with family, a household has family present at month 12
    # exactly when its family came within a year: CBS cohort 2014 (30 % / 3 %).
    c = synthetic_caseload(300_000, seed=6, parameters={"travelled_alone": 1.0})
    at12 = c[c["months_since_permit"] == 12]
    for g, share in REUNITED_12M.items():
        s = at12[at12["nationality_group"] == g]
        came = (s["partner_present"] | (s["children_present"] > 0)).mean()
        se = np.sqrt(share * (1 - share) / len(s))
        assert abs(came - share) < 4 * se, (g, came, share)


def test_declared_family_abroad_is_near_ind_estimate():
    # IND: "about 3" nareizigers per permit holder who sends for family
    c = synthetic_caseload(100_000, seed=7)
    fresh = c[(c["months_since_permit"] == 0) & (c["family_abroad"] > 0)]
    assert 2.0 <= fresh["family_abroad"].mean() <= 3.5


def test_parameter_table_names_status_and_source_of_each_parameter():
    t = parameter_table()
    assert set(t["status"]) == {"gepubliceerd", "afgeleid", "aanname"}
    assert t["basis"].str.len().gt(10).all()
    pub = t[t["status"] == "gepubliceerd"]
    assert pub.loc[(pub.parameter == "travelled_alone") & (pub.group == "eritrees"), "value"].item() == 0.86


def test_bad_generator_parameters():
    with pytest.raises(ValidationError, match="unknown parameter 'sucess'"):
        synthetic_caseload(10, parameters={"sucess": 0.5})
    with pytest.raises(ValidationError, match="'success' for 'syrisch' must lie between 0 and 1"):
        synthetic_caseload(10, parameters={"success": {"syrisch": 1.5}})
    with pytest.raises(ValidationError, match="more than travelled_alone"):
        synthetic_caseload(10, parameters={"travelled_alone": {"syrisch": 0.1}})
    with pytest.raises(ValidationError, match="'n' must be a positive whole number"):
        synthetic_caseload(0)


# ---- validation -------------------------------------------------------------


def test_unknown_group_becomes_overig_with_warning():
    df = pd.DataFrame([household(nationality_group="afghaans"), household(household_id="h2", nationality_group="Syrië")])
    with pytest.warns(UserWarning, match=r"unknown groups 'afghaans' \(1x\) mapped to 'overig'"):
        out = validate_caseload(df)
    assert out["nationality_group"].tolist() == ["overig", "syrisch"]
    assert df.loc[0, "nationality_group"] == "afghaans"  # caller's frame untouched


def test_dutch_column_names_are_accepted():
    df = pd.DataFrame([household()]).rename(
        columns={"referent_age": "leeftijd", "referent_sex": "geslacht", "children_present": "kinderen"}
    )
    out = validate_caseload(df)
    assert out.loc[0, "referent_age"] == 30


def test_missing_column_is_named():
    df = pd.DataFrame([household()]).drop(columns="months_since_permit")
    with pytest.raises(ValidationError, match="missing column 'months_since_permit'"):
        validate_caseload(df, source="caseload.csv")


def test_bad_values_name_column_and_row():
    df = pd.DataFrame([household(), household(household_id="h2", referent_sex="q")])
    with pytest.raises(ValidationError, match=r"(?s)caseload.csv.*'referent_sex'.*'q' in row 3"):
        validate_caseload(df, source="caseload.csv", row_base=2)


def test_final_size_below_current_size_is_rejected():
    df = pd.DataFrame([household(partner_present=True, children_present=2, final_size=2)])
    with pytest.raises(ValidationError, match="'final_size': expected at least the current size"):
        validate_caseload(df)


# ---- model ----------------------------------------------------------------


def _oracle_proba_declared(c):
    """P(the declared family still comes | not come after m months), from the documented process."""
    t = parameter_table()
    glob = t[t["group"].isna()].set_index("parameter")["value"]
    success = t[t["parameter"] == "success"].set_index("group")["value"]
    s = c["nationality_group"].map(success).to_numpy()
    shape = glob["lag_shape"]
    surv = stats.gamma.sf(c["months_since_permit"].to_numpy(), shape, scale=glob["lag_mean"] / shape)
    return s * surv / (s * surv + 1 - s)


def test_model_beats_group_mean_baseline_on_held_out_data(model, test_set):
    r = error_report(model, test_set).set_index(["dimension", "group"])
    overall = r.loc[("alle", "alle")]
    assert overall["n"] == (test_set["family_abroad"] > 0).sum()
    assert overall["log_loss_model"] < overall["log_loss_baseline"] - 0.5
    assert overall["mae_model"] < overall["mae_baseline"] - 0.3
    for sex in ("m", "v"):
        row = r.loc[("referent_sex", sex)]
        assert row["log_loss_model"] < row["log_loss_baseline"]
        assert row["mae_model"] < row["mae_baseline"]


def test_model_is_close_to_the_truth_known_by_construction(model, test_set):
    pend = test_set[test_set["family_abroad"] > 0]
    q = _oracle_proba_declared(pend)
    cur = current_size(pend).to_numpy()
    y = pend["final_size"].to_numpy()
    came = y > cur
    oracle_ll = -np.mean(np.where(came, np.log(q), np.log(1 - q)))
    # the model cannot beat the truth on fresh data, and should come within 0.02 nats of it
    # (20,000 training households hold about 1,500 with family abroad)
    model_ll = error_report(model, test_set).iloc[0]["log_loss_model"]
    assert oracle_ll - 0.01 < model_ll < oracle_ll + 0.02
    # arrival probabilities track the true ones household by household
    p = model.predict_arrival(pend)
    assert np.mean(np.abs(p - q)) < 0.05


def test_model_is_calibrated(model, test_set):
    # Per bin of predicted probability, a calibrated model's observed frequency differs from the
    # mean prediction by binomial noise (se); allow 3 se plus 0.02 for estimation error of a
    # model trained on ~1,500 households with family abroad.
    rt = reliability_table(model, test_set)
    big = rt[rt["n"] >= 100]
    assert len(big) >= 8
    assert ((big["observed"] - big["mean_predicted"]).abs() <= 3 * big["se"] + 0.02).all(), rt
    # Expected against observed households per size: Poisson-binomial sd of the count
    cs = calibration_by_size(model, test_set)
    pend = test_set[test_set["family_abroad"] > 0]
    p = model.predict_proba(pend)
    sd = np.sqrt((p * (1 - p)).sum(axis=0))
    assert (np.abs(cs["expected"] - cs["observed"]) <= 3.5 * sd + 2).all(), cs
    assert cs["observed"].sum() == len(pend)


def test_probabilities_are_a_distribution_over_sizes(model, test_set):
    p = model.predict_proba(test_set)
    assert p.shape == (len(test_set), 8)
    assert np.allclose(p.sum(axis=1), 1)
    assert (p >= 0).all()
    assert model.classes_.tolist() == list(range(1, 9))
    cur = current_size(test_set).to_numpy()
    mean = model.predict_mean(test_set)
    declared = cur + test_set["family_abroad"].to_numpy()
    # households with nobody abroad keep their size; others lie between current and declared size
    assert np.all(mean >= np.minimum(cur, 8) - 1e-9)
    assert np.all(mean <= np.maximum(declared, model.top_class_mean_) + 1e-9)


def test_hand_case_everyone_or_nobody_comes():
    pending = [
        household(household_id=f"p{i}", family_abroad=2, months_since_permit=i, final_size=3) for i in range(5)
    ]
    alone = [household(household_id=f"a{i}", months_since_permit=i) for i in range(5)]
    m = HouseholdSizeModel().fit(pd.DataFrame(pending + alone))
    new = pd.DataFrame([household(household_id="n1", family_abroad=2, final_size=None),
                        household(household_id="n2", final_size=None)])
    p = m.predict_proba(new)
    assert p[0].tolist() == pytest.approx([0, 0, 1, 0, 0, 0, 0, 0])  # all declared families came
    assert p[1].tolist() == pytest.approx([1, 0, 0, 0, 0, 0, 0, 0])  # nobody came without declaring
    assert m.predict(new).tolist() == [3, 1]
    nobody = [dict(r, final_size=1) for r in pending]
    m0 = HouseholdSizeModel().fit(pd.DataFrame(nobody + alone))
    assert m0.predict_proba(new)[0].tolist() == pytest.approx([1, 0, 0, 0, 0, 0, 0, 0])


def test_baseline_hand_case():
    df = pd.DataFrame([
        household(household_id="a", nationality_group="eritrees", final_size=1),
        household(household_id="b", nationality_group="eritrees", final_size=3),
        household(household_id="c", nationality_group="syrisch", final_size=4),
    ])
    b = GroupMeanBaseline(max_size=4, alpha=0).fit(df)
    assert b.predict_mean(df).tolist() == [2.0, 2.0, 4.0]
    assert b.predict_proba(df)[0].tolist() == [0.5, 0, 0.5, 0]
    # a group not seen in fitting gets the overall figures
    new = pd.DataFrame([household(household_id="d", nationality_group="iraaks")])
    assert b.predict_mean(new).tolist() == [pytest.approx(8 / 3)]


def test_unknown_group_at_prediction_is_treated_as_overig(model):
    base = pd.DataFrame([household(nationality_group="overig", family_abroad=3, final_size=None)])
    odd = base.assign(nationality_group="atlantis")
    with pytest.warns(UserWarning, match="'atlantis'"):
        p_odd = model.predict_proba(odd)
    assert np.allclose(p_odd, model.predict_proba(base))


def test_estimator_contract(train):
    m = HouseholdSizeModel(C=3.0)
    with pytest.raises(NotFittedError):
        m.predict_proba(train.head(3))
    assert clone(m).get_params()["C"] == 3.0
    small = train.head(2000)
    before = small.copy()
    assert m.fit(small) is m
    pd.testing.assert_frame_equal(small, before)
    assert m.n_train_ == 2000
    assert HouseholdSizeModel(max_size=5).fit(small).predict_proba(small).shape == (2000, 5)


def test_fit_needs_known_final_sizes(train):
    with pytest.raises(ValidationError, match="final_size"):
        HouseholdSizeModel().fit(train.drop(columns="final_size"))
    with pytest.raises(ValidationError, match="final_size"):
        HouseholdSizeModel().fit(train.head(5).assign(final_size=None))
    with pytest.raises(ValidationError, match="max_size"):
        HouseholdSizeModel(max_size=1).fit(train.head(5))


def test_error_report_layout(model, test_set):
    r = error_report(model, test_set, pending_only=False)
    assert list(r.columns) == [
        "dimension", "group", "n", "mean_observed", "mean_predicted",
        "mae_model", "mae_baseline", "log_loss_model", "log_loss_baseline",
    ]
    assert r.iloc[0]["n"] == len(test_set)
    for dim in ("nationality_group", "referent_sex"):
        assert r.loc[r["dimension"] == dim, "n"].sum() == len(test_set)
    with pytest.raises(ValidationError, match="final_size"):
        error_report(model, test_set.drop(columns="final_size"))


def test_final_size_distribution(model, test_set):
    d = final_size_distribution(n=5000)
    assert d.sum() == pytest.approx(1)
    assert d.attrs["status"] == "synthetisch"
    # with every final size known, the distribution is the observed one
    known = final_size_distribution(model, test_set)
    obs = np.minimum(test_set["final_size"], 8).value_counts(normalize=True).sort_index()
    assert np.allclose(known.to_numpy(), obs.reindex(range(1, 9), fill_value=0).to_numpy())
    # with final sizes unknown, the model's expectation is close to the observed one
    pred = final_size_distribution(model, test_set.drop(columns="final_size"))
    assert np.abs(pred.to_numpy() - known.to_numpy()).max() < 0.01
    with pytest.raises(ValidationError, match="both 'model' and 'caseload'"):
        final_size_distribution(model)


def test_fit_with_explicit_y_of_wrong_length(train):
    with pytest.raises(ValidationError, match="y has 3 values for 5 households"):
        HouseholdSizeModel().fit(train.head(5), y=[1, 2, 3])
