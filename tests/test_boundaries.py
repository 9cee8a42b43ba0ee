"""Tests for toolkit.boundaries: user files, the PDOK client (local server), the fallback."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
import urllib.parse
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from toolkit import ValidationError, boundaries, region_codes
from toolkit.boundaries import SchematicWarning, load_boundaries, read_boundary_file, schematic_boundaries

# Three 2 km squares in RD New near Utrecht, side by side (hand-made, not real borders).
RD_SQUARES = {
    "GM0344": box(134000, 454000, 136000, 456000),
    "GM0356": box(136000, 454000, 138000, 456000),
    "GM0321": box(138000, 454000, 140000, 456000),
}
NAMES = {"GM0344": "Utrecht", "GM0356": "Nieuwegein", "GM0321": "Houten"}


def rd_frame(**props):
    data = {"statcode": list(RD_SQUARES), "statnaam": [NAMES[c] for c in RD_SQUARES]}
    data.update(props)
    return gpd.GeoDataFrame(data, geometry=list(RD_SQUARES.values()), crs=28992)


def write_geojson(path, features, crs=None):
    fc = {"type": "FeatureCollection", "features": features}
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(fc), encoding="utf-8")
    return path


def feature(code, geom, **props):
    return {
        "type": "Feature",
        "properties": {"statcode": code, "statnaam": NAMES.get(code, code), **props},
        "geometry": shapely.geometry.mapping(geom),
    }


def lonlat_features(**props):
    wgs = rd_frame().to_crs(4326)
    return [feature(c, g, **props) for c, g in zip(wgs["statcode"], wgs.geometry)]


# ---------------------------------------------------------------- user files


def test_geojson_wgs84_with_cbs_names(tmp_path):
    f = write_geojson(tmp_path / "gem.geojson", lonlat_features(jaarcode=2016))
    gdf = load_boundaries(2016, path=f)
    assert list(gdf.columns) == ["code", "name", "geometry"]
    assert gdf.crs.to_epsg() == 4326
    assert sorted(gdf["code"]) == sorted(RD_SQUARES)
    assert dict(zip(gdf["code"], gdf["name"])) == NAMES
    assert gdf.attrs["schematic"] is False
    assert gdf.attrs["status"] == "gepubliceerd"
    assert "gem.geojson" in gdf.attrs["source"]
    # each square is 4 km2 by construction
    assert gdf.to_crs(28992).area.round(-2).tolist() == [4e6] * 3


def test_geopackage_in_rd_with_variant_names(tmp_path):
    f = tmp_path / "gemeenten.gpkg"
    rd_frame().rename(columns={"statcode": "GemeenteCode", "statnaam": "Gemeentenaam"}).to_file(f, driver="GPKG")
    gdf = read_boundary_file(f, region=["GM0344", "GM0321"])
    assert gdf["code"].tolist() == ["GM0344", "GM0321"]  # region order
    assert gdf["name"].tolist() == ["Utrecht", "Houten"]
    assert gdf.attrs["crs_in"] == "EPSG:28992"
    # Utrecht's square centre (135000, 455000) lies near lon 5.08, lat 52.08
    c = gdf.geometry.iloc[0].centroid
    assert c.x == pytest.approx(5.08, abs=0.02) and c.y == pytest.approx(52.08, abs=0.02)


def test_shapefile_with_gm_code_and_loose_codes(tmp_path):
    f = tmp_path / "gem.shp"
    frame = rd_frame().rename(columns={"statcode": "GM_CODE", "statnaam": "GM_NAAM"})
    frame["GM_CODE"] = ["344", "gm356", "GM321"]
    frame.to_file(f)
    gdf = load_boundaries(2016, path=f)
    assert sorted(gdf["code"]) == ["GM0321", "GM0344", "GM0356"]


def test_missing_name_column_uses_shipped_names(tmp_path):
    f = tmp_path / "gem.gpkg"
    rd_frame().drop(columns="statnaam").to_file(f, driver="GPKG")
    gdf = load_boundaries(2016, path=f)
    assert dict(zip(gdf["code"], gdf["name"])) == NAMES


def test_shapefile_without_prj_is_a_crs_error(tmp_path):
    f = tmp_path / "gem.shp"
    rd_frame().to_file(f)
    f.with_suffix(".prj").unlink()
    with pytest.raises(ValidationError, match=r"gem\.shp: no coordinate reference system.*RD New"):
        load_boundaries(2016, path=f)


def test_rd_coordinates_declared_as_wgs84(tmp_path):
    feats = [feature(c, g) for c, g in RD_SQUARES.items()]
    f = write_geojson(tmp_path / "rd_as_wgs.geojson", feats)  # no crs member: GeoJSON means WGS84
    with pytest.raises(ValidationError, match=r"rd_as_wgs\.geojson: declared CRS .*look like RD New"):
        load_boundaries(2016, path=f)


def test_lonlat_declared_as_rd(tmp_path):
    f = write_geojson(tmp_path / "wgs_as_rd.geojson", lonlat_features(), crs="urn:ogc:def:crs:EPSG::28992")
    with pytest.raises(ValidationError, match=r"wgs_as_rd\.geojson: declared CRS EPSG:28992.*longitude/latitude"):
        load_boundaries(2016, path=f)


def test_swapped_lon_lat(tmp_path):
    feats = [
        feature(c, shapely.transform(g, lambda xy: xy[:, ::-1]))
        for c, g in zip(RD_SQUARES, rd_frame().to_crs(4326).geometry)
    ]
    f = write_geojson(tmp_path / "swapped.geojson", feats)
    with pytest.raises(ValidationError, match=r"swapped\.geojson: .*outside the Netherlands; longitude and latitude look swapped"):
        load_boundaries(2016, path=f)


def test_invalid_geometry_reported_then_repaired(tmp_path):
    bowtie = Polygon([(134000, 454000), (136000, 456000), (136000, 454000), (134000, 456000)])
    frame = rd_frame()
    frame.loc[1, "geometry"] = bowtie
    f = tmp_path / "bad.gpkg"
    frame.to_file(f, driver="GPKG")
    with pytest.raises(ValidationError, match=r"bad\.gpkg: invalid polygon geometry for GM0356 \(Self-intersection"):
        load_boundaries(2016, path=f)
    with pytest.warns(UserWarning, match="repaired invalid polygons.*GM0356"):
        gdf = load_boundaries(2016, path=f, repair=True)
    assert gdf.is_valid.all()
    # the bowtie's two triangles cover half the square: 2 km2
    area = gdf.to_crs(28992).set_index("code").area["GM0356"]
    assert area == pytest.approx(2e6, rel=1e-3)


def test_missing_code_column_lists_found_columns(tmp_path):
    f = tmp_path / "nocode.gpkg"
    rd_frame().rename(columns={"statcode": "identificatie"}).to_file(f, driver="GPKG")
    with pytest.raises(ValidationError, match=r"nocode\.gpkg: no municipality code column.*found columns \['identificatie', 'statnaam'\]"):
        load_boundaries(2016, path=f)


def test_malformed_code_names_the_feature(tmp_path):
    feats = lonlat_features()
    feats[2]["properties"]["statcode"] = "GM34X"
    f = write_geojson(tmp_path / "codes.geojson", feats)
    with pytest.raises(ValidationError, match=r"codes\.geojson: column 'statcode': expected a CBS municipality code.*'GM34X' in feature 3"):
        load_boundaries(2016, path=f)


def test_duplicate_codes(tmp_path):
    feats = lonlat_features()
    feats[1]["properties"]["statcode"] = "gm0344"
    f = write_geojson(tmp_path / "dup.geojson", feats)
    with pytest.raises(ValidationError, match=r"dup\.geojson: .*duplicates GM0344 in feature 1, GM0344 in feature 2"):
        load_boundaries(2016, path=f)


def test_code_abolished_in_requested_year(tmp_path):
    feats = lonlat_features()
    feats[0]["properties"]["statcode"] = "GM0620"  # Vianen, merged into Vijfheerenlanden in 2019
    f = write_geojson(tmp_path / "old.geojson", feats)
    with pytest.raises(ValidationError, match=r"old\.geojson: unknown municipality codes for the division of 2024: GM0620 \(Vianen\) no longer exists"):
        load_boundaries(2024, path=f)
    assert "GM0620" in set(load_boundaries(2016, path=f)["code"])


def test_year_column_must_hold_the_year(tmp_path):
    f = write_geojson(tmp_path / "y.geojson", lonlat_features(jrstatcode="2016GM0000"))
    with pytest.raises(ValidationError, match=r"y\.geojson: column 'jrstatcode': expected the municipal division of 2024, found years \[2016\]"):
        load_boundaries(2024, path=f)


def test_year_column_selects_rows(tmp_path):
    feats = lonlat_features(jaarcode=2016) + lonlat_features(jaarcode=2017)[:1]
    f = write_geojson(tmp_path / "years.geojson", feats)
    assert len(load_boundaries(2017, path=f)) == 1
    assert len(load_boundaries(2016, path=f)) == 3


def test_region_member_missing_from_file(tmp_path):
    f = write_geojson(tmp_path / "part.geojson", lonlat_features())
    with pytest.raises(ValidationError, match=r"part\.geojson: municipalities of region 'U16' in 2016 missing from the file: GM0312 \(Bunnik\)"):
        load_boundaries(2016, path=f, region="U16")


@pytest.mark.parametrize(
    "fname, content, message",
    [
        ("empty.geojson", b"", r"empty\.geojson: the file is empty"),
        ("blank.gpkg", b"\n\n", r"blank\.gpkg: the file is empty"),
        ("table.geojson", b"code;name\nGM0344;Utrecht\n", r"table\.geojson: expected GeoJSON .*found text starting with 'code;name"),
        ("zipped.gpkg", b"PK\x03\x04" + b"\x00" * 200, r"zipped\.gpkg: expected a GeoPackage .*ZIP archive"),
        ("garbage.shp", bytes(range(256)) * 2, r"garbage\.shp: expected a Shapefile"),
        ("map.kml", b"<kml/>", r"map\.kml: unsupported boundary file type '\.kml'"),
        ("nofeatures.geojson", b'{"type": "FeatureCollection", "features": []}', r"nofeatures\.geojson: the file holds no features"),
        ("broken.geojson", b'{"type": "FeatureCollection", "features": [', r"broken\.geojson: could not read the GeoJSON file"),
    ],
)
def test_files_that_are_not_boundaries(tmp_path, fname, content, message):
    f = tmp_path / fname
    f.write_bytes(content)
    with pytest.raises(ValidationError, match=message):
        load_boundaries(2016, path=f)


def test_points_are_not_polygons(tmp_path):
    feats = [feature("GM0344", Point(5.1, 52.1))]
    f = write_geojson(tmp_path / "points.geojson", feats)
    with pytest.raises(ValidationError, match=r"points\.geojson: expected Polygon or MultiPolygon geometries, found Point for GM0344"):
        load_boundaries(2016, path=f)


def test_missing_file_and_bad_year(tmp_path):
    with pytest.raises(ValidationError, match=r"nope\.geojson: file not found"):
        load_boundaries(2016, path=tmp_path / "nope.geojson")
    with pytest.raises(ValidationError, match=r"year: expected a year like 2016, got 'zestien'"):
        load_boundaries("zestien", offline=True, cache_dir=tmp_path)


def test_input_file_is_not_modified(tmp_path):
    f = write_geojson(tmp_path / "gem.geojson", lonlat_features())
    before = f.read_bytes()
    load_boundaries(2016, path=f, region=["GM0344"])
    assert f.read_bytes() == before


# ---------------------------------------------------------------- PDOK client on a local server


class PdokHandler(http.server.BaseHTTPRequestHandler):
    """Answers like PDOK's OGC API items endpoint, two features per page."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        srv.requests.append(self.path)
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if srv.delay:
            time.sleep(srv.delay)
        if srv.status != 200 or url.path != "/ogc/v1/collections/gemeente_gegeneraliseerd/items":
            self.send_error(srv.status if srv.status != 200 else 404)
            return
        feats = [f for f in srv.features if str(f["properties"]["jaarcode"]) == q.get("jaarcode", srv.last_year)]
        start = int(q.get("cursor", 0))
        page = feats[start : start + srv.page_size]
        links = [{"rel": "self", "type": "application/geo+json", "href": f"{srv.base}{self.path}"}]
        if start + srv.page_size < len(feats):
            nxt = f"{srv.base}/ogc/v1/collections/gemeente_gegeneraliseerd/items?f=json&cursor={start + srv.page_size}&jaarcode={q['jaarcode']}"
            links.append({"rel": "next", "type": "application/geo+json", "href": nxt})
        body = json.dumps(
            {
                "type": "FeatureCollection",
                "timeStamp": "2026-11-25T12:00:00Z",
                "links": links,
                "numberReturned": len(page),
                "features": page,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/geo+json")
        self.send_header("Content-Crs", "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def pdok(monkeypatch):
    monkeypatch.delenv("DOORLOPENDE_LIJN_OFFLINE", raising=False)  # the server is local
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PdokHandler)
    httpd.daemon_threads = True
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.requests = []
    httpd.delay = 0
    httpd.status = 200
    httpd.page_size = 2
    httpd.last_year = "2016"
    wgs = rd_frame().to_crs(4326)
    httpd.features = [
        {"type": "Feature", "id": i + 1, "properties": {"statcode": c, "statnaam": NAMES[c], "jaarcode": 2016}, "geometry": shapely.geometry.mapping(g)}
        for i, (c, g) in enumerate(zip(wgs["statcode"], wgs.geometry))
    ]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.url = httpd.base + "/ogc/v1"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_pdok_paging_and_cache(pdok, tmp_path):
    gdf = load_boundaries(2016, base_url=pdok.url, cache_dir=tmp_path)
    assert sorted(gdf["code"]) == sorted(RD_SQUARES)
    assert len(pdok.requests) == 2  # 3 features at 2 per page
    first = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(pdok.requests[0]).query))
    assert first["f"] == "json" and first["jaarcode"] == "2016" and int(first["limit"]) >= 3
    assert "cursor=2" in pdok.requests[1]
    assert gdf.attrs["status"] == "gepubliceerd" and gdf.attrs["schematic"] is False
    assert "PDOK" in gdf.attrs["source"]
    cache_file = Path(gdf.attrs["cache_file"])
    assert cache_file.parent == tmp_path and cache_file.exists()
    assert [p.name for p in tmp_path.iterdir()] == [cache_file.name]  # no temporary file left

    again = load_boundaries(2016, base_url=pdok.url, cache_dir=tmp_path, region=["GM0356"])
    assert len(pdok.requests) == 2  # served from the cache
    assert again["code"].tolist() == ["GM0356"]
    offline = load_boundaries(2016, base_url=pdok.url, cache_dir=tmp_path, offline=True)
    assert len(pdok.requests) == 2
    assert offline.geom_equals_exact(gdf.geometry, tolerance=1e-9).all()


