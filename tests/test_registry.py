"""The dataset registry: one test per shipped file, plus get_path / list_datasets / provenance.

Facts about each file (sha256, header, row count) are computed here with hashlib and the csv
module, not with toolkit.registry.file_facts, so a wrong registry entry cannot pass by
agreeing with the code that wrote it.
"""

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest

from toolkit import ValidationError, data, get_path, list_datasets, registry

GEODATA = Path(__file__).resolve().parents[1] / "toolkit" / "geodata"
STATUSES = {"gepubliceerd", "schatting", "voorbeeld", "synthetisch"}
# Read the JSON directly (not through the module) so the test sees what is shipped.
ENTRIES = json.loads((GEODATA / "registry.json").read_text(encoding="utf-8"))
NAMES = sorted(ENTRIES)


def _csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_registry_is_not_empty_and_lists_the_issue_minimum():
    # issue 2 asks at least for these tables
    for needed in ("municipalities", "code_changes", "inflow", "taakstelling", "reception_locations",
                   "state_buildings", "housing_stock", "benefit_norms", "population", "regions"):
        assert needed in ENTRIES, needed


def test_every_shipped_table_has_an_entry():
    files = {p.name for p in GEODATA.glob("*.csv")} | {p.name for p in GEODATA.glob("*.geojson")}
    registered = {e["file"] for e in ENTRIES.values()}
    assert files - registered == set(), "unregistered files in geodata/"


@pytest.mark.parametrize("name", NAMES)
def test_file_present(name):
    assert (GEODATA / ENTRIES[name]["file"]).is_file()


@pytest.mark.parametrize("name", NAMES)
def test_sha256_matches(name):
    path = GEODATA / ENTRIES[name]["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ENTRIES[name]["sha256"]


@pytest.mark.parametrize("name", NAMES)
def test_columns_and_row_count_match(name):
    header, rows = _csv_rows(GEODATA / ENTRIES[name]["file"])
    assert header == ENTRIES[name]["columns"]
    assert len(rows) == ENTRIES[name]["rows"]
    assert all(len(r) == len(header) for r in rows), "ragged CSV row"


@pytest.mark.parametrize("name", NAMES)
def test_status_and_metadata_present(name):
    e = ENTRIES[name]
    assert e["status"] in STATUSES
    assert e["title"].strip()
    assert isinstance(e["source"], list) and e["source"] and all(s.strip() for s in e["source"])
    assert isinstance(e["year"], int) and 1990 <= e["year"] <= 2030
    assert e["licence"].strip()
    if e["status"] == "schatting":
        assert e.get("derivation", "").strip(), "an estimate must say how it was derived"
    if e["status"] == "synthetisch":
        assert e.get("generator", "").strip(), "synthetic data must name its generator"
    for s in e.get("statuses", []):
        assert s in STATUSES


@pytest.mark.parametrize("name", NAMES)
def test_crs_declared_where_spatial(name):
    e = ENTRIES[name]
    header, rows = _csv_rows(GEODATA / e["file"])
    if {"lat", "lon"} <= set(header):
        assert e.get("crs") == "EPSG:4326"
        lat, lon = header.index("lat"), header.index("lon")
        for r in rows:
            if r[lat] or r[lon]:
                # the Netherlands, roughly: a swapped lat/lon fails here
                assert 50.7 <= float(r[lat]) <= 53.6 and 3.3 <= float(r[lon]) <= 7.3, r


def _status_columns(entry, header):
    return [c for c in dict.fromkeys([entry.get("status_column"), "status", "coord_status", "point_status"]) if c in header]


@pytest.mark.parametrize("name", [n for n in NAMES if "status_column" in ENTRIES[n] or "status" in ENTRIES[n]["columns"]])
def test_per_row_status_column(name):
    e = ENTRIES[name]
    header, rows = _csv_rows(GEODATA / e["file"])
    if "status_column" in e:
        assert e["status_column"] in header
        declared = set(e["statuses"])
        assert e["status"] in declared
    else:
        declared = {e["status"]}
    used = set()
    for col in _status_columns(e, header):
        values = {r[header.index(col)] for r in rows} - {""}
        assert values <= declared, f"{col}: {values - declared} not declared in the registry"
        used |= values
    if "status_column" not in e:
        # a table without a declared mix carries its one status on every row
        assert used == declared
    else:
        assert len(used) >= 1


def test_voorbeeld_rows_say_so():
    """Anything added for demonstration says so in its name or note (issue 2)."""
    seen = 0
    for name, e in ENTRIES.items():
        header, rows = _csv_rows(GEODATA / e["file"])
        for r in rows:
            row = dict(zip(header, r))
            if any(row[c] == "voorbeeld" for c in _status_columns(e, header)):
                seen += 1
                text = (row.get("name", "") + " " + row.get("note", "")).lower()
                assert "voorbeeld" in text or "fictief" in text, (name, row)
    assert seen >= 1  # state_buildings ships fictitious examples


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_loads_and_carries_provenance(name):
    df = data.load_dataset(name)
    assert len(df) == ENTRIES[name]["rows"]
    assert df.attrs["status"] == ENTRIES[name]["status"]
    assert df.attrs["source"] == "; ".join(ENTRIES[name]["source"])


# ---- get_path ------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["reception_locations", "Reception-Locations", "RECEPTION LOCATIONS", "reception_locations.csv", "receptionlocations"],
)
def test_get_path_loose_spellings(spelling):
    assert get_path(spelling) == GEODATA / "reception_locations.csv"


