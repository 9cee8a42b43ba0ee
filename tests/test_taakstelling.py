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


# ----------------------------------------------------------------- stages, grant rates, targets (issue 13)

from toolkit.taakstelling import (  # noqa: E402
    check_published_targets,
    grant_rates,
    national_target,
    target_backtest,
    target_rule,
    target_scores,
)


def test_permits_stage_by_hand_with_published_grant_rates():
    # applications 2021-Q3..2022-Q2, lag 2: decided 2022-Q1..2022-Q4; IND 2022: 78 % (grant_rates.csv)
    apps = _q([1000, 2000, 3000, 4000], "2021Q3")
    nar = _q([100, 200, 300, 400], "2022Q1")
    p = permits_from_inflow(apps, nar, recognition_rate="gepubliceerd", lag=2).set_index("period")
    assert p.loc["2022-Q1", "applications"] == 3000  # filed in the quarter
    assert p.loc["2022-Q1", "decisions"] == 1000  # filed two quarters earlier
    assert p.loc["2022-Q1", "grant_rate"] == 0.78 and p.loc["2022-Q1", "grant_rate_basis"] == "gepubliceerd"
    assert p.loc["2022-Q1", "permits"] == pytest.approx(780)
    assert p.loc["2022-Q1", "permit_holders"] == pytest.approx(880)
    assert p.loc["2022-Q4", "permit_holders"] == pytest.approx(0.78 * 4000 + 400)
    # lag 1: 2021-Q4 decides 1000 applications before any published rate: 0.775, an assumption
    q = permits_from_inflow(apps, recognition_rate="gepubliceerd", lag=1).set_index("period")
    assert q.loc["2021-Q4", "permits"] == pytest.approx(775)
    assert q.loc["2021-Q4", "grant_rate_basis"] == "aanname: midden 70-85 %"


def test_grant_rates_published_then_carried_forward():
    g = grant_rates(["2021-Q4", "2023-Q2", "2024-Q3", "2025-Q1", "2026-Q1"]).set_index("period")
    assert g["grant_rate"].tolist() == [0.775, 0.62, 0.62, 0.40, 0.40]
    assert g["basis"].tolist() == ["aanname: midden 70-85 %", "gepubliceerd", "aanname: laatst gepubliceerd",
                                   "gepubliceerd", "aanname: laatst gepubliceerd"]


@pytest.mark.parametrize("rate", [pd.Series([0.5, 1.3], index=["2020-Q3", "2020-Q4"]), "soms"])
def test_grant_rate_series_outside_0_1_or_unknown_word(rate):
    with pytest.raises(ValidationError, match="recognition_rate") as err:
        permits_from_inflow(_q([10, 20], "2020Q1"), recognition_rate=rate, lag=2)
    assert "\n" not in str(err.value)


def test_decision_series_shorter_than_the_lag():
    with pytest.raises(ValidationError, match=r"2 observed quarter\(s\) \(2020-Q1..2020-Q2\) is shorter than the processing lag of 3"):
        permits_from_inflow(_q([10, 20], "2020Q1"), lag=3)


def test_published_target_contradicting_municipal_sum():
    m = pd.DataFrame({"period": ["2025-I"] * 2, "code": ["GM0344", "GM0307"], "target": [9000, 7000]})
    nat = pd.DataFrame({"period": ["2025-I"], "target": [15000]})
    with pytest.raises(ValidationError, match=r"2 municipal targets add up to 16,000, more than the national target 15,000") as err:
        check_published_targets(nat, m, source="gemeenten.csv")
    assert str(err.value).startswith("gemeenten.csv: period 2025-I") and "\n" not in str(err.value)
    # rounding: each municipality may be half a person off, so 15,001 from two is fine
    ok = check_published_targets(15000, m.assign(target=[8001, 7000]).drop(columns="period"))
    assert ok["municipal_sum"].item() == 15001
    with pytest.raises(ValidationError, match="whole country add up to 14,000"):
        check_published_targets(15000, m.assign(target=[7000, 7000]).drop(columns="period"), complete=True)


def test_target_backtest_carry_forward_and_realised_chain_by_hand():
    bt = target_backtest().set_index("period")
    assert bt.loc["2023-I", "carry_forward"] == 13500 and bt.loc["2023-I", "carry_forward_from"] == "2022-II"
    assert bt.loc["2025-I", "carry_forward"] == 18750  # 2024-II was not found: the last published one
    assert bt.loc["2023-I", "origin"] == "2022-Q2"  # published 30-9-2022
    # realised chain 2019-I: 0.775 (no rate published before 2022) x applications 2018-Q3+Q4 + nareizigers 2019-Q1+Q2
    assert bt.loc["2019-I", "chain_realised"] == pytest.approx(0.775 * (6205 + 5835) + 845 + 890)
    assert bt.loc["2023-I", "pct_carry_forward"] == pytest.approx(100 * (13500 - 21200) / 21200)


