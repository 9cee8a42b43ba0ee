"""The collegedag dashboard as a Voilà app in Debian chromium, offline.

Skips with a reason when chromium, Playwright or Voilà is missing. Set
``DOORLOPENDE_LIJN_SCREENSHOT=1`` to also write the README screenshot
``docs/dashboard.png`` (otherwise the screenshot goes to the test's tmp folder,
so a test run never changes tracked files).
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
    assert "UITVOER = " in source
    cell["source"] = re.sub(r"(?m)^UITVOER = .*$", f"UITVOER = {str(out_dir)!r}", source)
    path = folder / NOTEBOOK.name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.fixture
def voila_url(tmp_path):
    if importlib.util.find_spec("voila") is None:
        pytest.skip("voila not installed (pip install -e '.[dashboard]')")
    out_dir = tmp_path / "raad"
    nb = _notebook_writing_to(tmp_path, out_dir)
    port = _free_port()
    env = dict(os.environ, DOORLOPENDE_LIJN_OFFLINE="1")
    log = open(tmp_path / "voila.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", str(nb), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/", out_dir
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # voila and the kernel it started
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


@pytest.mark.browser
def test_dashboard_in_voila(offline_page, voila_url, tmp_path):
    from toolkit import scenario

    url, out_dir = voila_url
    expected = scenario.run(scenario.Settings(region="U16", year=2016)).comparison.set_index("scope")
    page, blocked = offline_page()
    page.set_viewport_size({"width": 1600, "height": 1900})
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_selector(".dl-tiles", timeout=TIMEOUT_MS)

    # no code: Voilà strips the sources, and nothing of the notebook's code reaches the page
    assert page.locator(".jp-InputArea-editor, .jp-InputPrompt, .CodeMirror, .cm-editor").count() == 0
    text = page.inner_text("body")
    assert "dashboard.app(" not in text and "import " not in text
    assert "Stelling 1" in text and "Bronnen" in text and "synthetisch" in text

    def chosen():
        return page.locator("tr.chosen td").first.inner_text().strip()

    def housed_tile():
        return page.locator(".dl-tile .v").first.inner_text().strip()

    def toggle(name):
        page.locator("button.widget-toggle-button", has_text=re.compile(rf"^\s*{name}\s*$")).click()

    toggle("U10")
    page.wait_for_function("() => document.querySelector('tr.chosen td').innerText.trim() === 'U10'", timeout=TIMEOUT_MS)
    n = int(expected.loc["U10", "households"])
    assert housed_tile() == f"{int(expected.loc['U10', 'households_housed'])} van {n}"
    toggle("U16")
    page.wait_for_function("() => document.querySelector('tr.chosen td').innerText.trim() === 'U16'", timeout=TIMEOUT_MS)
    assert chosen() == "U16"
    assert housed_tile() == f"{int(expected.loc['U16', 'households_housed'])} van {n}"
    assert "matching: U16" in page.inner_text(".dl-note")

    page.get_by_role("button", name="Exporteer voor de raad").click()
    page.wait_for_selector(".dl-export", timeout=TIMEOUT_MS)
    maps = list(out_dir.glob("*_kaart.html"))
    summaries = list(out_dir.glob("*_samenvatting.html"))
    assert len(maps) == 1 and len(summaries) == 1
    shown = page.inner_text(".dl-export")
    assert maps[0].name in shown and summaries[0].name in shown
    assert "Bronnen en status" in summaries[0].read_text(encoding="utf-8")

    target = ROOT / "docs" / "dashboard.png" if os.environ.get("DOORLOPENDE_LIJN_SCREENSHOT") else tmp_path / "dashboard.png"
    page.set_viewport_size({"width": 1600, "height": 2400})
    page.wait_for_timeout(500)
    page.locator(".dl-dash").screenshot(path=str(target))
    assert target.stat().st_size > 10_000
    # only Voilà's own icon font comes from a CDN (blocked here); the dashboard itself needs nothing outside
    assert all("fontawesome" in u for u in blocked), blocked
    page.context.close()
