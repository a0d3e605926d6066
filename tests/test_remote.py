"""What only the remote store does: endpoints, HTTP failures, bindings as text, the app on it."""

import json
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from pyoxigraph import NamedNode

from civicgraph.cli import main
from civicgraph.config import Settings
from civicgraph.errors import QuerySyntaxError, StoreError, UserInputError
from civicgraph.formats import by_name
from civicgraph.sparql.binding import bind
from civicgraph.store import EmbeddedStore, RemoteStore
from civicgraph.store.remote import RemoteEndpoints
from civicgraph.webapp import create_app
from tests.conftest import REMOTE_SERVERS, remote_settings
from tests.live import LiveServer, OxigraphServer, free_port

SMALL = Path(__file__).parent / "data" / "small.ttl"
GRAPH = "https://w3id.org/civicgraph/graph/small"


def test_oxigraph_layout_is_derived_from_the_query_url() -> None:
    endpoints = RemoteEndpoints.from_settings(Settings(store="http://db:7878/query"))
    assert endpoints == RemoteEndpoints(
        "http://db:7878/query", "http://db:7878/update", "http://db:7878/store"
    )


def test_fuseki_urls_come_from_settings() -> None:
    settings = Settings(
        store="http://db:3030/ds/query",
        store_update_url="http://db:3030/ds/update",
        store_gsp_url="http://db:3030/ds/data",
    )
    assert RemoteEndpoints.from_settings(settings).gsp == "http://db:3030/ds/data"


def test_single_endpoint_servers_update_where_they_query() -> None:
    endpoints = RemoteEndpoints.from_settings(Settings(store="https://neptune:8182/sparql"))
    assert (endpoints.update, endpoints.gsp) == ("https://neptune:8182/sparql", "")


def test_values_block_goes_into_the_where_group_not_the_template() -> None:
    query = "CONSTRUCT { ?s ?p '{' } WHERE { ?s ?p ?o }"
    bound = bind(query, {"s": NamedNode("urn:a")})
    assert bound == "CONSTRUCT { ?s ?p '{' } WHERE { VALUES (?s) { (<urn:a>) } ?s ?p ?o }"


def test_construct_where_short_form_gets_a_trailing_values_clause() -> None:
    bound = bind("CONSTRUCT WHERE { ?s ?p ?o }", {"s": NamedNode("urn:a")})
    assert bound.endswith("}\nVALUES (?s) { (<urn:a>) }")


def test_http_failure_carries_status_and_excerpt(oxigraph_server: OxigraphServer) -> None:
    url = oxigraph_server.query_url.replace("/query", "/nowhere")
    store = RemoteStore(Settings(store=url))
    with pytest.raises(StoreError) as caught:
        store.query("ASK {}")
    assert caught.value.status == 404
    assert "nowhere" in caught.value.excerpt


def test_unreachable_server_is_a_store_error() -> None:
    store = RemoteStore(Settings(store=f"http://127.0.0.1:{free_port()}/query"))
    with pytest.raises(StoreError, match="Cannot reach"):
        store.query("ASK {}")


def test_server_side_syntax_error_keeps_its_position(remote_store: RemoteStore) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        remote_store.update("INSERT DATA {\n <urn:a> }")
    assert caught.value.line == 2
    if remote_store.endpoints.gsp.endswith("/store"):  # Virtuoso names the line only
        assert caught.value.column == 10


def test_load_moves_staging_graph_away(remote_store: RemoteStore) -> None:
    remote_store.load(SMALL, by_name("turtle"), GRAPH)
    assert [g.iri for g in remote_store.graphs()] == [GRAPH]


def test_a_load_counts_a_triple_written_twice_once(remote_store: RemoteStore) -> None:
    """As the server keeps it, and as the embedded store counts it."""
    twice = b'<urn:a> <urn:p> "1" .\n<urn:a> <urn:p> "1" .\n<urn:b> <urn:p> _:x .\n'
    assert EmbeddedStore().load(twice, by_name("ntriples"), GRAPH) == 2
    assert remote_store.load(twice, by_name("ntriples"), GRAPH) == 2
    assert [(g.iri, g.triples) for g in remote_store.graphs()] == [(GRAPH, 2)]