def _bt(published, carry_forward, chain):
    """A hand-made backtest table, half years from 2030-I."""
    n = len(published)
    return pd.DataFrame({"period": [f"{2030 + i // 2}-{'I' if i % 2 == 0 else 'II'}" for i in range(n)],
                         "published": [float(v) for v in published], "carry_forward": [float(v) for v in carry_forward],
                         "chain": [float(v) for v in chain]})


NAN = float("nan")


def test_target_rule_chain_wins_on_overlap_and_window():
    # % errors by hand: carry-forward +20, -20, +10 (window MAPE 16.7; overlap, last two: 15); chain +2, -1 (1.5);
    # combination (80+102)/2 = 91 -> -9, (110+99)/2 = 104.5 -> +4.5 (6.75)
    bt = _bt([100, 100, 100], [120, 80, 110], [NAN, 102, 99])
    s = target_scores(bt).set_index("method")
    assert s.loc["doortrekken", "mape_window"] == pytest.approx(50 / 3) and s.loc["doortrekken", "mape_overlap"] == 15
    assert s.loc["keten", "mape_overlap"] == pytest.approx(1.5) and s.loc["keten", "bias_window"] == pytest.approx(0.5)
    assert s.loc["combinatie", "mape_window"] == pytest.approx(6.75)
    assert s.loc["keten", "closer"] == 2 and s["eligible"].all()
    r = target_rule(bt).iloc[0]
    assert r["method"] == "keten" and r["mape"] == pytest.approx(1.5) and r["n"] == 2
    assert r["reason"].startswith("Gekozen: de keten") and "1,5 %" in r["reason"] and "16,7 %" in r["reason"]


def test_target_rule_chain_loses_and_carry_forward_keeps_its_own_band():
    # carry-forward -20, +5, -5 % (window 10, overlap 5); chain +50, -40 (45); combination +27.5, -22.5 (25)
    bt = _bt([100, 100, 100], [80, 105, 95], [NAN, 150, 60])
    r = target_rule(bt).iloc[0]
    assert r["method"] == "doortrekken" and r["mape"] == pytest.approx(10) and r["n"] == 3
    # its own errors over the whole window (3 half years, too few for the 80 % quantile): the largest, log(100/80),
    # not only those where the chain exists (log(100/95))
    assert r["band80"] == pytest.approx(np.log(100 / 80))
    assert r["reason"].startswith("Gekozen: doortrekken") and "Geen prognose haalt dat" in r["reason"]
    assert "45,0 %" in r["reason"] and "25,0 %" in r["reason"]


def test_target_rule_a_win_on_the_overlap_alone_is_not_enough():
    # carry-forward 0, 0, 0, +40, -40 %: window MAPE 16, on the last two (where the chain exists) 40.
    # chain +20, -25 (22.5) beats 40 on the overlap but not 16 over the window; combination +30, -32.5 (31.25):
    # neither may become the default (the rule before issue 13 item 2 took the chain here)
    bt = _bt([100] * 5, [100, 100, 100, 140, 60], [NAN, NAN, NAN, 120, 75])
    s = target_scores(bt).set_index("method")
    assert s.loc["doortrekken", "mape_window"] == pytest.approx(16) and s.loc["doortrekken", "mape_overlap"] == 40
    assert s.loc["keten", "mape_overlap"] == pytest.approx(22.5) and not s.loc["keten", "eligible"]
    r = target_rule(bt).iloc[0]
    assert r["method"] == "doortrekken" and r["mape_carry_forward"] == pytest.approx(16)
    assert "onder de 16,0 % van doortrekken over het hele venster" in r["reason"]


def test_target_rule_combination_can_win_where_the_chain_alone_does_not():
    # carry-forward 0, 0, +30, -20 % (window 12.5, overlap 25); chain -20, +10 (15: beats 25, not 12.5);
    # combination (130+80)/2 = 105, (80+110)/2 = 95: +5, -5 (5)
    bt = _bt([100] * 4, [100, 100, 130, 80], [NAN, NAN, 80, 110])
    r = target_rule(bt).iloc[0]
    assert r["method"] == "combinatie" and r["mape"] == pytest.approx(5) and r["bias"] == pytest.approx(0)
    assert r["reason"].startswith("Gekozen: het gemiddelde van keten en doortrekken")
    with pytest.raises(ValidationError, match="no half year has both"):
        target_rule(_bt([100, 100], [100, 90], [NAN, NAN]))
    with pytest.raises(ValidationError, match="target_scores: expected the output of target_backtest"):
        target_scores(pd.DataFrame({"period": ["2030-I"]}))


