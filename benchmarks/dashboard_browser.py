"""Dashboard latency in Chromium through Voilà, offline, as the facilitator sees it.

Run: ``.venv/bin/python benchmarks/dashboard_browser.py [--changes 10]``. Prints figures; asserts nothing.

Voilà is started with the flags of ``make dashboard`` (pre-heated kernel,
culling); Debian chromium is driven by Playwright and every request that does
not go to 127.0.0.1 is aborted. Measured:

- first load: from navigation until the widgets are interactive (headline
  tiles, tabs and slider handles on the page), after the pre-heated kernel had
  time to run the notebook (``--wait`` seconds);
- a change: from the input event (key press on a slider handle, click on a
  toggle) until the visible figures have updated: the dashboard sets a hidden
  marker last in every update (``Dashboard.done``: change count and the time
  Python took), and with Stelling 1 open the map page must have applied the
  new data too; then two animation frames for the paint. Python's share is
  the marker's time, the browser's share (messages, rendering) the rest.

Patterns per control: one step from the reference and back (what the
facilitator does; the background sweep has solved these), and the same
control with another one already moved (a new solve). With
``DL_BENCH_SMOKE=1`` the probe only says why it is skipped (it needs minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "04_collegedag.ipynb"

LISTEN_JS = """() => {
  window.__dl = {t0: 0};
  for (const type of ['keydown', 'pointerdown']) {
    document.addEventListener(type, () => { window.__dl.t0 = performance.now(); }, true);
  }
}"""

# resolves with [ms from the input event until painted, Python ms] once the change is on screen
WAIT_JS = """([n0, v0]) => new Promise(resolve => {
  function ready() {
    const d = document.querySelector('.dl-done');
    if (!d || Number(d.dataset.n) <= n0) return false;
    if (v0 === null) return true;
    const f = document.querySelector('iframe.dl-map');
    const b = f && f.contentDocument && f.contentDocument.body;
    return b && b.getAttribute('data-dl-version') !== v0;
  }
  const start = performance.now();
  (function poll() {
    if (performance.now() - start > 60000) { resolve([NaN, NaN]); return; }  // counted as missing, not as a time
    if (!ready()) { setTimeout(poll, 2); return; }
    requestAnimationFrame(() => requestAnimationFrame(() => {
      resolve([performance.now() - window.__dl.t0, Number(document.querySelector('.dl-done').dataset.ms)]);
    }));
  })();
})"""

STATE_JS = """(withMap) => {
  const d = document.querySelector('.dl-done');
  const f = document.querySelector('iframe.dl-map');
  const b = withMap && f && f.contentDocument && f.contentDocument.body;
  return [d ? Number(d.dataset.n) : 0, b ? b.getAttribute('data-dl-version') : null];
}"""


def _load():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def _uptime():
    out = shutil.which("uptime")
    return subprocess.run([out], capture_output=True, text=True).stdout.strip() if out else "load %.2f %.2f %.2f" % _load()


def voila_flags(port):
    """The Voilà flags of ``make dashboard`` (Makefile VOILA_FLAGS) with ``port``."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    flags = re.search(r"^VOILA_FLAGS := (.*?)(?<!\\)\n", text, re.S | re.M).group(1).replace("\\\n", " ").split()
    return [f for f in flags if not f.startswith("--port=")] + [f"--port={port}"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stats(values):
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]  # a change not on screen within 60 s is left out (and counted in n)
    return f"{np.median(v):7.0f} {np.percentile(v, 90):7.0f}" if len(v) else f"{'-':>7s} {'-':>7s}"


def _change(page, action, with_map):
    n0, v0 = page.evaluate(STATE_JS, with_map)
    action()
    return page.evaluate(WAIT_JS, [n0, v0])


def _row(page, label):
    """The control line whose own label is ``label`` (not the boxes around it)."""
    return page.locator(f"xpath=//div[contains(@class,'widget-hbox')][./div[contains(@class,'widget-label') and "
                        f"normalize-space()='{label}']]")


