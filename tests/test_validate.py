"""validate_frame: every bad-input case of issue 2, on small CSV files written here.

Each message must name the source (file), the row a user sees in the file (header = line 1)
and the column, what was expected and what was found.
"""

import pandas as pd
import pytest
from pandas.api import types as pdt

from toolkit import ValidationError, schemas
from toolkit._validate import Column, Schema, validate_frame

KNOWN = {"GM0344", "GM0355", "GM0312"}


def _read(path):
    """Read a CSV the way the loaders do (all text, empty cells missing)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture
def csv_file(tmp_path):
    def write(text, name="woningvoorraad.csv"):
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return write


def _check(path, schema=schemas.HOUSING_STOCK, known=KNOWN):
    return validate_frame(_read(path), schema, source=path.name, row_base=2, known_codes=known)


GOOD = "code,size_class,dwellings\nGM0344,1,10\nGM0344,2,20\nGM0355,1,5\n"


def test_good_file_passes_with_types(csv_file):
    out = _check(csv_file(GOOD))
    assert out["code"].tolist() == ["GM0344", "GM0344", "GM0355"]
    assert out["dwellings"].tolist() == [10, 20, 5]
    assert pdt.is_integer_dtype(out["dwellings"])


def test_input_frame_is_not_mutated(csv_file):
    raw = _read(csv_file("Gemeentecode,size_class,dwellings\n344,1,10\n"))
    before = raw.copy()
    validate_frame(raw, schemas.HOUSING_STOCK, source="x.csv", row_base=2)
    pd.testing.assert_frame_equal(raw, before)


# ---- columns ------------------------------------------------------------


def test_missing_column_names_source_and_expected(csv_file):
    p = csv_file("code,size_class\nGM0344,1\n")
    with pytest.raises(ValidationError, match=r"^woningvoorraad\.csv: missing column 'dwellings'; expected columns \[") as e:
        _check(p)
    assert "found ['code', 'size_class']" in str(e.value)


def test_misspelt_column_suggests_the_close_one(csv_file):
    p = csv_file("code,size_class,dwelings\nGM0344,1,10\n")
    with pytest.raises(ValidationError, match=r"woningvoorraad\.csv: missing column 'dwellings' \(did you mean 'dwelings'\?\)"):
        _check(p)


def test_far_off_column_gets_no_suggestion(csv_file):
    p = csv_file("code,size_class,xyz\nGM0344,1,10\n")
    with pytest.raises(ValidationError, match="missing column 'dwellings'") as e:
        _check(p)
    assert "did you mean" not in str(e.value)


def test_close_variants_and_aliases_are_accepted(csv_file):
    p = csv_file("Gemeentecode,Size Class,Woningen,extra\n344,1,10\ngm0355,5+,3\n")
    out = _check(p)
    assert list(out.columns) == ["code", "size_class", "dwellings", "extra"]  # extra kept (extra='keep')
    assert out["code"].tolist() == ["GM0344", "GM0355"]


def test_extra_columns_dropped_when_schema_says_so(csv_file):
    p = csv_file("locatie,gemeentecode,peildatum,capaciteit,bezetting,opmerking\nAZC X,355,2017-09-01,400,360,privé\n")
    out = _check(p, schemas.COA_OCCUPANCY)
    assert list(out.columns) == ["location", "code", "date", "capacity", "occupancy"]
    assert out["date"].item() == pd.Timestamp("2017-09-01")


# ---- codes --------------------------------------------------------------


@pytest.mark.parametrize("bad", ["GM34567", "abc", "0", "GM-344"])
def test_malformed_code_names_row_column_and_value(csv_file, bad):
    p = csv_file(f"code,size_class,dwellings\nGM0344,1,10\nGM0344,2,20\n{bad},1,5\n")
    with pytest.raises(ValidationError) as e:
        _check(p)
    msg = str(e.value)
    assert msg.startswith("woningvoorraad.csv:")
    assert f"column 'code': expected a CBS municipality code like 'GM0344', found '{bad}' in row 4" in msg


def test_loose_codes_are_normalised(csv_file):
    out = _check(csv_file("code,size_class,dwellings\n344,1,1\nGM344,2,1\ngm0344,3-4,1\n0344,5+,1\n"))
    assert set(out["code"]) == {"GM0344"}


def test_unknown_code_names_row_and_lists_known(csv_file):
    p = csv_file("code,size_class,dwellings\nGM0344,1,10\nGM9999,1,5\n")
    with pytest.raises(ValidationError, match=r"column 'code': unknown municipality code 'GM9999' in row 3; known codes are GM0312, GM0344, GM0355"):
        _check(p)


def test_unknown_codes_pass_without_a_known_list(csv_file):
    p = csv_file("code,size_class,dwellings\nGM9999,1,5\n")
    assert _check(p, known=None)["code"].item() == "GM9999"


# ---- counts -------------------------------------------------------------


def test_negative_count_names_row_and_column(csv_file):
    p = csv_file("code,size_class,dwellings\nGM0344,1,10\nGM0344,2,-5\n")
    with pytest.raises(ValidationError, match=r"(?s)woningvoorraad\.csv: .*column 'dwellings': expected a value of at least 0, found '-5' in row 3"):
        _check(p)


@pytest.mark.parametrize("bad", ["veel", "1.2.34", "10 woningen"])
def test_non_numeric_count_names_row_and_column(csv_file, bad):
    p = csv_file(f'code,size_class,dwellings\n"GM0344",1,"{bad}"\n')
    with pytest.raises(ValidationError, match=rf"column 'dwellings': expected a number, found '{bad}' in row 2"):
        _check(p)


def test_fractional_count_is_not_a_whole_number(csv_file):
    p = csv_file("code,size_class,dwellings\nGM0344,1,2.5\n")
    with pytest.raises(ValidationError, match=r"column 'dwellings': expected a whole number, found '2.5' in row 2"):
        _check(p)


def test_upper_bound(csv_file):
    p = csv_file(
        "household_id,nationality_group,referent_age,referent_sex,partner_present,children_present,family_abroad,months_since_permit\n"
        "h1,SY,130,m,ja,0,0,3\n",
        name="caseload.csv",
    )
    with pytest.raises(ValidationError, match=r"(?s)caseload\.csv: .*column 'referent_age': expected a value of at most 120, found '130' in row 2"):
        _check(p, schemas.CASELOAD)


def test_empty_required_cell_names_row(csv_file):
    p = csv_file("code,size_class,dwellings\nGM0344,1,10\nGM0344,2,\n")
    with pytest.raises(ValidationError, match=r"column 'dwellings': expected a value \(int\), found empty cells in row 3"):
        _check(p)


def test_value_outside_allowed_set(csv_file):
    p = csv_file("code,size_class,dwellings\nGM0344,6+,10\n")
    with pytest.raises(ValidationError, match=r"column 'size_class': expected one of \['1', '2', '3-4', '5\+'\], found '6\+' in row 2"):
        _check(p)


# ---- keys ---------------------------------------------------------------


def test_duplicate_keys_name_both_rows(csv_file):
    p = csv_file("code,size_class,dwellings\nGM0344,1,10\nGM0355,1,10\nGM0344,1,12\n")
    with pytest.raises(ValidationError, match=r"columns \['code', 'size_class'\]: expected each combination once, found duplicates in row 2, row 4"):
        _check(p)


def test_duplicates_found_after_normalising_codes(csv_file):
    p = csv_file("code,size_class,dwellings\n344,1,10\nGM0344,1,12\n")
    with pytest.raises(ValidationError, match="found duplicates in row 2, row 3"):
        _check(p)


def test_duplicated_periods(csv_file):
    p = csv_file(
        "period,granularity,series,value,qualifier,source,status,note\n"
        "2018-01,maand,eerste_aanvragen,1560,exact,CBS,gepubliceerd,\n"
        "2018-01,maand,eerste_aanvragen,1600,exact,CBS,gepubliceerd,\n"
        "2018-01,maand,nareizigers,700,exact,CBS,gepubliceerd,\n",
        name="instroom.csv",
    )
    with pytest.raises(ValidationError, match=r"(?s)instroom\.csv: .*\['granularity', 'period', 'series'\].*duplicates in row 2, row 3"):
        _check(p, schemas.INFLOW)


# ---- empty / not a table ------------------------------------------------


def test_header_only_file_is_empty(csv_file):
    p = csv_file("code,size_class,dwellings\n")
    with pytest.raises(ValidationError, match=r"^woningvoorraad\.csv: the table is empty; expected columns \['code', 'size_class', 'dwellings'"):
        _check(p)


def test_frame_without_columns_is_empty():
    with pytest.raises(ValidationError, match="bestand.xlsx: the table is empty"):
        validate_frame(pd.DataFrame(), schemas.HOUSING_STOCK, source="bestand.xlsx")


def test_not_a_frame():
    with pytest.raises(ValidationError, match="arg: expected a table \\(pandas DataFrame\\), found list"):
        validate_frame([1, 2], schemas.HOUSING_STOCK, source="arg")


def test_validation_error_is_a_value_error(csv_file):
    with pytest.raises(ValueError):
        _check(csv_file("code\nGM0344\n"))


# ---- all problems at once, row labels -----------------------------------


def test_every_problem_is_reported_at_once(csv_file):
    p = csv_file("code,size_class,dwellings\nabc,1,10\nGM0344,7,10\nGM0344,2,-1\nGM0344,3-4,veel\n")
    with pytest.raises(ValidationError, match=r"woningvoorraad\.csv: 4 problem\(s\)") as e:
        _check(p)
    probs = e.value.problems
    assert len(probs) == 4
    assert any("'code'" in m and "row 2" in m for m in probs)
    assert any("'size_class'" in m and "row 3" in m for m in probs)
    assert any("at least 0" in m and "row 4" in m for m in probs)
    assert any("expected a number" in m and "row 5" in m for m in probs)


def test_long_listings_are_cut(csv_file):
    rows = "".join(f"GM0344,{c},-1\n" for c in ["1", "2", "3-4", "5+"])
    rows += "".join(f"GM0355,{c},-1\n" for c in ["1", "2", "3-4", "5+"])
    rows += "".join(f"GM0312,{c},-1\n" for c in ["1", "2"])
    p = csv_file("code,size_class,dwellings\n" + rows)
    with pytest.raises(ValidationError, match=r"found '-1' in row 2, .* '-1' in row 9 and 2 more"):
        _check(p)


def test_without_row_base_the_index_is_named():
    df = pd.DataFrame({"code": ["GM0344"], "size_class": ["1"], "dwellings": [-3]}, index=["utrecht"])
    with pytest.raises(ValidationError, match=r"(?s)^argument stock: .*'dwellings': expected a value of at least 0, found .*-3.* in index 'utrecht'"):
        validate_frame(df, schemas.HOUSING_STOCK, source="argument stock")


def test_found_values_of_in_memory_frames_read_plainly():
    df = pd.DataFrame({"code": ["GM0344"], "size_class": ["1"], "dwellings": [-3]})
    with pytest.raises(ValidationError, match=r"found -3 in index 0"):
        validate_frame(df, schemas.HOUSING_STOCK, source="argument stock")


# ---- other kinds ----------------------------------------------------------

SMALL = Schema(
    "small",
    (Column("d", "date"), Column("flag", "bool"), Column("n", "int", nullable=True, min=0), Column("x", "float", nullable=True)),
)


def test_dates_bools_and_nullable_numbers(csv_file):
    p = csv_file("d,flag,n,x\n2016-10-04,ja,1,0.5\n2017-01-01,Nee,,\n2018-02-28,true,3,2\n", name="klein.csv")
    out = _check(p, SMALL)
    assert out["d"].tolist() == [pd.Timestamp("2016-10-04"), pd.Timestamp("2017-01-01"), pd.Timestamp("2018-02-28")]
    assert out["flag"].tolist() == [True, False, True]
    assert out["n"].iloc[0] == 1 and pd.isna(out["n"].iloc[1]) and out["n"].iloc[2] == 3
    assert pd.isna(out["x"].iloc[1]) and out["x"].iloc[2] == 2.0


@pytest.mark.parametrize(
    "row,match",
    [
        ("2016-13-45,ja,1,1", r"column 'd': expected a date like 2016-10-04 or 04-10-2016 \(day first\), found '2016-13-45' in row 2"),
        ("gisteren,ja,1,1", r"column 'd': expected a date like 2016-10-04 or 04-10-2016 \(day first\), found 'gisteren' in row 2"),
        ("2016-10-04,misschien,1,1", r"column 'flag': expected ja/nee or true/false, found 'misschien' in row 2"),
        ("2016-10-04,ja,1,een", r"column 'x': expected a number, found 'een' in row 2"),
    ],
)
def test_bad_dates_bools_floats(csv_file, row, match):
    with pytest.raises(ValidationError, match=rf"(?s)klein\.csv: .*{match}"):
        _check(csv_file("d,flag,n,x\n" + row + "\n", name="klein.csv"), SMALL)


def test_dutch_day_first_dates_are_not_silently_swapped(csv_file):
    p = csv_file("d,flag,n,x\n04-10-2016,ja,1,1\n13-10-2016,ja,1,1\n", name="klein.csv")
    try:
        out = _check(p, SMALL)
    except ValidationError:
        return  # rejecting ambiguous dates is acceptable too
    assert out["d"].tolist() == [pd.Timestamp("2016-10-04"), pd.Timestamp("2016-10-13")]


def test_nullable_int_column_stays_integer(csv_file):
    out = _check(csv_file("d,flag,n,x\n2016-10-04,ja,1,1\n2016-10-05,ja,,1\n", name="klein.csv"), SMALL)
    assert pdt.is_integer_dtype(out["n"])


def test_repeated_index_labels_name_rows_by_position():
    df = pd.concat([pd.DataFrame({"code": ["GM0344"], "size_class": ["1"], "dwellings": [3]})] * 2
                   + [pd.DataFrame({"code": ["GM0344"], "size_class": ["2"], "dwellings": [-1]})])
    assert list(df.index) == [0, 0, 0]
    with pytest.raises(ValidationError, match=r"found -1 in row 3"):
        validate_frame(df, schemas.HOUSING_STOCK, source="argument stock")