def test_get_path_misspelt_suggests_and_lists_valid_names():
    with pytest.raises(ValidationError, match=r"Unknown dataset 'inflw'.*Did you mean 'inflow'") as exc:
        get_path("inflw")
    for name in NAMES:
        assert name in str(exc.value)


def test_get_path_unknown_lists_valid_names_without_a_wild_guess():
    with pytest.raises(ValidationError, match="Valid names are") as exc:
        get_path("zzz")
    assert "Did you mean" not in str(exc.value)
    assert isinstance(exc.value, ValueError)


# ---- list_datasets / provenance / dataset_info --------------------------


def test_list_datasets_one_row_per_entry():
    df = list_datasets()
    assert sorted(df["name"]) == NAMES
    assert {"name", "file", "title", "status", "year", "source", "rows"} <= set(df.columns)
    row = df.set_index("name").loc["housing_stock"]
    assert row["status"] == "schatting"
    assert row["rows"] == ENTRIES["housing_stock"]["rows"]


def test_provenance_deduplicates_and_resolves_loose_names():
    p = registry.provenance(["inflow", "Taakstelling", "inflow"])
    assert list(p["name"]) == ["inflow", "taakstelling"]
    assert {"title", "source", "licence", "status", "statuses", "note"} <= set(p.columns)
    assert "CBS 80059NED" in p.set_index("name").loc["inflow", "source"]


def test_provenance_shows_mixed_statuses_and_derivation():
    p = registry.provenance(["state_buildings", "housing_stock"]).set_index("name")
    assert "voorbeeld" in p.loc["state_buildings", "statuses"]
    assert p.loc["housing_stock", "status"] == "schatting"
    assert "derive_housing_stock" in p.loc["housing_stock", "note"]


def test_provenance_unknown_name_raises():
    with pytest.raises(ValidationError, match="Unknown dataset 'nope'"):
        registry.provenance(["inflow", "nope"])


def test_dataset_info_is_a_copy():
    info = registry.dataset_info("inflow")
    info["status"] = "synthetisch"
    info["source"].append("x")
    assert registry.dataset_info("inflow")["status"] == "gepubliceerd"
    assert "x" not in registry.dataset_info("inflow")["source"]


def test_status_labels_cover_all_statuses():
    assert set(registry.STATUSES) == STATUSES
    assert set(registry.STATUS_LABELS) == STATUSES


# ---- file_facts (what update_registry writes) ----------------------------


def test_file_facts_on_small_files(tmp_path):
    csv_path = tmp_path / "t.csv"
    csv_path.write_bytes(b"a,b\n1,\n2,x\n")
    facts = registry.file_facts(csv_path)
    assert facts == {
        "sha256": hashlib.sha256(b"a,b\n1,\n2,x\n").hexdigest(),
        "rows": 2,
        "columns": ["a", "b"],
    }
    gj = tmp_path / "t.geojson"
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"statcode": "GM0344", "statnaam": "Utrecht"}, "geometry": None},
        {"type": "Feature", "properties": {"statcode": "GM0355"}, "geometry": None},
    ]}), encoding="utf-8")
    assert registry.file_facts(gj)["rows"] == 2
    assert registry.file_facts(gj)["columns"] == ["statcode", "statnaam"]
    (tmp_path / "t.xlsx").write_bytes(b"PK")
    with pytest.raises(ValueError, match="no row count rule for '.xlsx'"):
        registry.file_facts(tmp_path / "t.xlsx")


DUTCH_FIELDS_ENGLISH = re.compile(r"\b(the|and|with|from|derived|figures|cited|facts|were|was|not found|municipalit\w*)\b", re.I)


@pytest.mark.parametrize("name", NAMES)
def test_council_text_is_dutch_and_names_no_files(name):
    """Council files show bron_nl, toelichting_nl and the licence's Dutch label, never the English."""
    e = registry.registry()[name]
    assert e["bron_nl"] and all(s.strip() for s in e["bron_nl"])
    assert e["licence"] in registry.LICENCE_NL
    for text in [*e["bron_nl"], e["toelichting_nl"], registry.LICENCE_NL[e["licence"]]]:
        assert not DUTCH_FIELDS_ENGLISH.search(text), text
        assert not re.search(r"\.(csv|php|json|geojson|py)\b|geodata/|scripts/", text), text
    row = registry.provenance([name]).iloc[0]
    assert row["bron"] == "; ".join(e["bron_nl"]) and row["toelichting"] == e["toelichting_nl"]
