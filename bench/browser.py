"""How long a capped network view takes to settle in Chromium.

The explorer's page sets ``data-stabilized="true"`` on its canvas once the drawing is
placed (server layout) or the physics has stabilized; the time from navigation to that
mark is what a researcher waits for before the view can be used.
"""

import time
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

from bench.measure import Latency

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETTLED = '#graph-canvas[data-stabilized="true"]'
SAMPLES = 3
PATIENCE_MS = 180_000


def view_settles(base: str, focus: str) -> Latency | str:
    """Seconds from opening a depth-2 view of ``focus`` to its settled drawing.

    The server caps the view at ``CIVICGRAPH_NODE_CAP`` (500) nodes, keeping the
    best-connected ones (``overflow=top``), so a hub's view is the full-size case.
    """
    if not CHROMIUM.exists():
        return "not measured (no /usr/bin/chromium)"
    url = f"{base}/graph?{urlencode({'focus': focus, 'depth': '2', 'overflow': 'top'})}"
    samples = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        for _ in range(SAMPLES):
            page = browser.new_page(viewport={"width": 1280, "height": 960})
            began = time.perf_counter()
            page.goto(url)
            page.wait_for_selector(SETTLED, timeout=PATIENCE_MS)
            samples.append(time.perf_counter() - began)
            page.close()
        browser.close()
    return Latency(tuple(samples))