def test_cache_key_differs_per_year_and_url(pdok, tmp_path):
    load_boundaries(2016, base_url=pdok.url, cache_dir=tmp_path)
    pdok.features = [dict(f, properties=dict(f["properties"], jaarcode=2017)) for f in pdok.features]
    load_boundaries(2017, base_url=pdok.url, cache_dir=tmp_path)
    assert len(pdok.requests) == 4
    assert len(list(tmp_path.glob("*.geojson"))) == 2


def test_cache_dir_from_environment(pdok, tmp_path, monkeypatch):
    monkeypatch.setenv("DOORLOPENDE_LIJN_CACHE", str(tmp_path / "envcache"))
    assert boundaries.default_cache_dir() == tmp_path / "envcache"
    gdf = load_boundaries(2016, base_url=pdok.url)
    assert Path(gdf.attrs["cache_file"]).parent == tmp_path / "envcache"


def test_timeout_falls_back_to_schematic(pdok, tmp_path):
    pdok.delay = 1.0
    with pytest.warns(SchematicWarning, match=r"timeout.*To get real polygons.*path="):
        gdf = load_boundaries(2016, base_url=pdok.url, cache_dir=tmp_path, timeout=0.2, region="U16")
    assert gdf.attrs["schematic"] is True and gdf.attrs["status"] == "schatting"
    assert gdf["code"].tolist() == region_codes("U16", 2016)
    assert list(tmp_path.iterdir()) == []  # nothing cached


