from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from toolkit import ValidationError
from toolkit import forecast as F


def quarters(start, n):
    return pd.period_range(start, periods=n, freq="Q")


def trend_season(n=28, *, slope=0.04, noise=0.03, seed=1):
    """Known by construction: log y = log 2000 + slope * t + season + noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = np.array([-0.2, 0.0, 0.25, -0.05])
    logy = np.log(2000) + slope * t + season[t % 4] + rng.normal(0, noise, n)
    return pd.Series(np.exp(logy), index=quarters("2015Q1", n))


# ----------------------------------------------------------------- quarterly_series


def test_quarterly_series_uses_published_quarters_from_csv():
    q = F.quarterly_series("nareizigers")
    # typed in from FACTS.md §2 (CBS release on Q3 2024)
    assert q.loc[q["period"] == "2021-Q4", "value"].item() == 3230
    assert q.loc[q["period"] == "2024-Q3", "value"].item() == 2650
    assert (q["built_from"] == "kwartaal").all()
    assert q["period"].is_unique and q["period_start"].is_monotonic_increasing


def test_quarterly_series_prefers_quarter_rows_and_sums_only_complete_months():
    data = pd.DataFrame(
        {
            "period": ["2018-01", "2018-02", "2018-03", "2018-Q1", "2018-04", "2018-05", "2018-06", "2018-07", "2018-08"],
            "granularity": ["maand"] * 3 + ["kwartaal"] + ["maand"] * 5,
            "series": "s",
            "value": [1, 2, 3, 10, 4, 5, 6, 7, 8],
        }
    )
    q = F.quarterly_series("s", data=data)
    assert q["period"].tolist() == ["2018-Q1", "2018-Q2"]  # Q3 has only two months: left out
    assert q["value"].tolist() == [10, 15]  # the quarterly row wins over its months
    assert q["built_from"].tolist() == ["kwartaal", "maand"]


def test_totaal_series_gap_stays_a_gap():
    q = F.quarterly_series("totaal")
    # monthly totals 2014-01..2016-11: 2016-Q4 lacks December, so it is absent
    assert q["period"].iloc[-1] == "2016-Q3"
    assert q.loc[q["period"] == "2014-Q1", "value"].item() == 1610 + 1330 + 1270
    assert "minimaal" in q.loc[q["period"] == "2016-Q3", "qualifier"].item()


@pytest.mark.parametrize(
    "data, match",
    [
        (pd.DataFrame({"period": ["2018-Q1", "2018-02"], "value": [1, 2]}), "without a 'granularity' column"),
        (pd.DataFrame({"period": ["2018-Q1", "2018-Q2"], "value": [1, -2]}), "at least 0"),
        (pd.DataFrame({"period": ["2018-Q1", "2018-Q1"], "value": [1, 2]}), "duplicates"),
        (pd.DataFrame({"period": ["2018-Q1", "Q2-2018"], "value": [1, 2]}), "Q2-2018"),
        (pd.DataFrame({"period": ["2018-01"], "granularity": ["kwartaal"], "value": [1]}), "does not match"),
    ],
)
def test_quarterly_series_bad_input(data, match):
    with pytest.raises(ValidationError, match=match):
        F.quarterly_series("reeks", data=data)


# ----------------------------------------------------------------- as_quarterly


@pytest.mark.parametrize(
    "y, match",
    [
        (pd.Series([1.0, -3.0], index=["2018-Q1", "2018-Q2"]), "negative.*2018-Q2"),
        (pd.Series([1.0, 2.0], index=["2018-Q2", "2018-Q1"]), "sorted.*2018-Q2 before 2018-Q1"),
        (pd.Series([1.0, 2.0], index=["2018-Q1", "2018-Q1"]), "duplicates"),
        (pd.Series([1.0, 2.0], index=["2018-01", "2018-Q2"]), "quarter like.*maand"),
        (pd.Series([1.0, "veel"], index=["2018-Q1", "2018-Q2"]), "expected numbers"),
        (pd.DataFrame({"period": ["2018-Q1"], "value": [1.0], "granularity": ["maand"]}), "kwartaal"),
        ([1, 2, 3], "Series or DataFrame"),
    ],
)
def test_as_quarterly_rejects_bad_series(y, match):
    with pytest.raises(ValidationError, match=match):
        F.as_quarterly(y)


def test_as_quarterly_keeps_gaps_as_nan():
    s = F.as_quarterly(pd.DataFrame({"period": ["2018-Q1", "2018-Q4"], "value": [3, 4]}))
    assert len(s) == 4 and s.isna().sum() == 2


# ----------------------------------------------------------------- estimator contract


@pytest.mark.parametrize("cls", [F.Combination, F.SeasonalLevel, F.SeasonalNaive, F.Drift, F.Theta])
def test_estimator_contract(cls):
    m = cls()
    with pytest.raises(NotFittedError):
        m.predict(2)
    y = trend_season(16)
    fitted = m.fit(y)
    assert fitted is m
    assert clone(m).get_params() == m.get_params()
    fc = m.predict(4)
    assert list(fc.columns) == F.FORECAST_COLUMNS
    assert fc["period"].tolist() == ["2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4"]
    assert (fc["lo95"] <= fc["lo80"]).all() and (fc["lo80"] <= fc["y_pred"]).all()
    assert (fc["y_pred"] <= fc["hi80"]).all() and (fc["hi80"] <= fc["hi95"]).all()
    assert y.equals(trend_season(16))  # the caller's series is untouched


def test_seasonal_naive_hand_case_with_gap():
    y = pd.Series([1.0, 2, 3, 4, 5, np.nan, 7], index=quarters("2018Q1", 7))
    fc = F.SeasonalNaive().fit(y).predict(4)
    # next quarters: 2019-Q4 <- 4 (2018), 2020-Q1 <- 5, 2020-Q2 <- 2 (2019-Q2 missing), 2020-Q3 <- 7
    assert fc["y_pred"].tolist() == [4.0, 5.0, 2.0, 7.0]


def test_drift_hand_case():
    y = pd.Series([100.0, np.nan, 140.0], index=quarters("2018Q1", 3))
    assert F.Drift().fit(y).predict(2)["y_pred"].tolist() == [160.0, 180.0]


def test_combination_is_the_mean_of_its_members_by_hand():
    # a pure season repeated: seasonal level, seasonal naive and theta (flat adjusted series, slope 0)
    # give the pattern back (100 for Q1); drift is 200 + (200 - 100) / 15 quarters = 206.67; the
    # combination is the mean of the four
    y = pd.Series([100.0, 400.0, 900.0, 200.0] * 4, index=quarters("2016Q1", 16))
    fc = F.Combination().fit(y).predict(1)
    assert fc["y_pred"].item() == pytest.approx((100 + 100 + 200 + 100 / 15 + 100) / 4, rel=1e-6)
    with pytest.raises(ValidationError, match=r"Combination: every quarter.*Q\[2\]"):
        F.Combination().fit(pd.Series([1.0, np.nan, 3, 4, 5, np.nan], index=quarters("2016Q1", 6)))


def test_theta_hand_case_ses_with_half_the_ols_slope():
    # five quarters (too few for quarter effects): x = log(1 + y); OLS slope of x on t = 0..4;
    # SES with alpha 0.5 from the first value: l = x0, then l += 0.5 * (x_t - l);
    # forecast h: l + b / 2 * ((h - 1) + 1 / alpha - (1 - alpha) ** 5 / alpha)
    y = pd.Series([100.0, 120, 110, 150, 160], index=quarters("2020Q1", 5))
    x = np.log(1 + y.to_numpy())
    t = np.arange(5.0)
    b = ((t - t.mean()) * (x - x.mean())).sum() / ((t - t.mean()) ** 2).sum()
    level = x[0]
    for v in x[1:]:
        level += 0.5 * (v - level)
    expected = [np.exp(level + b / 2 * ((h - 1) + 2 - 0.5 ** 5 / 0.5)) - 1 for h in (1, 2, 3)]
    got = F.Theta(alpha=0.5).fit(y).predict(3)["y_pred"]
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    # estimated alpha on a pure line (seven quarters, no quarter effects): SES lags a line least
    # with alpha 1, so the forecast is the last value plus half the slope per quarter ahead
    line = pd.Series(np.exp(np.log(1000) + 0.05 * np.arange(7)) - 1, index=quarters("2016Q1", 7))
    got = np.log1p(F.Theta().fit(line).predict(2)["y_pred"].to_numpy())
    np.testing.assert_allclose(got, np.log(1000) + 0.05 * 6 + 0.025 * np.array([1, 2]), rtol=1e-10)
    with pytest.raises(ValidationError, match="Theta: parameter 'alpha'"):
        F.Theta(alpha=0.0).fit(y)


def test_seasonal_level_recovers_pure_season():
    pattern = [100.0, 400.0, 900.0, 200.0]
    y = pd.Series(pattern * 4, index=quarters("2016Q1", 16))
    fc = F.SeasonalLevel().fit(y).predict(4)
    np.testing.assert_allclose(fc["y_pred"], pattern, rtol=1e-6)


def test_seasonal_level_skips_gap_without_filling():
    y = trend_season(20)
    y_gap = y.copy()
    y_gap.iloc[[5, 6, 11]] = np.nan
    m = F.SeasonalLevel().fit(y_gap)
    assert m.n_obs_ == 17
    assert np.isfinite(m.predict(4)["y_pred"]).all()
    assert not m.residuals_["log_error"].isna().any()


def test_short_series_falls_back_with_warning():
    y = pd.Series([10.0, 12, 11, 13, 12], index=quarters("2020Q1", 5))
    with pytest.warns(F.ShortSeriesWarning, match="fewer than two seasons.*without quarter effects"):
        m = F.SeasonalLevel().fit(y)
    assert (m.seasonal_ == 0).all()
    assert m.predict(1)["lo80"].isna().all()  # too short to calibrate: no pretend interval


@pytest.mark.parametrize(
    "model, y, match",
    [
        (F.SeasonalLevel(), pd.Series([5.0], index=["2020-Q1"]), "at least 2"),
        (F.SeasonalNaive(), pd.Series([5.0, 6, 7], index=["2020-Q1", "2020-Q2", "2020-Q3"]), "at least 4"),
        (F.SeasonalLevel(alpha=0.0), trend_season(12), "alpha"),
        (F.SeasonalLevel(phi=1.5), trend_season(12), "phi"),
    ],
)
def test_bad_model_input(model, y, match):
    with pytest.raises(ValidationError, match=match):
        model.fit(y)


# ----------------------------------------------------------------- backtest


def test_model_beats_seasonal_naive_on_trend_plus_season():
    # With a steady 4 % growth per quarter, seasonal naive is a year of growth
    # (about 17 %) behind; a model that tracks level and trend must do better,
    # by far at short horizons (the damped trend gives back some of the gain later).
    bt = F.backtest(trend_season(28), min_train=12)
    m = F.backtest_metrics(bt).set_index(["horizon", "model"])
    for h, limit in ((1, 0.5), (2, 0.5), (3, 0.9), (4, 0.9)):
        assert m.loc[(h, "seizoensmodel"), "mae_ratio"] < limit
        assert m.loc[(h, "seizoensnaief"), "mae_ratio"] == pytest.approx(1.0)
    # the bar is not trivial: the drift baseline does not clear it
    assert m.loc[(2, "drift"), "mae_ratio"] > 0.5


def test_backtest_shape_and_gap_handling():
    y = trend_season(20)
    y.iloc[15] = np.nan
    bt = F.backtest(y, min_train=12, horizon=2)
    assert set(bt.columns) == {"origin", "period", "horizon", "model", "y_true", "y_pred", "lo80", "hi80", "lo95", "hi95", "scale"}
    assert set(bt["model"]) == {"combinatie", "seizoensmodel", "seizoensnaief", "drift", "theta"}
    assert "2018-Q4" not in set(bt["period"])  # the missing quarter is never a target
    assert "2018-Q4" not in set(bt["origin"])
    assert bt["horizon"].between(1, 2).all() and bt["y_true"].notna().all()


def test_backtest_skips_origins_a_baseline_cannot_use():
    y = trend_season(20)
    y.iloc[[1, 5, 9]] = np.nan  # Q2 missing in 2015-2017: seasonal naive needs it
    bt = F.backtest(y, min_train=8, horizon=1)
    skipped = [o for o, _ in bt.attrs["skipped_origins"]]
    assert skipped and all(o < "2018-Q2" for o in skipped)
    assert not set(skipped) & set(bt["origin"])
    assert bt.groupby("origin")["model"].nunique().eq(5).all()  # same origins for every model


def test_quarterly_sums_match_published_years():
    # FACTS.md §2: 2022 first applications 35,535 (CBS, yearly) = sum of the four published quarters
    q = F.quarterly_series("eerste_aanvragen")
    assert q.loc[q["period"].str.startswith("2022"), "value"].sum() == 35_535


def test_backtest_scale_is_in_sample_seasonal_naive_error():
    y = pd.Series(np.r_[[10.0, 20, 30, 40], [14.0, 24, 34, 44], [18.0, 28, 38, 48], [22.0]], index=quarters("2018Q1", 13))
    bt = F.backtest(y, min_train=12, horizon=1)
    assert bt["origin"].unique().tolist() == ["2020-Q4"]
    assert bt["scale"].iloc[0] == pytest.approx(4.0)  # every seasonal difference is 4


def test_intervals_cover_about_as_promised_on_stationary_noise():
    rng = np.random.default_rng(7)
    season = np.array([0.0, 0.3, 0.5, 0.1])
    t = np.arange(40)
    y = pd.Series(np.exp(7 + season[t % 4] + rng.normal(0, 0.1, 40)), index=quarters("2010Q1", 40))
    m = F.backtest_metrics(F.backtest(y, min_train=20, model=F.SeasonalLevel(beta=0.0)))
    mine = m[m["model"] == "seizoensmodel"]
    cov80 = np.average(mine["coverage80"], weights=mine["n"])
    cov95 = np.average(mine["coverage95"], weights=mine["n"])
    assert 0.65 <= cov80 <= 0.95
    assert cov95 >= 0.85


def test_metrics_hand_case_and_bad_input():
    bt = pd.DataFrame(
        {
            "origin": ["a", "a", "b", "b"],
            "horizon": [1, 1, 1, 1],
            "model": ["seizoensmodel", "seizoensnaief"] * 2,
            "y_true": [10.0, 10.0, 20.0, 20.0],
            "y_pred": [12.0, 6.0, 20.0, 24.0],
            "lo80": [11.0, 5.0, 15.0, 21.0],
            "hi80": [13.0, 7.0, 25.0, 27.0],
            "lo95": [9.0, 4.0, 14.0, 20.0],
            "hi95": [14.0, 8.0, 26.0, 28.0],
            "scale": [2.0, 2.0, 4.0, 4.0],
        }
    )
    m = F.backtest_metrics(bt).set_index("model")
    assert m.loc["seizoensmodel", "MAE"] == 1.0  # (2 + 0) / 2
    assert m.loc["seizoensmodel", "MASE"] == 0.5  # (2/2 + 0/4) / 2
    assert m.loc["seizoensmodel", "mae_ratio"] == 0.25  # 1 / ((4 + 4) / 2)
    assert m.loc["seizoensmodel", "coverage80"] == 0.5 and m.loc["seizoensmodel", "coverage95"] == 1.0
    # pinball at the median alone for origin b is 0; origin a: y below every quantile
    assert m.loc["seizoensmodel", "pinball"] > 0
    with pytest.raises(ValidationError, match="backtest_metrics"):
        F.backtest_metrics(bt.drop(columns="scale"))


def test_backtest_bad_arguments():
    with pytest.raises(ValidationError, match="min_train"):
        F.backtest(trend_season(12), min_train=4)
    with pytest.raises(ValidationError, match="more than min_train"):
        F.backtest(trend_season(12), min_train=12)


# ----------------------------------------------------------------- forecast and scenarios


def test_forecast_always_reports_both_baselines():
    fc = F.forecast(trend_season(16), horizon=3)
    assert fc.groupby("model").size().to_dict() == {"combinatie": 3, "drift": 3, "seizoensmodel": 3, "seizoensnaief": 3, "theta": 3}
    only = F.forecast(trend_season(16), horizon=3, model=F.SeasonalLevel())
    assert set(only["model"]) == {"seizoensmodel", "seizoensnaief", "drift"}


def test_scenarios_named_and_by_hand():
    fc = F.SeasonalLevel().fit(trend_season(16)).predict(4)
    low, mid, high = (F.scenario(fc, s)["value"] for s in ("laag", "midden", "hoog"))
    assert (low <= mid).all() and (mid <= high).all()
    own = F.scenario(fc, 40_000)
    assert own["value"].sum() == pytest.approx(40_000)
    # the shape follows the point forecast
    np.testing.assert_allclose(own["value"] / own["value"].sum(), mid / mid.sum())
    for bad in ("gemiddeld", -5, True, float("nan")):
        with pytest.raises(ValidationError, match="scenario"):
            F.scenario(fc, bad)


# ----------------------------------------------------------------- conformal calibration (issue 13, issue 10)


def test_conformal_rank_is_n_plus_one_by_hand():
    # 10 equal-weight scores 1..10: the 80 % bound is the ceil(11 * 0.8) = 9th smallest, not the
    # ceil(10 * 0.8) = 8th; the 95 % bound needs ceil(11 * 0.95) = 11 > 10 scores: none (inf)
    assert F.conformal_quantile(range(1, 11), 0.8) == 9.0
    assert F.conformal_quantile(range(10, 0, -1), 0.8) == 9.0  # order of the scores does not matter
    assert F.conformal_quantile(range(1, 11), 0.95) == np.inf
    assert F.conformal_quantile(range(1, 20), 0.95) == 19.0  # ceil(20 * 0.95) = 19th of 19


def test_conformal_weights_by_hand():
    # scores 1 and 10 with weights 0.5 and 1, plus the new point (weight 1) at +inf:
    # cumulative 0.5 / 2.5 = 0.2 at 1 and 1.5 / 2.5 = 0.6 at 10
    assert F.conformal_quantile([1, 10], 0.2, [0.5, 1]) == 1.0
    assert F.conformal_quantile([1, 10], 0.3, [0.5, 1]) == 10.0
    assert F.conformal_quantile([1, 10], 0.3) == 1.0  # unweighted: 1 / 3 >= 0.3
    assert F.conformal_quantile([1, 10], 0.7, [0.5, 1]) == np.inf
    with pytest.raises(ValidationError, match="weight"):
        F.conformal_quantile([1, 2], 0.8, [1, 2])


def test_model_interval_uses_the_n_plus_one_rank_per_horizon():
    # seasonal naive on a series whose h=1 log errors are known: zeros for eight quarters, then
    # log1p(y) = 0.1, 0.2, ..., 1.0 one quarter each and back to zero; each h=1 error is
    # log1p(y[t]) - log1p(y[t-4]) with both known, and the 80 % bound is the 9th of the ten
    # largest |errors| counted by hand below
    z = np.zeros(30)
    z[8:18] = np.arange(1, 11) / 10
    y = pd.Series(np.expm1(z), index=quarters("2010Q1", 30))
    m = F.SeasonalNaive(decay=1.0, calib_horizon=1, adapt=0).fit(y)
    errors = np.abs([z[t] - z[t - 4] for t in range(8, 30)])
    n = len(errors)
    expected = np.sort(errors)[int(np.ceil((n + 1) * 0.8)) - 1]
    assert m.interval_scale_[0.8][0] == pytest.approx(expected)
    assert np.sort(errors)[int(np.ceil(n * 0.8)) - 1] != pytest.approx(expected)  # the mutant's rank differs


def _lognormal(n, sigma, seed, shock_at=None, sigma_after=None):
    rng = np.random.default_rng(seed)
    s = np.full(n, sigma)
    if shock_at is not None:
        s[shock_at:] = sigma_after
    return pd.Series(np.expm1(8 + s * rng.normal(size=n)), index=quarters("1990Q1", n))


def test_interval_matches_the_known_interval_of_a_synthetic_series():
    # log1p(y) = 8 + 0.2 * e, e iid N(0, 1): the seasonal-naive error is 0.2 * (e_t - e_{t-4}),
    # N(0, 2 * 0.2**2), so the right 80 % half-width is 1.2816 * sqrt(2) * 0.2 = 0.3625
    truth80, truth95 = 1.2816 * np.sqrt(2) * 0.2, 1.96 * np.sqrt(2) * 0.2
    m = F.SeasonalNaive(decay=1.0, calib_horizon=2, adapt=0).fit(_lognormal(400, 0.2, seed=3))
    assert m.interval_scale_[0.8] == pytest.approx([truth80, truth80], rel=0.1)
    assert m.interval_scale_[0.95] == pytest.approx([truth95, truth95], rel=0.1)


def test_default_intervals_cover_as_promised_on_synthetic_series():
    hits80 = hits95 = 0
    reps = 120
    for seed in range(reps):
        y = _lognormal(41, 0.2, seed=100 + seed)
        f = F.SeasonalNaive(calib_horizon=1).fit(y.iloc[:40]).predict(1).iloc[0]
        hits80 += f["lo80"] <= y.iloc[40] <= f["hi80"]
        hits95 += f["lo95"] <= y.iloc[40] <= f["hi95"]
    assert 0.72 <= hits80 / reps <= 0.9
    assert hits95 / reps >= 0.88


def test_default_model_covers_as_promised_on_a_seasonal_level_with_iid_noise():
    # log y = 7 + season + N(0, 0.1) iid: the right 80 % interval covers 80 % of new quarters. Over 100
    # series x 4 horizons the default model's intervals (calibrated on its own rolling errors) must cover
    # 0.74-0.88 at 80 % and at least 0.90 at 95 % (a rank or a scale off by much fails this)
    season = np.array([0.0, 0.3, 0.5, 0.1])
    t = np.arange(44)
    hits80 = hits95 = n = 0
    for seed in range(100):
        rng = np.random.default_rng(1000 + seed)
        y = pd.Series(np.exp(7 + season[t % 4] + rng.normal(0, 0.1, 44)), index=quarters("2010Q1", 44))
        f = F.Combination().fit(y.iloc[:40]).predict(4)
        future = y.iloc[40:].to_numpy()
        hits80 += int(((f["lo80"].to_numpy() <= future) & (future <= f["hi80"].to_numpy())).sum())
        hits95 += int(((f["lo95"].to_numpy() <= future) & (future <= f["hi95"].to_numpy())).sum())
        n += 4
    assert 0.74 <= hits80 / n <= 0.88
    assert hits95 / n >= 0.90


def test_decay_weights_follow_a_shock_to_the_known_new_interval():
    # noise 0.1 for 50 quarters, then 0.5: after the shock the right 80 % half-width is
    # 1.2816 * sqrt(2) * 0.5; the decayed calibration gets closer to it than equal weights
    # (measured once: mean distance 0.19 against 0.34)
    truth = 1.2816 * np.sqrt(2) * 0.5
    gap_decay, gap_flat = [], []
    for seed in range(20):
        y = _lognormal(90, 0.1, seed=seed, shock_at=50, sigma_after=0.5)
        gap_decay.append(abs(F.SeasonalNaive(decay=0.9, calib_horizon=1, adapt=0).fit(y).interval_scale_[0.8][0] - truth))
        gap_flat.append(abs(F.SeasonalNaive(decay=1.0, calib_horizon=1, adapt=0).fit(y).interval_scale_[0.8][0] - truth))
    assert np.mean(gap_decay) < 0.75 * np.mean(gap_flat)


def test_adaptive_level_follows_a_shock_both_ways():
    # equal weights (decay 1), so only adaptation can follow the change. Noise 0.1 then 0.5 (12
    # quarters): the right 80 % half-width afterwards is 1.2816 * sqrt(2) * 0.5; the misses push
    # the level above 0.8 and the bound closer to it. Noise 0.5 then 0.1 (20 quarters): the hits pull
    # the level below 0.8 and the bound down towards 1.2816 * sqrt(2) * 0.1. (Measured once: mean
    # distance 0.34 against 0.64 after the rise, 0.28 against 0.60 after the fall.)
    for before, after, n_after, moved in ((0.1, 0.5, 12, np.greater), (0.5, 0.1, 20, np.less)):
        truth = 1.2816 * np.sqrt(2) * after
        gap_adapt, gap_fixed, levels = [], [], []
        for seed in range(30):
            y = _lognormal(50 + n_after, before, seed=seed, shock_at=50, sigma_after=after)
            m = F.SeasonalNaive(decay=1.0, calib_horizon=1, adapt=0.05, calibration="aci").fit(y)
            gap_adapt.append(abs(m.interval_scale_[0.8][0] - truth))
            levels.append(m.interval_level_[0.8])
            fixed = F.SeasonalNaive(decay=1.0, calib_horizon=1, adapt=0, calibration="aci").fit(y)
            gap_fixed.append(abs(fixed.interval_scale_[0.8][0] - truth))
            assert fixed.interval_level_[0.8] == 0.8
        assert np.mean(gap_adapt) < 0.7 * np.mean(gap_fixed)
        assert moved(np.mean(levels), 0.85 if moved is np.greater else 0.75)


def test_pid_offset_follows_a_shock_both_ways():
    # conformal PID (calibration="pid") with equal weights (decay 1), so only the tracked offset can
    # follow the change. Same series as the ACI test above: noise 0.1 then 0.5 (12 quarters), the right
    # 80 % half-width afterwards is 1.2816 * sqrt(2) * 0.5; noise 0.5 then 0.1 (20 quarters), it is
    # 1.2816 * sqrt(2) * 0.1. The offset must widen after the misses and narrow after the hits, and the
    # bound end closer to the truth than without tracking (adapt=0 gives no offset at all).
    for before, after, n_after, sign in ((0.1, 0.5, 12, 1), (0.5, 0.1, 20, -1)):
        truth = 1.2816 * np.sqrt(2) * after
        gap_pid, gap_fixed, offsets = [], [], []
        for seed in range(30):
            y = _lognormal(50 + n_after, before, seed=seed, shock_at=50, sigma_after=after)
            m = F.SeasonalNaive(decay=1.0, calib_horizon=1, adapt=0.2, calibration="pid").fit(y)
            gap_pid.append(abs(m.interval_scale_[0.8][0] - truth))
            offsets.append(m.interval_offset_[0.8][0])
            fixed = F.SeasonalNaive(decay=1.0, calib_horizon=1, adapt=0, calibration="pid").fit(y)
            assert fixed.interval_offset_[0.8][0] == 0.0
            gap_fixed.append(abs(fixed.interval_scale_[0.8][0] - truth))
        assert np.mean(gap_pid) < 0.8 * np.mean(gap_fixed)
        assert sign * np.mean(offsets) > 0


def test_pid_offset_by_hand_when_every_forecast_misses():
    # one horizon, errors that double each quarter: from the second forecast on, every error lies beyond
    # the largest earlier one plus the offset, so each outcome is a miss and, by the update rule,
    # offset = adapt * sum(B * (1 - alpha)) with B the largest error so far (= the new error itself),
    # 1 - alpha = 0.8 and 0.95.
    # The first forecast (origin 0) has no earlier error and so no bound: no update from it.
    err = 0.01 * 2.0 ** np.arange(8)
    origin, hor = np.arange(8), np.ones(8, dtype=int)
    off = F._tracked_offsets(origin, hor, err, 1, 1.0, 0.1)
    assert off[0.8][0] == pytest.approx(0.1 * 0.8 * err[1:].sum())
    assert off[0.95][0] == pytest.approx(0.1 * 0.95 * err[1:].sum())


@pytest.mark.parametrize("calibration", F.CALIBRATIONS)
def test_each_calibration_covers_as_promised_on_iid_noise(calibration):
    # log y = 7 + season + N(0, 0.1) iid, 60 series x 4 horizons from 36 quarters: 80 % coverage
    # 0.72-0.88 and 95 % at least 0.88 (an update with the wrong sign drifts far outside)
    season = np.array([0.0, 0.3, 0.5, 0.1])
    t = np.arange(40)
    hits80 = hits95 = n = 0
    for seed in range(60):
        rng = np.random.default_rng(5000 + seed)
        y = pd.Series(np.exp(7 + season[t % 4] + rng.normal(0, 0.1, 40)), index=quarters("2010Q1", 40))
        f = F.SeasonalLevel(beta=0.0, calibration=calibration).fit(y.iloc[:36]).predict(4)
        future = y.iloc[36:].to_numpy()
        hits80 += int(((f["lo80"].to_numpy() <= future) & (future <= f["hi80"].to_numpy())).sum())
        hits95 += int(((f["lo95"].to_numpy() <= future) & (future <= f["hi95"].to_numpy())).sum())
        n += 4
    assert 0.72 <= hits80 / n <= 0.88
    assert hits95 / n >= 0.88


@pytest.mark.parametrize("calibration", F.CALIBRATIONS)
def test_intervals_never_narrow_with_the_horizon(calibration):
    m = F.SeasonalLevel(calibration=calibration).fit(F.quarterly_series("eerste_aanvragen"))
    for level in F.LEVELS:
        assert np.all(np.diff(m.interval_scale_[level]) >= 0)
    f = m.predict(6)
    assert (f["hi80"] / f["y_pred"]).is_monotonic_increasing


@pytest.mark.parametrize("params, match", [({"decay": 0.0}, "decay"), ({"decay": 1.5}, "decay"),
                                           ({"calib_horizon": 0}, "calib_horizon"), ({"adapt": -0.1}, "adapt"),
                                           ({"adapt": True}, "adapt"), ({"calibration": "cqr"}, "calibration")])
def test_bad_calibration_parameters(params, match):
    with pytest.raises(ValidationError, match=match):
        F.SeasonalNaive(**params).fit(_lognormal(20, 0.1, seed=0))


# ----------------------------------------------------------------- totals from simulated paths


def test_total_range_adds_paths_of_the_same_origin():
    # two series with opposite errors at every origin: their sum has no error at all, so the
    # range of the total collapses on the point, which summed quarter bounds would never do
    rng = np.random.default_rng(5)
    e = 0.3 * rng.normal(size=24)
    a = pd.Series(np.exp(7 + e), index=quarters("2015Q1", 24))
    b = pd.Series(np.exp(7 - e), index=quarters("2015Q1", 24))
    one = F.total_range(a, ["2021-Q1", "2021-Q2"], model=F.SeasonalNaive()).iloc[0]
    both = F.total_range({"a": a, "b": b}, ["2021-Q1", "2021-Q2"], model=F.SeasonalNaive()).iloc[0]
    assert one["hoog"] - one["laag"] > 0.2 * one["point"]
    # exp(x) + exp(-x) >= 2 with equality at 0: the joint total varies less than one part alone
    # (independent parts would give about sqrt(2) times one part's width, added bounds twice it),
    # and never falls below 2 quarters x 2 x e^7
    assert (both["hoog"] - both["laag"]) < 0.75 * (one["hoog"] - one["laag"])
    assert both["lo95"] >= 0.99 * 4 * np.exp(7)
    assert one["lo95"] <= one["laag"] <= one["midden"] <= one["hoog"] <= one["hi95"]
    assert both["n_paths"] == one["n_paths"] > 0


def test_total_range_covers_the_realised_annual_total_of_iid_noise():
    # log y = 7 + season + N(0, 0.15) iid: over 200 series the realised total of the next four
    # quarters falls inside laag..hoog about 80 % of the time and inside lo95..hi95 about 95 %;
    # adding up quarter bounds would cover nearly always (above the upper limit), and too few
    # or too narrow paths would cover too rarely
    season = np.array([0.0, 0.3, 0.5, 0.1])
    t = np.arange(40)
    in80 = in95 = 0
    for seed in range(200):
        rng = np.random.default_rng(2000 + seed)
        y = pd.Series(np.exp(7 + season[t % 4] + rng.normal(0, 0.15, 40)), index=quarters("2010Q1", 40))
        r = F.total_range(y.iloc[:36], ["2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4"], model=F.SeasonalLevel()).iloc[0]
        total = y.iloc[36:].sum()
        in80 += r["laag"] <= total <= r["hoog"]
        in95 += r["lo95"] <= total <= r["hi95"]
    assert 0.70 <= in80 / 200 <= 0.88
    assert in95 / 200 >= 0.87


def test_total_range_has_enough_paths_to_be_stable():
    # the quantiles come from thousands of simulated paths, not from the ~20 past error paths:
    # another seed moves them by well under 3 %, and the count is reported
    y = _lognormal(40, 0.2, seed=4)
    periods = ["2000-Q1", "2000-Q2", "2000-Q3", "2000-Q4"]
    a = F.total_range(y, periods, model=F.SeasonalLevel()).iloc[0]
    b = F.total_range(y, periods, model=F.SeasonalLevel(), random_state=1).iloc[0]
    assert a["n_paths"] == F.N_PATHS and 0 < a["n_origins"] < 40
    for key in ("laag", "midden", "hoog"):
        assert b[key] == pytest.approx(a[key], rel=0.03)
    with pytest.raises(ValidationError, match="n_paths"):
        F.total_range(y, periods, n_paths=10)


def test_total_of_one_quarter_has_that_quarters_80_interval():
    # the simulated draws are scaled to the 80 % interval and symmetric like it: a "total" over a
    # single quarter must give the quarter's own lo80 / point / hi80 as laag / midden / hoog (the
    # median of symmetric log errors is the point); signed past errors broke this by 4 %
    y = F.quarterly_series("eerste_aanvragen")
    fc = F.Combination().fit(y).predict(4).set_index("period")
    for quarter in ("2025-Q4", "2026-Q2"):
        r = F.total_range(y, [quarter]).iloc[0]
        assert r["laag"] == pytest.approx(fc.loc[quarter, "lo80"], rel=0.015)
        assert r["hoog"] == pytest.approx(fc.loc[quarter, "hi80"], rel=0.015)
        assert r["midden"] == pytest.approx(fc.loc[quarter, "y_pred"], rel=0.015)


def test_sample_paths_are_point_times_past_error_paths():
    y = _lognormal(30, 0.2, seed=9)
    m = F.SeasonalNaive(decay=1.0, calib_horizon=2).fit(y)
    paths = m.sample_paths(2)
    pred = m.predict(2)["y_pred"].to_numpy()
    r = m.residuals_.pivot(index="origin_pos", columns="horizon", values="log_error").dropna()
    expected = np.expm1(np.log1p(pred)[None, :] + r.to_numpy())
    assert np.allclose(paths[["1997-Q3", "1997-Q4"]].to_numpy(), expected)
    assert (paths["weight"] == 1.0).all()
    with pytest.raises(ValidationError, match="calib_horizon"):
        m.sample_paths(3)


def test_total_range_bad_periods():
    y = _lognormal(30, 0.2, seed=9)
    with pytest.raises(ValidationError, match="must come after"):
        F.total_range(y, ["1996-Q1"])
    with pytest.raises(ValidationError, match="quarter"):
        F.total_range(y, ["1998"])


# ----------------------------------------------------------------- foreign series files


def test_foreign_file_with_only_years_gives_one_clear_line(tmp_path):
    f = tmp_path / "jaarreeks.csv"
    f.write_text("period,granularity,series,value,qualifier\n2015,jaar,xx,100,exact\n2016,jaar,xx,90,exact\n")
    with pytest.raises(ValidationError) as err:
        F.quarterly_series("xx", data=f)
    msg = str(err.value)
    assert "\n" not in msg and "jaarreeks.csv" in msg and "no quarter can be built" in msg and "jaar" in msg


def test_foreign_file_with_weeks_names_the_row(tmp_path):
    f = tmp_path / "weken.csv"
    f.write_text("period,series,value\n2015-01,xx,100\n2015-W02,xx,90\n")
    with pytest.raises(ValidationError, match=r"weken.csv.*'2015-W02' at row 3"):
        F.quarterly_series("xx", data=f)


def test_foreign_series_from_shared_build_quarters():
    root = Path(__file__).resolve().parents[1]
    folder = next((p for p in (root.parent / "shared" / "reference" / "foreign_asylum",
                               root.parents[1] / "shared" / "reference" / "foreign_asylum") if p.is_dir()), None)
    if folder is None:
        pytest.skip("shared/reference/foreign_asylum not found (only present beside a checkout)")
    at = F.quarterly_series("at_asylantraege", data=folder / "austria_bmi_asylantraege_monthly.csv")
    # SOURCES.md there: Austria 2006-2015 monthly; 2015-Q3 is the peak quarter of the series
    assert at["period"].iloc[0] == "2006-Q1" and at["value"].idxmax() == at.index[-1]
    assert (at["built_from"] == "maand").all()

