"""Time in Chromium, at desktop and phone sizes: the year slider, comparing two days,
citing a page, and the versions list."""

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.layout import sideways_overflow
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.server]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
ODI = "https://w3id.org/civicgraph/id/org/office-of-digital-innovation"
EIGHTEEN_F = "https://w3id.org/civicgraph/id/org/18f"


def _wait_until(page: Page, script: str, seconds: float = 30) -> None:
    """Poll a script (the page's CSP forbids the eval that wait_for_function uses)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"never true: {script}"
        page.wait_for_timeout(200)


def _drawn(page: Page) -> list[str]:
    ids: list[str] = page.evaluate("[...window.civicgraph.view.byId.keys()]")
    return ids


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_the_slider_redraws_the_network_year_by_year(
    page: Page, live_server: LiveServer, size: dict[str, int]
) -> None:
    page.set_viewport_size(size)
    page.goto(live_server.url + "/graph?as_of=2016-01-01")
    _wait_until(page, "Boolean(window.civicgraph && window.civicgraph.view)")
    early = _drawn(page)
    assert EIGHTEEN_F in early
    assert ODI not in early

    slider = page.locator("#year-slider")
    slider.scroll_into_view_if_needed()
    slider.fill("2020")
    _wait_until(page, f"window.civicgraph.view.byId.has('{ODI}')")
    expect(page.locator("#year-shown")).to_have_text("2020")
    assert "as_of=2020-01-01" in page.url
    assert sideways_overflow(page) <= 0


def test_pause_stops_the_slider_playing(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/graph?as_of=2016-01-01")
    _wait_until(page, "Boolean(window.civicgraph && window.civicgraph.view)")
    play = page.locator("#year-play")
    play.click()
    expect(play).to_have_attribute("aria-pressed", "true")
    _wait_until(page, "document.getElementById('year-slider').value !== '2016'")
    play.click()
    expect(play).to_have_attribute("aria-pressed", "false")
    stopped_at = page.locator("#year-slider").input_value()
    page.wait_for_timeout(2_000)  # longer than a step of the play (1.6 s)
    assert page.locator("#year-slider").input_value() == stopped_at
    expect(play).to_have_text("Play")


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_comparing_two_days_tells_changes_apart_without_colour(
    page: Page, live_server: LiveServer, size: dict[str, int]
) -> None:
    page.set_viewport_size(size)
    page.goto(live_server.url + "/graph?as_of=2020-01-01&compare=2016-01-01")
    changes = page.locator("#graph-changes")
    expect(changes).to_be_visible(timeout=30_000)
    expect(changes.locator("li.appeared").first).to_contain_text("+ ")
    styles = page.evaluate(
        "window.civicgraph.view.edges.get().map(e => [e.label.slice(0, 2), e.width, e.dashes])"
    )
    added = [s for s in styles if s[0] == "+ "]
    assert added
    assert all(width == 4 for _, width, _ in added)
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_cite_this_page_from_an_entity_page(
    page: Page, live_server: LiveServer, size: dict[str, int]
) -> None:
    page.set_viewport_size(size)
    page.goto(live_server.url + "/id/org/code-for-america")
    page.get_by_role("link", name="cite this page").click()
    expect(page.locator("h1")).to_have_text("Cite this")
    expect(page.locator("pre.citation-text").first).to_contain_text("Code for America")
    expect(page.locator(".citation-text", has_text="@misc{")).to_be_visible()
    expect(page.locator(".iri-line a")).to_contain_text("version=")
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_the_versions_list_reads_on_any_screen(
    page: Page, live_server: LiveServer, size: dict[str, int]
) -> None:
    page.set_viewport_size(size)
    page.goto(live_server.url + "/versions")
    expect(page.locator("table.versions")).to_be_visible()
    page.locator("table.versions a", has_text="what changed").first.click()
    expect(page.locator("h1")).to_contain_text("to version")
    assert sideways_overflow(page) <= 0
