"""The researcher's experience in Chromium, at desktop (1280 px) and phone (390 px) sizes:
layouts, the typeahead, readable and stable networks, exports and safe links."""

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from tests.browser.conftest import TIMEOUT_MS, Watch, serve_files
from tests.browser.layout import edge_brightness, sideways_overflow
from tests.live import LiveServer
from tests.test_network import FIXTURE

pytestmark = [pytest.mark.browser, pytest.mark.server]
HOSTILE_LINKS = Path(__file__).resolve().parent.parent / "data" / "hostile-links.ttl"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: Every kind of page, over the bundled data.
PAGES = [
    "/",
    "/search?q=code",
    "/id/org/code-for-america",
    "/id/person/patrick-atwater",
    "/id/document/bloomberg-2011-pahlka",  # a long web address as a value
    "/id/person/jennifer-palka-of-code-for-america",  # a not-found page names the address
    "/ontology",
    "/gallery",
    "/gallery/07-roles-in-an-organization",
    "/export",
    "/browse",
    "/query?query=" + quote("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 60"),
    "/graph",
    "/graph?focus=person/patrick-atwater&depth=2",
    "/graph?from=person/patrick-atwater&to=org/code-for-america&max_hops=4",
    # the citation of a query: its long permalink as a link
    "/cite?url=" + quote("/query?query=" + quote("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 60")),
]


@pytest.fixture
def phone(browser: Browser, watch: Watch) -> Iterator[Page]:
    """A page the size of a phone (390 px wide), touch-enabled."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    opened.on("request", lambda request: watch.requests.append(request.url))
    yield opened
    context.close()
    assert watch.foreign_requests == []


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The network fixture plus entities whose IRIs must never become links."""
    live = serve_files(tmp_path_factory.mktemp("hostile-links"), FIXTURE, HOSTILE_LINKS)
    yield live
    live.stop()


def _settled(page: Page, selector: str = "#graph-canvas") -> None:
    page.wait_for_selector(f"{selector}[data-stabilized='true']", timeout=30_000)


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(
    phone: Page, live_server: LiveServer, path: str
) -> None:
    phone.goto(live_server.url + path)
    phone.wait_for_load_state("networkidle")
    assert sideways_overflow(phone) <= 0, path


def test_the_site_links_sit_in_two_even_rows_on_a_phone(
    phone: Page, live_server: LiveServer
) -> None:
    phone.goto(live_server.url + "/browse")
    tops = phone.locator("header.site nav a").evaluate_all(
        "links => links.map(a => Math.round(a.getBoundingClientRect().top))"
    )
    assert len(tops) == 6
    assert tops == [tops[0]] * 3 + [tops[3]] * 3
    assert tops[3] > tops[0]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_view_asked_for_is_drawn_in_sight_at_least_half_the_screen_high(
    page: Page, live_server: LiveServer, size: dict[str, int]
) -> None:
    page.set_viewport_size(size)
    page.goto(live_server.url + "/graph?focus=person/patrick-atwater")
    _settled(page)
    box = page.evaluate("document.querySelector('#graph-canvas').getBoundingClientRect().toJSON()")
    assert box["height"] >= size["height"] / 2
    assert 0 <= box["top"] < size["height"] / 2


def test_full_path_list_is_readable_on_a_phone(phone: Page, live_server: LiveServer) -> None:
    phone.goto(
        live_server.url + "/graph?from=person/patrick-atwater&to=org/code-for-america&max_hops=4"
    )
    phone.wait_for_selector("#graph-canvas[data-highlighted]")
    last = phone.locator("#path-list .hop-title").last
    last.scroll_into_view_if_needed()
    expect(last).to_be_visible()
    assert "Code for America" in (last.text_content() or "")
    box = last.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]


def test_path_number_sits_on_the_first_line_of_its_title(
    page: Page, live_server: LiveServer
) -> None:
    page.set_viewport_size({"width": 900, "height": 900})
    page.goto(
        live_server.url + "/graph?from=person/patrick-atwater&to=org/code-for-america&max_hops=4"
    )
    page.wait_for_selector("#graph-canvas[data-highlighted]")
    item = page.locator("#path-list > li").first
    title = item.locator(".path-title")
    item_top = item.evaluate("li => li.getBoundingClientRect().top")
    title_top = title.evaluate("b => b.getBoundingClientRect().top")
    assert abs(item_top - title_top) < 4


