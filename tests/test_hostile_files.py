"""A malformed-file corpus, generated here, against every entry point that reads a user file.

Each case is a file (bytes written by the test, xlsx built with openpyxl/zipfile) and either the
values it must be read as or the message it must be rejected with. Every case runs through:

- the Python readers ``toolkit.io.read_housing_stock / read_coa_occupancy / read_caseload``;
- ``doorlopende-lijn controleer woningvoorraad|coa|caseload FILE``;
- ``doorlopende-lijn matching --woningvoorraad FILE`` / ``--huishoudens FILE`` (the rejected cases:
  an accepted file runs the whole matching, so only a few accepted ones run there).

A rejected file gives one line on stderr that names the file, exit status 2, no traceback; an
accepted file gives the right values (checked by hand-written expectations, never by the code's
own output). The counts per entry point are printed by ``test_corpus_size`` (pytest -s).
"""

from __future__ import annotations

import errno
import io as _io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from toolkit import ValidationError, cli, io, regions, schemas

ROOT = Path(__file__).resolve().parents[1]
STOCK_HEAD = "code;size_class;dwellings\n"
COA_HEAD = "locatie;gemeentecode;peildatum;capaciteit;bezetting\n"
CASE_HEAD = ("household_id,nationality_group,referent_age,referent_sex,partner_present,children_present,"
             "family_abroad,months_since_permit,final_size\n")


def _xlsx(frame):
    buf = _io.BytesIO()
    frame.to_excel(buf, index=False, engine="openpyxl")
    return buf.getvalue()


def _replace_member(xlsx_bytes, member, writer):
    """The workbook with ``member`` rewritten by ``writer(file)`` (streamed, so big members stay cheap)."""
    src = zipfile.ZipFile(_io.BytesIO(xlsx_bytes))
    out = _io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist() + ([member] if member not in src.namelist() else [])
        for name in names:
            if name == member:
                with dst.open(name, "w", force_zip64=True) as f:
                    writer(f)
            else:
                dst.writestr(name, src.read(name))
    return out.getvalue()


def _many_rows_xlsx(rows, *, dimension=True):
    """A valid-looking stock workbook with ``rows`` data rows: small on disk, large unpacked."""
    base = _xlsx(pd.DataFrame({"code": ["GM0344"], "size_class": ["1"], "dwellings": [3]}))

    def write(f):
        dim = f'<dimension ref="A1:C{rows + 1}"/>' if dimension else ""
        f.write(f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}<sheetData>'
                '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="B1" t="inlineStr"><is><t>size_class'
                '</t></is></c><c r="C1" t="inlineStr"><is><t>dwellings</t></is></c></row>'.encode())
        block = []
        for r in range(2, rows + 2):
            block.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>GM0344</t></is></c><c r="C{r}"><v>1</v></c></row>')
            if len(block) == 20_000:
                f.write("".join(block).encode())
                block = []
        f.write(("".join(block) + "</sheetData></worksheet>").encode())

    return _replace_member(base, "xl/worksheets/sheet1.xml", write)