def test_target_rule_on_the_shipped_backtest_follows_the_criterion():
    # recomputed here from the backtest's own columns, independently of target_scores
    bt = target_backtest()
    assert bt["period"].iloc[0] == "2019-I" and bt["period"].iloc[-1] == "2025-II"
    pct = lambda est: 100 * (est - bt["published"]) / bt["published"]  # noqa: E731
    cand = {"doortrekken": pct(bt["carry_forward"]), "keten": pct(bt["chain"]),
            "combinatie": pct((bt["chain"] + bt["carry_forward"]) / 2)}
    both = bt["chain"].notna() & bt["carry_forward"].notna()
    cf_window, cf_overlap = cand["doortrekken"].abs().mean(), cand["doortrekken"][both].abs().mean()
    ok = {m: e.abs().mean() for m, e in cand.items()
          if m != "doortrekken" and e[both].abs().mean() < cf_overlap and e.abs().mean() < cf_window}
    expected = min(ok, key=ok.get) if ok else "doortrekken"
    r = target_rule(bt).iloc[0]
    assert r["method"] == expected and r["mape_carry_forward"] == pytest.approx(cf_window)


def test_national_target_combination_is_the_mean_of_chain_and_carry_forward():
    rule = pd.DataFrame([{"method": m, "band80": np.log(1.25), "reason": "test"} for m in ("keten", "combinatie")])
    chain = national_target("2026-I", rule=rule.iloc[[0]]).iloc[0]
    both = national_target("2026-I", rule=rule.iloc[[1]]).iloc[0]
    assert chain["basis"] == "keten" and both["basis"] == "combinatie"
    assert both["target"] == pytest.approx((chain["target"] + 13_000) / 2)  # 2025-II: 13,000 (taakstelling.csv)
    assert both["hi80"] == pytest.approx(both["target"] * 1.25)
    with pytest.raises(ValidationError, match="rule method must be one of"):
        national_target("2026-I", rule=rule.iloc[[0]].assign(method="gok"))


def test_yearly_series_cannot_feed_the_chain():
    yearly = pd.DataFrame({"period": ["2015", "2016"], "granularity": ["jaar", "jaar"], "value": [100, 90]})
    with pytest.raises(ValidationError, match="permits_from_inflow: nareizigers: column 'granularity' must be 'kwartaal'") as err:
        permits_from_inflow(_q([10, 20, 30], "2020Q1"), yearly)
    assert "\n" not in str(err.value)
    with pytest.raises(ValidationError, match=r"applications, period 0: expected a quarter like '2018-Q1', found '2015' \(jaar\)"):
        permits_from_inflow(pd.Series([100.0, 90.0], index=["2015", "2016"]))


def test_national_target_published_first_then_the_rule():
    assert national_target("2025-II")[["target", "basis"]].values.tolist() == [[13000.0, "gepubliceerd"]]
    rule = pd.DataFrame([{"method": "doortrekken", "band80": np.log(1.5), "reason": "test"}])
    t = national_target("2026-II", rule=rule).iloc[0]
    assert t["target"] == 13000 and t["basis"] == "laatste taakstelling doorgetrokken"
    assert t["lo80"] == pytest.approx(13000 / 1.5) and t["hi80"] == pytest.approx(13000 * 1.5)
    with pytest.raises(ValidationError, match="half year"):
        national_target("2026")


def _forecasts_moved_on(monkeypatch, method, band, reason):
    """The shipped forecasts moved on two quarters (2026-I is next, without a published target) and the rule fixed."""
    from toolkit import scenario as sc
    from toolkit import taakstelling

    shifted = {k: fc.assign(period_start=fc["period_start"] + pd.DateOffset(months=6))
               for k, fc in sc._inflow_forecasts().items()}
    monkeypatch.setattr(sc, "_inflow_forecasts", lambda: shifted)
    rule = pd.DataFrame([{"method": method, "band80": np.log(band), "reason": reason}])
    monkeypatch.setattr(taakstelling, "target_rule", lambda bt=None: rule)


