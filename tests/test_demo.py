"""The main job: `doorlopende-lijn demo` writes the council files, the report and the tables."""

import re
import shutil

import openpyxl
import pandas as pd
import pytest

from toolkit import cli, demo

# FACTS.md §3 (2017-I national target) and §9 (population 1-1-2016)
TARGET_2017_I = 13_000
SOLO, U16 = "elke gemeente alleen", "samen als U16"  # the scopes as the tables name them
U16_2016, NL_2016 = 890_177, 16_979_120
EXPECTED = [
    "kaart_overzicht.html", "kaart_overzicht.png", "kaart_capaciteit.html", "rapport.html", "tabellen.xlsx",
    "tabellen/taakstelling.csv", "tabellen/schalen.csv", "tabellen/gemeenten.csv", "tabellen/woningvraag.csv",
]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    assert cli.main(["demo", "--out", str(out), "--datum", "2016-10-04"]) == 0
    return out


def test_demo_writes_the_expected_files(demo_out):
    for name in EXPECTED:
        assert (demo_out / name).stat().st_size > 0, name
    assert not list(demo_out.rglob(".*.tmp")) and not list(demo_out.rglob(".*.*.*"))  # no half-written temp files


def test_report_carries_sources_and_status_labels(demo_out):
    page = (demo_out / "rapport.html").read_text(encoding="utf-8")
    for label in ("gepubliceerd", "schatting", "synthetisch"):
        assert label in page
    assert "CBS" in page and "openkamer.org" in page  # population and the published target
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")


def test_report_heading_follows_the_range_of_the_draws(demo_out):
    """The comparison's heading states the range of persons gained over the draws, read back from the written table."""
    draws = pd.read_csv(demo_out / "tabellen" / "trekkingen.csv")
    scopes = pd.read_csv(demo_out / "tabellen" / "schalen.csv").set_index("schaal")
    assert sorted(draws["schaal"].unique()) == [SOLO, U16] and draws["trekking"].nunique() == demo.DRAWS
    wide = draws.pivot(index="trekking", columns="schaal", values="personen gehuisvest")
    gain = wide[U16] - wide[SOLO]
    # draw 0 is the scenario of the scope table
    assert gain.loc[0] == scopes.loc[U16, "personen gehuisvest"] - scopes.loc[SOLO, "personen gehuisvest"]
    page = (demo_out / "rapport.html").read_text(encoding="utf-8")
    assert "loont" not in page
    lo, hi = int(gain.min()), int(gain.max())
    span = str(lo) if lo == hi else f"{lo} tot {hi}"
    if lo > 0:
        assert f"Samen als U16 {span} personen" in page and f"(in alle {demo.DRAWS} trekkingen)" in page
    elif hi > 0:
        assert f"geen zekere winst; {span} personen meer" in page
    else:
        assert f"in geen van de {demo.DRAWS} trekkingen meer personen" in page
    # the optimum against the best simple rule, over the same draws
    rule = draws.loc[draws["schaal"] == U16, "winst optimum t.o.v. beste eenvoudige regel (personen)"]
    if rule.min() <= 0:
        assert "geen zekere winst van de optimalisatie" in page or "die regel haalt hier hetzelfde" in page
    # the range rests on synthetic households: its section says so, with its source
    section = page.split("Hoe zeker is de uitkomst van samenwerking?", 1)[1].split("<h2", 1)[0]
    assert "Status: synthetisch. Bron: toolkit.scenario.pooling_draws" in section


