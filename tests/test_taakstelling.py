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
