"""Dashboard latency in Chromium through Voilà, offline, as the facilitator sees it.

Run: ``.venv/bin/python benchmarks/dashboard_browser.py [--changes 10] [--regions U16:2016,PV26:2025,NL:2025]``.
Prints figures; asserts nothing. ``DL_BENCH_SMOKE=1`` makes a tiny run (U16, one change).

For every region Voilà is started with the flags of ``make dashboard``
(pre-heated kernel, culling) on a copy of notebook 04 whose parameters cell
sets ``REGIO`` and ``JAAR``; Debian chromium is driven by Playwright and every
request that does not go to 127.0.0.1 is aborted. Measured:

- first load: from navigation until the widgets are interactive (headline
  tiles, tabs and slider handles on the page), after the pre-heated kernel
  has run the notebook (its CPU time stopped growing);
- a change: from the input event (key press on a slider handle, click on a
  toggle) until the visible figures have updated: the dashboard sets a hidden
  marker last in every update (``Dashboard.done``: change count and the time
  Python took), and with Stelling 1 open the map page must have applied the
  new data too; then two animation frames for the paint. Python's share is
  the marker's time, the browser's share (messages, rendering) the rest.

Patterns per control: one step from the reference and back (what the
facilitator does; the background sweep solves these ahead, going back is
cached), and step by step with another control already moved (every change
a new solve). The U16 runs every
pattern; a province and the whole country the three that tell the most (the
sweep cannot run far ahead there). The machine's load (1-minute average) is
printed beside every row.
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
GOALS_MS = {"U16": 300, "NL": 2000}  # anything else is a province: 1 s

LISTEN_JS = """() => {
  window.__dl = {t0: 0};
  for (const type of ['keydown', 'pointerdown']) {
    document.addEventListener(type, () => { window.__dl.t0 = performance.now(); }, true);
  }
}"""

# resolves with [ms from the input event until painted, Python ms] once the change is on screen
WAIT_JS = """([n0, v0, limit]) => new Promise(resolve => {
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
    if (performance.now() - start > limit) { resolve([NaN, NaN]); return; }  // counted as missing, not as a time
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


def _load1():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _uptime():
    out = shutil.which("uptime")
    return subprocess.run([out], capture_output=True, text=True).stdout.strip() if out else f"load {_load1():.2f}"


def voila_flags(port):
    """The Voilà flags of ``make dashboard`` (Makefile VOILA_FLAGS) with ``port``."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    flags = re.search(r"^VOILA_FLAGS := (.*?)(?<!\\)\n", text, re.S | re.M).group(1).replace("\\\n", " ").split()
    return [f for f in flags if not f.startswith("--port=")] + [f"--port={port}"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree_cpu(pid):
    """CPU seconds used so far by the processes below ``pid`` (Voilà's kernels), from /proc."""
    parent, cpu = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(d.name)] = int(fields[1])
            cpu[int(d.name)] = (int(fields[11]) + int(fields[12])) / tick
    below, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        below.update(kids)
        todo.extend(kids)
    return len(below), sum(cpu.get(p, 0.0) for p in below)


def wait_preheated(proc, timeout, *, min_cpu=3.0):
    """Until Voilà's pre-heated kernel has run the notebook: it used ``min_cpu`` s and then stopped for 3 s."""
    end = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < end and proc.poll() is None:
        n, cpu = _tree_cpu(proc.pid)
        if not n or last is None or cpu - last > 0.15 or cpu < min_cpu:
            since = time.monotonic()
        elif time.monotonic() - since > 3.0:
            return True
        last = cpu if n else None
        time.sleep(0.5)
    return False


def notebook_for(folder, region, year, out_dir):
    """A copy of notebook 04 whose parameters cell sets REGIO, JAAR and UITVOER."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    source = "".join(cell["source"])
    for name, value in (("REGIO", region), ("JAAR", year), ("UITVOER", str(out_dir))):
        source, n = re.subn(rf"(?m)^{name}(: *\w+)? = .*$", f"{name} = {value!r}", source)
        if n != 1:
            raise SystemExit(f"{NOTEBOOK.name}: the parameters cell has no line '{name} = ...'")
    cell["source"] = source
    path = folder / NOTEBOOK.name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _stats(values):
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]  # a change not on screen within the limit is left out (and counted in n)
    return f"{np.median(v):7.0f} {np.percentile(v, 90):7.0f}" if len(v) else f"{'-':>7s} {'-':>7s}"


def _row(page, label):
    """The control line whose own label is ``label`` (not the boxes around it)."""
    return page.locator(f"xpath=//div[contains(@class,'widget-hbox')][./div[contains(@class,'widget-label') and "
                        f"normalize-space()='{label}']]")


def measure(page, n, full, limit_ms):
    """The patterns (all for ``full``, else three), ``n`` changes each; returns the table rows."""
    rows = []

    def change(action, with_map):
        n0, v0 = page.evaluate(STATE_JS, with_map)
        action()
        return page.evaluate(WAIT_JS, [n0, v0, limit_ms])

    def slider(label, back_and_forth=True, key="ArrowRight"):
        handle = _row(page, label).locator(".noUi-handle")
        keys = ["ArrowRight", "ArrowLeft"] * n if back_and_forth else [key] * n
        return [lambda k=k: handle.press(k) for k in keys[:n]]

    def toggle(a, b):
        buttons = [page.locator("button.widget-toggle-button", has_text=re.compile(rf"^\s*{x}\s*$")) for x in (a, b)]
        return [lambda i=i: buttons[i % 2].click() for i in range(n)]

    def run(name, actions, with_map=True):
        load = _load1()
        res = [change(a, with_map) for a in actions]
        total, python = [r[0] for r in res], [r[1] for r in res]
        browser = [t - p for t, p in zip(total, python)]
        shown = sum(np.isfinite(t) for t in total)
        load = (load + _load1()) / 2
        rows.append((name, len(res), total, python, browser, load))
        print(f"  {name:58s} {shown:3d} {_stats(total)} {_stats(python)} {_stats(browser)} {load:5.1f}", flush=True)

    def tab(title, wait_ms):
        page.locator(".lm-TabBar-tab", has_text=title).click()
        page.wait_for_timeout(wait_ms)

    print(f"  {'control, pattern (view open)':58s} {'n':>3s} {'total: median   p90':>15s} "
          f"{'Python: median p90':>16s} {'browser: median p90':>17s} load   (ms)")
    run("Reserve, one step from the reference and back (St. 1)", slider("Reserve"))
    if full:
        run("Inwilliging, one step from the reference and back (St. 1)", slider("Inwilliging"))
        run("Extra woningen, one step from the reference and back (St. 1)", slider("Extra woningen"))
    run("Matching, U10 / U16 (St. 1)", toggle("U10", "U16"))
    if full:
        run("Extra woningen, further step by step (St. 1)", slider("Extra woningen", back_and_forth=False))
        tab("Stelling 2", 1500)
        run("Extra woningen, back and forth (St. 2)", slider("Extra woningen"), False)
        tab("Stelling 3a", 3000)
        run("Reserve, back and forth (St. 3a)", slider("Reserve"), False)
        tab("Stelling 1", 0)
    change(lambda: _row(page, "Reserve").locator(".noUi-handle").press("ArrowRight"), True)  # a second control
    # step by step to values not shown before: every change a new solve (from 77.5 % down, never at the end)
    run("Inwilliging down step by step, reserve moved: new solves (St. 1)", slider("Inwilliging", False, "ArrowLeft"))
    return rows


def probe(exe, region, year, *, changes, full, settle, preheat_timeout, limit_ms):
    """One Voilà server for ``region``/``year``: first load, then the change patterns."""
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="dl-browser-"))
    nb = notebook_for(tmp, region, year, tmp / "raad")
    port = _free_port()
    log = open(tmp / "voila.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "voila", str(nb), *voila_flags(port)], cwd=tmp,
                            env=dict(os.environ, DOORLOPENDE_LIJN_OFFLINE="1"), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    ok = False
    try:
        print(f"\n{region} {year}: Voilà ({' '.join(voila_flags(port))})")
        print(f"  machine before: {_uptime()}")
        t0 = time.monotonic()
        ready = wait_preheated(proc, preheat_timeout)
        if proc.poll() is not None:
            raise SystemExit(f"voila stopped (exit {proc.returncode}); see {tmp / 'voila.log'}")
        print(f"  pre-heated kernel {'ran the notebook' if ready else 'still busy'} after {time.monotonic() - t0:.0f} s")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("http://127.0.0.1", "data:", "about:", "blob:")) else r.abort())
            load = _load1()
            page.goto(f"http://127.0.0.1:{port}/", timeout=600_000)
            page.wait_for_function("() => document.querySelector('.dl-tiles') && document.querySelector('.noUi-handle')"
                                   " && document.querySelector('.lm-TabBar-tab')", timeout=600_000, polling=20)
            first = page.evaluate("() => performance.now()")
            nav = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                                " return [n.responseStart, n.responseEnd, n.domContentLoadedEventEnd]; }")
            print(f"  first load until the widgets are interactive (1280x720): {first / 1000:.2f} s (goal < 5 s; "
                  f"load {(load + _load1()) / 2:.1f}); Voilà's first byte {nav[0] / 1000:.2f} s, page delivered "
                  f"{nav[1] / 1000:.2f} s, scripts parsed {nav[2] / 1000:.2f} s, then the widgets from the kernel")
            page.frame_locator("iframe.dl-map").locator(".leaflet-control-layers").wait_for(timeout=600_000)
            page.evaluate(LISTEN_JS)
            if changes:
                print(f"  {settle:.0f} s for the background sweep to run ahead")
                page.wait_for_timeout(1000 * settle)
                goal = GOALS_MS.get(region, 1000)
                print(f"  {region} {year}, {changes} changes per control and pattern, 1280x720; goal: median < {goal} ms")
                measure(page, changes, full, limit_ms)
            browser.close()
        print(f"  machine after: {_uptime()}")
        ok = True
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"  Voilà's log kept: {tmp / 'voila.log'}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--changes", type=int, default=10, help="changes per control and pattern (default 10)")
    p.add_argument("--regions", default="U16:2016,PV26:2025,NL:2025",
                   help="REGION:YEAR,... (default U16:2016,PV26:2025,NL:2025); the U16 runs every pattern")
    p.add_argument("--settle", type=float, default=30,
                   help="seconds between the first load and the first change (the facilitator opens the page early)")
    p.add_argument("--preheat-timeout", type=float, default=600, help="seconds to wait for the pre-heated kernel")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so Voilà and its kernels are stopped on a timeout
    smoke = os.environ.get("DL_BENCH_SMOKE") == "1"
    if smoke:
        args.changes, args.regions, args.settle = 1, "U16:2016", 2
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import voila  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        print(f"browser probe skipped: {exc} (pip install -e '.[dashboard,test]')")
        return
    if exe is None:
        print("browser probe skipped: Debian chromium not installed (make browser)")
        return
    for item in args.regions.split(","):
        region, _, year = item.partition(":")
        probe(exe, region, int(year or 2016), changes=args.changes, full=region == "U16" and not smoke,
              settle=args.settle, preheat_timeout=args.preheat_timeout, limit_ms=600_000)


if __name__ == "__main__":
    main()
