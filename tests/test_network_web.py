"""The graph page, its export and the JSON API, over the network fixture."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from civicgraph.config import Settings
from civicgraph.dataset.loader import load_file
from civicgraph.network import html
from civicgraph.network.colours import CLASS_COLOURS, group_colour
from civicgraph.store import EmbeddedStore
from civicgraph.vocab import CIV
from civicgraph.webapp import create_app
from tests.conftest import APP_BACKENDS, app_over
from tests.live import NETWORK_WAIT
from tests.test_network import AGENCY, ALICE, BOB, FIXTURE, NEWS, PORTAL, TEAM

HOSTILE = Path(__file__).parent / "data" / "network-hostile.ttl"


def client_over(*files: Path, **settings: Any) -> Iterator[FlaskClient]:
    """A client of an app over an in-memory store holding the network fixture and ``files``."""
    store = EmbeddedStore()
    for path in (FIXTURE, *files):
        load_file(store, path)
    settings.setdefault("network_wait", NETWORK_WAIT)
    app = create_app(Settings(store="memory", load_bundled=False, **settings), store=store)
    yield app.test_client()
    store.close()


@pytest.fixture(scope="module", params=APP_BACKENDS)
def graph_client(request: pytest.FixtureRequest) -> Iterator[FlaskClient]:
    """The network fixture plus a hostile label, in memory and on each SPARQL server."""
    with app_over(request, request.param, (FIXTURE, HOSTILE), node_cap=20) as app:
        yield app.test_client()


def test_api_graph_returns_the_documented_shape(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/graph").get_json()
    assert {"nodes", "edges", "truncated", "total_nodes"} <= set(body)
    assert (len(body["nodes"]), body["truncated"]) == (10, False)


def test_api_graph_shows_isolated_entities_on_request(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/graph?isolated=1").get_json()
    assert len(body["nodes"]) == 11


def test_api_graph_node_links_to_its_entity_page(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/graph", query_string={"focus": "person/bob"}).get_json()
    urls = {n["id"]: n["url"] for n in body["nodes"]}
    assert urls[BOB] == "/id/person/bob"


def test_api_graph_filters_by_class_name(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/graph?classes=Person,civ:Organization").get_json()
    assert len(body["nodes"]) == 7


def test_api_graph_min_confidence(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/graph?min_confidence=high").get_json()
    assert {e["confidence"] for e in body["edges"]} == {"high"}


def test_api_graph_edge_carries_evidence(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/graph", query_string={"focus": TEAM}).get_json()
    (edge,) = [e for e in body["edges"] if e["from"] == TEAM and e["to"] == AGENCY]
    assert sorted(e["location"] for e in edge["evidence"]) == ["paragraph 4", "section 1"]


def test_api_graph_bad_depth_is_a_json_400(graph_client: FlaskClient) -> None:
    response = graph_client.get("/api/graph?focus=person/bob&depth=9")
    assert response.status_code == 400
    assert response.get_json()["status"] == 400


def test_api_graph_unknown_focus_is_404(graph_client: FlaskClient) -> None:
    assert graph_client.get("/api/graph?focus=person/nobody").status_code == 404


def test_api_graph_community_colouring_numbers_nodes(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/graph?colour=community&method=louvain").get_json()
    assert all(isinstance(n["community"], int) for n in body["nodes"])


def test_api_graph_of_a_construct_query(graph_client: FlaskClient) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(?s = <{PORTAL}>) }}"
    body = graph_client.get("/api/graph", query_string={"query": query}).get_json()
    assert {n["id"] for n in body["nodes"]} >= {PORTAL, TEAM}


def test_api_graph_draws_a_select_of_two_iri_columns(graph_client: FlaskClient) -> None:
    query = f"SELECT ?from ?to ?label {{ ?from ?p ?to FILTER(?from = <{PORTAL}> && isIRI(?to)) }}"
    body = graph_client.get("/api/graph", query_string={"query": query}).get_json()
    assert PORTAL in {n["id"] for n in body["nodes"]}
    assert {e["label"] for e in body["edges"]} == {"from-to-to"}


def test_api_graph_refuses_a_select_without_two_iri_columns(graph_client: FlaskClient) -> None:
    query = "SELECT ?o ?s { ?s ?p ?o FILTER(isLiteral(?o)) }"
    response = graph_client.get("/api/graph", query_string={"query": query})
    assert response.status_code == 400
    assert "first two columns hold IRIs" in response.get_json()["detail"]


def test_api_graph_refuses_service(graph_client: FlaskClient) -> None:
    query = "CONSTRUCT {?s ?p ?o} WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    assert graph_client.get("/api/graph", query_string={"query": query}).status_code == 400


def test_api_path_shows_evidence_on_each_hop(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/path?from=person/bob&to=org/agency").get_json()
    assert body["shortest"][0]["nodes"] == [BOB, TEAM, AGENCY]
    edges = {e["id"]: e for e in body["edges"]}
    first = body["shortest"][0]["hops"][0]["edges"][0]["id"]
    assert edges[first]["evidence"][0]["sources"][0]["label"] == "Example Report"


def test_api_path_beyond_its_limit_says_how_many_hops_it_takes(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/path?from=person/bob&to=org/agency&max_hops=1").get_json()
    assert body["shortest"] == []
    assert body["simple"] == []
    assert body["shortest_hops"] == 2


def test_api_path_needs_both_ends(graph_client: FlaskClient) -> None:
    assert graph_client.get("/api/path?from=person/bob").status_code == 400


def test_api_metrics_json(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/metrics?measure=degree").get_json()
    assert body["values"][0]["value"] == 4.0  # the agency: alice, team, nonprofit, mallory


def test_api_metrics_csv(graph_client: FlaskClient) -> None:
    response = graph_client.get("/api/metrics?measure=betweenness&format=csv")
    assert response.mimetype == "text/csv"
    assert response.text.splitlines()[0] == "id,label,class,value"


def test_api_metrics_unknown_measure(graph_client: FlaskClient) -> None:
    assert graph_client.get("/api/metrics?measure=closeness").status_code == 400


def test_api_communities_cover_every_node(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/communities").get_json()
    assert sum(c["size"] for c in body["communities"]) == 11


def test_api_entities_moved_to_the_one_search_endpoint(graph_client: FlaskClient) -> None:
    moved = graph_client.get("/api/graph/entities?q=news")
    assert (moved.status_code, moved.headers["Location"]) == (308, "/search.json?q=news")
    body = graph_client.get("/api/graph/entities?q=news", follow_redirects=True).get_json()
    assert [r["id"] for r in body["results"]] == [NEWS]


def test_api_node_details(graph_client: FlaskClient) -> None:
    body = graph_client.get("/api/graph/node", query_string={"id": ALICE}).get_json()
    assert (body["url"], body["altLabels"]) == ("/id/person/alice", ["A. Example"])


def test_graph_page_renders_filters(graph_client: FlaskClient) -> None:
    response = graph_client.get("/graph?focus=person/alice")
    assert response.status_code == 200
    assert b'name="classes"' in response.data


def test_graph_page_escapes_hostile_labels(graph_client: FlaskClient) -> None:
    response = graph_client.get("/graph")
    assert b"<img src=x" not in response.data


def test_export_is_a_standalone_attachment(graph_client: FlaskClient) -> None:
    response = graph_client.get("/graph/export.html?focus=person/alice")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert b"Alice Example" in response.data
    assert b'src="http' not in response.data


def test_export_keeps_hostile_labels_inside_the_data(graph_client: FlaskClient) -> None:
    response = graph_client.get("/graph/export.html")
    assert b"Mallory" in response.data
    assert b"<img src=x" not in response.data
    assert b"</script><b>" not in response.data


def test_bundled_graph_connects_real_entities_with_evidence(client: FlaskClient) -> None:
    body = client.get(
        "/api/path?from=person/patrick-atwater&to=org/code-for-america&max_hops=2"
    ).get_json()
    assert body["shortest"]
    assert all(edge["evidence"] for edge in body["edges"])


def test_a_class_has_one_colour_in_views_and_paths(graph_client: FlaskClient) -> None:
    view = graph_client.get("/api/graph").get_json()["nodes"]
    path = graph_client.get("/api/path?from=person/bob&to=org/agency").get_json()["nodes"]
    for node in view + path:
        assert node["colour"] == group_colour(node["group"])
        assert node["legend"] == node["groupLabel"]
    people = {n["colour"] for n in view + path if n["group"] == CIV.Person.value}
    assert people == {CLASS_COLOURS[CIV.Person.value]}


def test_community_colouring_names_each_colour(graph_client: FlaskClient) -> None:
    nodes = graph_client.get("/api/graph?colour=community").get_json()["nodes"]
    legends = {n["community"]: (n["legend"], n["colour"]) for n in nodes}
    assert len(set(legends.values())) == len(legends)
    assert all("Community" not in legend for legend, _ in legends.values())
    named = graph_client.get("/api/communities").get_json()["communities"]
    shown = [c for c in named if c["id"] in legends]
    assert [c["name"] for c in shown] == [legends[c["id"]][0] for c in shown]


def test_standalone_file_is_pyvis_output_with_the_pages_drawing(
    graph_client: FlaskClient,
) -> None:
    page = graph_client.get("/graph/export.html").get_data(as_text=True)
    assert f"@version {html.VIS_VERSION}" in page
    assert "function hubIds(" in page
    assert "LAYOUT_SEED" in page
    assert not re.search(r"^(import|export) ", page, re.MULTILINE)
    assert "https://" not in page.split("<script")[0].replace("https://w3id.org", "")
