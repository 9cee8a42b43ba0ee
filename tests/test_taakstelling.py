import pandas as pd
import pytest

from toolkit import ValidationError
from toolkit.taakstelling import largest_remainder, municipal_shares, municipal_targets

# Independent figures typed in from FACTS.md §9
UTRECHT_2016 = 338_967
NL_2016 = 16_979_120


def test_shares_are_population_over_national_population():
    s = municipal_shares(2016, "U16").set_index("code")
    assert len(s) == 16
    assert s.loc["GM0344", "share"] == pytest.approx(UTRECHT_2016 / NL_2016)
    assert s["share"].sum() < 0.1  # the U16 is a small part of the country


def test_targets_apportion_national_target_by_population():
    t = municipal_targets(pd.DataFrame({"period": ["2016-II", "2017-I"], "target": [23000, 13000]}), year=2016)
    assert list(t["period"].unique()) == ["2016-II", "2017-I"]
    utrecht = t[(t["code"] == "GM0344") & (t["period"] == "2017-I")]
    assert utrecht["target"].item() == pytest.approx(13000 * UTRECHT_2016 / NL_2016)
    for _, g in t.groupby("period"):
        assert g["target_int"].sum() == round(g["target"].sum())
        assert (g["target_int"] - g["target"]).abs().max() < 1


def test_largest_remainder_hand_case():
    assert largest_remainder([0.4, 0.4, 0.2], 1).tolist() == [1, 0, 0]
    assert largest_remainder([2.7, 1.3], 4).tolist() == [3, 1]


@pytest.mark.parametrize("bad", [pd.DataFrame({"period": ["x"], "target": [-1]}), pd.DataFrame({"p": [1]}), "veel"])
def test_bad_national_target(bad):
    with pytest.raises(ValidationError, match="municipal_targets"):
        municipal_targets(bad)


def test_unknown_region_code():
    with pytest.raises(ValidationError, match="GM9999"):
        municipal_targets(100, region=["GM0344", "GM9999"])


# --------------------------------------------------------------------------- the chain (helper A1)

import numpy as np  # noqa: E402

from toolkit.taakstelling import (  # noqa: E402
    RECOGNITION_RATE,
    carry_over,
    compare_with_published,
    half_year_estimate,
    permits_from_inflow,
)


def _q(values, start):
    return pd.Series([float(v) for v in values], index=pd.period_range(start, periods=len(values), freq="Q"))


def test_permits_apply_rate_after_lag_plus_nareizigers():
    apps = _q([1000, 2000, np.nan, 4000], "2020Q1")
    nar = _q([10, 20, 30, 40, 50, 60], "2020Q1")
    p = permits_from_inflow(apps, nar, recognition_rate=0.5, lag=1).set_index("period")
    assert p.loc["2020-Q2", "permit_holders"] == 0.5 * 1000 + 20
    assert p.loc["2020-Q3", "permit_holders"] == 0.5 * 2000 + 30
    assert np.isnan(p.loc["2020-Q4", "permit_holders"])  # applications of 2020-Q3 missing: not filled
    assert p.loc["2021-Q1", "permits"] == 2000
    assert np.isnan(p.loc["2020-Q1", "permits"])  # nothing applied a quarter before the data
    assert p.loc["2021-Q1", "half_year"] == "2021-I"


def test_default_rate_is_middle_of_published_range():
    # FACTS.md §2: recognition rates of 70-85 % before 2025
    assert 0.70 <= RECOGNITION_RATE <= 0.85


@pytest.mark.parametrize("rate", [1.2, -0.1, "0.8", True, float("nan")])
def test_recognition_rate_outside_0_1_is_rejected(rate):
    with pytest.raises(ValidationError, match="recognition_rate.*between 0 and 1"):
        permits_from_inflow(_q([1, 2], "2020Q1"), recognition_rate=rate)


def test_bad_lag_and_bad_series_are_rejected():
    with pytest.raises(ValidationError, match="lag"):
        permits_from_inflow(_q([1, 2], "2020Q1"), lag=-1)
    with pytest.raises(ValidationError, match="negative"):
        permits_from_inflow(_q([1, -2], "2020Q1"))


def test_half_year_estimate_needs_both_quarters():
    p = pd.DataFrame({"period": ["2019-Q2", "2019-Q3", "2019-Q4", "2020-Q1"], "permit_holders": [5.0, 1.0, np.nan, 7.0]})
    e = half_year_estimate(p).set_index("period")
    assert e.index.tolist() == ["2019-I", "2019-II", "2020-I"]
    assert e["estimate"].isna().all()  # every half year lacks one quarter
    full = pd.DataFrame({"period": ["2019-Q3", "2019-Q4"], "permit_holders": [1.0, 2.0]})
    assert half_year_estimate(full)["estimate"].tolist() == [3.0]


