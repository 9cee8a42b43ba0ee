"""End to end per region kind and year through the command line: matching, kaart, demo.

Each run is offline on the shipped data; the checks are properties (exit status, every member
municipality present, the data line), not figures copied from a run.
"""

import pytest

from toolkit import cli
from toolkit.regions import region_codes

CASES = [("U16", 2016, "2017-I"), ("U16", 2025, "2025-II"), ("PV26", 2025, "2025-II"),
         ("GM0307,GM0327,GM0313", 2025, "2025-II"), ("NL", 2025, "2025-II")]


@pytest.mark.parametrize("region,year,period", CASES, ids=[f"{r}-{y}" for r, y, _ in CASES])
def test_matching_per_region_kind(region, year, period, capsys, tmp_path):
    out = tmp_path / "tabel.csv"
    assert cli.main(["matching", "--regio", region, "--jaar", str(year), "--periode", period, "--uit", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "solo" in printed and printed.strip().endswith("geen bijgewerkte tabellen.")
    assert out.exists()


@pytest.mark.parametrize("region,year", [("PV27", 2025), ("NL", 2025)])
def test_kaart_per_region_kind(region, year, tmp_path, capsys):
    assert cli.main(["kaart", "--regio", region, "--jaar", str(year), "--out", str(tmp_path)]) == 0
    html = sorted(tmp_path.glob("kaart_overzicht_*.html"))
    assert len(html) == 1
    text = html[0].read_text(encoding="utf-8")
    names = {"PV27": "Haarlem", "NL": "Groningen"}[region]
    assert names in text and len(region_codes(region, year)) in (44, 342)


def test_demo_u16_today(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["demo", "--regio", "U16", "--jaar", "2025", "--out", str(out)]) == 0
    assert "Halfjaar 2025-II" in capsys.readouterr().out  # the last published half year of 2025, not 2017-I


def test_kaart_with_a_coa_list(tmp_path, capsys):
    coa = tmp_path / "coa.csv"
    coa.write_text("locatie;gemeentecode;peildatum;capaciteit;bezetting\nAZC Nieuw;355;01-06-2026;400;350\n", encoding="utf-8")
    assert cli.main(["kaart", "--regio", "U16", "--jaar", "2025", "--out", str(tmp_path / "k"), "--opvang", str(coa)]) == 0
    assert "AZC Nieuw" in next((tmp_path / "k").glob("kaart_capaciteit_*.html")).read_text(encoding="utf-8")


def test_a_year_without_population_is_one_line(capsys):
    assert cli.main(["matching", "--regio", "U16", "--jaar", "2026", "--periode", "2025-II"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1-1-2026" in err and "data bijwerken --jaar 2026" in err
