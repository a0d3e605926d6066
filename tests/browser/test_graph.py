"""The network explorer in Chromium: drawing, panels, paths, filters, safety, export."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Watch, serve_files
from tests.live import LiveServer
from tests.test_network import AGENCY, ALICE, FIXTURE
from tests.test_network_web import HOSTILE

pytestmark = [pytest.mark.browser, pytest.mark.server]
MALLORY = "https://w3id.org/civicgraph/id/person/mallory"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over the network fixture and the hostile entity only."""
    live = serve_files(tmp_path_factory.mktemp("graph"), FIXTURE, HOSTILE)
    yield live
    live.stop()


def _open(page: Page, server: LiveServer, query: str = "") -> None:
    page.goto(f"{server.url}/graph{query}")
    page.wait_for_selector("#graph-canvas[data-stabilized='true']")


def _count(page: Page) -> int:
    return int(page.get_attribute("#graph-canvas", "data-node-count") or "0")


def _node_point(page: Page, node: str) -> dict[str, float]:
    """Where ``node`` is drawn on the screen."""
    page.locator("#graph-canvas").scroll_into_view_if_needed()
    point: dict[str, float] = page.evaluate(
        """id => {
          const net = window.civicgraph.view.network;
          const p = net.canvasToDOM(net.getPositions([id])[id]);
          const box = document.querySelector('#graph-canvas').getBoundingClientRect();
          return {x: box.left + p.x, y: box.top + p.y};
        }""",
        node,
    )
    return point


def _click_node(page: Page, node: str) -> None:
    point = _node_point(page, node)
    page.mouse.click(point["x"], point["y"])


#: How many of vis-network's tooltips are shown.
_SHOWN_TIPS = "tips => tips.filter(t => getComputedStyle(t).visibility === 'visible').length"


def _download(page: Page, selector: str, target: Path) -> Path:
    with page.expect_download() as download:
        page.click(selector)
    download.value.save_as(target)
    return target


def test_canvas_draws_the_nodes(page: Page, server: LiveServer) -> None:
    _open(page, server)
    painted = page.evaluate(
        """() => {
          const c = document.querySelector('#graph-canvas canvas');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n;
        }"""
    )
    assert _count(page) == 10
    assert painted > 1000


def test_clicking_a_node_opens_its_panel(page: Page, server: LiveServer) -> None:
    _open(page, server, "?focus=person/alice")
    _click_node(page, ALICE)
    assert page.text_content("#graph-details .node-title") == "Alice Example"
    assert page.get_attribute("#graph-details a", "href") == "/id/person/alice"
    facts = page.locator("#graph-details .facts")
    expect(facts).to_contain_text("Importance (PageRank)")
    assert (facts.text_content() or "").count("A. Example") == 1  # once, as another name


