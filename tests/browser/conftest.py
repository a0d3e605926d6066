"""A real Chromium (Debian's) driven by Playwright, with every page watched.

Each page records console errors, dialogs (a hostile label that ran would open one)
and every request it makes; the fixture fails the test if any request left
127.0.0.1, so no test can pass while a page fetches from elsewhere.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Playwright, sync_playwright

from civicgraph.dataset.loader import load_file
from civicgraph.store import EmbeddedStore
from tests.live import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Milliseconds any one wait may take before the test fails: generous, as a page that
#: builds the network waits for it, beside other tests on a busy machine.
TIMEOUT_MS = 30_000


@dataclass
class Watch:
    """What a page did besides what the test asked of it."""

    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def foreign_requests(self) -> list[str]:
        """Requests to any host but 127.0.0.1 (data:, blob: and about: stay local)."""
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
            and urlsplit(url).hostname != "127.0.0.1"
        ]


#: Features of the browser's own interface turned off beside those Playwright turns off:
#: each new window (every test's context) started the address bar's two popups as web
#: pages, in processes of their own, for about a third of a second of CPU.
QUIET_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup")
_DISABLE = "--disable-features="


def launch(playwright: Playwright) -> Browser:
    """Start Debian's Chromium headless, with the flags that keep it off the network.

    Chromium takes the last ``--disable-features`` it is given and ignores the others,
    so the list that turns off ``QUIET_FEATURES`` must hold Playwright's as well: it is
    read from a first start's command line.
    """
    first = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        page = first.new_page()
        page.goto("chrome://version")
        switches = page.locator("#command_line").inner_text().split()
    finally:
        first.close()
    theirs = [f for s in switches if s.startswith(_DISABLE) for f in s[len(_DISABLE) :].split(",")]
    features = _DISABLE + ",".join([*theirs, *QUIET_FEATURES])
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, features]
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One browser for the whole session."""
    with sync_playwright() as playwright:
        started = launch(playwright)
        yield started
        started.close()


def _on_dialog(watch: Watch, dialog: Dialog) -> None:
    watch.dialogs.append(dialog.message)
    dialog.dismiss()


def _on_console(watch: Watch, message: ConsoleMessage) -> None:
    if message.type == "error":
        watch.console_errors.append(message.text)


@pytest.fixture
def watch() -> Watch:
    """The record of the current test's page."""
    return Watch()


@pytest.fixture
def page(browser: Browser, watch: Watch) -> Iterator[Page]:
    """A fresh page whose requests, console errors and dialogs are recorded."""
    context = browser.new_context(accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    opened.on("request", lambda request: watch.requests.append(request.url))
    opened.on("console", lambda message: _on_console(watch, message))
    opened.on("dialog", lambda dialog: _on_dialog(watch, dialog))
    yield opened
    context.close()
    assert watch.foreign_requests == []


def serve_files(folder: Path, *files: Path) -> LiveServer:
    """A started server over a store in ``folder`` holding only these Turtle files."""
    path = folder / "store"
    store = EmbeddedStore(path)
    for file in files:
        load_file(store, file)
    store.close()
    return LiveServer(path, {"CIVICGRAPH_LOAD_BUNDLED": "false"}).start()