def test_scenario_stage_beyond_the_published_targets_applies_the_rule(monkeypatch):
    # With forecasts starting in 2026-Q2 (the shipped ones moved two quarters on, as if two more quarters
    # had been published) the next half year is 2026-I, which has no published target: the stage must
    # apply the target rule. Which rule wins is target_rule's business (tested above); here it is fixed to
    # carry-forward with an 80 % band of x/÷ 1.5, so by hand: the last published target (2025-II: 13,000,
    # geodata/taakstelling.csv) from 8,667 to 19,500.
    from toolkit import scenario as sc

    _forecasts_moved_on(monkeypatch, "doortrekken", 1.5, "Doortrekken wint (test).")
    n = sc.national_half_year(sc.Settings(period=None))
    assert (n["period"], n["basis"], n["persons"]) == ("2026-I", "doorgetrokken", 13_000)
    assert n["lo80"] == pytest.approx(13_000 / 1.5) and n["hi80"] == pytest.approx(19_500)
    assert n["reason"] == "Voor 2026-I is nog geen taakstelling gepubliceerd. Doortrekken wint (test)."
    # a scenario scales the carried-forward target and its band, and says so
    high = sc.national_half_year(sc.Settings(period=None, inflow="hoog"))
    assert high["basis"] == "doorgetrokken x scenario" and high["persons"] > 13_000
    assert high["hi80"] / high["persons"] == pytest.approx(1.5)
    assert "Geschaald naar het instroomscenario" in high["reason"]
    # without the shift the next half year is the published 2025-II, whatever the rule
    monkeypatch.undo()
    assert sc.national_half_year(sc.Settings(period=None))["basis"] == "gepubliceerd"


def test_grant_rates_known_at_a_date_use_only_what_was_published_then():
    # grant_rates.csv cites 2022 and 2023 from 2-2-2024 and 2025-Q1 from 26-9-2025
    quarters = ["2022-Q3", "2023-Q2", "2025-Q1", "2025-Q3"]
    before = grant_rates(quarters, known_at="2024-02-01")
    assert before["grant_rate"].tolist() == [0.775] * 4
    assert set(before["basis"]) == {"aanname: midden 70-85 %"}
    mid = grant_rates(quarters, known_at="2025-06-30")
    assert mid["grant_rate"].tolist() == [0.78, 0.62, 0.62, 0.62]
    assert grant_rates(quarters, known_at="2025-09-30")["grant_rate"].tolist() == [0.78, 0.62, 0.40, 0.40]


def test_backtest_chain_has_no_look_ahead_on_grant_rates():
    # by hand: the chain of a half year whose origin precedes 2-2-2024 must equal the chain with one
    # assumed rate of 0.775 everywhere (no rate was published yet); a later origin must differ from it
    bt = target_backtest().set_index("period")
    fixed = target_backtest(recognition_rate=0.775).set_index("period")
    early = [p for p in bt.index if pd.Period(bt.loc[p, "origin"].replace("-Q", "Q"), freq="Q").end_time < pd.Timestamp("2024-02-02")]
    late = [p for p in bt.index if pd.Period(bt.loc[p, "origin"].replace("-Q", "Q"), freq="Q").end_time >= pd.Timestamp("2024-04-01")]
    early = [p for p in early if pd.notna(bt.loc[p, "chain"])]
    assert early and late
    for p in early:
        assert bt.loc[p, "chain"] == pytest.approx(fixed.loc[p, "chain"])
    assert any(abs(bt.loc[p, "chain"] - fixed.loc[p, "chain"]) > 1 for p in late)


def test_scenario_stage_names_the_combination_when_it_is_the_rule(monkeypatch):
    # as above, the forecasts moved on so the next half year, 2026-I, has no published target; the rule is fixed
    # to the combination: the stage's basis says so, and every output has a Dutch label for it
    from toolkit import scenario as sc
    from toolkit._labels import BASIS_LABELS

    _forecasts_moved_on(monkeypatch, "combinatie", 1.3, "Gekozen: het gemiddelde (test).")
    n = sc.national_half_year(sc.Settings(period=None))
    assert (n["period"], n["basis"]) == ("2026-I", "combinatie")
    assert n["hi80"] / n["persons"] == pytest.approx(1.3)
    assert n["reason"] == "Voor 2026-I is nog geen taakstelling gepubliceerd. Gekozen: het gemiddelde (test)."
    high = sc.national_half_year(sc.Settings(period=None, inflow="hoog"))
    assert high["basis"] == "combinatie x scenario"
    assert {"combinatie", "combinatie x scenario"} <= set(BASIS_LABELS)
