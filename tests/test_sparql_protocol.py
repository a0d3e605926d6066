"""The query operation over real HTTP: methods, datasets, formats both ways, redirects."""

import csv
import io
import json

import pytest
import requests
from rdflib import Graph, URIRef

from civicgraph.formats import FORMATS, Kind, formats_for
from tests.conformance.w3c import parse_rdf
from tests.conftest import SMALL_GRAPH
from tests.live import LiveServer

pytestmark = pytest.mark.server
ADA = "https://w3id.org/civicgraph/id/person/ada-example"
LABEL_QUERY = (
    f"SELECT ?label WHERE {{ <{ADA}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
)
CONSTRUCT = f"CONSTRUCT {{ <{ADA}> ?p ?o }} WHERE {{ <{ADA}> ?p ?o }}"


def get(server: LiveServer, query: str, accept: str = "", **params: str) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(
        f"{server.url}/sparql", params={"query": query, **params}, headers=headers, timeout=10
    )


def test_get_answers_json_by_default(writable_server: LiveServer) -> None:
    response = get(writable_server, LABEL_QUERY)
    assert response.headers["Content-Type"] == "application/sparql-results+json; charset=utf-8"
    assert response.json()["results"]["bindings"][0]["label"]["value"] == "Ada Example"


def test_head_answers_the_headers_a_get_would(writable_server: LiveServer) -> None:
    """HEAD carries the query in the URL as GET does (it was read as a POST, and
    refused for its missing Content-Type)."""
    url, params = f"{writable_server.url}/sparql", {"query": LABEL_QUERY}
    head = requests.head(url, params=params, headers={"Accept": "text/csv"}, timeout=10)
    got = requests.get(url, params=params, headers={"Accept": "text/csv"}, timeout=10)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Type"] == got.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert head.headers["Content-Length"] == str(len(got.content))
    assert head.headers["Access-Control-Allow-Origin"] == "*"


def _labels(response: requests.Response) -> list[str]:
    media = response.headers["Content-Type"].split(";")[0]
    text = response.text
    if media.endswith("json"):
        return [b["label"]["value"] for b in response.json()["results"]["bindings"]]
    if media.endswith("xml"):
        return [text.split("<literal>")[1].split("</literal>")[0]]
    if media == "text/csv":
        return [row["label"] for row in csv.DictReader(io.StringIO(text))]
    return [line.strip('"') for line in text.splitlines()[1:]]


@pytest.mark.parametrize("fmt", formats_for(Kind.RESULTS), ids=lambda f: f.name)
def test_select_in_every_results_format(writable_server: LiveServer, fmt: object) -> None:
    response = get(writable_server, LABEL_QUERY, fmt.media_type)  # type: ignore[attr-defined]
    assert response.headers["Content-Type"].startswith(fmt.media_type)  # type: ignore[attr-defined]
    assert _labels(response) == ["Ada Example"]


@pytest.mark.parametrize(
    "fmt", [f for f in formats_for(Kind.GRAPH) if f.name != "n3"], ids=lambda f: f.name
)
def test_construct_in_every_rdf_format(writable_server: LiveServer, fmt: object) -> None:
    media = fmt.media_type  # type: ignore[attr-defined]
    response = get(writable_server, CONSTRUCT, media)
    assert response.headers["Content-Type"].startswith(media)
    graph = parse_rdf(response.content, media, writable_server.url)
    assert (URIRef(ADA), None, None) in graph


def test_q_values_choose_the_format(writable_server: LiveServer) -> None:
    accept = "text/csv;q=0.5, application/sparql-results+xml, */*;q=0.1"
    response = get(writable_server, "ASK {}", accept)
    assert response.headers["Content-Type"].startswith("application/sparql-results+xml")


def test_post_form_and_post_direct_agree(writable_server: LiveServer) -> None:
    url = f"{writable_server.url}/sparql"
    form = requests.post(url, data={"query": LABEL_QUERY}, timeout=10)
    direct = requests.post(
        url, data=LABEL_QUERY, headers={"Content-Type": "application/sparql-query"}, timeout=10
    )
    assert form.status_code == direct.status_code == 200
    assert form.json() == direct.json()


def test_default_graph_uri_restricts_the_dataset(writable_server: LiveServer) -> None:
    inside = get(writable_server, f"ASK {{ <{ADA}> ?p ?o }}", **{"default-graph-uri": SMALL_GRAPH})
    outside = get(writable_server, f"ASK {{ <{ADA}> ?p ?o }}", **{"default-graph-uri": "http://x/"})
    assert (inside.json()["boolean"], outside.json()["boolean"]) == (True, False)


