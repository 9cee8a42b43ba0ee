"""Benchmark: size and time of the council map export, and time until ready in headless Chromium.

Prints figures; asserts nothing. Reads the real CBS polygons in ../shared/geodata when present
(benchmarks only), otherwise uses the schematic map. Also writes docs/overzichtskaart.png, the
screenshot the README shows.

    .venv/bin/python benchmarks/map_export.py

``DL_BENCH_SMOKE=1`` (the smoke run of ``tests/test_benchmarks.py``): the U16 only, one repeat,
one browser load, and no screenshot written.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import folium

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit import export, maps  # noqa: E402
from toolkit._files import atomic_write  # noqa: E402
from toolkit.boundaries import load_boundaries, schematic_boundaries  # noqa: E402
from toolkit.capacity import building_capacity, reception_capacity  # noqa: E402

SHARED = ROOT.parent / "shared" / "geodata"
SMOKE = os.environ.get("DL_BENCH_SMOKE") == "1"
REPEAT = 1 if SMOKE else 3
DATE = "2016-10-04"
READY = """() => { if (typeof L === 'undefined') return false;
  const m = Object.values(window).find(v => v instanceof L.Map); if (!m) return false;
  let n = 0; m.eachLayer(l => { if (l.feature) n += 1; }); return n > 0; }"""


def kb(n):
    return f"{n / 1024:,.0f} KB"


def timed(func, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t)
    return out, min(times)


def plain_folium(b, path):
    """The same layers with plain folium (GeoJson + tooltips + circle markers), Map.save."""
    m = folium.Map(location=[52.1, 5.1], zoom_start=9, tiles="OpenStreetMap")
    folium.GeoJson(b[["code", "name", "geometry"]], name="Gemeenten",
                   tooltip=folium.GeoJsonTooltip(fields=["name", "code"])).add_to(m)
    for df in (reception_capacity(), building_capacity()):
        for r in df.itertuples():
            folium.CircleMarker([r.lat, r.lon], radius=6, tooltip=str(r.name)).add_to(m)
    folium.LayerControl().add_to(m)
    m.save(str(path))
    return path


def ready_times(files, runs=1 if SMOKE else 5):
    """Median ms from navigation start until Leaflet has drawn the features, per file."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, "playwright not installed"
    if exe is None:
        return None, "chromium not installed"
    folder = Path(files[0]).parent
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    out = {}
    shot = None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for f in files:
            ms = []
            for _ in range(runs):
                ctx = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 860})
                page = ctx.new_page()
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("http://127.0.0.1") else r.abort())
                page.goto(base + Path(f).name, wait_until="commit")
                page.wait_for_function(READY, polling="raf")
                ms.append(page.evaluate("() => performance.now()"))
                if shot is None:
                    shot = page.screenshot()
                ctx.close()
            out[Path(f).name] = statistics.median(ms)
        browser.close()
    httpd.shutdown()
    return out, shot


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    tmp = Path(tempfile.mkdtemp(prefix="dl-bench-"))
    real16 = SHARED / "gemeente_2016_wgs84.geojson"
    if real16.exists():
        b16 = load_boundaries(2016, path=real16, region="U16")
        label16 = "real CBS 2016 polygons"
    else:
        b16 = schematic_boundaries(2016, region="U16")
        label16 = "schematic polygons (../shared absent)"
    print(f"U16 overview ({label16}, 16 municipalities, 5 reception locations, 4 buildings)")
    m, t_build = timed(lambda: maps.overzichtskaart(region="U16", boundaries=b16, date=DATE, simplify_m=20))
    p_u16, t_exp = timed(lambda: export.export_map(m, tmp / "u16.html", date=DATE, basemap=None))
    print(f"  build {t_build * 1000:.0f} ms, export {t_exp * 1000:.0f} ms, self-contained file {kb(p_u16.stat().st_size)} (goal <= 400 KB)")
    p_u16_tiles = export.export_map(m, tmp / "u16_tiles.html", date=DATE)
    print(f"  with PDOK basemap reference: {kb(p_u16_tiles.stat().st_size)}")
    plain16 = plain_folium(b16, tmp / "u16_plain.html")
    print(f"  plain folium Map.save of the same layers: {kb(plain16.stat().st_size)} + CDNs (Leaflet, jQuery, Bootstrap, Font Awesome)")
    _, t_png = timed(lambda: export.export_static(m, tmp / "u16.png", date=DATE), repeat=1)
    print(f"  static PNG (matplotlib) {t_png * 1000:.0f} ms")

    files = [p_u16]
    real24 = SHARED / "gemeente_2024_wgs84.geojson"
    if SMOKE:
        print("National overview: skipped (DL_BENCH_SMOKE=1)")
    elif real24.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b24 = load_boundaries(2024, path=real24)
        print(f"National overview (real CBS 2024 polygons, {len(b24)} municipalities; raw file {kb(real24.stat().st_size)})")
        for simplify_m, precision in ((0, 5), (50, 5), (100, 4), (200, 4)):
            mn, t_b = timed(lambda: maps.overzichtskaart(region=None, year=2024, boundaries=b24, date=DATE,
                                                         simplify_m=simplify_m, precision=precision), repeat=1)
            pn, t_e = timed(lambda: export.export_map(mn, tmp / f"nl_{simplify_m}_{precision}.html", date=DATE, basemap=None), repeat=1)
            print(f"  simplify {simplify_m:>3} m, {precision} decimals: build {t_b * 1000:.0f} ms, export {t_e * 1000:.0f} ms, "
                  f"file {kb(pn.stat().st_size)} (goal <= 1.5 MB)")
            if (simplify_m, precision) == (100, 4):
                files.append(pn)
        plain24 = plain_folium(b24, tmp / "nl_plain.html")
        print(f"  plain folium Map.save of the same layers: {kb(plain24.stat().st_size)} + CDNs")
    else:
        print("National overview: skipped (../shared/geodata/gemeente_2024_wgs84.geojson absent)")

    times, shot = ready_times([str(f) for f in files])
    if times is None:
        print(f"Time until ready in headless Chromium: skipped ({shot})")
    else:
        for name, ms in times.items():
            print(f"Time until ready in headless Chromium, {name}: median {ms:.0f} ms over "
                  f"{1 if SMOKE else 5} load(s) (goal < 500 ms)")
        if not SMOKE:
            atomic_write(ROOT / "docs" / "overzichtskaart.png", shot)
            print(f"Screenshot of the U16 overview written to {ROOT / 'docs' / 'overzichtskaart.png'}")
    print(f"machine: {os.cpu_count()} cores, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
