"""Tests for toolkit.io: analysts' CSV and Excel files, good and bad."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit import ValidationError, schemas
from toolkit._validate import Column, Schema, validate_frame
from toolkit.io import read_caseload, read_coa_occupancy, read_housing_stock, read_table


def write(tmp_path, name, content, encoding="utf-8"):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_bytes(content.encode(encoding))
    return p


def xlsx(tmp_path, name, sheets):
    p = tmp_path / name
    with pd.ExcelWriter(p, engine="openpyxl") as w:
        for sheet, df in sheets.items():
            df.to_excel(w, sheet_name=sheet, index=False)
    return p


STOCK_CSV = "Gemeentecode;Grootteklasse;Woningen\n344;1;1200\nGM0344;2;800\ngm0356;3-4;450\n"


# ---------------------------------------------------------------- good files


def test_housing_stock_semicolon_csv_with_dutch_headers(tmp_path):
    df = read_housing_stock(write(tmp_path, "voorraad.csv", STOCK_CSV))
    assert df[["code", "size_class", "dwellings"]].values.tolist() == [
        ["GM0344", "1", 1200],
        ["GM0344", "2", 800],
        ["GM0356", "3-4", 450],
    ]
    assert df["dwellings"].dtype == "int64"
    assert df.attrs == {"dataset": "housing_stock", "source": "voorraad.csv", "status": None, "row_base": 2, "nrows": 3}


def test_comma_csv_with_bom_and_status_column(tmp_path):
    text = "\ufeffcode,size_class,dwellings,status\nGM0344,1,10,schatting\nGM0344,5+,2,schatting\n"
    df = read_housing_stock(write(tmp_path, "stock.csv", text))
    assert df["size_class"].tolist() == ["1", "5+"]
    assert df.attrs["status"] == "schatting"


def test_cp1252_csv_and_dutch_dates(tmp_path):
    text = (
        "Locatie;Gemeentecode;Peildatum;Capaciteit;Bezetting;Opmerking\n"
        "Oudenrijn – noodopvang;GM0344;04-10-2016;500;430;café\n"
        "Oudenrijn – noodopvang;GM0344;13-10-2016;500;470;\n"
        "Zeist;355;2016-10-04;300;290;\n"
    )
    df = read_coa_occupancy(write(tmp_path, "coa.csv", text, encoding="cp1252"))
    assert list(df.columns) == ["location", "code", "date", "capacity", "occupancy"]  # extra columns dropped
    assert df["location"].iloc[0] == "Oudenrijn – noodopvang"
    assert df["date"].tolist() == [pd.Timestamp("2016-10-04"), pd.Timestamp("2016-10-13"), pd.Timestamp("2016-10-04")]
    assert df["code"].tolist() == ["GM0344", "GM0344", "GM0355"]


def test_xlsx_second_sheet(tmp_path):
    stock = pd.DataFrame({"gemeentecode": ["GM0344", "GM0321"], "klasse": ["1", "2"], "woningen": [5, 7]})
    p = xlsx(tmp_path, "corporatie.xlsx", {"Toelichting": pd.DataFrame({"tekst": ["zie blad 2"]}), "Voorraad": stock})
    df = read_housing_stock(p, sheet="Voorraad")
    assert df[["code", "size_class", "dwellings"]].values.tolist() == [["GM0344", "1", 5], ["GM0321", "2", 7]]
    assert df.attrs["source"] == "corporatie.xlsx (sheet 'Voorraad')"
    assert read_housing_stock(p, sheet=1).equals(df)
    with pytest.raises(ValidationError, match=r"corporatie\.xlsx: no sheet 'Blad1'; the workbook has sheets \['Toelichting', 'Voorraad'\]"):
        read_housing_stock(p, sheet="Blad1")
    # the first sheet is not a stock table
    with pytest.raises(ValidationError, match=r"corporatie\.xlsx \(sheet 'Toelichting'\): missing column 'code'"):
        read_housing_stock(p)


def test_xlsx_dates_numbers_and_trailing_blank_rows(tmp_path):
    coa = pd.DataFrame(
        {
            "location": ["Azc A", "Azc A", None],
            "code": [344, 344, None],  # numbers in Excel
            "date": [pd.Timestamp("2016-10-04"), pd.Timestamp("2016-11-01"), None],
            "capacity": [100, 100, None],
            "occupancy": [90.0, 95.0, None],
        }
    )
    df = read_coa_occupancy(xlsx(tmp_path, "coa.xlsx", {"Blad1": coa}))
    assert len(df) == 2
    assert df["code"].tolist() == ["GM0344", "GM0344"]
    assert df["occupancy"].tolist() == [90, 95]
    assert df["date"].tolist() == [pd.Timestamp("2016-10-04"), pd.Timestamp("2016-11-01")]


def test_csv_excel_leftovers_trailing_separators_and_blank_rows(tmp_path):
    text = "code;size_class;dwellings;\nGM0344;1;3;\nGM0344;2;4;\n;;;\n;;;\n\n"
    df = read_housing_stock(write(tmp_path, "export.csv", text))
    assert list(df.columns) == ["code", "size_class", "dwellings"]
    assert df["dwellings"].tolist() == [3, 4]


def test_caseload_with_dutch_headers_drops_other_columns(tmp_path):
    text = (
        "huishouden_id,naam,nationaliteit,leeftijd,geslacht,partner,kinderen,gezinsleden_buitenland,maanden_sinds_vergunning,eindgrootte\n"
        "h1,Fictief A,Syrië,34,m,ja,2,0,3,4\n"
        "h2,Fictief B,eritrees,22,v,nee,0,1,1,\n"
    )
    df = read_caseload(write(tmp_path, "caseload.csv", text))
    assert "naam" not in df.columns
    assert df["nationality_group"].tolist() == ["syrisch", "eritrees"]
    assert df["partner_present"].tolist() == [True, False]
    assert df["children_present"].tolist() == [2, 0]
    assert df["final_size"].iloc[0] == 4 and pd.isna(df["final_size"].iloc[1])
    assert df.attrs["source"] == "caseload.csv"


def test_read_table_with_own_known_codes(tmp_path):
    p = write(tmp_path, "stock.csv", "code,size_class,dwellings\nGM9998,1,10\n")
    assert read_table(p, schemas.HOUSING_STOCK)["code"].tolist() == ["GM9998"]  # no check by default
    with pytest.raises(ValidationError, match=r"(?s)stock\.csv: .*unknown municipality code 'GM9998' in row 2"):
        read_housing_stock(p)
    assert read_housing_stock(p, known_codes={"GM9998"})["dwellings"].tolist() == [10]


def test_file_is_not_modified(tmp_path):
    p = write(tmp_path, "voorraad.csv", STOCK_CSV)
    before = p.read_bytes()
    read_housing_stock(p)
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["voorraad.csv"]


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("leeg.csv", b"", r"leeg\.csv: the file is empty"),
        ("bom.csv", b"\xef\xbb\xbf\r\n", r"bom\.csv: the file is empty"),
        ("leeg.xlsx", b"", r"leeg\.xlsx: the file is empty"),
        ("kop.csv", b"code;size_class;dwellings\n", r"kop\.csv: the table is empty"),
        ("tekst.xlsx", b"code;size_class;dwellings\nGM0344;1;3\n", r"tekst\.xlsx: expected an Excel workbook \(\.xlsx\), found text \(a CSV file renamed"),
        ("rommel.csv", bytes(range(256)), r"rommel\.csv: expected a CSV text file, found binary data"),
        ("oud.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, r"oud\.xlsx: expected an Excel workbook .*old Excel 97-2003"),
        ("kapot.xlsx", b"PK\x03\x04" + b"\x00" * 100, r"kapot\.xlsx: could not read it as an Excel workbook"),
        ("oud.xls", b"\xd0\xcf\x11\xe0", r"oud\.xls: old Excel 97-2003 files \(\.xls\) are not supported"),
        ("tabel.ods", b"PK\x03\x04", r"tabel\.ods: unsupported file type '\.ods'"),
        ("raar.csv", b"code\n\x81\x8d\n", r"raar\.csv: could not read the text as UTF-8 or Windows-1252"),
        ("rij.csv", b"code;size_class;dwellings\nGM0344;1;3\nGM0344;2;4;9\n", r"rij\.csv: could not read as CSV with delimiter ';': row 3 has 4 fields, the header has 3"),
    ],
)
def test_files_that_are_not_tables(tmp_path, name, content, message):
    with pytest.raises(ValidationError, match=message):
        read_housing_stock(write(tmp_path, name, content))


def test_xlsx_renamed_to_csv(tmp_path):
    p = xlsx(tmp_path, "echt.xlsx", {"Blad1": pd.DataFrame({"code": ["GM0344"]})})
    q = tmp_path / "nep.csv"
    q.write_bytes(p.read_bytes())
    with pytest.raises(ValidationError, match=r"nep\.csv: expected a CSV text file, found a ZIP archive \(an Excel \.xlsx file renamed"):
        read_housing_stock(q)


def test_missing_file(tmp_path):
    with pytest.raises(ValidationError, match=r"weg\.csv: file not found"):
        read_housing_stock(tmp_path / "weg.csv")


def test_misspelt_column_suggests_the_right_one(tmp_path):
    p = write(tmp_path, "typo.csv", "code;size_class;dwelings\nGM0344;1;3\n")
    with pytest.raises(ValidationError, match=r"typo\.csv: missing column 'dwellings' \(did you mean 'dwelings'\?\).*found \['code', 'size_class', 'dwelings'\]"):
        read_housing_stock(p)


def test_every_value_problem_with_file_row_and_column(tmp_path):
    text = (
        "code;size_class;dwellings\n"
        "GM9999;1;10\n"  # row 2: unknown code
        "GM0344;1;veel\n"  # row 3: not a number
        "GM0344;2;-4\n"  # row 4: negative
        "GM0344;6;1\n"  # row 5: unknown size class
        ";;\n"  # row 6: empty row in between
        "GM0344;3-4;2.5\n"  # row 7: not whole
    )
    with pytest.raises(ValidationError) as info:
        read_housing_stock(write(tmp_path, "fouten.csv", text))
    msg = str(info.value)
    assert msg.startswith("fouten.csv: ")
    assert "column 'code': unknown municipality code 'GM9999' in row 2" in msg
    assert "column 'dwellings': expected a number, found 'veel' in row 3" in msg
    assert "column 'dwellings': expected a value of at least 0, found '-4' in row 4" in msg
    assert "column 'size_class': expected one of ['1', '2', '3-4', '5+'], found '6' in row 5" in msg
    assert "empty cells in row 6" in msg
    assert "column 'dwellings': expected a whole number, found '2.5' in row 7" in msg


def test_malformed_code(tmp_path):
    p = write(tmp_path, "codes.csv", "code,size_class,dwellings\nGM0344,1,1\nGM34X,2,1\n")
    with pytest.raises(ValidationError, match=r"(?s)codes\.csv: .*column 'code': expected a CBS municipality code like 'GM0344', found 'GM34X' in row 3"):
        read_housing_stock(p)


def test_duplicate_keys_after_code_normalisation(tmp_path):
    p = write(tmp_path, "dubbel.csv", "code;size_class;dwellings\n344;1;1\nGM0356;1;2\ngm0344;1;3\n")
    with pytest.raises(ValidationError, match=r"(?s)dubbel\.csv: .*\['code', 'size_class'\]: expected each combination once, found duplicates in row 2, row 4"):
        read_housing_stock(p)


def test_excel_rows_are_numbered_as_in_excel(tmp_path):
    coa = pd.DataFrame(
        {
            "locatie": ["A", "B", "C"],
            "gemeentecode": ["GM0344", "GM0344", "GM0344"],
            "datum": ["2016-10-04", "2016-10-04", "31-02-2016"],
            "capaciteit": [10, -1, 10],
            "bezetting": [5, 5, 5],
        }
    )
    with pytest.raises(ValidationError) as info:
        read_coa_occupancy(xlsx(tmp_path, "coa.xlsx", {"Blad1": coa}))
    msg = str(info.value)
    assert msg.startswith("coa.xlsx: 2 problem(s)")
    assert "column 'capacity': expected a value of at least 0, found -1 in row 3" in msg
    assert "column 'date': expected a date like 2016-10-04 or 04-10-2016 (day first), found '31-02-2016' in row 4" in msg


def test_coa_duplicate_location_date(tmp_path):
    text = "location,code,date,capacity,occupancy\nA,GM0344,04-10-2016,10,5\nA,GM0344,2016-10-04,10,6\n"
    with pytest.raises(ValidationError, match=r"(?s)coa\.csv: .*\['location', 'date'\]: expected each combination once, found duplicates in row 2, row 3"):
        read_coa_occupancy(write(tmp_path, "coa.csv", text))


def test_caseload_bad_values(tmp_path):
    text = (
        "household_id,nationality_group,referent_age,referent_sex,partner_present,children_present,family_abroad,months_since_permit,final_size\n"
        "h1,syrisch,34,m,ja,2,0,3,2\n"  # row 2: final size below current size 4
        "h2,syrisch,230,q,misschien,0,0,1,\n"  # row 3: age, sex, partner
    )
    with pytest.raises(ValidationError) as info:
        read_caseload(write(tmp_path, "dossiers.csv", text))
    msg = str(info.value)
    assert "dossiers.csv" in msg
    assert "column 'referent_age': expected a value of at most 120, found '230' in row 3" in msg
    assert "column 'referent_sex': expected one of ['m', 'v', 'x'], found 'q' in row 3" in msg
    assert "column 'partner_present': expected ja/nee or true/false, found 'misschien' in row 3" in msg
    fixed = text.replace("h2,syrisch,230,q,misschien", "h2,syrisch,23,v,nee")
    with pytest.raises(ValidationError, match=r"dossiers\.csv: column 'final_size': expected at least the current size .* rows 2"):
        read_caseload(write(tmp_path, "dossiers.csv", fixed))


def test_sheet_argument_on_csv(tmp_path):
    with pytest.raises(ValidationError, match=r"voorraad\.csv: sheet='Blad1' only applies to Excel files"):
        read_housing_stock(write(tmp_path, "voorraad.csv", STOCK_CSV), sheet="Blad1")


# ---------------------------------------------------------------- Dutch Excel numbers (issue 11)

COA_HEAD = "locatie;gemeentecode;peildatum;capaciteit;bezetting\n"


def test_thousands_separator_in_a_count_column_is_a_thousand(tmp_path):
    # today's main read '1.000' as 1 place
    p = write(tmp_path, "coa.csv", COA_HEAD + "Azc A;GM0344;04-10-2016;1.000;850\nAzc B;GM0344;04-10-2016;2.500;1.200\n")
    df = read_coa_occupancy(p)
    assert df["capacity"].tolist() == [1000, 2500]
    assert df["occupancy"].tolist() == [850, 1200]
    assert df["date"].tolist() == [pd.Timestamp("2016-10-04")] * 2


def test_dwellings_with_thousands_separators(tmp_path):
    text = "code;size_class;dwellings\n" + "".join(f"GM0344;{c};{n}.000\n" for c, n in zip(["1", "2", "3-4", "5+"], [1, 2, 3, 5]))
    assert read_housing_stock(write(tmp_path, "voorraad.csv", text))["dwellings"].tolist() == [1000, 2000, 3000, 5000]


def test_excel_sep_line_and_decimal_commas(tmp_path):
    text = "sep=;\r\ncode;size_class;dwellings\r\nGM0344;1;1.234\r\nGM0344;2;12\r\n"
    df = read_housing_stock(write(tmp_path, "excel.csv", text))
    assert df["dwellings"].tolist() == [1234, 12]
    # rows are numbered as Excel shows them: the sep= line is not a row
    bad = "sep=;\ncode;size_class;dwellings\nGM0344;1;-3\n"
    with pytest.raises(ValidationError, match=r"(?s)excel\.csv: .*found '-3' in row 2"):
        read_housing_stock(write(tmp_path, "excel.csv", bad))


def test_sep_line_with_comma_delimiter(tmp_path):
    df = read_housing_stock(write(tmp_path, "komma.csv", "sep=,\ncode,size_class,dwellings\nGM0344,1,\"1.500\"\n"))
    assert df["dwellings"].tolist() == [1500]


AREA = Schema("buildings", (Column("id"), Column("floor_area_m2", "float", min=0, max=1_000_000)))


@pytest.mark.parametrize(
    "values, expected",
    [
        (["4.500", "3.250,5"], [4500.0, 3250.5]),  # a decimal comma elsewhere in the column shows the convention
        (["4.500,0", "12,25"], [4500.0, 12.25]),
        (["4500.5", "12.25"], [4500.5, 12.25]),  # decimal points throughout
        (["1,234.5", "4.5"], [1234.5, 4.5]),
        (["1.000.000", "4.500"], [1_000_000.0, 4500.0]),  # two dots can only group thousands
    ],
)
def test_floor_area_conventions_decided_per_column(values, expected):
    df = pd.DataFrame({"id": ["a", "b"], "floor_area_m2": values})
    out = validate_frame(df, AREA, source="gebouwen.csv", row_base=2)
    assert out["floor_area_m2"].tolist() == expected


def test_ambiguous_floor_area_is_rejected_with_the_fix():
    df = pd.DataFrame({"id": ["a", "b"], "floor_area_m2": ["4.500", "120"]})
    with pytest.raises(ValidationError) as info:
        validate_frame(df, AREA, source="gebouwen.csv", row_base=2)
    msg = str(info.value)
    assert "gebouwen.csv" in msg and "'4.500' in row 2 is ambiguous" in msg
    assert "thousands separator" in msg and "decimal comma" in msg


def test_mixed_number_conventions_rejected(tmp_path):
    text = "d;x\n" "2016-10-04;3,5\n" "2016-10-05;3.5\n"
    schema = Schema("s", (Column("d", "date"), Column("x", "float")))
    with pytest.raises(ValidationError, match=r"(?s)mix\.csv: .*column 'x': mixes number conventions: '3,5' in row 2 uses a decimal comma, '3\.5' in row 3 a decimal point"):
        read_table(write(tmp_path, "mix.csv", text), schema)


def test_decimal_commas_in_a_comma_separated_file_point_to_the_fix(tmp_path):
    text = "code,size_class,dwellings\nGM0344,1,3\nGM0344,2,4,5\n"
    with pytest.raises(ValidationError, match=r"komma\.csv: .*row 3 has 4 fields, the header has 3; decimal commas in a comma-separated file\?.*sep=;"):
        read_housing_stock(write(tmp_path, "komma.csv", text))


def test_wrong_delimiter_names_it(tmp_path):
    with pytest.raises(ValidationError, match=r"pijp\.csv: the header 'code\|size_class\|dwellings' is one column; .*found '\|'.*sep=\|"):
        read_housing_stock(write(tmp_path, "pijp.csv", "code|size_class|dwellings\nGM0344|1|3\n"))


# ---------------------------------------------------------------- encodings (issue 11)


def test_utf8_without_bom_and_cp1252_read_the_same(tmp_path):
    text = COA_HEAD + "Zeïst – azc;GM0355;04-10-2016;300;290\n"
    a = read_coa_occupancy(write(tmp_path, "a.csv", text, encoding="utf-8"))
    b = read_coa_occupancy(write(tmp_path, "b.csv", text, encoding="cp1252"))
    c = read_coa_occupancy(write(tmp_path, "c.csv", "\ufeff" + text, encoding="utf-8"))
    assert a["location"].tolist() == b["location"].tolist() == c["location"].tolist() == ["Zeïst – azc"]


def test_mixed_encodings_name_the_rows(tmp_path):
    data = (COA_HEAD + "Zeïst;GM0355;04-10-2016;300;290\n").encode("utf-8") + "Café;GM0344;04-10-2016;10;9\n".encode("cp1252")
    with pytest.raises(ValidationError, match=r"gemengd\.csv: mixed text encodings: row 2 is UTF-8 but row 3 is not \(Windows-1252\?\)"):
        read_coa_occupancy(write(tmp_path, "gemengd.csv", data))


def test_mojibake_is_rejected_naming_the_row(tmp_path):
    text = COA_HEAD + "Azc A;GM0344;04-10-2016;10;9\nZeÃ¯st;GM0355;04-10-2016;300;290\n"
    with pytest.raises(ValidationError, match=r"mojibake\.csv: row 3: 'ZeÃ¯st' looks like text converted twice"):
        read_coa_occupancy(write(tmp_path, "mojibake.csv", text))


# ---------------------------------------------------------------- overflow and bounds (issue 11)


@pytest.mark.parametrize(
    "value, message",
    [
        ("99999999999999999999", r"expected a value of at most 1e\+06, found '99999999999999999999' in row 2"),
        ("inf", r"expected a finite number, found 'inf' in row 2"),
        ("nan", r"expected a finite number, found 'nan' in row 2"),
        ("1e400", r"expected a finite number, found '1e400' in row 2"),
        ("-1", r"expected a value of at least 0, found '-1' in row 2"),
    ],
)
def test_overflow_and_infinities_rejected_before_any_cast(tmp_path, value, message):
    p = write(tmp_path, "groot.csv", f"code;size_class;dwellings\nGM0344;1;{value}\n")
    with pytest.raises(ValidationError, match=rf"(?s)groot\.csv: .*column 'dwellings': {message}"):
        read_housing_stock(p)


CASE_HEAD = "household_id,nationality_group,referent_age,referent_sex,partner_present,children_present,family_abroad,months_since_permit,final_size\n"


def test_household_above_the_maximum_is_rejected(tmp_path):
    with pytest.raises(ValidationError, match=r"(?s)groot\.csv: .*'final_size': expected a value of at most 20, found '54' in row 3"):
        read_caseload(write(tmp_path, "groot.csv", CASE_HEAD + "h1,syrisch,30,m,ja,1,0,3,3\nh2,syrisch,30,m,ja,2,0,3,54\n"))
    with pytest.raises(ValidationError, match=r"(?s)'children_present': expected a value of at most 19, found '52' in row 2"):
        read_caseload(write(tmp_path, "groot.csv", CASE_HEAD + "h1,syrisch,30,m,ja,52,0,3,\n"))
    # 1 + partner 1 + 10 children + 10 abroad = 22 persons > 20
    with pytest.raises(ValidationError, match=r"(?s)expected a final household of at most 20 persons .* in row 2"):
        read_caseload(write(tmp_path, "groot.csv", CASE_HEAD + "h1,syrisch,30,m,ja,10,10,3,\n"))
