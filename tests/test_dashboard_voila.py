"""The collegedag dashboard as a Voilà app in Debian chromium, offline.

Skips with a reason when chromium, Playwright or Voilà is missing. Voilà runs
with the flags of ``make dashboard`` (pre-heated kernel, culling). Set
``DOORLOPENDE_LIJN_SCREENSHOT=1`` to also write the README screenshots
``docs/dashboard.png`` (1280x720) and ``docs/dashboard_1920.png`` (1920x1080);
otherwise they go to the test's tmp folder, so a test run never changes
tracked files.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "04_collegedag.ipynb"
TIMEOUT_MS = 45_000


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port, proc, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"voila stopped with exit code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"voila did not listen on port {port} within {timeout:.0f} s")


def _notebook_writing_to(folder, out_dir):
    """A copy of notebook 04 whose parameters cell sets UITVOER to ``out_dir``."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    source = "".join(cell["source"])
    assert re.search(r"(?m)^UITVOER(: *str)? = ", source)
    cell["source"] = re.sub(r"(?m)^UITVOER(: *str)? = .*$", f"UITVOER = {str(out_dir)!r}", source)
    path = folder / NOTEBOOK.name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def voila_command(notebook, port):
    """Voilà as ``make dashboard`` starts it (the Makefile's VOILA_FLAGS), on ``port``."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    flags = re.search(r"^VOILA_FLAGS := (.*?)(?<!\\)\n", makefile, re.S | re.M).group(1).replace("\\\n", " ").split()
    flags = [f for f in flags if not f.startswith("--port=")] + [f"--port={port}"]
    return [sys.executable, "-m", "voila", str(notebook), *flags]


@pytest.fixture
def voila_url(tmp_path):
    if importlib.util.find_spec("voila") is None:
        pytest.skip("voila not installed (pip install -e '.[dashboard]')")
    out_dir = tmp_path / "raad"
    nb = _notebook_writing_to(tmp_path, out_dir)
    port = _free_port()
    env = dict(os.environ, DOORLOPENDE_LIJN_OFFLINE="1")
    log = open(tmp_path / "voila.log", "wb")
    proc = subprocess.Popen(voila_command(nb, port), cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/", out_dir
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # voila and the kernels it started
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


#: Visible text nodes of the page (not inside the map's own frame) with their font size.
SMALL_TEXT_JS = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement, text = n.textContent.trim();
    if (!text || !el || el.closest('script, style')) continue;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden' || el.offsetParent === null) continue;
    const size = parseFloat(cs.fontSize);
    if (size < 16) out.push(size + 'px: ' + text.slice(0, 40));
  }
  return out;
}"""

#: Text cut off in its box: the headline tiles and every control label.
CUT_OFF_JS = """() => [...document.querySelectorAll('.dl-tile, .dl-tile .v, .widget-label')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth)
  .map(e => e.innerText.trim().slice(0, 40) + ': ' + e.scrollWidth + ' > ' + e.clientWidth)"""

#: Inside the map's frame: names that overlap, and municipalities (their bounding boxes) outside the
#: map or under the title, legend, layer list or zoom buttons.
MAP_LAYOUT_JS = """() => {
  const out = [], hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const map = window[Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)];
  const c = map.getContainer().getBoundingClientRect();
  const boxes = [...document.querySelectorAll('.dl-title, .dl-legend, .leaflet-control-layers, .leaflet-control-zoom')]
    .filter(e => e.offsetParent !== null).map(e => [e.className, e.getBoundingClientRect()]);
  Object.keys(window).filter(k => k.startsWith('dl_layer_')).map(k => window[k]).filter(l => l._map).forEach(l => {
    let i = 0;
    l.eachLayer(f => {
      const b = f.getBounds(), nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
      const r = {left: c.left + nw.x, top: c.top + nw.y, right: c.left + se.x, bottom: c.top + se.y};
      if (r.left < c.left || r.top < c.top || r.right > c.right || r.bottom > c.bottom) out.push('outside the map: ' + i);
      boxes.forEach(([name, box]) => { if (hit(r, box)) out.push(name + ' covers municipality ' + i); });
      i += 1;
    });
  });
  const names = [...document.querySelectorAll('.dl-label span')]
    .filter(s => s.offsetParent !== null && getComputedStyle(s).visibility !== 'hidden')
    .map(s => [s.textContent, s.getBoundingClientRect()]);
  names.forEach(([a, ra], i) => names.slice(i + 1).forEach(([b, rb]) => { if (hit(ra, rb)) out.push(a + ' overlaps ' + b); }));
  if (names.length < 4) out.push('only ' + names.length + ' names shown');
  return out;
}"""

TRACKS_JS = """() => [...document.querySelectorAll('.widget-slider, .widget-hslider')]
  .filter(e => e.offsetParent !== null)
  .map(e => Math.round((e.querySelector('.slider-container') || e).getBoundingClientRect().width))"""


def _map_frame(page):
    return page.frame_locator("iframe.dl-map")


