"""Shared fixtures: paths, the real CBS polygons in ../shared (tests only), a browser."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_GEODATA = ROOT.parent / "shared" / "geodata"


@pytest.fixture(scope="session")
def _empty_user_data(tmp_path_factory):
    return tmp_path_factory.mktemp("user-data")


@pytest.fixture(autouse=True)
def _offline_with_private_cache(monkeypatch, tmp_path_factory, _empty_user_data):
    """No test reads a developer's download cache or refreshed tables, or tries the internet."""
    monkeypatch.setenv("DOORLOPENDE_LIJN_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("DOORLOPENDE_LIJN_DATA", str(_empty_user_data))
    monkeypatch.setenv("DOORLOPENDE_LIJN_OFFLINE", "1")


@pytest.fixture
def shared_geodata():
    """Folder with the real CBS municipality polygons; skips when absent."""
    if not (SHARED_GEODATA / "gemeente_2016_wgs84.geojson").exists():
        pytest.skip(f"real CBS polygons not found in {SHARED_GEODATA} (only present beside a checkout)")
    return SHARED_GEODATA


def _chromium_path():
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """A headless Debian chromium driven by Playwright; skips with a reason when absent."""
    exe = _chromium_path()
    if exe is None:
        pytest.skip("Debian chromium not installed (make test installs it with apt-get when it can)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def serve_dir():
    """Serve a folder on http://127.0.0.1:<port>/; returns a function folder -> base URL."""
    servers = []

    def serve(folder):
        handler = functools.partial(QuietHandler, directory=str(folder))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield serve
    for s in servers:
        s.shutdown()
        s.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def offline_page(browser):
    """Factory for new pages whose requests outside 127.0.0.1 are aborted and recorded.

    ``offline_page()`` returns ``(page, blocked)``; ``blocked`` is the list of
    aborted URLs. The pages' contexts are closed after the test.
    """
    contexts = []

    def make():
        context = browser.new_context(service_workers="block")
        contexts.append(context)
        page = context.new_page()
        blocked = []

        def route(r):
            url = r.request.url
            if url.startswith(("http://127.0.0.1", "data:", "about:", "blob:")):
                r.continue_()
            else:
                blocked.append(url)
                r.abort()

        page.route("**/*", route)
        return page, blocked

    yield make
    for context in contexts:
        context.close()
