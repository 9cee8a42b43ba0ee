"""Tests for toolkit._format: Dutch notation and the one small-count rule of every export."""

import numpy as np
import pandas as pd
import pytest

from toolkit import _format as f


@pytest.mark.parametrize("value, expected", [(1234, "1.234"), (1234567.4, "1.234.567"), (0, "0"), (-0.01, "0"),
                                             (None, "–"), (float("nan"), "–"), (pd.NA, "–"), (np.int64(5000), "5.000")])
def test_fmt_int(value, expected):
    assert f.fmt_int(value) == expected


@pytest.mark.parametrize("value, kwargs, expected",
                         [(1234567, {}, "1.234.567"), (12.345, {"decimals": 1}, "12,3"),
                          (0.125, {"decimals": 1, "percent": True}, "12,5 %"), (1234.56, {"decimals": 2}, "1.234,56"),
                          (float("nan"), {}, "–"), (None, {"percent": True}, "–")])
def test_nl_number(value, kwargs, expected):
    assert f.nl_number(value, **kwargs) == expected


def test_pct_and_date():
    assert f.fmt_pct(1.0, 0) == "100 %"
    assert f.dutch_date("2017-01-31") == "31 januari 2017"


@pytest.mark.parametrize("value", [0.5, 0.6, 1, 2.2, 3, 4, 4.4, 4.49])
def test_counts_that_are_shown_as_1_to_4_are_hidden(value):
    # the rule is about what a reader would see: the rounded figure
    assert f.fmt_int(value) in {"1", "2", "3", "4"} or value == 0.5
    assert f.fmt_count(value) == "<5" or round(value) == 0


@pytest.mark.parametrize("value, shown", [(0, "0"), (0.4, "0"), (4.5, "4"), (4.51, "5"), (5, "5"), (1234, "1.234")])
def test_counts_shown_as_0_or_5_and_more_stay(value, shown):
    # 4.5 rounds to 4 (round half to even): hidden; 4.51 shows as 5
    assert f.fmt_count(value) == ("<5" if shown == "4" else shown)


def test_every_rounded_count_from_1_to_4_is_hidden_property():
    values = np.linspace(0, 10, 1001)
    for v in values:
        text = f.fmt_count(v)
        assert text not in {"1", "2", "3", "4"}
        assert (text == "<5") == (1 <= int(f.fmt_int(v)) <= 4)


def test_secondary_suppression_protects_a_lone_hidden_cell():
    values = [3, 50, 8, 0, 20]
    primary, secondary = f.small_mask(values)
    assert primary.tolist() == [True, False, False, False, False]
    assert secondary.tolist() == [False, False, True, False, False]  # the smallest other positive value
    # the total minus the shown values no longer gives the hidden one
    shown = [v for v, p, s in zip(values, primary, secondary) if not (p or s)]
    assert sum(values) - sum(shown) == 3 + 8
    assert not f.small_mask([3, 50], total_known=False)[1].any()


def test_suppress_counts_keeps_codes_and_hides_derived_figures():
    t = pd.DataFrame({"code": ["GM0001", "GM0002", "GM0003"], "target": [4.2, 30.0, 12.0],
                      "pct_target": [100.0, 80.0, 90.0], "id": [1, 2, 3]})
    t.attrs["status"] = "schatting"
    out = f.suppress_counts(t, ["target", "missing"], derived={"pct_target": "target"})
    assert out["target"].tolist() == ["<5", 30.0, "x"]
    assert out["pct_target"].tolist() == ["x", 80.0, "x"]
    assert out["id"].tolist() == [1, 2, 3] and out["code"].tolist() == list(t["code"])
    assert out.attrs == {"status": "schatting"}
    assert t["target"].tolist() == [4.2, 30.0, 12.0]  # input unchanged
