"""The collegedag scenario engine: invariants a facilitator relies on."""

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from toolkit import ValidationError
from toolkit import scenario as sc
from toolkit.data import load_housing_stock

# FACTS.md §9 (population 1-1-2016) and §6 (couple norm January 2016)
U16_2016 = 890_177  # sum of the 16 municipalities, added by hand
NL_2016 = 16_979_120
COUPLE_NORM_2016 = 1389.57


@pytest.fixture(scope="module")
def reference():
    return sc.run(national_target=13000)


def test_targets_follow_population_share(reference):
    assert reference.targets["target"].sum() == pytest.approx(13000 * U16_2016 / NL_2016)
    assert reference.national["basis"] == "opgegeven"


def test_households_fill_the_region_target_and_no_more(reference):
    need = reference.targets["target_int"].sum()
    final = reference.households["final_size"].to_numpy()
    assert final.sum() >= need > final[:-1].sum()


def test_pooling_never_scores_worse_than_solo(reference):
    c = reference.comparison.set_index("scope")
    assert list(c.index) == ["solo", "U10", "U16"]
    assert c.loc["U16", "objective"] <= c.loc["U10", "objective"] <= c.loc["solo", "objective"]
    assert c.loc["U16", "households_housed"] >= c.loc["solo", "households_housed"]


def test_larger_reserve_never_lowers_waiting(reference):
    waiting = [sc.run(reference.settings, reserve=r).headline["households_waiting"] for r in (0.0, 0.1, 0.3, 0.6)]
    assert waiting == sorted(waiting)
    assert waiting[-1] > waiting[0]


def test_added_dwellings_enter_supply_and_never_raise_the_objective(reference):
    more = sc.run(reference.settings, extra_dwellings=5)
    assert more.supply["dwellings"].sum() == reference.supply["dwellings"].sum() + 5 * 16
    assert (more.supply.groupby("code")["added"].sum() == 5).all()
    assert more.comparison["objective"].iloc[-1] <= reference.comparison["objective"].iloc[-1]
    one = sc.run(reference.settings, extra_dwellings={"GM0344": 7})
    assert one.supply.groupby("code")["added"].sum().to_dict() == {c: (7 if c == "GM0344" else 0) for c in one.supply["code"].unique()}


def test_nareizigers_per_referent_sets_the_mean_pending_family(reference):
    r = sc.run(reference.settings, national_target=150000, nareizigers_per_referent=1.2)
    pending = r.households["final_size"] - r.households["size"]
    assert pending.mean() == pytest.approx(1.2, abs=0.15)
    # more nareizigers per household: the same persons need fewer households
    assert len(r.households) < len(sc.run(reference.settings, national_target=150000, nareizigers_per_referent=0.0).households)


def test_sharing_cost_matches_the_kostendelersnorm_by_hand(reference):
    r = sc.run(reference.settings, share_singles_sharing=1.0, max_adults_sharing=3, national_target=20000)
    saved = r.headline["dwellings_saved"]
    assert saved > 0  # supply is short for singles, so they share (only then: sharing is a priority of its own)
    assert sc.run(reference.settings, share_singles_sharing=1.0, max_adults_sharing=3,
                  national_target=8000).headline["dwellings_saved"] == 0  # nobody would wait: nobody shares
    # A adults sharing: A x 70 % alone against 40 % + A x 30 % together = 40 % of the couple norm per dwelling saved
    assert r.headline["benefit_lost"] == pytest.approx(saved * 0.40 * COUPLE_NORM_2016)
    nobody = sc.run(reference.settings, share_singles_sharing=0.0, max_adults_sharing=3, national_target=20000)
    assert nobody.headline["dwellings_saved"] == 0


def test_displacement_is_dwellings_needed_over_lettings(reference):
    m = reference.municipalities
    assert (m["dwellings_needed"] == m["dwellings_used"] + m["linked_households_waiting"]).all()
    assert np.allclose(m["displacement"], m["dwellings_needed"] / m["lettings"])
    # nobody shares in the reference: one household per dwelling
    assert m["dwellings_used"].sum() == reference.comparison.set_index("scope").loc["U16", "households_housed"]


def test_extra_dwellings_lower_the_displacement_indicator(reference):
    more = sc.run(reference.settings, extra_dwellings=20)
    assert (more.municipalities["lettings"] == reference.municipalities["lettings"] + 20).all()
    assert more.headline["displacement"] < reference.headline["displacement"]


def test_region_u10_compares_solo_and_u10_only():
    r = sc.run(region="U10", scope="U10", national_target=13000)
    assert r.comparison["scope"].tolist() == ["solo", "U10"]
    assert len(r.targets) == 10 and "GM0620" in set(r.targets["code"])  # the 2016 U10 had Vianen


