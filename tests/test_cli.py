"""The command line: help, `info`, and user errors as one line with exit status 2."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from toolkit import ValidationError, cli, io, scenario

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = json.loads((ROOT / "toolkit" / "geodata" / "registry.json").read_text(encoding="utf-8"))


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_help_lists_subcommands():
    r = _run("--help")
    assert r.returncode == 0, r.stderr
    assert "usage: doorlopende-lijn" in r.stdout
    assert "info" in r.stdout
    for name in cli.COMMANDS:
        assert name in r.stdout


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "doorlopende-lijn"
    if not exe.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    r = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "info" in r.stdout


def test_no_subcommand_prints_help(capsys):
    assert cli.main([]) == 0
    assert "usage: doorlopende-lijn" in capsys.readouterr().out


def test_info_prints_region_population_series_and_sources(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "Regio U16 (gemeentelijke indeling 2016): 16 gemeenten" in out
    # FACTS.md §9: Utrecht 338,967 on 1-1-2016; the 16 counts sum to 890,177 (by hand)
    assert "GM0344  Utrecht" in out and "338.967 inwoners" in out
    assert "totaal 890.177 inwoners op 1-1-2016" in out
    assert "Asielinstroom" in out and "eerste_aanvragen" in out and "nareizigers" in out
    assert "Taakstelling:" in out
    assert "Bronnen en status:" in out
    for entry in REGISTRY.values():
        assert entry["file"] in out
    assert "housing_stock.csv" in out and "[schatting]" in out


def test_info_u10_and_2019(capsys):
    assert cli.main(["info", "--regio", "U10"]) == 0
    assert "Regio U10 (gemeentelijke indeling 2016): 10 gemeenten" in capsys.readouterr().out
    assert cli.main(["info", "--jaar", "2019"]) == 0
    out = capsys.readouterr().out
    # Vianen 20,457 + Leerdam 21,223 + Zederik 14,023 (FACTS.md §1)
    assert "GM1961  Vijfheerenlanden" in out and "55.703 inwoners" in out
    assert "GM0620" not in out.split("Asielinstroom")[0]


def test_info_code_list(capsys):
    assert cli.main(["info", "--regio", "344,gm0355"]) == 0
    out = capsys.readouterr().out
    assert "Regio eigen selectie (gemeentelijke indeling 2016): 2 gemeenten" in out
    assert "GM0355  Zeist" in out


@pytest.mark.parametrize(
    "args,expected",
    [
        (["info", "--regio", "U99"], "doorlopende-lijn info: error: Unknown region 'U99'"),
        (["info", "--regio", "U10", "--jaar", "2020"], "doorlopende-lijn info: error: No known composition of U10 on 1-1-2020"),
        (["info", "--regio", "GM0344,abc"], "doorlopende-lijn info: error: region: expected CBS municipality codes"),
    ],
)
def test_user_error_is_one_line_exit_2(capsys, args, expected):
    assert cli.main(args) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    lines = cap.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(expected)


def test_user_error_in_a_subprocess_has_no_traceback():
    r = _run("info", "--regio", "U99")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1
    assert r.stdout == ""


def test_multiline_validation_error_is_flattened(monkeypatch, capsys):
    def probe(args):
        raise ValidationError("x.csv: 2 problem(s):\n  - column 'a': bad\n  - column 'b': bad")

    monkeypatch.setitem(cli.COMMANDS, "probe", (probe, "test"))
    assert cli.main(["probe"]) == 2
    err = capsys.readouterr().err
    assert err == "doorlopende-lijn probe: error: x.csv: 2 problem(s): - column 'a': bad - column 'b': bad\n"


def test_missing_file_is_one_line(monkeypatch, capsys):
    def probe(args):
        open("/nonexistent/huurvoorraad.xlsx")

    monkeypatch.setitem(cli.COMMANDS, "probe", (probe, "test"))
    assert cli.main(["probe"]) == 2
    assert capsys.readouterr().err == "doorlopende-lijn probe: error: file not found: /nonexistent/huurvoorraad.xlsx\n"


@pytest.mark.parametrize("args", [["info", "--jaar", "abc"], ["bestaatniet"]])
def test_argument_errors_exit_2_without_traceback(args):
    r = _run(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "error:" in r.stderr


def test_unknown_code_in_region_is_a_user_error():
    r = _run("info", "--regio", "GM0344,GM9999")
    assert "Traceback" not in r.stderr
    assert r.returncode == 2
    assert "GM9999" in r.stderr


# ---- grenzen, controleer, prognose ------------------------------------------


def test_grenzen_offline_writes_the_schematic_map_and_says_so(tmp_path, capsys):
    out = tmp_path / "g.geojson"
    assert cli.main(["grenzen", "--offline", "--regio", "U10", "--uit", str(out)]) == 0
    feats = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert sorted(f["properties"]["code"] for f in feats) == sorted(
        ["GM0312", "GM0310", "GM0321", "GM0353", "GM0356", "GM1904", "GM0344", "GM0620", "GM0632", "GM0355"]
    )
    printed = capsys.readouterr()
    assert "schatting" in printed.out
    assert printed.err.startswith("waarschuwing: Using a schematic map")


def test_controleer_reports_file_row_and_column(tmp_path):
    f = tmp_path / "voorraad.csv"
    f.write_text("code,size_class,dwellings\nGM0344,1,100\nGM0344,2,-5\n", encoding="utf-8")
    r = _run("controleer", "woningvoorraad", str(f))
    assert r.returncode == 2
    assert "voorraad.csv" in r.stderr and "row 3" in r.stderr and "dwellings" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_prognose_prints_model_and_both_baselines():
    r = _run("prognose", "--horizon", "2")
    assert r.returncode == 0, r.stderr
    for label in ("seizoensmodel", "seizoensnaief", "drift"):
        assert label in r.stdout


# ---- matching: the same pipeline as toolkit.scenario.run --------------------


def _cli_table(tmp_path, *args):
    out = tmp_path / "schalen.csv"
    assert cli.main(["matching", *args, "--uit", str(out)]) == 0
    return pd.read_csv(out)


def _expected(**settings):
    return scenario.run(scenario.Settings(**settings), cache=False).comparison


def test_matching_gives_the_figures_of_scenario_run(tmp_path, capsys):
    table = _cli_table(tmp_path)
    expected = _expected(region="U16", year=2016, period="2017-I", scope="U16")
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    # the 2017-I target for the U16: 13,000 x 890,177 / 16,979,120 = 681.6, so 682 whole persons (FACTS.md §3, §9)
    assert (table["target"] == 682).all()
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split()[:3] == ["scope", "households", "households_housed"]
    assert [line.split()[:3] for line in printed[1:4]] == [[s, str(h), str(k)] for s, h, k in
                                                          expected[["scope", "households", "households_housed"]].values]


def test_matching_u10_compares_the_scopes_inside_it(tmp_path):
    table = _cli_table(tmp_path, "--regio", "U10", "--reserve", "0.1", "--delen", "3", "--seed", "2")
    expected = _expected(region="U10", year=2016, scope="U10", reserve=0.1, share_singles_sharing=1.0,
                         max_adults_sharing=3, seed=2)
    assert table["scope"].tolist() == ["solo", "U10"]
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_matching_with_own_caseload_and_stock(tmp_path):
    from toolkit.data import load_housing_stock
    from toolkit.households import synthetic_caseload

    codes = ["GM0344", "GM0355"]
    caseload = tmp_path / "dossiers.csv"
    synthetic_caseload(60, seed=5).query("final_size <= 10").to_csv(caseload, index=False)
    stock = tmp_path / "voorraad.csv"
    shipped = load_housing_stock()
    shipped[shipped["code"].isin(codes)][["code", "size_class", "dwellings"]].to_csv(stock, index=False)
    table = _cli_table(tmp_path, "--regio", ",".join(codes), "--huishoudens", str(caseload), "--woningvoorraad",
                       str(stock), "--aandeel", "0.2")
    expected = _expected(region=tuple(codes), year=2016, scope=tuple(codes), share_permit_holders=0.2,
                         caseload=io.read_caseload(caseload), housing_stock=io.read_housing_stock(stock))
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    # every household of the file is matched, not a draw up to the target
    assert (table["households"] == len(pd.read_csv(caseload))).all()


@pytest.mark.parametrize("args,expected", [(["--delen", "0"], "--delen"), (["--periode", "2031-I"], "2031-I"),
                                           (["--aandeel", "1.5"], "share_permit_holders")])
def test_matching_bad_option_is_one_line(capsys, args, expected):
    assert cli.main(["matching", *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1


# ---- kaart: the targets of the pipeline ---------------------------------------

TOOLTIP_TARGET = re.compile(r"CBS-code\\u003c/th\\u003e\\u003ctd\\u003e(GM\d{4})\\u003c.*?"
                            r"Taakstelling (\S+?)\\u003c/th\\u003e\\u003ctd\\u003e([\d.]+) personen")


@pytest.mark.parametrize("period", [None, "2017-I"])
def test_kaart_shows_the_targets_of_the_pipeline(tmp_path, period):
    args = ["kaart", "--out", str(tmp_path), "--datum", "2016-10-04"] + (["--periode", period] if period else [])
    assert cli.main(args) == 0
    html = (tmp_path / "u16_2016_kaart_overzicht.html").read_text(encoding="utf-8")
    shown = {code: (p, int(n.replace(".", ""))) for code, p, n in TOOLTIP_TARGET.findall(html)}
    expected = scenario.run_targets(scenario.Settings(period=period or "2016-II"), cache=False)  # default: last of 2016
    assert shown == {r.code: (period or "2016-II", r.target_int) for r in expected.itertuples()}
    assert len(shown) == 16
