"""The CBS StatLine client and the refresh, against a local OData server the tests build themselves.

The server speaks CBS's OData v3 layout (``/ODataFeed/odata/<table>/<resource>?$format=json``,
answers ``{"value": [...]}``, a resource list at the table root) and evaluates the ``$filter``
clauses the client sends (``X eq 'k'`` and ``substringof('GM',RegioS)``), so a wrong filter gives
wrong figures. The figures are made up; nothing here reaches the internet.
"""

from __future__ import annotations

import copy
import http.server
import json
import re
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from toolkit import cbs, data
from toolkit._tables import clear_cache
from toolkit.cbs import RefreshError
from toolkit.regions import region_codes

# ---- fixtures in CBS's OData format --------------------------------------

POP_ROWS = [  # (sex, age, marital status, region, period, population)
    ("T001038", "10000", "T001019", "GM0344  ", "2026JJ00", 372_001),
    ("T001038", "10000", "T001019", "GM0307  ", "2026JJ00", 162_002),
    ("T001038", "10000", "T001019", "GM1961  ", "2026JJ00", 62_003),
    ("3000   ", "10000", "T001019", "GM0344  ", "2026JJ00", 180_000),  # men only: must be filtered out
    ("T001038", "10000", "T001019", "GM0344  ", "2025JJ00", 370_000),  # another year
    ("T001038", "10000", "T001019", "NL01    ", "2026JJ00", 18_100_000),  # the country: not a municipality
    ("T001038", "10000", "T001019", "PV26    ", "2026JJ00", 1_420_000),
]


def population_table():
    dims = [("Geslacht", [("T001038", "Totaal mannen en vrouwen"), ("3000   ", "Mannen"), ("4000   ", "Vrouwen")]),
            ("Leeftijd", [("10000", "Totaal"), ("70100", "0 jaar")]),
            ("BurgerlijkeStaat", [("T001019", "Totaal burgerlijke staat"), ("1010", "Ongehuwd")])]
    props = [{"ID": i, "Position": i, "ParentID": None, "Type": "Dimension", "Key": k, "Title": k} for i, (k, _) in enumerate(dims)]
    props += [{"ID": 3, "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's"},
              {"ID": 4, "Type": "TimeDimension", "Key": "Perioden", "Title": "Perioden"},
              {"ID": 5, "Type": "Topic", "Key": "BevolkingOp1Januari_1", "Title": "Bevolking op 1 januari", "Datatype": "Long"},
              {"ID": 6, "Type": "Topic", "Key": "GemiddeldeBevolking_2", "Title": "Gemiddelde bevolking", "Datatype": "Double"}]
    rows = [{"ID": i, "Geslacht": g, "Leeftijd": a, "BurgerlijkeStaat": b, "RegioS": r, "Perioden": p,
             "BevolkingOp1Januari_1": n, "GemiddeldeBevolking_2": n + 0.5} for i, (g, a, b, r, p, n) in enumerate(POP_ROWS)]
    table = {"TableInfos": [{"ID": 0, "Identifier": "03759ned", "Title": "Bevolking op 1 januari en gemiddeld"}],
             "DataProperties": props, "TypedDataSet": rows, "UntypedDataSet": rows,
             "RegioS": [{"Key": r, "Title": r.strip()} for r in ("NL01    ", "PV26    ", "GM0344  ", "GM0307  ", "GM1961  ")],
             "Perioden": [{"Key": "2025JJ00", "Title": "2025", "Status": "Definitief"},
                          {"Key": "2026JJ00", "Title": "2026", "Status": "Voorlopig"}]}
    for k, cats in dims:
        table[k] = [{"Key": key, "Title": title, "CategoryGroupID": None} for key, title in cats]
    return table