def test_named_graph_uri_alone_leaves_the_default_graph_empty(writable_server: LiveServer) -> None:
    response = get(writable_server, "ASK { ?s ?p ?o }", **{"named-graph-uri": SMALL_GRAPH})
    assert response.json()["boolean"] is False


def test_from_in_the_query_is_honoured(writable_server: LiveServer) -> None:
    response = get(writable_server, f"ASK FROM <http://nowhere/> {{ <{ADA}> ?p ?o }}")
    assert response.json()["boolean"] is False


def test_form_values_are_decoded_once(writable_server: LiveServer) -> None:
    body = "query=" + requests.utils.quote('SELECT ("%41" AS ?label) {}', safe="")
    response = requests.post(
        f"{writable_server.url}/sparql",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert _labels(response) == ["%41"]


def test_construct_refuses_a_results_only_accept_with_406(writable_server: LiveServer) -> None:
    response = get(writable_server, CONSTRUCT, "text/csv")
    assert response.status_code == 406
    assert response.json()["status"] == 406


def test_a_browser_is_sent_to_the_workbench(writable_server: LiveServer) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = requests.get(
        f"{writable_server.url}/sparql",
        params={"query": "ASK {}"},
        headers={"Accept": accept},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/query?query=ASK+%7B%7D"


def test_a_browser_posting_a_long_query_gets_the_workbench_at_once(
    writable_server: LiveServer,
) -> None:
    long = "ASK {}\n" + "# a long comment, as a pasted query may have\n" * 450  # about 20 KB
    response = requests.post(
        f"{writable_server.url}/sparql",
        data={"query": long},
        headers={"Accept": "text/html"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 200  # a redirect would name an address the server refuses
    assert 'id="query-text"' in response.text
    assert "a long comment, as a pasted query may have" in response.text
    assert "data-run" in response.text  # its script runs it as the page opens
    assert 'rel="alternate"' not in response.text  # no link the server would refuse


def test_a_browser_sent_to_the_workbench_keeps_the_dataset_and_the_version(
    writable_server: LiveServer,
) -> None:
    params = {"query": "ASK {}", "default-graph-uri": "urn:g", "version": "1"}
    response = requests.get(
        f"{writable_server.url}/sparql",
        params=params,
        headers={"Accept": "text/html"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("&default-graph-uri=urn%3Ag&version=1")
    page = requests.get(writable_server.url + response.headers["Location"], timeout=10).text
    assert 'data-kept="default-graph-uri=urn%3Ag&amp;version=1"' in page
    assert "This query runs over" in page


def test_service_description_is_turtle_by_default(writable_server: LiveServer) -> None:
    response = requests.get(f"{writable_server.url}/sparql", timeout=10)
    graph = Graph().parse(data=response.text, format="turtle")
    endpoint = URIRef(f"{writable_server.url}/sparql")
    assert response.headers["Content-Type"].startswith("text/turtle")
    assert endpoint in set(graph.objects())


def test_service_description_is_a_page_for_browsers(writable_server: LiveServer) -> None:
    response = requests.get(
        f"{writable_server.url}/sparql", headers={"Accept": "text/html"}, timeout=10
    )
    assert response.headers["Content-Type"].startswith("text/html")
    assert SMALL_GRAPH in response.text


def test_service_description_lists_every_format(writable_server: LiveServer) -> None:
    response = requests.get(f"{writable_server.url}/sparql", timeout=10)
    for fmt in FORMATS:
        assert f"http://www.w3.org/ns/formats/{fmt.w3c_name}" in response.text or (
            f"formats:{fmt.w3c_name}" in response.text
        )


def test_reads_allow_any_origin_without_credentials(writable_server: LiveServer) -> None:
    response = requests.get(
        f"{writable_server.url}/sparql",
        params={"query": "ASK {}"},
        headers={"Origin": "https://elsewhere.example"},
        timeout=10,
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "X-Civicgraph-Truncated" in response.headers["Access-Control-Expose-Headers"]


def test_a_preflight_for_a_direct_post_query_is_answered(writable_server: LiveServer) -> None:
    response = requests.options(
        f"{writable_server.url}/sparql",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


def test_writes_get_no_cors_headers(writable_server: LiveServer) -> None:
    response = requests.options(
        f"{writable_server.url}/update",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_json_results_are_json(writable_server: LiveServer) -> None:
    response = get(writable_server, "SELECT (1 AS ?one) {}")
    assert json.loads(response.content)["head"]["vars"] == ["one"]