@pytest.mark.parametrize(
    "changes,match",
    [({"reserve": 1.0}, "reserve"), ({"recognition_rate": 1.5}, "recognition_rate"), ({"inflow": "heel hoog"}, "inflow"),
     ({"extra_dwellings": -1}, "extra_dwellings"), ({"max_adults_sharing": 1}, "max_adults_sharing"),
     ({"share_singles_sharing": "veel"}, "share_singles_sharing")],
)
def test_bad_settings_are_named(changes, match):
    with pytest.raises(ValidationError, match=match):
        sc.run(**changes)


def test_unknown_setting_is_named():
    with pytest.raises(ValidationError, match="verbose"):
        sc.run(verbose=True)


def test_extra_dwellings_outside_region():
    with pytest.raises(ValidationError, match="GM0363"):
        sc.run(national_target=13000, extra_dwellings={"GM0363": 3})


def test_own_scope_outside_the_compared_ones_is_solved_on_its_own(reference):
    r = sc.run(reference.settings, scope=("GM0344", "GM0356"))
    assert r.comparison["scope"].tolist() == ["solo", "U10", "U16"]
    pooled = r.municipalities.set_index("code")["scope"]
    assert pooled["GM0344"] == pooled["GM0356"] == "eigen selectie" and pooled["GM0312"] == "solo"


# ---- stage: national (the half-year arithmetic) ------------------------------


def test_next_half_year_takes_its_published_target_scaled_by_the_inflow_scenario():
    # the data end in 2025-Q3, so the next half year is 2025-II: published 13,000 (geodata/taakstelling.csv,
    # brief minister Faber april 2025), which the reference scenario shows as it is
    mid = sc.national_half_year(sc.Settings(period=None))
    assert (mid["period"], mid["basis"], mid["persons"]) == ("2025-II", "gepubliceerd", 13_000)
    assert "13.000" in mid["reason"]
    # An own inflow of X first applications per year spreads X over the four forecast quarters.
    low = sc.national_half_year(sc.Settings(inflow=10_000, recognition_rate=0.8, period=None))
    high = sc.national_half_year(sc.Settings(inflow=30_000, recognition_rate=0.8, period=None))
    assert (low["basis"], high["basis"]) == ("gepubliceerd x scenario", "gepubliceerd x scenario")
    assert high["applications"] - low["applications"] == pytest.approx(20_000)
    # by hand: a half year of (applications x rate + nareizigers) / 2, relative to the reference scenario's
    # (midden at 77.5 %), scales the 13,000; 20,000 more applications x 80 % = 8,000 more persons a half year
    reference = (mid["applications"] * 0.775 + mid["nareizigers"]) / 2
    assert low["persons"] == pytest.approx(13_000 * (10_000 * 0.8 + low["nareizigers"]) / 2 / reference)
    assert high["persons"] - low["persons"] == pytest.approx(13_000 * 8_000 / reference)


# ---- the stage cache ----------------------------------------------------------


STAGES = ("national_half_year", "region_targets", "draw_households", "dwelling_supply", "solve_scope")


@pytest.fixture
def calls(monkeypatch):
    """Count the calls of the real stage functions (each still runs)."""
    sc.clear_cache()
    counts = dict.fromkeys(STAGES, 0)

    def counted(name, func):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return func(*args, **kwargs)
        return wrapper

    for name in STAGES:
        monkeypatch.setattr(sc, name, counted(name, getattr(sc, name)))
    yield counts
    sc.clear_cache()


def test_a_downstream_change_recomputes_only_downstream_stages(calls):
    base = sc.Settings(national_target=13000)
    r = sc.run(base)
    # solo (the headline's gain) and the chosen U16; U10 only when the comparison is read
    assert calls == {"national_half_year": 1, "region_targets": 1, "draw_households": 1, "dwelling_supply": 1,
                     "solve_scope": 2}
    assert r.comparison["scope"].tolist() == ["solo", "U10", "U16"] and calls["solve_scope"] == 3
    r.comparison
    assert calls["solve_scope"] == 3  # solved once per result
    sc.run(base.replace(reserve=0.1))  # the reserve only enters the matching
    assert calls == {"national_half_year": 1, "region_targets": 1, "draw_households": 1, "dwelling_supply": 1,
                     "solve_scope": 5}
    sc.run(base.replace(scope="U10"))  # another of the compared scopes, solved for the first comparison
    assert calls["solve_scope"] == 5
    sc.run(base.replace(extra_dwellings=3))  # the supply changes, the households do not
    assert (calls["draw_households"], calls["dwelling_supply"], calls["solve_scope"]) == (1, 2, 7)
    sc.run(base.replace(national_target=12000))  # upstream: everything downstream follows
    assert calls == {"national_half_year": 2, "region_targets": 2, "draw_households": 2, "dwelling_supply": 2,
                     "solve_scope": 9}
    # hits: solo and U10 of the run that changed only the scope
    assert sc.cache_info()["matching"] == {"hits": 2, "misses": 9, "size": 9}