def housing_table():
    props = [{"ID": 0, "Type": "Dimension", "Key": "Eigendom", "Title": "Eigendom"},
             {"ID": 1, "Type": "Dimension", "Key": "Bewoning", "Title": "Bewoning"},
             {"ID": 2, "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's"},
             {"ID": 3, "Type": "TimeDimension", "Key": "Perioden", "Title": "Perioden"},
             {"ID": 4, "Type": "Topic", "Key": "Woningvoorraad_1", "Title": "Woningvoorraad", "Datatype": "Long"}]
    rows = []
    for i, (owner, living, region, period, n) in enumerate([
        ("A047047", "T001384", "GM0344  ", "2025JJ00", 46_000),
        ("A047047", "T001384", "GM0307  ", "2025JJ00", 20_000),
        ("A047047", "T001384", "GM1961  ", "2025JJ00", 6_000),
        ("T001132", "T001384", "GM0344  ", "2025JJ00", 170_000),  # all owners: must be filtered out
        ("A047047", "A047050", "GM0344  ", "2025JJ00", 45_000),  # inhabited only
    ]):
        rows.append({"ID": i, "Eigendom": owner, "Bewoning": living, "RegioS": region, "Perioden": period, "Woningvoorraad_1": n})
    return {"TableInfos": [{"ID": 0, "Identifier": "82900NED"}], "DataProperties": props, "TypedDataSet": rows,
            "UntypedDataSet": rows,
            "Eigendom": [{"Key": "T001132", "Title": "Totaal"}, {"Key": "A047046", "Title": "Eigendom bewoner"},
                         {"Key": "A047047", "Title": "Eigendom woningcorporatie"}],
            "Bewoning": [{"Key": "T001384", "Title": "Totaal bewoning"}, {"Key": "A047050", "Title": "Bewoond"}],
            "RegioS": [{"Key": "GM0344  ", "Title": "Utrecht"}],
            "Perioden": [{"Key": "2024JJ00", "Title": "2024", "Status": "Definitief"},
                         {"Key": "2025JJ00", "Title": "2025", "Status": "Voorlopig"}]}


def regions_table():
    props = [{"ID": 0, "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's"},
             {"ID": 1, "Type": "TopicGroup", "Key": "", "Title": "Gemeenten"},
             {"ID": 2, "ParentID": 1, "Type": "Topic", "Key": "Code_1", "Title": "Code"},
             {"ID": 3, "ParentID": 1, "Type": "Topic", "Key": "Naam_2", "Title": "Naam"},
             {"ID": 10, "Type": "TopicGroup", "Key": "", "Title": "COROP-gebieden"},
             {"ID": 11, "ParentID": 10, "Type": "Topic", "Key": "Code_20", "Title": "Code"},
             {"ID": 12, "ParentID": 10, "Type": "Topic", "Key": "Naam_21", "Title": "Naam"},
             {"ID": 20, "Type": "TopicGroup", "Key": "", "Title": "Woningmarktregio's"},
             {"ID": 21, "ParentID": 20, "Type": "Topic", "Key": "Code_50", "Title": "Code"},
             {"ID": 22, "ParentID": 20, "Type": "Topic", "Key": "Naam_51", "Title": "Naam"}]
    members = [("GM0344  ", "CR17  ", "Utrecht", "WM07", "U16"), ("GM1961  ", "CR17  ", "Utrecht", "WM07", "U16"),
               ("GM0307  ", "CR17  ", "Utrecht", "WM08", "Amersfoort")]
    rows = [{"ID": i, "RegioS": r, "Code_1": r.strip(), "Naam_2": "x", "Code_20": c, "Naam_21": n + "  ", "Code_50": wc, "Naam_51": wn}
            for i, (r, c, n, wc, wn) in enumerate(members)]
    return {"TableInfos": [{"ID": 0, "Identifier": "86247NED"}], "DataProperties": props, "TypedDataSet": rows, "UntypedDataSet": rows}


def _matches(row, clauses):
    for field, value in clauses:
        if field == "substringof":
            if value not in str(row.get("RegioS", "")):
                return False
        elif str(row.get(field, "")).strip() != value.strip():
            return False
    return True