def test_an_edge_and_a_hop_read_as_their_source_states_them(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/graph?from=person/bob&to=org/agency")
    page.wait_for_selector("#graph-canvas[data-highlighted='3']")
    hops = page.locator("#path-list .hop-title").all_text_contents()
    assert hops
    assert all(" · " in hop and ": " in hop and "→" not in hop for hop in hops)


def test_a_tap_on_a_phone_brings_the_details_below_the_drawing_into_sight(
    page: Page, server: LiveServer
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    _open(page, server, "?focus=person/alice")
    # The drawing fills the bottom of the screen; the panel under it is out of sight.
    page.locator("#graph-canvas").evaluate("canvas => canvas.scrollIntoView({block: 'end'})")
    _click_node(page, ALICE)
    title = page.locator("#graph-details .node-title")
    expect(title).to_have_text("Alice Example")
    expect(title).to_be_in_viewport(ratio=1)


def test_a_tap_on_a_touch_screen_leaves_no_tooltip_over_the_drawing(
    browser: Browser, page: Page, server: LiveServer
) -> None:
    """A tap showed the node's tooltip too, which stayed over the drawing until the
    next tap; the details panel already says what was tapped. A mouse still hovers."""
    _open(page, server, "?focus=person/alice")
    point = _node_point(page, ALICE)
    page.mouse.move(point["x"], point["y"])
    expect(page.locator("div.vis-tooltip")).to_be_visible()
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    tapping = phone.new_page()
    try:
        _open(tapping, server, "?focus=person/alice")
        point = _node_point(tapping, ALICE)
        tapping.touchscreen.tap(point["x"], point["y"])
        expect(tapping.locator("#graph-details .node-title")).to_have_text("Alice Example")
        tapping.wait_for_timeout(600)  # four times the tooltip's delay
        assert tapping.locator("div.vis-tooltip").evaluate_all(_SHOWN_TIPS) == 0
    finally:
        phone.close()


def test_path_view_highlights_the_path_and_shows_evidence(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/graph?from=person/bob&to=org/agency")
    page.wait_for_selector("#graph-canvas[data-highlighted='3']")
    assert "Example Report" in (page.text_content("#path-list") or "")
    assert "section 3" in (page.text_content("#path-list") or "")


def test_class_filter_changes_the_visible_node_count(page: Page, server: LiveServer) -> None:
    _open(page, server)
    page.click("#graph-form .more-options summary")  # the filters are folded away at first
    page.check("input[name='classes'][value$='#Person']")
    page.click("#graph-form button[type='submit']")
    page.wait_for_url("**classes=*")
    page.wait_for_selector("#graph-canvas[data-stabilized='true']")
    assert _count(page) == 4


def test_hostile_label_shows_as_text(page: Page, server: LiveServer, watch: Watch) -> None:
    _open(page, server, f"?focus={MALLORY}")
    _click_node(page, MALLORY)
    title = page.text_content("#graph-details .node-title")
    assert title is not None
    assert title.startswith('<img src=x onerror="window.__pwned=1">')
    assert page.query_selector("#graph-details img") is None
    assert page.evaluate("window.__pwned") is None
    assert watch.dialogs == []


def test_png_export_downloads_an_image(page: Page, server: LiveServer, tmp_path: Path) -> None:
    _open(page, server)
    saved = _download(page, "#export-png", tmp_path / "view.png")
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert saved.stat().st_size > 1000


def test_no_request_leaves_the_server(page: Page, server: LiveServer, watch: Watch) -> None:
    _open(page, server, f"?focus={AGENCY}&depth=2&colour=community&size=pagerank")
    _click_node(page, AGENCY)
    page.wait_for_selector("#graph-details dd >> text=0.")
    assert len(watch.requests) > 5
    assert [u for u in watch.requests if not u.startswith(server.url)] == []


def test_exported_html_draws_offline(page: Page, server: LiveServer, tmp_path: Path) -> None:
    _open(page, server)
    saved = _download(page, "#export-html", tmp_path / "view.html")
    page.context.route("http*://**", lambda route: route.abort())
    page.goto(saved.as_uri())
    page.wait_for_selector("#graph-canvas[data-stabilized='true']")
    assert _count(page) == 10


def test_bundled_graph_renders_and_paths_show_evidence(page: Page, live_server: LiveServer) -> None:
    page.goto(
        f"{live_server.url}/graph?from=person/patrick-atwater&to=org/code-for-america&max_hops=2"
    )
    page.wait_for_selector("#graph-canvas[data-highlighted='3']")
    paths = page.text_content("#path-list") or ""
    assert "Code for America" in paths
    assert "confidence" in paths


def _cut_labels(page: Page) -> list[str]:
    """The drawn labels that reach past the canvas's sides."""
    found: list[str] = page.evaluate(
        """() => {
          const view = window.civicgraph.view, net = view.network;
          const width = document.querySelector('#graph-canvas').clientWidth;
          return view.nodes.get().filter(n => n.label).filter(n => {
            const box = net.getBoundingBox(n.id);
            const left = net.canvasToDOM({x: box.left, y: box.top}).x;
            const right = net.canvasToDOM({x: box.right, y: box.bottom}).x;
            return left < 0 || right > width;
          }).map(n => n.label);
        }"""
    )
    return found


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_view_shows_its_labels_whole(page: Page, live_server: LiveServer, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    for focus in ("org/code-for-america", "person/patrick-atwater&depth=2", "org/18f"):
        _open(page, live_server, f"?focus={focus}")
        assert _count(page) > 5
        assert _cut_labels(page) == [], focus


def test_the_wheel_scrolls_the_page_past_the_drawing_and_zooms_it_with_ctrl(
    page: Page, server: LiveServer
) -> None:
    """A reader scrolling down the page with the pointer on the drawing scrolls the
    page, and a note says how to zoom; with Ctrl held, the wheel zooms the drawing and
    the page stays where it is."""
    page.set_viewport_size({"width": 1280, "height": 700})
    _open(page, server)
    scale = "window.civicgraph.view.network.getScale()"
    before = page.evaluate(scale)
    box = page.locator("#graph-canvas").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20)
    page.mouse.wheel(0, 200)
    page.wait_for_function("window.scrollY > 0")
    expect(page.locator("#graph-canvas .graph-hint")).to_be_visible()
    assert page.evaluate(scale) == before
    scrolled = _settled_scroll(page)
    box = page.locator("#graph-canvas").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    page.wait_for_function(f"{scale} !== {before}")
    assert _settled_scroll(page) == scrolled


def _settled_scroll(page: Page) -> float:
    """The page's scroll position once a smooth scroll has ended."""
    last = None
    while (now := page.evaluate("window.scrollY")) != last:
        last = now
        page.wait_for_timeout(150)
    return float(now)
