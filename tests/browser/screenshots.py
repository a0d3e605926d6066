"""Screenshots of the workbench for the README: ``make screenshots``.

Starts a real server over the bundled data, opens the query page (running an example),
an entity page, the gallery, the network explorer and the path finder in Debian's
Chromium at desktop size (1280 px), and the same pages at phone size (390 px,
``*-phone.png``), and writes PNGs into ``docs/screenshots/``. Run it after changing how
those pages look, look at them, and commit the PNGs.
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
NETWORK = "/graph?focus=person/patrick-atwater&depth=2"
PATHS = "/graph?from=person/patrick-atwater&to=org/code-for-america"
#: Name suffix and browser context settings of each screen size.
SIZES = {
    "": {"viewport": {"width": 1280, "height": 960}},
    "-phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


def _query(page: Page, base: str) -> None:
    page.goto(base + "/gallery/06-founders/open")
    expect(page.locator("#query-status")).to_contain_text("ms")
    if (page.viewport_size or {}).get("width", 1280) < 600:  # a phone shows the results
        page.locator("#downloads").evaluate("downloads => downloads.scrollIntoView()")


def _entity(page: Page, base: str) -> None:
    page.goto(base + ENTITY)
    expect(page.locator("#ego-network[data-stabilized='true']")).to_have_count(1)


def _gallery(page: Page, base: str) -> None:
    page.goto(base + "/gallery")


def _settled_graph(page: Page, path: str) -> None:
    page.goto(path)  # the page reloads by itself once the network is prepared
    expect(page.locator("#graph-canvas[data-stabilized='true']")).to_have_count(1, timeout=60_000)
    page.locator("#graph-counts").evaluate("counts => counts.scrollIntoView()")


def _network(page: Page, base: str) -> None:
    _settled_graph(page, base + NETWORK)


def _paths(page: Page, base: str) -> None:
    _settled_graph(page, base + PATHS)


SHOTS = {
    "query": _query,
    "entity": _entity,
    "gallery": _gallery,
    "network": _network,
    "paths": _paths,
}


def take(base: str, out: Path = OUT) -> list[Path]:
    """Write one PNG per page and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for suffix, settings in SIZES.items():
            page = browser.new_page(**settings)  # type: ignore[arg-type]
            page.set_default_timeout(TIMEOUT_MS)
            for name, visit in SHOTS.items():
                visit(page, base)
                path = out / f"{name}{suffix}.png"
                page.screenshot(path=str(path))
                written.append(path)
            page.close()
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