def _parse_filter(text):
    clauses = [(f, v) for f, v in re.findall(r"(\w+) eq '([^']*)'", text)]
    clauses += [("substringof", v) for v in re.findall(r"substringof\('([^']*)',RegioS\)", text)]
    return clauses


class ODataServer:
    """CBS-like OData v3 server: tables -> resources -> rows; modes for failures."""

    def __init__(self, tables):
        self.tables = tables
        self.requests = []
        self.mode = None  # None, "500", "slow", "html"
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                server.requests.append(self.path)
                if server.mode == "500":
                    return self._send(500, b"Internal Server Error", "text/plain")
                if server.mode == "slow":
                    time.sleep(1.5)
                if server.mode == "html":
                    return self._send(200, b"<html>onderhoud</html>", "text/html")
                m = re.fullmatch(r"/ODataFeed/odata/([^/]+)/(\w*)", parts.path)
                if not m or m.group(1) not in server.tables:
                    return self._send(404, b"not found", "text/plain")
                table = server.tables[m.group(1)]
                base = f"http://{self.headers['Host']}/ODataFeed/odata/{m.group(1)}/"
                if not m.group(2):
                    value = [{"name": k, "url": base + k} for k in table]
                elif m.group(2) in table:
                    value = table[m.group(2)]
                    query = parse_qs(parts.query)
                    if "$filter" in query:
                        value = [r for r in value if _matches(r, _parse_filter(query["$filter"][0]))]
                else:
                    return self._send(404, b"not found", "text/plain")
                body = json.dumps({"odata.metadata": base + "$metadata", "value": value}).encode("utf-8")
                self._send(200, body, "application/json")

            def _send(self, status, body, ctype):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def statline():
    server = ODataServer({"03759ned": population_table(), "82900NED": housing_table(), "86247NED": regions_table(),
                          "86059NED": regions_table()})
    yield server
    server.close()


@pytest.fixture
def user_data(tmp_path, monkeypatch):
    folder = tmp_path / "user-data"
    monkeypatch.setenv("DOORLOPENDE_LIJN_DATA", str(folder))
    clear_cache()
    yield folder
    clear_cache()


def _online(statline, **kw):
    # the conftest sets DOORLOPENDE_LIJN_OFFLINE=1 for every test; these talk to the local server only
    return {"base_url": statline.url, "offline": False, "timeout": 5, **kw}


@pytest.fixture(autouse=True)
def _allow_local_server(monkeypatch):
    monkeypatch.delenv("DOORLOPENDE_LIJN_OFFLINE", raising=False)


# ---- the client ----------------------------------------------------------


def test_population_picks_the_totals_and_the_year(statline):
    p = cbs.population(**_online(statline))
    assert sorted(zip(p["code"], p["population"])) == [("GM0307", 162_002), ("GM0344", 372_001), ("GM1961", 62_003)]
    assert set(p["reference_date"]) == {"2026-01-01"}  # the latest year in Perioden
    assert set(p["note"]) == {"voorlopig cijfer"}  # Perioden status 'Voorlopig'
    assert p["source"].str.contains("03759ned").all()
    data_requests = [r for r in statline.requests if "DataSet" in r]
    assert data_requests and all("T001038" in r and "T001019" in r and "10000" in r for r in data_requests)


def test_population_of_an_earlier_year(statline):
    p = cbs.population(2025, **_online(statline))
    assert p.set_index("code")["population"].to_dict() == {"GM0344": 370_000}
    assert set(p["note"]) == {""}


def test_population_of_a_year_cbs_does_not_have(statline):
    with pytest.raises(RefreshError, match=r"03759ned has no figures for 2030 yet; available years 2025-2026"):
        cbs.population(2030, **_online(statline))