def _assert_same(a, b):
    for name in ("targets", "households", "supply", "comparison", "municipalities", "sharing"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    assert a.headline == b.headline and a.national == b.national


def test_cached_and_uncached_runs_agree(calls):
    s = sc.Settings(national_target=13000, reserve=0.1, share_singles_sharing=0.5, extra_dwellings={"GM0344": 4})
    first = sc.run(s)
    sc.run(s.replace(reserve=0.0))
    again = sc.run(s)  # every stage from the cache
    assert calls["solve_scope"] == 4  # solo and the chosen U16 of each
    fresh = sc.run(s, cache=False)  # every stage afresh
    assert calls["solve_scope"] == 6 and calls["draw_households"] == 2  # solo and U16, the chosen among the compared
    _assert_same(again, first)
    _assert_same(fresh, first)
    again.households.loc[0, "final_size"] = 99  # a caller changing its result does not change the cache
    assert sc.run(s).households.loc[0, "final_size"] != 99


def _stage_table():
    """The module docstring's stage table as {stage: (function, upstream words, field words outside brackets)}."""
    doc = sc.__doc__.splitlines()
    rules = [i for i, line in enumerate(doc) if line.startswith("==========")]
    spans = [(m.start(), m.end()) for m in re.finditer(r"=+", doc[rules[0]])]
    spans[-1] = (spans[-1][0], None)
    rows = {}
    for line in doc[rules[1] + 1:rules[2]]:
        cells = [line[a:b].strip() for a, b in spans]
        if cells[0]:
            stage = cells[0]
            rows[stage] = [cells[1], "", ""]
        rows[stage][1] += " " + cells[2]
        rows[stage][2] += " " + cells[3]
    return {k: (f, set(re.findall(r"\w+", up)) - {"-"}, set(re.findall(r"\w+", re.sub(r"\(.*?\)", "", fields)))) for k, (f, up, fields) in rows.items()}


def test_stage_table_in_the_docstring_is_the_cache_key():
    table = _stage_table()
    names = {f.name for f in dataclasses.fields(sc.Settings)}
    assert set(table) == set(sc.STAGE_FIELDS)
    for stage, fields in sc.STAGE_FIELDS.items():
        func, upstream, listed = table[stage]
        assert callable(getattr(sc, func)), func
        assert listed & names == set(fields), stage
        assert upstream == set(sc.UPSTREAM[stage]), stage
    # every setting is read by some stage: a new lever must be wired into the cache key
    assert {f for fs in sc.STAGE_FIELDS.values() for f in fs} == names


def test_a_stage_reading_an_undeclared_setting_fails(monkeypatch):
    monkeypatch.setitem(sc.STAGE_FIELDS, "supply", ("region", "year", "share_permit_holders", "turnover", "housing_stock"))
    with pytest.raises(AttributeError, match="extra_dwellings"):
        sc.run(national_target=13000, cache=False)


def test_settings_with_frames_compare_by_content():
    stock = load_housing_stock()
    a = sc.Settings(housing_stock=stock)
    assert a == sc.Settings(housing_stock=stock.copy()) and hash(a) == hash(sc.Settings(housing_stock=stock.copy()))
    stock.loc[0, "dwellings"] += 1  # the settings hold their own copy
    assert a.housing_stock.loc[0, "dwellings"] == stock.loc[0, "dwellings"] - 1
    assert a != sc.Settings(housing_stock=stock) and a != sc.Settings()


def test_own_housing_stock_enters_supply_and_lettings():
    stock = load_housing_stock()
    doubled = stock.assign(dwellings=stock["dwellings"] * 2)
    base = sc.run(national_target=13000)
    more = sc.run(national_target=13000, housing_stock=doubled)
    assert (more.supply["stock"] == 2 * base.supply["stock"]).all()
    assert np.allclose(more.municipalities["lettings"], 2 * base.municipalities["lettings"])
    assert more.supply["dwellings"].sum() > base.supply["dwellings"].sum()
    with pytest.raises(ValidationError, match="GM0344"):
        sc.run(national_target=13000, housing_stock=stock[stock["code"] != "GM0344"])