@pytest.fixture(scope="module", params=REMOTE_SERVERS)
def remote_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The application over each server, holding the bundled data and the small graph."""
    app = create_app(remote_settings(request, request.param, load_bundled=True))
    app.extensions["civicgraph"].store.load(SMALL, by_name("turtle"), GRAPH)
    yield app
    app.extensions["civicgraph"].store.close()


@pytest.fixture(scope="module")
def remote_env(remote_app: Flask) -> dict[str, str]:
    """The environment that points the CLI at the server ``remote_app`` runs over."""
    settings = remote_app.extensions["civicgraph"].settings
    names = {f.name: f.metadata["env"] for f in fields(Settings)}
    return {
        names[name]: str(getattr(settings, name))
        for name in ("store", "store_update_url", "store_gsp_url", "store_user", "store_password")
        if getattr(settings, name)
    } | {"CIVICGRAPH_STORE_AUTH": settings.store_auth}


def test_app_home_page_on_remote_store(remote_app: Flask) -> None:
    response = remote_app.test_client().get("/")
    assert response.status_code == 200
    assert f'<span title="{GRAPH}">small</span>' in response.text


def test_app_home_on_remote_store(remote_app: Flask) -> None:
    response = remote_app.test_client().get("/index.json")
    assert response.status_code == 200
    assert GRAPH in [g["iri"] for g in response.get_json()["graphs"]]


def test_app_sparql_on_remote_store(remote_app: Flask) -> None:
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    query = f"SELECT ?l WHERE {{ GRAPH <{GRAPH}> {{ ?s {label} ?l }} }} ORDER BY ?l"
    response = remote_app.test_client().get("/sparql", query_string={"query": query})
    assert response.status_code == 200
    values = [b["l"]["value"] for b in json.loads(response.data)["results"]["bindings"]]
    assert values == ["Ada Example", "Example Agency"]


def test_app_export_download_on_remote_store(remote_app: Flask) -> None:
    query = {"format": "nquads", "graph": GRAPH}
    with remote_app.test_client().get("/export/download", query_string=query) as response:
        assert response.status_code == 200
        assert response.data.decode().count(f"<{GRAPH}> .") == 6


def test_app_search_on_remote_store(remote_app: Flask) -> None:
    response = remote_app.test_client().get("/search.json", query_string={"q": "Ada Example"})
    assert response.status_code == 200
    assert "https://w3id.org/civicgraph/id/person/ada-example" in response.text


def test_cli_export_from_remote_store(remote_env: dict[str, str]) -> None:
    result = CliRunner(env=remote_env).invoke(main, ["export", "--format", "nq"])
    assert result.exit_code == 0, result.output
    assert f"<{GRAPH}> ." in result.output
    assert "openlinksw" not in result.output  # a server's own graphs are not data


def test_cli_validate_remote_store(remote_env: dict[str, str]) -> None:
    result = CliRunner(env=remote_env).invoke(main, ["validate"])
    assert result.exit_code == 0, result.output


def test_unknown_auth_scheme_is_refused_by_name() -> None:
    with pytest.raises(UserInputError, match="store_auth must be one of basic, digest"):
        Settings(store="http://db:8890/sparql", store_auth="ntlm")


@pytest.mark.server
def test_a_syntax_error_in_a_posted_query_is_explained_from_its_text(
    oxigraph_server: OxigraphServer, start_server: Callable[..., LiveServer]
) -> None:
    """A served app over a remote store explains the server's error from the request's
    text, a query posted as the body included (read before the error came back)."""
    env = {"CIVICGRAPH_STORE": oxigraph_server.query_url, "CIVICGRAPH_LOAD_BUNDLED": "false"}
    server = start_server(env)
    response = requests.post(
        f"{server.url}/sparql",
        data="SELECT * WHERE { ?s ?p ?o ",
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert response.status_code == 400
    assert (
        response.json()["detail"]
        == "Line 1, column 16: this { is never closed; add } where it ends"
    )
