"""End to end per region kind and year through the command line: matching, kaart, demo.

Each run is offline on the shipped data; the checks are properties (exit status, every member
municipality present, the data line), not figures copied from a run.

Region kinds: U16 in the 2016 division (the collegedag, also tests/test_demo.py and
tests/test_cli.py), U16 in the 2024-2026 division (the preset ``vandaag``), the province of
Utrecht (PV26), regions outside Utrecht (PV27, a list of Groningen codes) and the whole country
(NL). ``demo --regio NL`` runs with one draw (its wall time and memory are in
benchmarks/national_scale.py).
"""

import pytest

from toolkit import cli
from toolkit.regions import preset, region_codes

GRONINGEN = "GM0014,GM1966,GM1969,GM1952"  # Groningen, Het Hogeland, Westerkwartier, Midden-Groningen (2025)

CASES = [("U16", 2016, "2017-I"), ("U16", 2025, "2025-II"), ("PV26", 2025, "2025-II"),
         ("GM0307,GM0327,GM0313", 2025, "2025-II"), (GRONINGEN, 2025, "2025-II"), ("NL", 2025, "2025-II")]


@pytest.mark.parametrize("region,year,period", CASES, ids=[f"{r}-{y}" for r, y, _ in CASES])
def test_matching_per_region_kind(region, year, period, capsys, tmp_path):
    out = tmp_path / "tabel.csv"
    assert cli.main(["matching", "--regio", region, "--jaar", str(year), "--periode", period, "--uit", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "solo" in printed and printed.strip().endswith("geen bijgewerkte tabellen.")
    assert out.exists()


def test_matching_with_the_preset_of_today(capsys, tmp_path):
    out = tmp_path / "tabel.csv"
    assert cli.main(["matching", "--preset", "vandaag", "--uit", str(out)]) == 0
    assert "U16" in out.read_text(encoding="utf-8")
    assert cli.main(["matching", "--preset", "vandaag", "--jaar", "2016"]) == 2  # the preset sets the year itself
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--preset vandaag" in err and "--jaar" in err
    assert cli.main(["matching", "--preset", "morgen"]) == 2
    assert "Unknown preset 'morgen'" in capsys.readouterr().err


# PV27 and NL: the matching layer of each municipality alone keeps the test short (the default scope,
# as for the matching command, pools PV27's 44 municipalities, or the U16 within NL)
KAART = [(["--regio", "PV26", "--jaar", "2025"], "PV26", 2025),
         (["--regio", "PV27", "--jaar", "2025", "--schaal", "solo"], "PV27", 2025),
         (["--preset", "vandaag"], "U16", None), (["--regio", "NL", "--jaar", "2025", "--schaal", "solo"], "NL", 2025)]


@pytest.mark.parametrize("args,region,year", KAART, ids=[a[1] for a, _, _ in KAART])
def test_kaart_per_region_kind(args, region, year, tmp_path, capsys):
    year = year or preset("vandaag")["year"]
    assert cli.main(["kaart", *args, "--out", str(tmp_path)]) == 0
    html = sorted(tmp_path.glob("*_kaart_overzicht.html"))
    assert len(html) == 1 and len(list(tmp_path.glob("*_kaart_capaciteit.html"))) == 1
    text = html[0].read_text(encoding="utf-8")
    codes = region_codes(region, year)
    assert len(codes) == {"PV26": 26, "PV27": 44, "U16": 16, "NL": 342}[region]
    assert [c for c in codes if c not in text] == []  # every member municipality is on the overview
    assert "Matching" in text  # the overview carries the scenario box and the matching layer


DEMO = [(["--preset", "vandaag"], "U16"), (["--regio", "PV26", "--jaar", "2025"], "PV26"),
        (["--regio", GRONINGEN, "--jaar", "2025"], GRONINGEN), (["--regio", "NL", "--jaar", "2025"], "NL")]


@pytest.mark.parametrize("args,region", DEMO, ids=["U16-vandaag", "PV26", "Groningen", "NL"])
def test_demo_per_region_kind(args, region, tmp_path, capsys):
    today = preset("vandaag")
    out = tmp_path / "out"
    assert cli.main(["demo", *args, "--out", str(out), "--trekkingen", "1"]) == 0  # one draw keeps it short
    # the preset's half year, else the last published half year of 2025 (not the collegedag's 2017-I)
    period, year = (today["period"], today["year"]) if args[0] == "--preset" else ("2025-II", 2025)
    assert f"Halfjaar {period}" in capsys.readouterr().out
    text = (out / "kaart_overzicht.html").read_text(encoding="utf-8")
    table = (out / "tabellen" / "gemeenten.csv").read_text(encoding="utf-8")
    assert [c for c in region_codes(region, year) if c not in text or c not in table] == []


def _coa(tmp_path, name="AZC <b>Nieuw</b> & Co"):
    coa = tmp_path / "coa.csv"
    coa.write_text(f"locatie;gemeentecode;peildatum;capaciteit;bezetting\n{name};355;01-06-2025;400;350\n", encoding="utf-8")
    return coa


ESCAPED = "AZC \\u0026lt;b\\u0026gt;Nieuw\\u0026lt;/b\\u0026gt; \\u0026amp; Co"  # html-escaped inside inert JSON


@pytest.mark.parametrize("command", [["kaart"], ["demo", "--trekkingen", "1"]], ids=["kaart", "demo"])
def test_a_coa_list_is_on_the_maps(command, tmp_path, capsys):
    out = tmp_path / "k"
    assert cli.main([*command, "--regio", "U16", "--jaar", "2025", "--out", str(out), "--opvang", str(_coa(tmp_path))]) == 0
    maps = sorted(out.glob("*kaart_*.html"))
    assert len(maps) == 2
    for page in maps:  # overview and capacity map: the list's location, escaped, never as markup
        text = page.read_text(encoding="utf-8")
        assert ESCAPED in text and "<b>Nieuw" not in text, page.name
    # without the list: the shipped locations, not the list's
    assert cli.main([*command, "--regio", "U16", "--jaar", "2025", "--out", str(tmp_path / "zonder")]) == 0
    assert all(ESCAPED not in p.read_text(encoding="utf-8") for p in (tmp_path / "zonder").glob("*kaart_*.html"))


@pytest.mark.parametrize("command", ["kaart", "demo"])
def test_a_bad_coa_list_is_one_line_and_writes_nothing(command, tmp_path, capsys):
    bad = tmp_path / "coa.csv"
    bad.write_text("locatie;gemeentecode;peildatum;capaciteit;bezetting\nAZC Nieuw;355;01-06-2025;400;veel\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main([command, "--regio", "U16", "--jaar", "2025", "--out", str(out), "--opvang", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "coa.csv" in err and "row 2" in err and "veel" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no staging folder left behind either


def test_a_year_without_population_is_one_line(capsys):
    assert cli.main(["matching", "--regio", "U16", "--jaar", "2026", "--periode", "2025-II"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1-1-2026" in err and "data bijwerken --jaar 2026" in err