def test_carry_over_hand_case_and_gaps():
    t = pd.DataFrame(
        {
            "period": ["2030-I", "2030-II", "2031-II", "2032-I"],
            "target": [100, 50, 10, 10],
            "housed": [60, 100, 5, 0],
            "balance_end": [None, None, -30, None],
        }
    )
    c = carry_over(t).set_index("period")
    assert c.loc["2030-I", "balance_end"] == -40 and c.loc["2030-I", "basis"] == "berekend"
    assert c.loc["2030-II", "target_incl_backlog"] == 90 and c.loc["2030-II", "balance_end"] == 10
    # 2031-I is absent: the backlog into 2031-II is unknown, its published end balance restarts the chain
    assert np.isnan(c.loc["2031-II", "backlog_start"]) and c.loc["2031-II", "basis"] == "gepubliceerd"
    assert c.loc["2032-I", "target_incl_backlog"] == 40 and c.loc["2032-I", "balance_end"] == -40
    unknown = carry_over(t, initial_backlog=None).set_index("period")
    assert np.isnan(unknown.loc["2030-II", "backlog_start"])


def test_carry_over_per_municipality():
    t = pd.DataFrame({"code": ["GM0344", "GM0344", "GM0312", "GM0312"], "period": ["2030-I", "2030-II"] * 2,
                      "target": [10, 10, 4, 4], "housed": [6, 10, 5, 4]})
    c = carry_over(t).set_index(["code", "period"])
    assert c.loc[("GM0344", "2030-II"), "backlog_start"] == 4
    assert c.loc[("GM0312", "2030-II"), "backlog_start"] == -1  # a lead lowers the next target


def test_carry_over_shipped_table_uses_published_realisation():
    c = carry_over().set_index("period")
    # FACTS.md §3: about 6,400 behind at the end of 2023-II; 2024-I target 18,750, "more than 25,000" incl. backlog
    assert c.loc["2024-I", "backlog_start"] == 6400
    assert c.loc["2024-I", "target_incl_backlog"] > 25_000
    assert c.loc["2019-I", "target_incl_backlog"] == 8934
    assert np.isnan(c.loc["2015-I", "backlog_start"])  # 2014 not found: unknown, not zero


@pytest.mark.parametrize(
    "table, match",
    [
        (pd.DataFrame({"period": ["2030-I"], "target": [-1]}), "target"),
        (pd.DataFrame({"period": ["2030-I"], "target": [1], "housed": [-3]}), "housed"),
        (pd.DataFrame({"period": ["2030-1"], "target": [1]}), "half years"),
        (pd.DataFrame({"period": ["2030-I", "2030-I"], "target": [1, 2]}), "duplicates"),
        (pd.DataFrame({"p": [1]}), "columns period, target"),
    ],
)
def test_carry_over_bad_input(table, match):
    with pytest.raises(ValidationError, match=match):
        carry_over(table)


def test_compare_with_published_hand_checked_2019_I():
    c = compare_with_published(recognition_rate=0.775, lag=2).set_index("period")
    assert c.index.tolist() == ["2019-I", "2019-II", "2020-I", "2020-II", "2021-I", "2021-II",
                                "2022-I", "2022-II", "2023-I", "2023-II", "2024-I"]
    # FACTS.md §2 quarters: applications 2018-Q3 + Q4 = 6,205 + 5,835; nareizigers 2019-Q1 + Q2 = 845 + 890
    expected = 0.775 * (6205 + 5835) + 845 + 890
    assert c.loc["2019-I", "estimate"] == pytest.approx(expected)
    assert c.loc["2019-I", "published"] == 6000  # FACTS.md §3
    assert c.loc["2019-I", "error"] == pytest.approx(expected - 6000)
    assert c.loc["2019-I", "implied_rate"] == pytest.approx((6000 - 1735) / 12040)
    # a lag reaching before 2018-Q1 leaves the first half year unknown instead of filling it
    assert np.isnan(compare_with_published(lag=5).set_index("period").loc["2019-I", "estimate"])


def test_chain_to_municipal_targets():
    apps = _q([6205, 5835], "2018Q3")
    nar = _q([845, 890], "2019Q1")
    national = half_year_estimate(permits_from_inflow(apps, nar, lag=2)).dropna()
    t = municipal_targets(national.rename(columns={"estimate": "target"}), year=2016)
    utrecht = t[t["code"] == "GM0344"]
    assert utrecht["target"].item() == pytest.approx(national["estimate"].item() * UTRECHT_2016 / NL_2016)