def test_http_error_falls_back_to_schematic(pdok, tmp_path):
    pdok.status = 503
    with pytest.warns(SchematicWarning, match="503"):
        gdf = load_boundaries(2016, base_url=pdok.url, cache_dir=tmp_path, region="U16")
    assert gdf.attrs["schematic"] is True
    assert list(tmp_path.iterdir()) == []


def test_offline_without_cache_makes_no_request(pdok, tmp_path):
    with pytest.warns(SchematicWarning, match=r"offline and no cached copy"):
        gdf = load_boundaries(2024, base_url=pdok.url, cache_dir=tmp_path, offline=True, region="U16")
    assert pdok.requests == []
    assert "GM1961" in set(gdf["code"]) and "GM0620" not in set(gdf["code"])


def test_offline_environment_variable(pdok, tmp_path, monkeypatch):
    monkeypatch.setenv("DOORLOPENDE_LIJN_OFFLINE", "1")
    with pytest.warns(SchematicWarning):
        gdf = load_boundaries(2016, base_url=pdok.url, cache_dir=tmp_path, region="U10")
    assert pdok.requests == []
    assert gdf["code"].tolist() == region_codes("U10", 2016)


def test_region_not_in_cached_file_names_the_cache(pdok, tmp_path):
    load_boundaries(2016, base_url=pdok.url, cache_dir=tmp_path)
    with pytest.raises(ValidationError, match=r"(?s)cached PDOK response .*missing from the file: GM0312 \(Bunnik\).*delete it to download it again"):
        load_boundaries(2016, base_url=pdok.url, cache_dir=tmp_path, region="U16")


