import pandas as pd
import pytest

from toolkit import ValidationError
from toolkit.benefits import couple_norm, kostendeler_norm, sharing_cost

# FACTS.md §6, typed in independently of the code
COUPLE_NORM_2016 = 1389.57
SINGLE_NORM_2016 = 972.70
SHARE_PER_PERSON = {1: 0.70, 2: 0.50, 3: 0.4333, 4: 0.40, 5: 0.38}


def test_couple_norm_january_2016():
    amount, row = couple_norm("2016-06-01")
    assert amount == pytest.approx(COUPLE_NORM_2016)
    assert row["status"] == "gepubliceerd"


@pytest.mark.parametrize("adults, share", sorted(SHARE_PER_PERSON.items()))
def test_kostendelersnorm_matches_published_table(adults, share):
    row = kostendeler_norm(adults).iloc[0]
    assert row["share_of_couple_norm"] == pytest.approx(share, abs=5e-5)
    assert row["per_person"] == pytest.approx(share * COUPLE_NORM_2016, abs=0.1)
    assert row["total"] == pytest.approx(adults * row["per_person"])


def test_one_adult_gets_the_single_norm():
    assert kostendeler_norm(1)["per_person"].item() == pytest.approx(SINGLE_NORM_2016, abs=0.01)


def test_vector_input_and_provenance():
    out = kostendeler_norm([1, 2, 3])
    assert out["adults"].tolist() == [1, 2, 3]
    assert out.attrs["status"] == "gepubliceerd"
    assert "22a" in out.attrs["source"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, [2, 0], []])
def test_bad_adults(bad):
    with pytest.raises(ValidationError, match="adults"):
        kostendeler_norm(bad)


def test_no_norm_before_shipped_dates():
    with pytest.raises(ValidationError, match="no Participatiewet couple norm"):
        kostendeler_norm(2, date="2010-01-01")


def test_sharing_cost_hand_case():
    # three singles share one dwelling in Utrecht; a couple and a lone single in Bunnik
    dwellings = pd.DataFrame({"code": ["GM0344", "GM0312", "GM0312"], "adults": [3, 2, 1], "shared": [True, False, False]})
    out = sharing_cost(dwellings).set_index("code")
    u = out.loc["GM0344"]
    assert u["shared_dwellings"] == 1 and u["dwellings_saved"] == 2 and u["adults_sharing"] == 3
    assert u["benefit_alone"] == pytest.approx(3 * 0.7 * COUPLE_NORM_2016)
    assert u["benefit_shared"] == pytest.approx(1.3 * COUPLE_NORM_2016)
    assert u["benefit_lost"] == pytest.approx(2 * 0.4 * COUPLE_NORM_2016)
    assert u["lost_per_dwelling_saved"] == pytest.approx(0.4 * COUPLE_NORM_2016)
    b = out.loc["GM0312"]
    assert b["dwellings_saved"] == 0 and b["benefit_lost"] == 0  # a couple is not a sharing arrangement


def test_sharing_cost_benefit_share_scales_loss():
    d = pd.DataFrame({"code": ["GM0344"], "adults": [2]})
    full = sharing_cost(d)["benefit_lost"].item()
    assert sharing_cost(d, benefit_share=0.9)["benefit_lost"].item() == pytest.approx(0.9 * full)


def test_sharing_cost_bad_input():
    with pytest.raises(ValidationError, match="adults"):
        sharing_cost(pd.DataFrame({"code": ["GM0344"], "adults": [0]}))
    with pytest.raises(ValidationError, match="code"):
        sharing_cost(pd.DataFrame({"code": ["Utrecht"], "adults": [2]}))
    with pytest.raises(ValidationError, match="benefit_share"):
        sharing_cost(pd.DataFrame({"code": ["GM0344"], "adults": [2]}), benefit_share=2)
