"""The collegedag scenario engine: invariants a facilitator relies on."""

import numpy as np
import pytest

from toolkit import ValidationError
from toolkit import scenario as sc

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
    r = sc.run(reference.settings, share_singles_sharing=1.0, max_adults_sharing=3, national_target=8000)
    saved = r.headline["dwellings_saved"]
    assert saved > 0  # supply is short, so singles share
    # A adults sharing: A x 70 % alone against 40 % + A x 30 % together = 40 % of the couple norm per dwelling saved
    assert r.headline["benefit_lost"] == pytest.approx(saved * 0.40 * COUPLE_NORM_2016)
    nobody = sc.run(reference.settings, share_singles_sharing=0.0, max_adults_sharing=3, national_target=8000)
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