def _shared_strings_bomb():
    """About 410 KB on disk; the shared strings unpack beyond the limit (5 x 20 MB)."""
    base = _xlsx(pd.DataFrame({"code": ["GM0344"], "size_class": ["1"], "dwellings": [3]}))
    chunk = b"<si><t>" + b"A" * 4000 + b"</t></si>"
    target = 101 * 2**20  # above the unpacked limit of a stock workbook: XLSX_EXPANSION (5) x max_bytes (20 MB)

    def write(f):
        f.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        big = chunk * 256
        for _ in range(target // len(big) + 1):
            f.write(big)
        f.write(b"</sst>")

    return _replace_member(base, "xl/sharedStrings.xml", write)


OK = "ok"
U16_2016 = regions.region_codes("U16", 2016)
U16_STOCK = STOCK_HEAD + "".join(f"{c};{k};{n}\n" for c in U16_2016 for k, n in zip(["1", "2", "3-4", "5+"],
                                                                                     ["1.200", "800", "2.450", "310"]))

# (case id, file name, content (bytes, str as UTF-8, or a callable giving bytes), expectation)
# expectation: ("ok", {column: values}) or (regex of the one-line message,)
STOCK = [
    ("good", "voorraad.csv", STOCK_HEAD + "GM0344;1;1200\nGM0344;2;800\n", (OK, {"dwellings": [1200, 800]})),
    ("thousands", "voorraad.csv", STOCK_HEAD + "GM0344;1;1.200\nGM0344;2;800\n", (OK, {"dwellings": [1200, 800]})),
    ("u16_thousands", "voorraad.csv", U16_STOCK, (OK, {"dwellings": [1200, 800, 2450, 310] * 16})),
    ("u16_missing_13", "voorraad.csv", STOCK_HEAD + "GM0344;1;10\nGM0355;1;10\nGM0356;1;10\n", (OK, {"dwellings": [10] * 3})),
    ("thousands_all", "voorraad.csv", STOCK_HEAD + "GM0344;1;1.000\nGM0344;2;5.000\n", (OK, {"dwellings": [1000, 5000]})),
    ("millions", "voorraad.csv", STOCK_HEAD + "GM0344;1;1.000.000\nGM0344;2;5\n", (OK, {"dwellings": [1_000_000, 5]})),
    ("sep_line", "voorraad.csv", "sep=;\r\n" + STOCK_HEAD.replace("\n", "\r\n") + "GM0344;1;1.200\r\n",
     (OK, {"dwellings": [1200]})),
    ("sep_line_comma", "voorraad.csv", "sep=,\ncode,size_class,dwellings\nGM0344,1,\"1.200\"\n", (OK, {"dwellings": [1200]})),
    ("bom", "voorraad.csv", "\ufeff" + STOCK_HEAD + "GM0344;1;12\n", (OK, {"dwellings": [12]})),
    ("cp1252", "voorraad.csv", (STOCK_HEAD.replace("\n", ";opmerking\n") + "GM0344;1;12;café\n").encode("cp1252"),
     (OK, {"dwellings": [12], "opmerking": ["café"]})),
    ("crlf_trailing_blank", "voorraad.csv", "code;size_class;dwellings;\r\nGM0344;1;3;\r\n;;;\r\n\r\n", (OK, {"dwellings": [3]})),
    ("tab", "voorraad.csv", "code\tsize_class\tdwellings\nGM0344\t1\t7\n", (OK, {"dwellings": [7]})),
    ("xlsx", "voorraad.xlsx", lambda: _xlsx(pd.DataFrame({"code": [344], "size_class": ["1"], "dwellings": [1200]})),
     (OK, {"code": ["GM0344"], "dwellings": [1200]})),
    ("xlsx_text_thousands", "voorraad.xlsx",
     lambda: _xlsx(pd.DataFrame({"code": ["GM0344", "GM0344"], "size_class": ["1", "2"], "dwellings": ["1.200", "2.500"]})),
     (OK, {"dwellings": [1200, 2500]})),
    ("truncated_row", "voorraad.csv", STOCK_HEAD + "GM0344;1;3\nGM0344;2\n", (r"voorraad\.csv: .*'dwellings'.*empty cells in row 3",)),
    ("extra_column", "voorraad.csv", STOCK_HEAD + "GM0344;1;3\nGM0344;2;4;9\n", (r"voorraad\.csv: .*row 3 has 4 fields, the header has 3",)),
    ("decimal_comma_in_comma_file", "voorraad.csv", "code,size_class,dwellings\nGM0344,1,3\nGM0344,2,4,5\n",
     (r"voorraad\.csv: .*row 3 has 4 fields.*decimal commas in a comma-separated file.*sep=;",)),
    ("empty", "voorraad.csv", b"", (r"voorraad\.csv: the file is empty",)),
    ("bom_only", "voorraad.csv", b"\xef\xbb\xbf\r\n", (r"voorraad\.csv: the file is empty",)),
    ("header_only", "voorraad.csv", STOCK_HEAD, (r"voorraad\.csv: the table is empty",)),
    ("wrong_delimiter", "voorraad.csv", "code|size_class|dwellings\nGM0344|1|3\n", (r"voorraad\.csv: .*one column.*'\|'.*sep=\|",)),
    ("mixed_encoding", "voorraad.csv",
     (STOCK_HEAD.replace("\n", ";opmerking\n") + "GM0344;1;3;Zeïst\n").encode("utf-8") + "GM0344;2;4;café\n".encode("cp1252"),
     (r"voorraad\.csv: mixed text encodings: row 2 is UTF-8 but row 3 is not",)),
    ("mojibake", "voorraad.csv", STOCK_HEAD.replace("\n", ";opmerking\n") + "GM0344;1;3;ok\nGM0344;2;4;ZeÃ¯st\n",
     (r"voorraad\.csv: row 3: 'ZeÃ¯st' looks like text converted twice",)),
    ("decimal_in_count", "voorraad.csv", STOCK_HEAD + "GM0344;1;2,5\n", (r"voorraad\.csv: .*expected a whole number, found '2,5' in row 2",)),
    ("mixed_conventions", "voorraad.csv", STOCK_HEAD + "GM0344;1;1,5\nGM0344;2;2.5\n",
     (r"voorraad\.csv: .*mixes number conventions: '1,5' in row 2 uses a decimal comma, '2\.5' in row 3",)),
    ("overflow", "voorraad.csv", STOCK_HEAD + "GM0344;1;99999999999999999999\n",
     (r"voorraad\.csv: .*at most 1e\+06, found '99999999999999999999' in row 2",)),
    ("inf", "voorraad.csv", STOCK_HEAD + "GM0344;1;inf\n", (r"voorraad\.csv: .*expected a finite number, found 'inf' in row 2",)),
    ("nan", "voorraad.csv", STOCK_HEAD + "GM0344;1;NaN\n", (r"voorraad\.csv: .*expected a finite number, found 'NaN' in row 2",)),
    ("1e400", "voorraad.csv", STOCK_HEAD + "GM0344;1;1e400\n", (r"voorraad\.csv: .*expected a finite number, found '1e400' in row 2",)),
    ("negative", "voorraad.csv", STOCK_HEAD + "GM0344;1;-4\n", (r"voorraad\.csv: .*at least 0, found '-4' in row 2",)),
    ("duplicate_codes", "voorraad.csv", STOCK_HEAD + "344;1;3\nGM0344;1;4\n", (r"voorraad\.csv: .*duplicates in row 2, row 3",)),
    ("unknown_code", "voorraad.csv", STOCK_HEAD + "GM9999;1;3\n", (r"voorraad\.csv: .*unknown municipality code 'GM9999' in row 2",)),
    ("vianen_2024", "voorraad.csv", "code;size_class;dwellings;reference_year\nGM0344;1;3;2024\nGM0620;1;3;2024\n",
     (r"voorraad\.csv: .*GM0620 \(Vianen\) in row 3 no longer existed on 2024-01-01: on 2019-01-01 it became part of GM1961 Vijfheerenlanden",)),
    ("vianen_and_successor", "voorraad.csv", STOCK_HEAD + "GM0620;1;3\nGM1961;1;3\n",
     (r"voorraad\.csv: .*both GM0620 Vianen \(row 2\) and its successor GM1961 Vijfheerenlanden \(row 3\)",)),
    ("binary", "voorraad.csv", bytes(range(256)), (r"voorraad\.csv: expected a CSV text file, found binary data",)),
    ("utf16", "voorraad.csv", (STOCK_HEAD + "GM0344;1;3\n").encode("utf-16"), (r"voorraad\.csv: .*UTF-16",)),
    ("xlsx_as_csv", "voorraad.csv", lambda: _xlsx(pd.DataFrame({"code": ["GM0344"]})), (r"voorraad\.csv: .*ZIP archive",)),
    ("csv_as_xlsx", "voorraad.xlsx", STOCK_HEAD + "GM0344;1;3\n", (r"voorraad\.xlsx: expected an Excel workbook",)),
    ("broken_zip", "voorraad.xlsx", b"PK\x03\x04" + b"\x00" * 200, (r"voorraad\.xlsx: could not read it as an Excel workbook",)),
    ("too_large", "voorraad.csv", lambda: (STOCK_HEAD + "GM0344;1;3;" + "x" * (21 * 2**20) + "\n").encode(),
     (r"voorraad\.csv: the file is 21\.0 MB; the limit for a housing_stock file is 20\.0 MB",)),
    ("too_many_rows", "voorraad.csv", lambda: (STOCK_HEAD + "GM0344;1;3\n" * 100_001).encode(),
     (r"voorraad\.csv: the file has 100,001 rows; the limit for a housing_stock file is 100,000 rows",)),
    ("xlsx_million_rows", "voorraad.xlsx", lambda: _many_rows_xlsx(1_000_000),
     (r"voorraad\.xlsx: sheet sheet1\.xml has more than 100,000 rows, the limit for a housing_stock file",)),
    ("xlsx_rows_without_dimension", "voorraad.xlsx", lambda: _many_rows_xlsx(150_000, dimension=False),
     (r"voorraad\.xlsx: sheet sheet1\.xml has more than 100,000 rows",)),
    ("xlsx_shared_strings_bomb", "voorraad.xlsx", _shared_strings_bomb,
     (r"voorraad\.xlsx: the workbook unpacks to 10\d\.\d MB \(xl/sharedStrings\.xml",)),
]

COA = [
    ("good", "coa.csv", COA_HEAD + "Azc A;GM0344;04-10-2016;1.000;850\n",
     (OK, {"capacity": [1000], "occupancy": [850], "date": [pd.Timestamp("2016-10-04")]})),
    ("iso_date", "coa.csv", COA_HEAD + "Azc A;GM0344;2016-10-04;500;450\n", (OK, {"date": [pd.Timestamp("2016-10-04")]})),
    ("cp1252", "coa.csv", (COA_HEAD + "Oudenrijn – noodopvang;GM0344;04-10-2016;500;430\n").encode("cp1252"),
     (OK, {"location": ["Oudenrijn – noodopvang"]})),
    ("bad_date", "coa.csv", COA_HEAD + "Azc A;GM0344;31-02-2016;500;450\n", (r"coa\.csv: .*'date'.*found '31-02-2016' in row 2",)),
    ("over_capacity", "coa.csv", COA_HEAD + "Azc A;GM0344;04-10-2016;100;120\n",
     (r"coa\.csv: .*expected occupancy at most capacity, found occupancy=120, capacity=100 in row 2",)),
    ("permit_holders_over_occupancy", "coa.csv",
     COA_HEAD.replace("\n", ";statushouders\n") + "Azc A;GM0344;04-10-2016;100;80;90\n",
     (r"coa\.csv: .*expected permit_holders at most occupancy, found permit_holders=90, occupancy=80 in row 2",)),
    ("capacity_above_max", "coa.csv", COA_HEAD + "Azc A;GM0344;04-10-2016;50.000;10\n",
     (r"coa\.csv: .*'capacity': expected a value of at most 10000, found '50\.000' in row 2",)),
    ("overflow", "coa.csv", COA_HEAD + "Azc A;GM0344;04-10-2016;99999999999999999999;10\n", (r"coa\.csv: .*at most 10000",)),
    ("inf", "coa.csv", COA_HEAD + "Azc A;GM0344;04-10-2016;inf;10\n", (r"coa\.csv: .*finite number, found 'inf' in row 2",)),
    ("vianen_2020", "coa.csv", COA_HEAD + "Azc A;GM0620;04-10-2020;100;10\n",
     (r"coa\.csv: .*GM0620 \(Vianen\) in row 2 no longer existed on 2020-10-04.*GM1961 Vijfheerenlanden",)),
    ("successor_too_early", "coa.csv", COA_HEAD + "Azc A;GM1961;04-10-2016;100;10\n",
     (r"coa\.csv: .*GM1961 \(Vijfheerenlanden\) in row 2 did not exist yet on 2016-10-04",)),
    ("truncated_row", "coa.csv", COA_HEAD + "Azc A;GM0344;04-10-2016\n", (r"coa\.csv: .*empty cells in row 2",)),
    ("extra_column", "coa.csv", COA_HEAD + "Azc A;GM0344;04-10-2016;100;10;5\n", (r"coa\.csv: .*row 2 has 6 fields",)),
    ("header_only", "coa.csv", COA_HEAD, (r"coa\.csv: the table is empty",)),
    ("empty", "coa.csv", b"", (r"coa\.csv: the file is empty",)),
    ("mixed_encoding", "coa.csv",
     (COA_HEAD + "Zeïst;GM0355;04-10-2016;300;290\n").encode("utf-8") + "Café;GM0344;04-10-2016;10;9\n".encode("cp1252"),
     (r"coa\.csv: mixed text encodings: row 2 is UTF-8 but row 3 is not",)),
    ("duplicates", "coa.csv", COA_HEAD + "A;GM0344;04-10-2016;10;5\nA;GM0344;2016-10-04;10;6\n", (r"coa\.csv: .*duplicates in row 2, row 3",)),
]

CASELOAD = [
    ("good", "dossiers.csv", CASE_HEAD + "h1,syrisch,34,m,ja,2,0,3,4\nh2,eritrees,22,v,nee,0,1,1,\n",
     (OK, {"children_present": [2, 0], "partner_present": [True, False]})),
    ("sep_line", "dossiers.csv", "sep=,\n" + CASE_HEAD + "h1,syrisch,34,m,ja,2,0,3,4\n", (OK, {"children_present": [2]})),
    ("household_54", "dossiers.csv", CASE_HEAD + "h1,syrisch,34,m,ja,2,0,3,54\n",
     (r"dossiers\.csv: .*'final_size': expected a value of at most 20, found '54' in row 2",)),
    ("children_52", "dossiers.csv", CASE_HEAD + "h1,syrisch,34,m,ja,52,0,3,\n",
     (r"dossiers\.csv: .*'children_present': expected a value of at most 19, found '52' in row 2",)),
    ("overflow", "dossiers.csv", CASE_HEAD + "h1,syrisch,34,m,ja,99999999999999999999,0,3,\n",
     (r"dossiers\.csv: .*'children_present': expected a value of at most 19, found '99999999999999999999' in row 2",)),
    ("inf", "dossiers.csv", CASE_HEAD + "h1,syrisch,inf,m,ja,2,0,3,\n", (r"dossiers\.csv: .*'referent_age': expected a finite number",)),
    ("negative", "dossiers.csv", CASE_HEAD + "h1,syrisch,34,m,ja,-2,0,3,\n", (r"dossiers\.csv: .*at least 0, found '-2' in row 2",)),
    ("final_below_current", "dossiers.csv", CASE_HEAD + "h1,syrisch,34,m,ja,2,0,3,2\n", (r"dossiers\.csv: .*'final_size': expected at least the current size",)),
    ("truncated_row", "dossiers.csv", CASE_HEAD + "h1,syrisch,34,m,ja\n", (r"dossiers\.csv: .*empty cells in row 2",)),
    ("extra_column", "dossiers.csv", CASE_HEAD + "h1,syrisch,34,m,ja,2,0,3,4,9\n", (r"dossiers\.csv: .*row 2 has 10 fields",)),
    ("duplicate_ids", "dossiers.csv", CASE_HEAD + "h1,syrisch,34,m,ja,2,0,3,4\nh1,syrisch,30,v,nee,0,0,3,1\n",
     (r"dossiers\.csv: .*duplicates in row 2, row 3",)),
    ("header_only", "dossiers.csv", CASE_HEAD, (r"dossiers\.csv: the table is empty",)),
    ("wrong_delimiter", "dossiers.csv", CASE_HEAD.replace(",", "|") + "h1|syrisch|34|m|ja|2|0|3|4\n", (r"dossiers\.csv: .*one column",)),
    ("mojibake", "dossiers.csv", CASE_HEAD + "h1,SyriÃ«,34,m,ja,2,0,3,4\n", (r"dossiers\.csv: row 2: 'SyriÃ«' looks like text converted twice",)),
    ("too_many_rows", "dossiers.csv", lambda: (CASE_HEAD + "h,syrisch,34,m,ja,2,0,3,4\n" * 200_001).encode(),
     (r"dossiers\.csv: the file has 200,001 rows; the limit for a caseload file is 200,000 rows",)),
]

READERS = {"stock": io.read_housing_stock, "coa": io.read_coa_occupancy, "caseload": io.read_caseload}
CONTROLEER = {"stock": "woningvoorraad", "coa": "coa", "caseload": "caseload"}
MATCHING = {"stock": "--woningvoorraad", "caseload": "--huishoudens"}
CASES = [("stock", *c) for c in STOCK] + [("coa", *c) for c in COA] + [("caseload", *c) for c in CASELOAD]
IDS = [f"{kind}-{case}" for kind, case, *_ in CASES]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Write every case once: ``{(kind, case): path}``."""
    root = tmp_path_factory.mktemp("corpus")
    paths = {}
    for kind, case, name, content, _ in CASES:
        folder = root / f"{kind}-{case}"
        folder.mkdir()
        data = content() if callable(content) else content
        (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        paths[(kind, case)] = folder / name
    return paths


def _check_values(df, values):
    for col, expected in values.items():
        assert df[col].tolist() == expected, col


@pytest.mark.parametrize("kind, case, name, content, expect", CASES, ids=IDS)
def test_python_readers(corpus, kind, case, name, content, expect):
    path = corpus[(kind, case)]
    if expect[0] == OK:
        _check_values(READERS[kind](path), expect[1])
    else:
        with pytest.raises(ValidationError, match=r"(?s)^" + expect[0]):
            READERS[kind](path)


def _one_line_error(capsys, argv, pattern, command, *, warnings_allowed=False):
    status = cli.main(argv)
    out, err = capsys.readouterr()
    if warnings_allowed:  # warnings are lines of their own ("waarschuwing: ..."), not part of the error
        err = "".join(line for line in err.splitlines(keepends=True) if not line.startswith("waarschuwing: "))
    assert status == 2, (out, err)
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"doorlopende-lijn {command}: error: ")
    assert "Traceback" not in err
    import re

    assert re.search(pattern, err), err
    return err


@pytest.mark.parametrize("kind, case, name, content, expect", CASES, ids=IDS)
def test_controleer(corpus, capsys, kind, case, name, content, expect):
    path = corpus[(kind, case)]
    argv = ["controleer", CONTROLEER[kind], str(path)]
    if expect[0] == OK:
        assert cli.main(argv) == 0
        n = len(next(iter(expect[1].values())))
        assert capsys.readouterr().out.startswith(f"{name}: {n} rijen in orde")
    else:
        _one_line_error(capsys, argv, expect[0], "controleer")


# matching needs a stock for every municipality of the region: the partial stock files are rejected there
MATCHING_EXPECT = {
    ("stock", "u16_missing_13"): (r"voorraad\.csv: no rows for 13 of the 16 municipalities of U16 in 2016: Bunnik \(GM0312\)",),
}
MATCHING_CASES = [(k, c, n, content, MATCHING_EXPECT.get((k, c), e)) for k, c, n, content, e in CASES
                  if k in MATCHING and (e[0] != OK or (k, c) in {("stock", "u16_thousands"), ("stock", "u16_missing_13"),
                                                                 ("caseload", "good")})]


@pytest.mark.parametrize("kind, case, name, content, expect", MATCHING_CASES,
                         ids=[f"{k}-{c}" for k, c, *_ in MATCHING_CASES])
def test_matching(corpus, capsys, tmp_path, kind, case, name, content, expect):
    path = corpus[(kind, case)]
    argv = ["matching", MATCHING[kind], str(path)]
    if expect[0] == OK:
        assert cli.main(argv) == 0, capsys.readouterr().err
        assert "U16" in capsys.readouterr().out
    else:
        _one_line_error(capsys, argv, expect[0], "matching")


def test_corpus_size(capsys):
    counts = {
        "io.read_housing_stock": len(STOCK), "io.read_coa_occupancy": len(COA), "io.read_caseload": len(CASELOAD),
        "controleer": len(CASES), "matching": len(MATCHING_CASES),
    }
    with capsys.disabled():
        print("\nmalformed-file corpus, cases per entry point:", counts)
    assert sum(c[4][0] != OK for c in CASES) >= 50


# ---------------------------------------------------------------- the CLI: dates, OS errors, Ctrl-C


@pytest.mark.parametrize("datum", ["31-02-2016", "2016-02-30", "gisteren", "13-13-2016"])
def test_kaart_with_an_invalid_date_is_one_line_and_writes_nothing(capsys, tmp_path, datum):
    out = tmp_path / "raad"
    _one_line_error(capsys, ["kaart", "--out", str(out), "--datum", datum],
                    rf"--datum: expected a date like 04-10-2016 \(day first\) or 2016-10-04, found '{datum}'", "kaart")
    assert not out.exists()


@pytest.mark.parametrize("text, iso", [("04-10-2016", "2016-10-04"), ("4/10/2016", "2016-10-04"), ("2016-10-04", "2016-10-04")])
def test_dates_are_read_day_first(monkeypatch, text, iso):
    seen = {}

    def fake(args):  # stands in for the command only: what main() hands over is under test
        seen["datum"] = args.datum
        return 0

    fake.configure = cli.COMMANDS["kaart"][0].configure
    monkeypatch.setitem(cli.COMMANDS, "kaart", (fake, "x"))
    assert cli.main(["kaart", "--datum", text]) == 0
    assert seen["datum"] == iso


def _raising_command(monkeypatch, exc):
    def boom(args):
        raise exc

    monkeypatch.setitem(cli.COMMANDS, "info", (boom, "x"))


@pytest.mark.parametrize(
    "exc, pattern",
    [
        (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "out/kaart_overzicht.html"),
         r"out/kaart_overzicht\.html: the disk is full \(no space left on device\)"),
        (PermissionError(errno.EACCES, os.strerror(errno.EACCES), "out/rapport.html"), r"out/rapport\.html: permission denied"),
    ],
)
def test_os_errors_are_one_line(monkeypatch, capsys, exc, pattern):
    _raising_command(monkeypatch, exc)
    _one_line_error(capsys, ["info"], pattern, "info")


def test_ctrl_c_is_one_plain_line(monkeypatch, capsys):
    _raising_command(monkeypatch, KeyboardInterrupt())
    assert cli.main(["info"]) == 130
    err = capsys.readouterr().err
    assert err == "doorlopende-lijn info: interrupted (Ctrl-C); stopped before finishing\n"


def test_a_real_os_error_writing_output(capsys, tmp_path):
    blocker = tmp_path / "bestand"
    blocker.write_text("geen map")
    _one_line_error(capsys, ["grenzen", "--offline", "--uit", str(blocker / "grenzen.geojson")],
                    r"bestand: a file is in the way where a folder is needed", "grenzen", warnings_allowed=True)


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["controleer", "boeken", "x.csv"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'boeken'" in err


def test_subprocess_one_line_exit_2_no_traceback(tmp_path):
    p = tmp_path / "voorraad.csv"
    p.write_text(STOCK_HEAD + "GM0344;1;99999999999999999999\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "toolkit.cli", "controleer", "woningvoorraad", str(p)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "voorraad.csv" in r.stderr and "'99999999999999999999' in row 2" in r.stderr
    assert r.stdout == ""


# ---------------------------------------------------------------- coverage of the region


def test_stock_missing_municipalities_of_the_region_names_them(capsys, tmp_path):
    p = tmp_path / "voorraad.csv"
    p.write_text(STOCK_HEAD + "GM0344;1;10\nGM0355;1;10\nGM0356;1;10\n", encoding="utf-8")
    err = _one_line_error(capsys, ["controleer", "woningvoorraad", str(p), "--regio", "U16", "--jaar", "2016"],
                          r"voorraad\.csv: no rows for 13 of the 16 municipalities of U16 in 2016: ", "controleer")
    assert "Bunnik (GM0312)" in err and "Vianen (GM0620)" in err and "Utrecht (GM0344)" not in err
    with pytest.raises(ValidationError, match="no rows for 13 of the 16"):
        io.read_housing_stock(p, region="U16", year=2016)