def test_responses_are_cached(statline, tmp_path):
    cache = tmp_path / "cache"
    first = cbs.population(2026, cache_dir=cache, **_online(statline))
    n = len(statline.requests)
    statline.close()  # the server is gone: only the cache can answer
    again = cbs.population(2026, cache_dir=cache, **{**_online(statline), "offline": True})
    pd.testing.assert_frame_equal(first, again)
    assert len(statline.requests) == n
    assert all(f.name.startswith("cbs_") for f in cache.iterdir())


def test_offline_without_cache(tmp_path):
    with pytest.raises(RefreshError, match=r"offline and no cached copy"):
        cbs.population(2026, base_url="http://127.0.0.1:9", cache_dir=tmp_path, offline=True)


@pytest.mark.parametrize("mode,match", [("500", r"HTTP error"), ("html", r"not CBS OData JSON"), ("slow", r"within 0.5 s \(timeout\)")])
def test_transport_failures(statline, tmp_path, mode, match):
    statline.mode = mode
    with pytest.raises(RefreshError, match=match):
        cbs.population(2026, cache_dir=tmp_path, **_online(statline, timeout=0.5))
    assert not list(tmp_path.glob("cbs_*"))  # a failed answer is never cached


def test_no_server(tmp_path):
    with pytest.raises(RefreshError, match=r"could not reach http://127.0.0.1:9"):
        cbs.population(2026, base_url="http://127.0.0.1:9", cache_dir=tmp_path, offline=False, timeout=2)


def test_changed_layout_is_named(statline, tmp_path):
    props = statline.tables["03759ned"]["DataProperties"]
    for p in props:
        if p["Key"] == "BevolkingOp1Januari_1":
            p["Key"] = "Bevolking_1"
    with pytest.raises(RefreshError, match=r"03759ned: the table layout changed: no measure 'BevolkingOp1Januari_\*'"):
        cbs.population(2026, cache_dir=tmp_path, **_online(statline))


def test_corporation_stock_and_size_classes(statline, tmp_path):
    s = cbs.corporation_stock(2026, cache_dir=tmp_path, **_online(statline))
    assert s.set_index("code")["dwellings"].to_dict() == {"GM0344": 46_000, "GM0307": 20_000, "GM1961": 6_000}
    assert set(s["reference_year"]) == {2025}  # the latest year up to 2026
    h = cbs.housing_stock(2026, population=pd.Series({"GM0344": 372_001, "GM0307": 162_002, "GM1961": 62_003}),
                          cache_dir=tmp_path, **_online(statline))
    assert h.groupby("code")["dwellings"].sum().to_dict() == {"GM0307": 20_000, "GM0344": 46_000, "GM1961": 6_000}
    assert set(h["status"]) == {"schatting"}
    # Utrecht: 372,001 inhabitants on the 2024 polygons' area is urban (>= 2,000 per km2): 30/30/32/8 %
    utrecht = h[h["code"] == "GM0344"].set_index("size_class")["dwellings"].to_dict()
    assert utrecht == {"1": 13_800, "2": 13_800, "3-4": 14_720, "5+": 3_680}


def test_region_divisions(statline, tmp_path):
    r = cbs.region_divisions(2026, cache_dir=tmp_path, **_online(statline))
    corop = r[r["region"] == "COROP Utrecht"]
    assert sorted(corop["code"]) == ["GM0307", "GM0344", "GM1961"]
    assert sorted(r.loc[r["region"] == "woningmarktregio U16", "code"]) == ["GM0344", "GM1961"]
    assert set(r["composition"]) == {"2026"} and set(r["valid_from"]) == {"2026-01-01"}
    with pytest.raises(RefreshError, match=r"no 'Gebieden in Nederland' table known for 2019"):
        cbs.region_divisions(2019, cache_dir=tmp_path, **_online(statline))


def test_region_divisions_without_woningmarktregio(statline, tmp_path):
    t = statline.tables["86247NED"]
    t["DataProperties"] = [p for p in t["DataProperties"] if p["ID"] not in (20, 21, 22)]
    r = cbs.region_divisions(2026, cache_dir=tmp_path, **_online(statline))
    assert set(r["region"]) == {"COROP Utrecht"}