def test_pdok_without_municipalities_for_the_year(pdok, tmp_path):
    with pytest.raises(ValidationError, match="returned no municipalities for jaarcode=1990"):
        load_boundaries(1990, base_url=pdok.url, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.network
@pytest.mark.skipif(not os.environ.get("DOORLOPENDE_LIJN_NETWORK"), reason="reaches PDOK; set DOORLOPENDE_LIJN_NETWORK=1")
def test_real_pdok(tmp_path, monkeypatch):
    monkeypatch.delenv("DOORLOPENDE_LIJN_OFFLINE", raising=False)
    gdf = load_boundaries(2024, cache_dir=tmp_path, region="U16")
    assert gdf.attrs["schematic"] is False
    assert gdf["code"].tolist() == region_codes("U16", 2024)


# ---------------------------------------------------------------- schematic fallback


def test_schematic_cells_are_disjoint_and_hold_their_points():
    from toolkit.regions import municipalities

    gdf = schematic_boundaries(2016, region="U16")
    assert gdf["code"].tolist() == region_codes("U16", 2016)
    rd = gdf.to_crs(28992)
    assert rd.is_valid.all()
    overlap = sum(a.intersection(b).area for i, a in enumerate(rd.geometry) for b in rd.geometry[i + 1 :])
    assert overlap < 1.0  # m2: rounding only
    mun = municipalities(2016).set_index("code").loc[gdf["code"]]
    pts = gpd.GeoSeries(gpd.points_from_xy(mun["lon"], mun["lat"]), crs=4326)
    assert all(g.contains(p) for g, p in zip(gdf.geometry, pts))
    # each cell lies within a circle of the municipality's area
    assert (rd.area.to_numpy() <= mun["area_km2"].to_numpy() * 1e6 * 1.001).all()


def test_schematic_lists_municipalities_without_a_point():
    # every municipality of 2016 and 2024 has a shipped point now (municipal_points)
    for year, n in ((2016, 390), (2025, 342)):
        gdf = schematic_boundaries(year)
        assert gdf.attrs["missing_codes"] == [] and len(gdf) == n


# ---------------------------------------------------------------- real CBS polygons (../shared)


def test_real_2016_wgs84_and_rd_agree(shared_geodata):
    wgs = load_boundaries(2016, path=shared_geodata / "gemeente_2016_wgs84.geojson", region="U16")
    rd = load_boundaries(2016, path=shared_geodata / "gemeente_2016_rd.geojson", region="U16")
    assert wgs.attrs["crs_in"] == "EPSG:4326" and rd.attrs["crs_in"] == "EPSG:28992"
    assert wgs.crs.to_epsg() == 4326 and rd.crs.to_epsg() == 4326
    assert wgs["code"].tolist() == rd["code"].tolist() == region_codes("U16", 2016)
    assert len(wgs) == 16
    # shared/geodata/SOURCES.md: the 16 cover 1057.9 km2; per municipality within 0.1 km2
    a_wgs = wgs.to_crs(28992).area / 1e6
    a_rd = rd.to_crs(28992).area / 1e6
    assert a_wgs.sum() == pytest.approx(1057.9, abs=0.1)
    assert (a_wgs - a_rd).abs().max() < 0.1
    assert dict(zip(wgs["code"], wgs["name"]))["GM0620"] == "Vianen"


def test_real_2024_has_vijfheerenlanden_not_vianen(shared_geodata):
    f = shared_geodata / "gemeente_2024_wgs84.geojson"
    gdf = load_boundaries(2024, path=f, region="U16")
    codes = gdf["code"].tolist()
    assert codes == region_codes("U16", 2024)
    assert "GM1961" in codes and "GM0620" not in codes
    # 15 of the 16 municipalities of 2016 remain; SOURCES.md: they cover 1017.3 km2
    kept = [c for c in region_codes("U16", 2016) if c in codes]
    assert len(kept) == 15
    area = gdf.set_index("code").loc[kept].to_crs(28992).area.sum() / 1e6
    assert area == pytest.approx(1017.3, abs=0.1)
    with pytest.raises(ValidationError, match="expected the municipal division of 2016, found years \\[2024\\]"):
        load_boundaries(2016, path=f)
