import pandas as pd
import pytest

from toolkit.report import Section, nl_number, render_report, write_report

PAYLOAD = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "value,kwargs,expected",
    [(1234567, {}, "1.234.567"), (12.345, {"decimals": 1}, "12,3"), (0.125, {"decimals": 1, "percent": True}, "12,5 %"),
     (-0.01, {}, "0"), (float("nan"), {}, "–"), (None, {}, "–")],
)
def test_dutch_numbers(value, kwargs, expected):
    assert nl_number(value, **kwargs) == expected


def test_data_text_is_escaped_everywhere():
    table = pd.DataFrame({PAYLOAD: [PAYLOAD], "n": [1500], "aandeel": [0.5]})
    page = render_report(PAYLOAD, [Section(PAYLOAD, PAYLOAD, table=table, percent_cols=("aandeel",))], date="2016-10-04")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert ">1.500<" in page and ">50,0 %<" in page
    assert "04-10-2016" in page


def test_footer_lists_sources_and_every_status_of_mixed_tables():
    page = render_report("r", [], datasets=["housing_stock", "state_buildings"])
    assert "schatting" in page  # housing stock is an estimate
    assert "voorbeeld (fictief)" in page  # the state buildings table mixes in examples
    assert "nu.nl/utrecht" in page


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "rapport.html"
    target.write_text("oud", encoding="utf-8")

    class Boom(Exception):
        pass

    def explode(*args, **kwargs):
        raise Boom

    monkeypatch.setattr("os.replace", explode)
    with pytest.raises(Boom):
        write_report(target, "t", [Section("a", "b")])
    assert target.read_text(encoding="utf-8") == "oud"
    assert [p.name for p in tmp_path.iterdir()] == ["rapport.html"]