# ---- the refresh ---------------------------------------------------------


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*")) if p.is_file()} if folder.exists() else {}


def test_refresh_writes_tables_and_registry_into_the_user_folder(statline, user_data, tmp_path):
    out = cbs.refresh(2026, cache_dir=tmp_path / "cache", today=pd.Timestamp("2026-12-02").date(), **_online(statline))
    assert set(out["name"]) == {"population", "housing_stock_2024", "regions"}
    registry = json.loads((user_data / "registry.json").read_text(encoding="utf-8"))
    assert registry["population"]["retrieved"] == "2026-12-02"
    assert registry["population"]["status"] == "gepubliceerd" and registry["housing_stock_2024"]["status"] == "schatting"
    assert "03759ned" in registry["population"]["source"][0]
    # the loaders now see the refreshed rows, and say so
    pop = data.municipality_population(2026, ["GM0344", "GM1961"])
    assert pop["population"].tolist() == [372_001, 62_003]
    assert pop.attrs["refreshed"]["retrieved"] == "2026-12-02"
    assert 2026 in data.population_years()
    # shipped rows are still there
    assert data.municipality_population(2025, "NL")["population"].sum() == 18_044_027
    # refreshed regions resolve for their year only
    assert sorted(region_codes("COROP Utrecht", 2026)) == ["GM0307", "GM0344", "GM1961"]
    with pytest.raises(Exception, match=r"No known composition of COROP UTRECHT on 1-1-2025"):
        region_codes("COROP Utrecht", 2025)
    stock = data.load_housing_stock(2026).set_index(["code", "size_class"])["dwellings"]
    assert stock.loc["GM0344"].sum() == 46_000  # CBS replaces the shipped estimate for Utrecht
    assert stock.index.get_level_values(0).nunique() == 342  # the others keep the shipped estimate


def test_refresh_never_writes_into_the_package(statline, user_data, tmp_path):
    from toolkit.registry import GEODATA

    before = _snapshot(GEODATA)
    cbs.refresh(2026, cache_dir=tmp_path / "cache", **_online(statline))
    assert _snapshot(GEODATA) == before
    assert not str(user_data).startswith(str(GEODATA))


@pytest.mark.parametrize("breakage", ["http", "layout", "unknown code", "offline"])
def test_a_failed_refresh_changes_nothing(statline, user_data, tmp_path, breakage):
    cbs.refresh(2025, cache_dir=tmp_path / "cache1", **_online(statline))  # a first, good refresh
    before = _snapshot(user_data)
    assert before
    kw = _online(statline)
    if breakage == "http":
        statline.mode = "500"
    elif breakage == "layout":
        # the population is fine; the region table lost its COROP group: fails after two tables were fetched
        t = statline.tables["86247NED"]
        t["DataProperties"] = [p for p in t["DataProperties"] if p["ID"] not in (10, 11, 12)]
    elif breakage == "unknown code":
        statline.tables["03759ned"]["TypedDataSet"].append(
            {**statline.tables["03759ned"]["TypedDataSet"][0], "ID": 99, "RegioS": "GM9999  "})
    else:
        kw["offline"] = True
    with pytest.raises(RefreshError):
        cbs.refresh(2026, cache_dir=tmp_path / "cache2", **kw)
    assert _snapshot(user_data) == before
    assert data.municipality_population(2025, ["GM0344"])["population"].item() == 370_000  # still the first refresh


def test_failed_first_refresh_creates_nothing(statline, user_data, tmp_path):
    statline.mode = "500"
    with pytest.raises(RefreshError):
        cbs.refresh(2026, cache_dir=tmp_path / "cache", **_online(statline))
    assert not user_data.exists() or not any(user_data.iterdir())


