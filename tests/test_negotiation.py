"""Every route that negotiates reads Accept through the one parser in ``formats.py``.

Media-type parameters (``charset``, a JSON-LD ``profile``) and registered aliases
(``application/x-turtle``) must select the RDF twin, and a browser's header the page.
"""

import pytest
from flask.testing import FlaskClient

from civicgraph.formats import Kind, formats_for, wants_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TURTLE_VARIANTS = [
    "text/turtle;charset=utf-8",
    "text/turtle; charset=UTF-8",
    "application/x-turtle",
]
JSONLD_PROFILE = 'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"'
RDF_PAGES = ["/id/org/code-for-example", "/ontology"]


@pytest.mark.parametrize("path", RDF_PAGES)
@pytest.mark.parametrize("accept", TURTLE_VARIANTS)
def test_page_answers_turtle_to_turtle_variants(
    workbench_client: FlaskClient, path: str, accept: str
) -> None:
    response = workbench_client.get(path, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"


@pytest.mark.parametrize("path", RDF_PAGES)
def test_page_answers_jsonld_to_a_profiled_request(
    workbench_client: FlaskClient, path: str
) -> None:
    response = workbench_client.get(path, headers={"Accept": JSONLD_PROFILE})
    assert (response.status_code, response.mimetype) == (200, "application/ld+json")


@pytest.mark.parametrize("path", RDF_PAGES)
@pytest.mark.parametrize("accept", [BROWSER, "*/*", ""])
def test_page_answers_html_to_browsers(
    workbench_client: FlaskClient, path: str, accept: str
) -> None:
    response = workbench_client.get(path, headers={"Accept": accept})
    assert (response.status_code, response.mimetype) == (200, "text/html")


@pytest.mark.parametrize("accept", [*TURTLE_VARIANTS, JSONLD_PROFILE])
def test_service_description_answers_rdf_variants(
    workbench_client: FlaskClient, accept: str
) -> None:
    response = workbench_client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype in {"text/turtle", "application/ld+json"}


def test_service_description_page_for_browsers(workbench_client: FlaskClient) -> None:
    response = workbench_client.get("/sparql", headers={"Accept": BROWSER})
    assert (response.status_code, response.mimetype) == (200, "text/html")


@pytest.mark.parametrize("accept", ["text/turtle;charset=utf-8", "application/x-turtle"])
def test_construct_answers_turtle_variants(workbench_client: FlaskClient, accept: str) -> None:
    query = "CONSTRUCT WHERE { ?s a ?o } LIMIT 1"
    response = workbench_client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": accept}
    )
    assert (response.status_code, response.mimetype) == (200, "text/turtle")


@pytest.mark.parametrize(
    "accept", ["text/turtle;charset=utf-8", "application/x-turtle", JSONLD_PROFILE]
)
def test_graph_store_answers_rdf_variants(workbench_client: FlaskClient, accept: str) -> None:
    response = workbench_client.get(
        "/store", query_string={"default": ""}, headers={"Accept": accept}
    )
    assert response.status_code == 200
    assert response.mimetype in {"text/turtle", "application/ld+json"}


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        (BROWSER, "text/html"),
        ("*/*", "application/json"),
        ("", "application/json"),
        ("application/json;charset=utf-8", "application/json"),
    ],
)
def test_errors_follow_the_same_rule(
    workbench_client: FlaskClient, accept: str, mimetype: str
) -> None:
    response = workbench_client.get("/no/such/page", headers={"Accept": accept})
    assert (response.status_code, response.mimetype) == (404, mimetype)


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("text/csv;charset=utf-8", "text/csv"),
        ("*/*", "application/json"),
        ("application/json, text/csv", "application/json"),
    ],
)
def test_metrics_csv_or_json(workbench_client: FlaskClient, accept: str, mimetype: str) -> None:
    response = workbench_client.get("/api/metrics", headers={"Accept": accept})
    assert response.mimetype == mimetype


@pytest.mark.parametrize(
    ("accept", "page", "expected"),
    [
        (None, True, True),
        (None, False, False),
        ("*/*", True, True),
        ("*/*", False, False),
        (BROWSER, False, True),
        ("text/turtle, */*;q=0.1", True, False),
        ('text/html;level="a,b";q=0.5, text/turtle', True, False),
        ('application/ld+json;profile="x,y", text/html;q=0.9', True, False),
        ("text/html, text/turtle", False, True),
        ("text/html;q=0", True, False),
    ],
)
def test_wants_html_rule(accept: str | None, page: bool, expected: bool) -> None:
    assert wants_html(accept, formats_for(Kind.GRAPH), page=page) is expected