@pytest.mark.browser
def test_dashboard_in_voila_at_1280x720(offline_page, voila_url, tmp_path):
    from toolkit import scenario

    url, out_dir = voila_url
    expected = scenario.run(scenario.Settings(region="U16", year=2016)).comparison.set_index("scope")
    page, blocked = offline_page()
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_selector(".dl-tiles", timeout=TIMEOUT_MS)

    # no code and no notebook prose: Voilà strips the sources, the intro is a comment in the code
    assert page.locator(".jp-InputArea-editor, .jp-InputPrompt, .CodeMirror, .cm-editor, .jp-MarkdownOutput").count() == 0
    text = page.inner_text("body")
    for code in ("dashboard.app(", "import ", "UITVOER", "make dashboard", "parameter_table()"):
        assert code not in text, code
    assert "Stelling 1" in text and "Bronnen (" in text and "synthetisch" in text
    assert page.locator(".lm-TabBar-tab").first.bounding_box()["y"] < 720 - 40  # the tabs start on the screen

    # every slider has a track, on every view and at both presentation sizes; no text below 16 px, none cut
    # off; in the map's frame too, and there no names overlap and nothing covers a municipality
    frame = _map_frame(page)
    frame.locator(".leaflet-control-layers-overlays input").first.wait_for(state="attached", timeout=TIMEOUT_MS)
    for width, height in ((1920, 1080), (1280, 720)):
        fitted = frame.locator("body").get_attribute("data-dl-fitted")
        page.set_viewport_size({"width": width, "height": height})
        for tab in ("Stelling 1", "Integratie"):
            page.locator(".lm-TabBar-tab", has_text=tab).click()
            page.wait_for_timeout(300)
            if tab == "Integratie":
                page.wait_for_selector("text=De pilot instellen", timeout=TIMEOUT_MS)
            else:  # the map has fitted itself to the new size
                frame.locator(f"body:not([data-dl-fitted='{fitted}'])").wait_for(state="attached", timeout=TIMEOUT_MS)
                inner = frame.locator("body")
                assert inner.evaluate(SMALL_TEXT_JS.replace("() =>", "(body) =>").replace("document.body", "body")) == [], width
                assert inner.evaluate(MAP_LAYOUT_JS.replace("() =>", "(body) =>")) == [], width
            tracks = page.evaluate(TRACKS_JS)
            assert len(tracks) == (5 if tab == "Stelling 1" else 13) and min(tracks) > 50, (width, tab, tracks)
            assert page.evaluate(SMALL_TEXT_JS) == [], (width, tab)
            assert page.evaluate(CUT_OFF_JS) == [], (width, tab)
    assert "77,5 %" in page.inner_text(".dl-panel")  # Dutch readouts
    page.locator(".lm-TabBar-tab", has_text="Stelling 1").click()

    def housed_tile():
        return page.locator(".dl-tile .v").first.inner_text().strip()

    def toggle(name):
        page.locator("button.widget-toggle-button", has_text=re.compile(rf"^\s*{name}\s*$")).click()

    version = frame.locator("body").get_attribute("data-dl-version")
    # the facilitator also switches the taakstelling layer on (at 1280 the list opens on hover); a change must
    # keep both ticked
    frame.locator(".leaflet-control-layers").hover()
    frame.locator(".leaflet-control-layers-overlays label", has_text="Gemeenten: taakstelling").locator("input").check()
    n = int(expected.loc["U10", "households"])
    toggle("U10")
    page.wait_for_function("() => document.querySelector('.dl-top').innerText.includes('samen als U10')",
                           timeout=TIMEOUT_MS)  # U10 may house as many households as U16: wait for the label
    page.wait_for_function(f"() => document.querySelector('.dl-tile .v').innerText.trim() === "
                           f"'{int(expected.loc['U10', 'households_housed'])} van {n}'", timeout=TIMEOUT_MS)
    assert "samen als U10" in page.inner_text(".dl-top")
    frame.locator(f"body:not([data-dl-version='{version}'])").wait_for(timeout=TIMEOUT_MS)  # restyled, not reloaded
    checks = frame.locator(".leaflet-control-layers-overlays input")
    assert [checks.nth(i).is_checked() for i in range(checks.count())] == [True, True, True]
    assert "samen als U10" in frame.locator(".dl-title").inner_text()
    toggle("U16")
    page.wait_for_function("() => document.querySelector('.dl-top').innerText.includes('samen als U16')",
                           timeout=TIMEOUT_MS)
    page.wait_for_function(f"() => document.querySelector('.dl-tile .v').innerText.trim() === "
                           f"'{int(expected.loc['U16', 'households_housed'])} van {n}'", timeout=TIMEOUT_MS)

    folder = ROOT / "docs" if os.environ.get("DOORLOPENDE_LIJN_SCREENSHOT") else tmp_path
    frame.locator(".leaflet-control-layers").hover()
    frame.locator(".leaflet-control-layers-overlays label", has_text="Gemeenten: taakstelling").locator("input").uncheck()
    for name, size in (("dashboard_1920.png", (1920, 1080)), ("dashboard.png", (1280, 720))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.wait_for_timeout(1000)
        page.screenshot(path=str(folder / name))
        assert (folder / name).stat().st_size > 10_000

    page.get_by_role("button", name="Exporteer voor de raad").click()
    page.wait_for_selector(".dl-export", timeout=TIMEOUT_MS)
    maps = list(out_dir.glob("*_kaart_overzicht.html"))
    summaries = list(out_dir.glob("*_samenvatting.html"))
    assert len(maps) == 1 and len(summaries) == 1
    shown = page.inner_text(".dl-export")
    assert str(maps[0].resolve()) in shown and str(summaries[0].resolve()) in shown
    assert "Bronnen en status" in summaries[0].read_text(encoding="utf-8")
    assert page.evaluate(SMALL_TEXT_JS) == []
    # only Voilà's own icon font comes from a CDN (blocked here); the dashboard itself needs nothing outside
    assert all("fontawesome" in u for u in blocked), blocked
    page.context.close()