def measure(page, n):
    rows = []

    def slider(label, back_and_forth=True):
        handle = _row(page, label).locator(".noUi-handle")
        keys = ["ArrowRight", "ArrowLeft"] * n if back_and_forth else ["ArrowRight"] * n
        return [lambda k=k: handle.press(k) for k in keys[:n]]

    def toggle(a, b):
        buttons = [page.locator("button.widget-toggle-button", has_text=re.compile(rf"^\s*{x}\s*$")) for x in (a, b)]
        return [lambda i=i: buttons[i % 2].click() for i in range(n)]

    def run(name, actions, with_map):
        res = [_change(page, a, with_map) for a in actions]
        total, python = [r[0] for r in res], [r[1] for r in res]
        browser = [t - p for t, p in zip(total, python)]
        shown = sum(np.isfinite(t) for t in total)
        rows.append((name, len(res), total, python, browser))
        print(f"  {name:58s} {shown:3d} {_stats(total)} {_stats(python)} {_stats(browser)}", flush=True)

    print(f"  {'control, pattern (view open)':58s} {'n':>3s} {'total: median   p90':>15s} "
          f"{'Python: median p90':>16s} {'browser: median p90':>17s}   (ms)")
    run("Inwilliging, one step from the reference and back (St. 1)", slider("Inwilliging"), True)
    run("Reserve, one step from the reference and back (St. 1)", slider("Reserve"), True)
    run("Extra woningen, one step from the reference and back (St. 1)", slider("Extra woningen"), True)
    run("Matching, U10 / U16 (St. 1)", toggle("U10", "U16"), True)
    run("Extra woningen, further step by step (St. 1)", slider("Extra woningen", back_and_forth=False), True)
    page.locator(".lm-TabBar-tab", has_text="Stelling 2").click()
    page.wait_for_timeout(1500)
    run("Extra woningen, back and forth (St. 2)", slider("Extra woningen"), False)
    page.locator(".lm-TabBar-tab", has_text="Stelling 3a").click()
    page.wait_for_timeout(3000)
    run("Reserve, back and forth (St. 3a)", slider("Reserve"), False)
    page.locator(".lm-TabBar-tab", has_text="Stelling 1").click()
    _change(page, lambda: _row(page, "Reserve").locator(".noUi-handle").press("ArrowRight"), True)  # a second control
    run("Inwilliging, with the reserve moved too: new solves (St. 1)", slider("Inwilliging"), True)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--changes", type=int, default=10, help="changes per control and pattern (default 10)")
    p.add_argument("--wait", type=float, default=60, help="seconds for the pre-heated kernel to run the notebook")
    p.add_argument("--settle", type=float, default=30,
                   help="seconds between the first load and the first change (the facilitator opens the page early)")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so Voilà and its kernels are stopped on a timeout
    if os.environ.get("DL_BENCH_SMOKE") == "1":
        print("DL_BENCH_SMOKE=1: browser probe skipped (Voilà and chromium take minutes); run it without the variable")
        return
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import voila  # noqa: F401
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        print(f"browser probe skipped: {exc} (pip install -e '.[dashboard,test]')")
        return
    if exe is None:
        print("browser probe skipped: Debian chromium not installed")
        return
    tmp = Path(tempfile.mkdtemp(prefix="dl-browser-"))
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = re.sub(r"(?m)^UITVOER = .*$", f"UITVOER = {str(tmp / 'raad')!r}", "".join(cell["source"]))
    (tmp / NOTEBOOK.name).write_text(json.dumps(nb), encoding="utf-8")
    port = _free_port()
    log = open(tmp / "voila.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "voila", str(tmp / NOTEBOOK.name), *voila_flags(port)], cwd=tmp,
                            env=dict(os.environ, DOORLOPENDE_LIJN_OFFLINE="1"), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        print(f"Voilà ({' '.join(voila_flags(port))}); waiting {args.wait:.0f} s for the pre-heated kernel")
        print(f"  machine before: {_uptime()}")
        end = time.monotonic() + args.wait
        while proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.3)
        if proc.poll() is not None:
            raise SystemExit(f"voila stopped (exit {proc.returncode}); see {tmp / 'voila.log'}")
        time.sleep(max(0.0, end - time.monotonic()))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("http://127.0.0.1", "data:", "about:", "blob:")) else r.abort())
            page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
            page.wait_for_function("() => document.querySelector('.dl-tiles') && document.querySelector('.noUi-handle')"
                                   " && document.querySelector('.lm-TabBar-tab')", timeout=180_000, polling=20)
            first = page.evaluate("() => performance.now()")
            nav = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                                " return [n.responseStart, n.responseEnd, n.domContentLoadedEventEnd]; }")
            print(f"First load until the widgets are interactive (1280x720): {first / 1000:.2f} s (goal < 5 s); "
                  f"of which Voilà's first byte {nav[0] / 1000:.2f} s, page delivered {nav[1] / 1000:.2f} s, "
                  f"scripts parsed {nav[2] / 1000:.2f} s, widgets drawn from the kernel's state after that")
            page.frame_locator("iframe.dl-map").locator(".leaflet-control-layers").wait_for(timeout=60_000)
            page.evaluate(LISTEN_JS)
            print(f"  {args.settle:.0f} s for the background sweep to start (it waits for the page) and run ahead")
            page.wait_for_timeout(1000 * args.settle)
            print(f"U16, {args.changes} changes per control and pattern, 1280x720; goal: median < 300 ms")
            measure(page, args.changes)
            browser.close()
        print(f"  machine after: {_uptime()}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        if proc.returncode == -signal.SIGTERM or proc.returncode == 0:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