def test_split_by_size_adds_up():
    totals = pd.Series({"GM0001": 7, "GM0002": 1_001, "GM0003": 0})
    density = pd.Series({"GM0001": 100.0, "GM0002": 1_000.0, "GM0003": 5_000.0})
    out = cbs.split_by_size(totals, density)
    assert out.groupby("code")["dwellings"].sum().to_dict() == totals.to_dict()
    assert out.groupby("code")["density_class"].first().to_dict() == {"GM0001": "landelijk", "GM0002": "tussen", "GM0003": "stedelijk"}


def test_fixture_tables_are_not_shared_between_tests():
    assert population_table() == copy.deepcopy(population_table())


# ---- the `data` command and own files -------------------------------------


def test_data_command_lists_shipped_and_refreshed(statline, user_data, tmp_path, capsys, monkeypatch):
    from toolkit import cli

    assert cli.main(["data"]) == 0
    out = capsys.readouterr().out
    assert "Meegeleverd" in out and "population" in out and "Bijgewerkt: niets in" in out
    monkeypatch.setattr(cbs, "STATLINE_URL", statline.url)
    cbs.refresh(2026, cache_dir=tmp_path / "cache", today=pd.Timestamp("2026-12-02").date(), **_online(statline))
    assert cli.main(["data"]) == 0
    out = capsys.readouterr().out
    assert "Bijgewerkt (in" in out and "2026-12-02" in out and "03759ned" in out


