"""Analysts' files for what no API serves: the ministry's circulaire, vacant buildings, a region file.

The readers live in toolkit/io.py (block "national data layer"); the checks here use figures
made up for the test, except the published national targets (FACTS.md §3: 2017-I 13,000).
"""

import warnings

import pandas as pd
import pytest

from toolkit import ValidationError
from toolkit.io import CirculaireWarning, read_circulaire, read_vacant_buildings


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_circulaire_names_become_codes_and_the_sum_is_checked(tmp_path):
    # three municipalities summing to 13,000 = the published national target of 2017-I (made-up split)
    p = write(tmp_path, "circulaire.csv", "Gemeente;Inwoners;Taakstelling\nUtrecht;338967;12000\nZeist;62258;700\nBunnik;14773;300\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = read_circulaire(p, year=2016, period="2017-I")
    assert c["code"].tolist() == ["GM0344", "GM0355", "GM0312"]
    assert c.attrs["difference"] == 0 and c.attrs["national_target"] == 13_000


def test_circulaire_that_does_not_add_up_is_reported_with_the_difference(tmp_path):
    p = write(tmp_path, "circulaire.csv", "gemeente,inwoners,taakstelling\nUtrecht,338967,472\nZeist,62258,87\n")
    with pytest.warns(CirculaireWarning, match=r"add up to 559 persons, the national target is 13\.000: a difference of -12\.441"):
        c = read_circulaire(p, year=2016, period="2017-I")
    assert c.attrs["difference"] == 559 - 13_000
    with pytest.warns(CirculaireWarning, match=r"difference of \+9"):
        read_circulaire(p, year=2016, national_target=550)


def test_circulaire_unknown_name_suggests_one(tmp_path):
    p = write(tmp_path, "circulaire.csv", "gemeente,inwoners,taakstelling\nUtrecht,338967,472\nZiest,62258,87\n")
    with pytest.raises(ValidationError, match=r"circulaire\.csv: column 'gemeente'.*row 3: 'Ziest' \(bedoelt u 'Zeist'\?\)"):
        read_circulaire(p, year=2016)


def test_circulaire_of_the_2025_division_with_codes(tmp_path):
    p = write(tmp_path, "c.csv", "gemeente,code,inwoners,taakstelling\nVijfheerenlanden,1961,61669,40\n")
    c = read_circulaire(p, year=2025)
    assert c["code"].tolist() == ["GM1961"] and c.attrs["difference"] is None
    # Vijfheerenlanden did not exist in 2016: by name it is unknown then
    q = write(tmp_path, "d.csv", "gemeente,inwoners,taakstelling\nVijfheerenlanden,61669,40\n")
    with pytest.raises(ValidationError, match=r"names not among the municipalities of 2016"):
        read_circulaire(q, year=2016)


def test_circulaire_bad_number_names_row_and_column(tmp_path):
    p = write(tmp_path, "c.csv", "gemeente,inwoners,taakstelling\nUtrecht,338967,veel\n")
    with pytest.raises(ValidationError, match=r"(?s)c\.csv.*'taakstelling'.*row 2"):
        read_circulaire(p, year=2016)


def test_circulaire_xlsx(tmp_path):
    p = tmp_path / "circulaire.xlsx"
    pd.DataFrame({"Gemeente": ["Utrecht"], "Inwoners": [338967], "Taakstelling": [472]}).to_excel(p, index=False)
    assert read_circulaire(p, year=2016)["taakstelling"].tolist() == [472]


def test_vacant_buildings(tmp_path):
    p = write(tmp_path, "leegstand.csv",
              "naam;gemeentecode;adres;breedtegraad;lengtegraad;vloeroppervlak;beschikbaar_vanaf;eigenaar\n"
              "Kantoor A;344;Straat 1;52,09;5,12;1200;01-03-2026;gemeente\n".replace("52,09", "52.09").replace("5,12", "5.12"))
    b = read_vacant_buildings(p)
    assert b.loc[0, "code"] == "GM0344" and b.loc[0, "floor_area_m2"] == 1200.0
    assert b.loc[0, "available_from"] == pd.Timestamp("2026-03-01")


def test_vacant_buildings_swapped_coordinates_fail(tmp_path):
    p = write(tmp_path, "leegstand.csv", "name,code,lat,lon\nKantoor A,GM0344,5.12,52.09\n")
    with pytest.raises(ValidationError, match=r"(?s)leegstand\.csv.*'lat'.*row 2"):
        read_vacant_buildings(p)
