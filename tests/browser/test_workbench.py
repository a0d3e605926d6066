"""The researcher workbench in a real browser, over the workbench fixtures."""

import csv
import io
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

import pytest
from playwright.sync_api import Page, expect
from rdflib import Graph, URIRef

from civicgraph.store import EmbeddedStore
from tests.browser.conftest import Watch
from tests.conftest import load_workbench
from tests.live import LiveServer

pytestmark = pytest.mark.browser
CFE = "https://w3id.org/civicgraph/id/org/code-for-example"
FOUNDERS = "/gallery/06-founders/open"
NETWORK = "/gallery/16-network-around-an-entity/open?entity=" + quote(CFE, safe="")


def run_example(page: Page, server: LiveServer, path: str) -> None:
    """Open an example in the editor; the page runs it and shows the rows."""
    page.goto(server.url + path)
    expect(page.locator("#query-status")).to_contain_text("ms")


def test_example_query_shows_expected_rows(
    page: Page, watch: Watch, workbench_server: LiveServer
) -> None:
    run_example(page, workbench_server, FOUNDERS)
    row = page.locator(".results-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("Code for Example")
    expect(row.first).to_contain_text("Ada Lovelace")
    expect(page.locator("#query-status")).to_contain_text("1 row")
    assert watch.console_errors == []


def test_result_iris_link_to_entity_pages_with_iri_on_hover(
    page: Page, workbench_server: LiveServer
) -> None:
    run_example(page, workbench_server, FOUNDERS)
    link = page.get_by_role("link", name="Ada Lovelace").first
    expect(link).to_have_attribute("href", "/id/person/ada-lovelace")
    expect(link).to_have_attribute("title", "https://w3id.org/civicgraph/id/person/ada-lovelace")


def type_and_run(page: Page, server: LiveServer, text: str) -> None:
    """Open the empty workbench, type ``text`` over the editor's, and run it (Ctrl+Enter)."""
    page.goto(server.url + "/query")
    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    page.keyboard.press("Control+Enter")


def test_ctrl_enter_runs_the_editor_text(page: Page, workbench_server: LiveServer) -> None:
    type_and_run(page, workbench_server, "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }")
    expect(page.locator(".results-table tbody tr")).to_have_count(3)


def test_the_result_has_a_link_of_its_own_that_loads_as_csv(
    page: Page, workbench_server: LiveServer
) -> None:
    type_and_run(page, workbench_server, "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }")
    expect(page.locator(".results-table tbody tr")).to_have_count(3)
    link = page.locator("#data-link")
    expect(link).to_be_visible()
    expect(link).to_contain_text("CSV")
    answer = page.request.get(workbench_server.url + (link.get_attribute("href") or ""))
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text().split() == ["x", "1", "2", "3"]


def test_a_link_with_a_dataset_runs_over_that_dataset(
    page: Page, workbench_server: LiveServer
) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    params = {"query": count, "default-graph-uri": "urn:civicgraph:test:empty"}
    page.goto(workbench_server.url + "/query?" + urlencode(params))
    expect(page.locator(".notice", has_text="This query runs over")).to_be_visible()
    expect(page.locator(".results-table tbody td").first).to_have_text("0")
    assert "default-graph-uri=" in (page.locator("#permalink").get_attribute("href") or "")


def test_cite_this_page_cites_the_query_just_run(page: Page, workbench_server: LiveServer) -> None:
    type_and_run(page, workbench_server, "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }")
    expect(page.locator(".results-table tbody tr")).to_have_count(3)
    cite = page.locator("#cite-link").get_attribute("href") or ""
    assert unquote(unquote(cite)).endswith("VALUES+?x+{+1+2+3+}+}")
    page.locator("#cite-link").click()
    expect(page.locator("body")).to_contain_text("VALUES")


def test_a_select_of_two_iri_columns_draws_a_network(
    page: Page, workbench_server: LiveServer
) -> None:
    type_and_run(
        page, workbench_server, "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(isIRI(?o)) } LIMIT 20"
    )
    page.locator("#show-network").click()
    expect(page.locator("#network-counts")).to_contain_text("node")


def test_parse_error_is_shown_at_its_line_and_column(
    page: Page, workbench_server: LiveServer
) -> None:
    page.goto(workbench_server.url + "/query?query=" + quote("SELECT ?x\nWHERE { ?x ?y }"))
    expect(page.locator("#query-error")).to_contain_text("Line 2, column")
    expect(page.locator(".cm-error-line")).to_have_count(1)


def test_csv_download_parses(page: Page, workbench_server: LiveServer) -> None:
    run_example(page, workbench_server, FOUNDERS)
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [(r["foundedLabel"], r["founderLabel"]) for r in rows] == [
        ("Code for Example", "Ada Lovelace")
    ]


def test_turtle_download_of_a_graph_result_parses(page: Page, workbench_server: LiveServer) -> None:
    run_example(page, workbench_server, NETWORK)
    with page.expect_download() as download:
        page.get_by_role("button", name="Turtle", exact=True).click()
    graph = Graph().parse(download.value.path(), format="turtle")
    assert (
        URIRef(CFE),
        None,
        URIRef("https://w3id.org/civicgraph/id/person/ada-lovelace"),
    ) in graph


def test_graph_result_draws_a_network(page: Page, workbench_server: LiveServer) -> None:
    run_example(page, workbench_server, NETWORK)
    page.get_by_role("button", name="Network").click()
    expect(page.locator("#network-view canvas")).to_have_count(1)


def test_table_sorts_by_a_column(page: Page, workbench_server: LiveServer) -> None:
    query = "SELECT ?n WHERE { VALUES ?n { 2 10 1 } }"
    page.goto(workbench_server.url + "/query?query=" + quote(query))
    sort = page.locator(".results-table th button")
    sort.click()
    sort.click()
    expect(page.locator(".results-table tbody td")).to_have_text(["10", "2", "1"])


def test_large_numbers_are_grouped_and_sort_by_value(
    page: Page, workbench_server: LiveServer
) -> None:
    gyear = "<http://www.w3.org/2001/XMLSchema#gYear>"
    query = f'SELECT ?n WHERE {{ VALUES ?n {{ 1711011443 -2500.5 999 "2019"^^{gyear} }} }}'
    page.goto(workbench_server.url + "/query?query=" + quote(query))
    sort = page.locator(".results-table th button")
    sort.click()
    cells = page.locator(".results-table tbody td")
    expect(cells).to_have_text(["-2,500.5", "999", "2019", "1,711,011,443"])
    expect(cells.last).to_have_attribute("title", "1711011443 · xsd:integer")


def test_table_pages_fifty_rows_at_a_time(page: Page, workbench_server: LiveServer) -> None:
    page.goto(workbench_server.url + "/query?query=" + quote("SELECT * { ?s ?p ?o }"))
    page.get_by_role("button", name="Next →").click()
    expect(page.locator(".pager span")).to_contain_text("Rows 51\u2013")


def test_follow_a_relation_to_another_entity(page: Page, workbench_server: LiveServer) -> None:
    page.goto(workbench_server.url + "/id/org/code-for-example")
    page.locator(".relations").get_by_role("link", name="Ada Lovelace").click()
    expect(page).to_have_url(workbench_server.url + "/id/person/ada-lovelace")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")


def test_entity_page_draws_its_neighbourhood(
    page: Page, watch: Watch, workbench_server: LiveServer
) -> None:
    page.goto(workbench_server.url + "/id/org/code-for-example")
    expect(page.locator("#ego-network canvas")).to_have_count(1)
    assert watch.console_errors == []


def test_typeahead_suggests_and_opens_an_entity(page: Page, workbench_server: LiveServer) -> None:
    page.goto(workbench_server.url + "/")
    page.get_by_role("combobox").first.fill("lovel")  # the header's box
    expect(page.get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(workbench_server.url + "/id/person/ada-lovelace")


def test_gallery_form_opens_the_query_with_the_chosen_organization(
    page: Page, workbench_server: LiveServer
) -> None:
    page.goto(workbench_server.url + "/gallery/07-roles-in-an-organization")
    page.get_by_label("Organization", exact=True).select_option(label="Code for Example")
    page.get_by_role("button", name="Open in the editor").click()
    expect(page.locator(".results-table tbody tr")).to_contain_text(["José Núñez"])


@pytest.mark.parametrize(
    "path",
    [
        "/id/person/hostile-label",
        "/id/org/code-for-example",
        "/search?q=alert",
        "/query?query="
        + quote("SELECT ?s ?label { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"),
    ],
)
def test_hostile_labels_show_as_text_and_run_nothing(
    page: Page, watch: Watch, workbench_server: LiveServer, path: str
) -> None:
    page.goto(workbench_server.url + path)
    expect(page.get_by_text("<script>alert(1)</script>").first).to_be_visible()
    page.get_by_role("combobox").first.fill("<img")  # the header's box
    expect(page.get_by_role("option")).to_have_count(1)
    assert watch.dialogs == []
    assert watch.console_errors == []


def test_truncation_is_announced(
    page: Page, start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    load_workbench(EmbeddedStore(tmp_path / "capped")).close()
    server = start_server(
        env={"CIVICGRAPH_ROW_CAP": "5", "CIVICGRAPH_LOAD_BUNDLED": "false"},
        store=tmp_path / "capped",
    )
    page.goto(server.url + "/query?query=" + quote("SELECT * { ?s ?p ?o }"))
    expect(page.locator("#query-truncated")).to_contain_text("at most 5 rows")