def test_paths_avoid_documents_by_default(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/graph?from=person/patrick-atwater&to=org/code-for-america")
    page.wait_for_selector("#graph-canvas[data-highlighted]")
    groups = page.evaluate(
        "Array.from(window.civicgraph.view.byId.values()).map(n => n.groupLabel)"
    )
    assert "Document" not in groups


def test_layout_is_the_same_on_reload(page: Page, live_server: LiveServer) -> None:
    positions = []
    for _ in range(2):
        page.goto(live_server.url + "/graph?focus=org/code-for-america")
        _settled(page)
        positions.append(page.evaluate("window.civicgraph.view.network.getPositions()"))
    assert positions[0] == positions[1]
    assert len(positions[0]) > 3


def test_hubs_are_labelled_and_counts_shown(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/graph")
    _settled(page)
    counts = page.text_content("#graph-counts") or ""
    nodes = page.evaluate("window.civicgraph.view.nodes.get()")
    edges = page.evaluate("window.civicgraph.view.edges.length")
    assert f"{len(nodes)} nodes" in counts
    assert f"{edges} edges" in counts
    labelled = [n for n in nodes if n["label"]]
    assert 0 < len(labelled) < len(nodes)


def test_a_small_view_labels_every_node(page: Page, live_server: LiveServer) -> None:
    """An entity's neighbours are what its view is read for: none is left nameless."""
    page.goto(live_server.url + "/graph?focus=person/patrick-atwater&depth=2")
    _settled(page)
    nodes = page.evaluate("window.civicgraph.view.nodes.get()")
    assert 15 < len(nodes) <= 30
    assert all(n["label"] for n in nodes)


_LABEL_OVERLAPS = """moved => {
  const v = window.civicgraph.view;
  const boxes = v.named.filter(id => v.nodes.get(id).label).map(id => {
    const s = v.network.body.nodes[id].labelModule.size;
    const dy = moved ? ((v.nodes.get(id).font || {}).vadjust || 0) : 0;
    return {left: s.left, right: s.left + s.width, top: s.top + dy,
            bottom: s.top + s.height + dy};
  });
  const hit = (a, b) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  return boxes.flatMap((a, i) => boxes.slice(i + 1).filter(b => hit(a, b))).length;
}"""


def test_names_that_would_cover_one_another_are_moved(page: Page, live_server: LiveServer) -> None:
    """Long names side by side were drawn over each other: a label with no room below
    its node goes above it, so fewer names cover others than if all were below."""
    page.goto(live_server.url + "/graph?focus=org/code-for-america")
    _settled(page)
    all_below = page.evaluate(_LABEL_OVERLAPS, False)
    assert all_below > 0
    assert page.evaluate(_LABEL_OVERLAPS, True) < all_below


def test_an_empty_drawing_says_why(page: Page, live_server: LiveServer) -> None:
    """Five hops apart, two people have no path within four: the box said nothing."""
    page.goto(live_server.url + "/graph?from=Luke+Fretwell&to=Jennifer+Pahlka")
    _settled(page)
    expect(page.locator("#graph-canvas .graph-empty")).to_contain_text("No path to draw")
    page.goto(live_server.url + "/graph?focus=person/patrick-atwater")
    _settled(page)
    expect(page.locator("#graph-canvas .graph-empty")).to_have_count(0)


def test_legend_colours_match_the_drawing(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/graph?focus=org/code-for-america")
    _settled(page)
    legend = page.evaluate(
        """Array.from(document.querySelectorAll('#graph-legend li')).map(li =>
             [li.textContent, getComputedStyle(li.querySelector('.swatch')).backgroundColor])"""
    )
    drawn = page.evaluate(
        "Array.from(window.civicgraph.view.byId.values()).map(n => [n.legend, n.colour])"
    )
    assert {name for name, _ in legend} == {name for name, _ in drawn}
    person = dict(drawn)["Person"]
    entity_page = page.context.new_page()
    entity_page.goto(live_server.url + "/id/org/code-for-america")
    _settled(entity_page, "#ego-network")
    ego = entity_page.evaluate(
        """Array.from(document.querySelectorAll('#ego-legend li')).map(li => li.textContent)"""
    )
    assert "Person" in ego
    assert person.startswith("#")


def test_png_and_svg_exports_carry_title_legend_and_labels(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    page.goto(live_server.url + "/graph?focus=org/code-for-america")
    _settled(page)
    with page.expect_download() as png:
        page.click("#export-png")
    assert png.value.suggested_filename.endswith(".png")
    png.value.save_as(tmp_path / "view.png")
    assert (tmp_path / "view.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as svg:
        page.click("#export-svg")
    svg.value.save_as(tmp_path / "view.svg")
    text = (tmp_path / "view.svg").read_text()
    assert text.startswith("<?xml")
    assert "Network around Code for America" in text
    assert "Person" in text
    assert "<circle" in text
    assert ">Code for America<" in text
    # A name moved above its node on the screen is above it in the SVG too.
    moved = page.evaluate(
        """window.civicgraph.view.nodes.get()
             .filter(n => n.font && n.font.vadjust < 0).map(n => n.label)"""
    )
    assert moved
    for label in moved:
        drawn = re.search(
            rf'cy="([-\d.]+)"[^>]*><title>[^<]*</title></circle><text [^>]*y="([-\d.]+)"[^>]*>'
            rf"{re.escape(html.escape(label, quote=False))}<",
            text,
        )
        assert drawn is not None, label
        assert float(drawn.group(2)) < float(drawn.group(1))


def test_the_drawing_starts_in_sight_with_the_settings_folded_until_used(
    page: Page, live_server: LiveServer
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/graph")
    _settled(page)
    assert page.locator("#graph-canvas").bounding_box()["y"] < 900 - 300  # type: ignore[index]
    more = page.locator("#graph-form .more-options")
    expect(more).not_to_have_attribute("open", "")
    expect(page.locator("input[name='classes']").first).to_be_hidden()
    page.goto(live_server.url + "/graph?colour=community")
    expect(more).to_have_attribute("open", "")
    expect(more.locator("summary")).to_contain_text("1 set")
    # What the form itself sends: the defaults, and boxes left empty, are not settings.
    page.goto(live_server.url + "/graph?colour=class&method=greedy&overflow=class&size=&as_of=")
    expect(more).not_to_have_attribute("open", "")
    expect(more.locator("summary")).not_to_contain_text("set)")


def test_a_name_nothing_resembles_offers_a_search(page: Page, live_server: LiveServer) -> None:
    """Not a dead end: the error links the search page for the name."""
    page.goto(live_server.url + "/graph?focus=nobody+xyz")
    error = page.locator("#graph-error")
    expect(error).to_contain_text("No entity is named 'nobody xyz'")
    error.get_by_role("link", name="Search for names holding it").click()
    page.wait_for_url("**/search?q=nobody+xyz")


def test_a_misspelt_name_offers_the_entities_it_may_mean_as_links(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/graph?focus=code+for+amerika")
    error = page.locator("#graph-error")
    expect(error).to_contain_text("No entity is named 'code for amerika'")
    expect(page.locator("#graph-layout")).to_be_hidden()  # no empty drawing beside it
    error.get_by_role("link", name="Code for America", exact=True).click()
    page.wait_for_url("**focus=https*code-for-america*")
    _settled(page)
    expect(page.locator("#graph-layout")).to_be_visible()
    expect(page.locator("#graph-form input[name='focus']")).to_have_value("Code for America")


def test_the_home_pages_big_search_box_suggests_too(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    box = page.locator("#home-search")
    box.fill("code for")
    options = page.locator(f"#{box.get_attribute('aria-controls')} [role='option']")
    expect(options.first).to_be_visible()
    options.filter(has_text="Code for America").first.click()
    page.wait_for_url("**/id/**")


def test_entity_boxes_show_labels_and_offer_choices(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/graph?focus=person/patrick-atwater")
    _settled(page)
    focus = page.locator("#graph-form input[name='focus']")
    expect(focus).to_have_value("Patrick Atwater")
    focus.fill("code for")
    options = page.locator("#graph-form [role='option']")
    expect(options.first).to_be_visible()
    expect(focus).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    first = options.first.get_attribute("id") or ""
    expect(focus).to_have_attribute("aria-activedescendant", first)
    page.keyboard.press("Escape")
    expect(focus).to_have_attribute("aria-expanded", "false")
    focus.fill("code for america")
    options.filter(has_text="Nonprofit").first.click()  # the choice shows it at once
    page.wait_for_url("**focus=https*")  # the old page's URL has a focus too
    _settled(page)
    expect(focus).to_have_value("Code for America")


def _choose_with_keys(page: Page, name: str, text: str) -> None:
    box = page.locator(f"#graph-form input[name='{name}']")
    box.fill(text)
    options = page.locator(f"#{box.get_attribute('aria-controls')} [role='option']")
    expect(options.first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(box).to_have_value(text)


def test_one_enter_shows_a_choice_once_its_part_of_the_form_is_complete(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/graph")
    _settled(page)
    _choose_with_keys(page, "from", "Luke Fretwell")
    page.wait_for_timeout(300)
    assert "from=" not in page.url  # a path needs its other end first
    _choose_with_keys(page, "to", "Jennifer Pahlka")
    page.wait_for_url("**to=https*")
    assert "from=https" in page.url
    _settled(page)
    _choose_with_keys(page, "focus", "Code for America")
    page.wait_for_url("**focus=https*")


def test_hostile_iris_never_become_links(
    page: Page, hostile_server: LiveServer, watch: Watch
) -> None:
    query = "SELECT ?s ?o WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#seeAlso> ?o }"
    page.goto(hostile_server.url + "/query?query=" + quote(query))
    expect(page.locator(".results-table tbody tr")).to_have_count(1)
    expect(page.locator(".results-table")).to_contain_text("javascript:window.__pwned=1")
    assert page.locator(".results-table a[href^='javascript']").count() == 0
    page.goto(hostile_server.url + "/graph?focus=person/eve")
    _settled(page)
    edge = page.evaluate(
        """() => Array.from(window.civicgraph.view.edgeById.values())
             .find(e => e.evidence.some(ev =>
               ev.sources.some(s => s.iri.startsWith('javascript:')))).id"""
    )
    page.evaluate(
        "id => window.civicgraph.view.network.body.emitter.emit('click', {nodes: [], edges: [id]})",
        edge,
    )
    expect(page.locator("#graph-details .evidence li")).to_have_count(1)
    assert page.locator("a[href^='javascript']").count() == 0
    unsafe = page.evaluate(
        """async () => {
          const { safeHref } = await import('/static/links.js');
          return ['javascript:alert(1)', ' JaVa\\tScRiPt:alert(1)', 'data:text/html,x',
                  'vbscript:x', 'https://example.org/', '/id/person/eve']
            .map(v => safeHref(v));
        }"""
    )
    assert unsafe == [None, None, None, None, "https://example.org/", "/id/person/eve"]
    assert page.evaluate("window.__pwned") is None
    assert watch.dialogs == []


def test_query_error_names_the_prefix_and_adds_it(page: Page, workbench_server: LiveServer) -> None:
    query = "SELECT ?name WHERE { ?p foaf:name ?name }"
    page.goto(workbench_server.url + "/query?query=" + quote(query))
    error = page.locator("#query-error")
    expect(error).to_contain_text("unknown prefix foaf:")
    assert "\\u{" not in (error.text_content() or "")
    page.get_by_role("button", name="Add PREFIX foaf: and run again").click()
    expect(page.locator("#query-status")).to_contain_text("ms")
    assert "PREFIX foaf: <http://xmlns.com/foaf/0.1/>" in page.evaluate(
        "document.querySelector('.CodeMirror').CodeMirror.getValue()"
    )


def _hold_completions(page: Page) -> list[Route]:
    """Keep the editor's completions from arriving until the test lets them go, to click first."""
    held: list[Route] = []

    def hold(route: Route) -> None:  # a bound builtin is not accepted as a route handler
        held.append(route)

    page.route("**/query/completions*", hold)
    return held


def test_prefix_fix_works_before_the_completions_arrive(
    page: Page, workbench_server: LiveServer
) -> None:
    held = _hold_completions(page)
    query = "SELECT ?name WHERE { ?p foaf:name ?name }"
    page.goto(workbench_server.url + "/query?query=" + quote(query))
    page.get_by_role("button", name="Add PREFIX foaf: and run again").click()
    assert len(held) == 1
    editor_text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert editor_text.startswith("PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n")
    held[0].continue_()
    expect(page.locator("#query-status")).to_contain_text("ms")


def test_add_missing_prefixes_waits_for_the_completions(
    page: Page, workbench_server: LiveServer
) -> None:
    held = _hold_completions(page)
    page.goto(workbench_server.url + "/query?query=" + quote("SELECT * WHERE { ?p foaf:name ?n }"))
    page.get_by_role("button", name="Add missing prefixes").click()
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator(".CodeMirror")).to_contain_text("PREFIX foaf: <http://xmlns.com/foaf/0.1/>")


def test_query_error_names_a_misspelt_keyword(page: Page, workbench_server: LiveServer) -> None:
    page.goto(workbench_server.url + "/query?query=" + quote("SELEKT * WHERE { ?s ?p ?o }"))
    expect(page.locator("#query-error")).to_contain_text("unknown keyword SELEKT")


def test_unknown_ontology_term_is_flagged(page: Page, workbench_server: LiveServer) -> None:
    query = (
        "PREFIX civ: <https://w3id.org/civicgraph/ontology#>\nSELECT ?p WHERE { ?p a civ:Persn }"
    )
    page.goto(workbench_server.url + "/query?query=" + quote(query))
    warning = page.locator("#query-warnings")
    expect(warning).to_contain_text("civ:Persn")
    expect(warning).to_contain_text("civ:Person")
    page.get_by_role("button", name="Use civ:Person").click()
    expect(warning).to_be_hidden()


def _warnings_of(page: Page, server: LiveServer, query: str) -> Locator:
    """The editor's notes on ``query``, opened with the ontology's prefix declared."""
    civ = "PREFIX civ: <https://w3id.org/civicgraph/ontology#>\n"
    page.goto(server.url + "/query?query=" + quote(civ + query))
    return page.locator("#query-warnings")


def test_a_standard_term_the_data_does_not_state_is_noted_and_replaced(
    page: Page, workbench_server: LiveServer
) -> None:
    """`org:member` found nothing, and the only note was on another line: the data
    states civ:member below it, and no inference runs."""
    query = (
        "PREFIX org: <http://www.w3.org/ns/org#>\n"
        "SELECT ?m ?p WHERE { ?m org:member ?p ; org:memberOf ?x }"
    )
    warning = _warnings_of(page, workbench_server, query)
    expect(warning).to_contain_text("org:member is a standard term the data does not state")
    page.get_by_role("button", name="Use civ:member").click()
    editor = page.locator(".CodeMirror")
    expect(editor).to_contain_text("?m civ:member ?p ; org:memberOf ?x")


def test_a_term_only_in_a_construct_template_is_not_said_to_match_nothing(
    page: Page, workbench_server: LiveServer
) -> None:
    """A term the query only builds matches nothing because it matches nothing at all."""
    query = "CONSTRUCT { ?p civ:heldRole ?m } WHERE { ?m civ:member ?p }"
    warning = _warnings_of(page, workbench_server, query)
    expect(warning).to_contain_text("civ:heldRole is not defined in the ontology: the triples")
    expect(warning).not_to_contain_text("matches nothing")


def test_add_missing_prefixes_is_offered_only_when_one_is_missing(
    page: Page, workbench_server: LiveServer
) -> None:
    query = "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nSELECT * WHERE { ?p foaf:name ?n }"
    page.goto(workbench_server.url + "/query?query=" + quote(query))
    button = page.get_by_role("button", name="Add missing prefixes")
    expect(button).to_be_disabled()
    page.locator(".CodeMirror").evaluate(
        "cm => cm.CodeMirror.setValue('SELECT * { ?p foaf:name ?n }')"
    )
    expect(button).to_be_enabled()


def test_a_phone_is_not_told_of_keys_it_lacks(phone: Page, workbench_server: LiveServer) -> None:
    phone.goto(workbench_server.url + "/query")
    expect(phone.locator("label[for='query-text'] .keys")).to_be_hidden()


def test_a_class_with_narrower_classes_is_noted_and_widened(
    page: Page, workbench_server: LiveServer
) -> None:
    """`a civ:Organization` matched 13 of 65 organizations, without a word: the others
    are typed by a narrower class (a nonprofit, an agency)."""
    warning = _warnings_of(page, workbench_server, "SELECT ?o WHERE { ?o a civ:Organization }")
    expect(warning).to_contain_text("not its narrower classes (")
    expect(warning).to_contain_text("Nonprofit")
    page.get_by_role("button", name="Include narrower classes").click()
    editor = page.locator(".CodeMirror")
    expect(editor).to_contain_text("?o a/rdfs:subClassOf* civ:Organization")
    expect(editor).to_contain_text("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>")
    expect(warning).to_be_hidden()


def test_editor_focuses_when_its_empty_part_is_clicked(
    page: Page, workbench_server: LiveServer
) -> None:
    page.goto(workbench_server.url + "/query")
    box = page.locator(".CodeMirror").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 5)
    assert page.evaluate("document.querySelector('.CodeMirror').CodeMirror.hasFocus()")


def test_history_keeps_recent_queries(page: Page, workbench_server: LiveServer) -> None:
    page.goto(workbench_server.url + "/gallery/06-founders/open")
    expect(page.locator("#query-status")).to_contain_text("ms")
    page.goto(workbench_server.url + "/query")
    page.locator(".history summary").click()
    entry = page.locator("#history-entries button").first
    expect(entry).to_be_visible()
    entry.click()
    expect(page.locator(".results-table tbody tr")).to_have_count(1)


def test_results_show_curies_once_and_count_triples(
    page: Page, workbench_server: LiveServer
) -> None:
    page.goto(workbench_server.url + "/gallery/06-founders/open")
    expect(page.locator(".results-table tbody tr")).to_have_count(1)
    headers = page.locator(".results-table th").all_text_contents()
    assert not any(h.lower().endswith("label") for h in headers)
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    query = f"CONSTRUCT {{ ?s {label} ?l }} WHERE {{ ?s {label} ?l }} LIMIT 3"
    page.goto(workbench_server.url + "/query?query=" + quote(query))
    expect(page.locator("#query-status")).to_contain_text("3 triples")
    expect(page.locator(".results-table tbody tr").first).to_contain_text("rdfs:label")
    word_break = page.evaluate(
        "getComputedStyle(document.querySelector('.results-table td')).wordBreak"
    )
    assert word_break == "normal"


def test_a_yes_or_no_query_answers_in_words_and_an_empty_one_says_what_to_try(
    page: Page, workbench_server: LiveServer
) -> None:
    """Both showed a bare table: one cell saying "true", or a header over nothing."""
    page.goto(workbench_server.url + "/query?query=" + quote("ASK { ?s ?p ?o }"))
    expect(page.locator("#ask-answer")).to_have_text(
        "Yes: the data holds at least one match for the pattern."
    )
    expect(page.locator(".results-table")).to_have_count(0)
    nothing = "SELECT ?s WHERE { ?s a <https://w3id.org/civicgraph/ontology#Nothing> }"
    page.goto(workbench_server.url + "/query?query=" + quote(nothing))
    advice = page.locator("#no-rows")
    expect(advice).to_contain_text("nothing in the data matches every pattern")
    expect(advice.get_by_role("link", name="ontology")).to_have_attribute("href", "/ontology")
    expect(page.locator(".results-table")).to_have_count(0)
    expect(page.locator("#ask-answer")).to_be_hidden()
    page.goto(workbench_server.url + "/query?query=" + quote("ASK { ?s a <urn:x:none> }"))
    expect(page.locator("#ask-answer")).to_have_text("No: nothing in the data matches the pattern.")
    expect(advice).to_be_hidden()


def test_downloads_are_named_after_the_query(page: Page, workbench_server: LiveServer) -> None:
    page.goto(workbench_server.url + "/gallery/06-founders/open")
    expect(page.locator("#query-status")).to_contain_text("ms")
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV", exact=True).click()
    assert download.value.suggested_filename != "civicgraph-query.csv"
    assert download.value.suggested_filename.endswith(".csv")
    assert "found" in download.value.suggested_filename


def test_unlabelled_nodes_show_their_label_on_hover(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/graph")
    _settled(page)
    quiet = page.evaluate("window.civicgraph.view.nodes.get().find(n => n.label === '').id")
    page.evaluate(
        "id => { window.civicgraph.view.network.body.emitter.emit('hoverNode', {node: id}); }",
        quiet,
    )
    shown = page.evaluate("id => window.civicgraph.view.nodes.get(id).label", quiet)
    full = page.evaluate("id => window.civicgraph.view.byId.get(id).label", quiet)
    assert shown
    assert full.startswith(shown.rstrip("…"))
    page.evaluate(
        "id => { window.civicgraph.view.network.body.emitter.emit('blurNode', {node: id}); }", quiet
    )
    assert page.evaluate("id => window.civicgraph.view.nodes.get(id).label", quiet) == ""


def test_a_class_list_comes_before_its_filters_on_a_phone(
    phone: Page, live_server: LiveServer
) -> None:
    """The first person sat 1,200 px down, below every filter."""
    phone.goto(live_server.url + "/browse/Person")
    first = phone.locator("ol.hits li").first.bounding_box()
    filters = phone.locator("nav.facets").bounding_box()
    assert first is not None
    assert filters is not None
    assert first["y"] < 400 < filters["y"]
    expect(phone.get_by_role("link", name="Narrow the list")).to_be_visible()


def test_names_in_an_entity_table_are_not_split_on_a_phone(
    phone: Page, live_server: LiveServer
) -> None:
    phone.goto(live_server.url + "/id/org/code-for-america")
    name = phone.locator("table.memberships td a", has_text="Christopher Whitaker")
    lines = name.evaluate("a => a.getClientRects().length")
    assert lines == 1
    label = phone.locator("table.memberships td").first.evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert label == '"Member: "'


def test_every_column_of_a_result_of_long_iris_starts_on_a_phone_screen(
    phone: Page, live_server: LiveServer
) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20"  # statements: long IRIs, no label
    phone.goto(live_server.url + "/query?query=" + quote(query))
    expect(phone.locator(".results-table tbody tr")).to_have_count(20)
    starts = phone.locator(".results-table th").evaluate_all(
        "cells => cells.map(c => c.getBoundingClientRect().left)"
    )
    assert len(starts) == 3
    assert max(starts) < PHONE["width"] - 40


def test_a_path_past_the_hop_limit_offers_to_search_further(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(
        live_server.url + "/graph?from=person/patrick-atwater&to=org/code-for-america&max_hops=1"
    )
    empty = page.locator("#path-list li.empty")
    expect(empty).to_contain_text("No path within 1 hop; the shortest takes 2.")
    empty.get_by_role("button", name="Search up to 2 hops").click()
    page.wait_for_selector("#graph-canvas[data-highlighted]")
    assert "max_hops=2" in page.url
    expect(page.locator("#path-list .path-title").first).to_be_visible()


def test_a_view_on_a_day_says_what_it_draws_without_a_date(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/graph?focus=org/code-for-america&as_of=2015-01-01")
    _settled(page)
    expect(page.locator("#graph-notice")).to_contain_text("no date on record")
    page.goto(live_server.url + "/graph?focus=org/code-for-america&as_of=2015-01-01&undated=hide")
    _settled(page)
    expect(page.locator("#graph-notice")).to_be_hidden()


def test_a_result_wider_than_a_phone_shades_the_side_it_has_more_on(
    phone: Page, live_server: LiveServer
) -> None:
    """A table that scrolls sideways gave no sign of its hidden columns on a phone."""
    binds = " ".join(f'BIND("value of column {n}" AS ?c{n})' for n in range(5))
    query = (
        f"SELECT * WHERE {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l {binds} }} LIMIT 3"
    )
    phone.goto(live_server.url + "/query?query=" + quote(query))
    table = phone.locator(".results-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    table.scroll_into_view_if_needed()
    assert table.evaluate("t => t.scrollWidth > t.clientWidth + 100")
    left, right = edge_brightness(phone, table)
    assert right < left - 15, (left, right)  # more to the right: a shadow there only
    table.evaluate("t => { t.scrollLeft = t.scrollWidth; }")
    left, right = edge_brightness(phone, table)
    assert left < right - 15, (left, right)  # the end: the shadow moved to the left


def test_sort_buttons_are_big_enough_to_tap_on_a_phone(
    phone: Page, live_server: LiveServer
) -> None:
    """A one-letter column name made a 9 px wide button; 24 px is the least a finger hits."""
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 5"
    phone.goto(live_server.url + "/query?query=" + quote(query))
    expect(phone.locator(".results-table tbody tr")).to_have_count(5)
    boxes = [b.bounding_box() for b in phone.locator(".results-table th button.sort").all()]
    assert len(boxes) == 3
    assert all(b is not None and b["width"] >= 24 and b["height"] >= 24 for b in boxes), boxes


def test_an_entity_with_nothing_to_draw_says_so_instead_of_a_blank(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/id/document/bloomberg-2011-pahlka")
    expect(page.locator("#ego-counts")).to_contain_text("No relation in the network to draw")
    expect(page.locator("#ego-network")).to_be_hidden()


@pytest.mark.parametrize(
    ("path", "selector"),
    [
        ("/graph?focus=org/code-for-america", "#graph-canvas"),
        ("/id/org/code-for-america", "#ego-network"),
    ],
)
def test_a_swipe_over_a_drawing_scrolls_the_page_on_a_phone(
    phone: Page, live_server: LiveServer, path: str, selector: str
) -> None:
    """The drawings fill most of a phone's screen, and a swipe over one did nothing."""
    phone.goto(live_server.url + path)
    _settled(phone, selector)
    drawing = phone.locator(selector)
    drawing.scroll_into_view_if_needed()
    box = drawing.bounding_box()
    assert box is not None
    before = phone.evaluate("scrollY")
    touch = phone.context.new_cdp_session(phone)
    # A finger drawn down over the drawing: the page scrolls back up (it may be at its
    # end already, and then could not scroll on).
    top = max(box["y"], 0) + 10
    x, start, end = box["x"] + box["width"] / 2, top, top + 300
    touch.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": start}]}
    )
    for step in range(1, 11):
        y = start + (end - start) * step / 10
        touch.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    for _ in range(50):  # the page's policy refuses a predicate evaluated as text
        if phone.evaluate("scrollY") < before - 100:
            return
        phone.wait_for_timeout(100)
    raise AssertionError(f"the page stayed at {phone.evaluate('scrollY')} after a swipe")


#: Targets that stand alone, not in running text: a cell's links, the lists of formats,
#: the claim after each piece of evidence, an entity's types, check boxes.
STANDALONE = "td a, .formats a, a.claim, .types .type, input[type=checkbox]"


@pytest.mark.parametrize(
    "path",
    ["/export", "/versions", "/id/document/roundup-2019", "/graph?focus=org/code-for-america"],
)
def test_targets_that_stand_alone_are_24_px_each_way_on_a_phone(
    phone: Page, live_server: LiveServer, path: str
) -> None:
    phone.goto(live_server.url + path)
    phone.wait_for_load_state("networkidle")
    sizes = phone.eval_on_selector_all(
        STANDALONE,
        """found => found.map(e => e.getBoundingClientRect())
            .filter(r => r.width > 0).map(r => [r.width, r.height])""",
    )
    assert sizes, path
    assert [s for s in sizes if min(s) < 24] == [], path