def test_tables_agree_with_published_figures(demo_out):
    targets = pd.read_csv(demo_out / "tabellen" / "taakstelling.csv")
    assert targets["halfjaar"].unique().tolist() == ["2017-I"]
    # the computed targets are written with one decimal: their sum within half a tenth per municipality
    computed = targets["taakstelling (personen, berekend)"]
    assert computed.sum() == pytest.approx(TARGET_2017_I * U16_2016 / NL_2016, abs=0.05 * len(targets))
    scopes = pd.read_csv(demo_out / "tabellen" / "schalen.csv").set_index("schaal")
    assert list(scopes.index) == [SOLO, "samen als U10", U16]
    assert scopes.loc[U16, "personen wachtend (doel)"] <= scopes.loc[SOLO, "personen wachtend (doel)"]
    sheets = pd.read_excel(demo_out / "tabellen.xlsx", sheet_name=None)
    assert {"taakstelling", "schalen", "gemeenten", "bronnen"} <= set(sheets)


def test_council_map_has_no_personal_data_and_is_reproducible(demo_out, tmp_path):
    html = (demo_out / "kaart_overzicht.html").read_text(encoding="utf-8")
    assert "syn-0" not in html  # household ids never reach a council file
    again = tmp_path / "again"
    assert cli.main(["demo", "--out", str(again), "--datum", "2016-10-04"]) == 0
    assert (again / "kaart_overzicht.html").read_bytes() == (demo_out / "kaart_overzicht.html").read_bytes()
    assert (again / "tabellen.xlsx").read_bytes() == (demo_out / "tabellen.xlsx").read_bytes()


def test_workbook_holds_no_formula(demo_out):
    wb = openpyxl.load_workbook(demo_out / "tabellen.xlsx")
    assert not [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert wb.properties.modified == wb.properties.created == pd.Timestamp("2016-10-04")


def _snapshot(folder):
    return {p.relative_to(folder): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()}


@pytest.mark.filterwarnings("ignore:Using a schematic map")
def test_a_run_that_fails_halfway_leaves_the_out_folder_as_it_was(demo_out, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(demo_out, out)
    (out / "notities.txt").write_text("van de analist", encoding="utf-8")
    before = _snapshot(out)

    def fail(*args, **kwargs):  # the report is written last: maps and tables are already staged
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(demo, "write_report", fail)
    with pytest.raises(OSError, match="No space"):
        demo.run_demo(out, date="2016-10-04", progress=None)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the staging folder is gone


def test_bad_region_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["demo", "--out", str(out), "--regio", "GM0344,GM9999"]) == 2
    err = capsys.readouterr().err
    assert "GM9999" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


ENGLISH = re.compile(r"\b(the|and|of|with|households|persons|dwellings|target|share|scope|draw|period|name|code|"
                     r"licence|note|source|derived|facts|cited|housed|waiting|gain|rule|benefit)\b", re.I)


def test_tables_have_dutch_columns_and_numbers_rounded_for_reading(demo_out):
    """Every CSV and sheet: Dutch column names; counts whole numbers (or "<5"/"x"), no long decimals."""
    sheets = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in (demo_out / "tabellen").glob("*.csv")}
    sheets.update({f"xlsx:{k}": v.astype(str) for k, v in pd.read_excel(demo_out / "tabellen.xlsx", sheet_name=None).items()})
    assert len(sheets) >= 18
    english = [(name, c) for name, t in sheets.items() for c in t.columns if ENGLISH.search(str(c))]
    assert english == []
    long_decimals = [(name, c, v) for name, t in sheets.items() for c in t.columns for v in t[c]
                     if re.fullmatch(r"-?\d+\.\d{7,}", str(v))]
    assert long_decimals == []
    mun = sheets["gemeenten"]
    for column in ("personen gehuisvest", "huishoudens gehuisvest", "woningen nodig"):
        assert all(re.fullmatch(r"\d+|<5|x", v) for v in mun[column]), column
    assert "<5" in set(mun["huishoudens gehuisvest"])  # the disclosure rule still applies after rounding
    sources = sheets["xlsx:bronnen"]
    assert list(sources.columns) == ["naam", "gegevens", "status", "bron", "licentie", "toelichting"]
    assert not sources["bron"].str.contains(r"\.(?:csv|php|json|py)\b").any()
