"""Screenshots of the workbench for the README: ``make screenshots``.

Starts a real server over the bundled data, opens the query page (running an example),
an entity page, the gallery and the network explorer in Debian's Chromium, and writes PNGs into
``docs/screenshots/``. Run it after changing how those pages look, and commit the PNGs.
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.conftest import TIMEOUT_MS, launch
from tests.live import LiveServer

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "docs" / "screenshots"
ENTITY = "/id/org/code-for-america"
NETWORK = "/graph?focus=https://w3id.org/civicgraph/id/person/patrick-atwater&depth=2"
VIEWPORT = {"width": 1280, "height": 960}


def _query(page: Page, base: str) -> None:
    page.goto(base + "/gallery/06-founders/open")
    expect(page.locator("#query-status")).to_contain_text("ms")


def _entity(page: Page, base: str) -> None:
    page.goto(base + ENTITY)
    expect(page.locator("#ego-network canvas")).to_have_count(1)
    page.wait_for_timeout(1500)  # let the network layout settle


def _gallery(page: Page, base: str) -> None:
    page.goto(base + "/gallery")


def _network(page: Page, base: str) -> None:
    page.goto(base + NETWORK)  # the page reloads by itself once the network is prepared
    expect(page.locator("#graph-canvas canvas")).to_have_count(1)
    page.locator("#graph-canvas").evaluate("canvas => canvas.scrollIntoView()")
    page.wait_for_timeout(3000)  # let the layout settle


SHOTS = {"query": _query, "entity": _entity, "gallery": _gallery, "network": _network}


def take(base: str, out: Path = OUT) -> list[Path]:
    """Write one PNG per page and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT_MS)
        for name, visit in SHOTS.items():
            visit(page, base)
            path = out / f"{name}.png"
            page.screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


def main() -> int:
    """Serve the bundled data from a temporary store and photograph the pages."""
    with tempfile.TemporaryDirectory() as folder:
        server = LiveServer(Path(folder) / "store").start()
        try:
            for path in take(server.url):
                print(path.relative_to(ROOT))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