def test_data_bijwerken_offline_says_why_and_changes_nothing(user_data, capsys, monkeypatch):
    from toolkit import cli

    monkeypatch.setenv("DOORLOPENDE_LIJN_OFFLINE", "1")
    assert cli.main(["data", "bijwerken", "--jaar", "2026"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bijwerken mislukt, er is niets gewijzigd" in err and "offline" in err
    assert not user_data.exists()


def test_every_command_says_which_data_it_used(user_data, capsys):
    from toolkit import cli

    assert cli.main(["info", "--regio", "U16", "--jaar", "2016"]) == 0
    assert capsys.readouterr().out.strip().endswith("Gegevens: meegeleverd (toolkit/geodata); geen bijgewerkte tabellen.")


def test_import_own_population_file(user_data, tmp_path, capsys):
    from toolkit import cli

    f = tmp_path / "bevolking_2026.csv"
    f.write_text("gemeentecode;peildatum;inwoners;bron;status\n"
                 "GM0307;01-01-2026;163000;gemeente Amersfoort;gepubliceerd\n"
                 "GM0327;01-01-2026;48000;gemeente Leusden;gepubliceerd\n", encoding="utf-8")
    assert cli.main(["data", "importeren", "population", str(f)]) == 0
    assert "population: 2 rijen" in capsys.readouterr().out
    p = data.municipality_population(2026, ["GM0307", "GM0327"])
    assert p["population"].tolist() == [163_000, 48_000]
    entry = json.loads((user_data / "registry.json").read_text(encoding="utf-8"))["population"]
    assert entry["status"] == "gepubliceerd" and "bevolking_2026.csv" in entry["source"][0]


def test_import_bad_file_names_row_and_column_and_writes_nothing(user_data, tmp_path, capsys):
    from toolkit import cli

    f = tmp_path / "bevolking.csv"
    f.write_text("code,reference_date,population,source,status\nGM0307,2026-01-01,veel,x,gepubliceerd\n", encoding="utf-8")
    assert cli.main(["data", "importeren", "population", str(f)]) == 2
    err = capsys.readouterr().err
    assert "bevolking.csv" in err and "row 2" in err and "population" in err
    assert not user_data.exists()
    assert cli.main(["data", "importeren", "inflow", str(f)]) == 2
    assert "cannot be imported" in capsys.readouterr().err


# ---- a changed table layout: named, and nothing on disk changes ----------------------------


def _data_rows(table):
    return list({id(r): r for name in ("TypedDataSet", "UntypedDataSet") for r in table[name]}.values())


def _drop_column(table, column):
    for row in _data_rows(table):
        row.pop(column, None)


def _rename_key(table, old, new):
    for p in table["DataProperties"]:
        if p["Key"] == old:
            p["Key"] = new
    for row in _data_rows(table):
        row[new] = row.pop(old)
    if old in table:
        table[new] = table.pop(old)


LAYOUTS = {
    # a measure's column is gone from the data (the metadata still lists it)
    "population column missing": (lambda t: _drop_column(t["03759ned"], "BevolkingOp1Januari_1"),
                                  r"03759ned: the table layout changed: no values of BevolkingOp1Januari_1 for 2026JJ00"),
    # the measure has a new key (CBS renumbers measures when a table is revised)
    "population measure renamed": (lambda t: _rename_key(t["03759ned"], "BevolkingOp1Januari_1", "Bevolking_1"),
                                   r"03759ned: the table layout changed: no measure 'BevolkingOp1Januari_\*'"),
    # the region dimension has a new key
    "region dimension renamed": (lambda t: _rename_key(t["03759ned"], "RegioS", "Gemeenten"),
                                 r"03759ned: the table layout changed: no dimension 'RegioS'"),
    # the period dimension has a new key: no 'Perioden' resource to ask for
    "period dimension renamed": (lambda t: _rename_key(t["03759ned"], "Perioden", "Jaren"),
                                 r"03759ned: the table layout changed: no dimension 'Perioden'"),
    # the total of a dimension lost its 'Totaal' title
    "total renamed": (lambda t: t["03759ned"]["Geslacht"][0].update(Title="Mannen en vrouwen"),
                      r"03759ned: the table layout changed: dimension 'Geslacht' has no category titled 'Totaal"),
    "owner category renamed": (lambda t: t["82900NED"]["Eigendom"][2].update(Title="Toegelaten instelling"),
                               r"82900NED: the table layout changed: no dimension with a category 'woningcorporatie'"),
    "stock column missing": (lambda t: _drop_column(t["82900NED"], "Woningvoorraad_1"),
                             r"82900NED: the table layout changed: no values of Woningvoorraad_1"),
    "COROP name column missing": (lambda t: _drop_column(t["86247NED"], "Naam_21"),
                                  r"86247NED: the table layout changed: columns Code_20/Naam_21 of COROP missing"),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_changed_layout_is_named_and_changes_nothing(statline, user_data, tmp_path, layout):
    cbs.refresh(2025, cache_dir=tmp_path / "cache1", **_online(statline))  # a first, good refresh
    before = _snapshot(user_data)
    change, message = LAYOUTS[layout]
    change(statline.tables)
    with pytest.raises(RefreshError, match=message + r".*update toolkit/cbs\.py or supply the file yourself"):
        cbs.refresh(2026, cache_dir=tmp_path / "cache2", **_online(statline))
    assert _snapshot(user_data) == before
    assert data.municipality_population(2025, ["GM0344"])["population"].item() == 370_000  # still the first refresh


def test_data_bijwerken_with_a_changed_layout_is_one_line_and_changes_nothing(statline, user_data, tmp_path, capsys,
                                                                              monkeypatch):
    from toolkit import cli

    monkeypatch.setattr(cbs, "STATLINE_URL", statline.url)
    monkeypatch.setenv("DOORLOPENDE_LIJN_CACHE", str(tmp_path / "cache1"))
    assert cli.main(["data", "bijwerken", "--jaar", "2025"]) == 0
    before = _snapshot(user_data)
    capsys.readouterr()
    _drop_column(statline.tables["82900NED"], "Woningvoorraad_1")
    monkeypatch.setenv("DOORLOPENDE_LIJN_CACHE", str(tmp_path / "cache2"))
    assert cli.main(["data", "bijwerken", "--jaar", "2026"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "bijwerken mislukt, er is niets gewijzigd: CBS 82900NED: the table layout changed: no values of Woningvoorraad_1" in err
    assert _snapshot(user_data) == before
