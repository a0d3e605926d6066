"""What only Virtuoso needs: digest auth, its answer forms, first failures, crash safety.

The crash tests start a Virtuoso of their own, kill it with SIGKILL while a load
replaces a graph (during the upload, and during the move), restart it on the same
database and find the old graph or the new one, never part of either.
"""

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pyoxigraph import NamedNode, RdfFormat, Triple, parse

from civicgraph.config import Settings, from_env
from civicgraph.errors import CivicgraphError, QueryTimeoutError, StoreError
from civicgraph.formats import by_name
from civicgraph.store import RemoteStore
from civicgraph.store.answers import parse_answer
from civicgraph.store.remote import staging_graph
from civicgraph.store.results import AskResult, SelectResult
from civicgraph.store.streams import STAGING_PREFIX
from tests.live import LiveServer, VirtuosoServer

GRAPH = "https://example.org/crash"
CFA = "https://w3id.org/civicgraph/id/org/code-for-america"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CFA_CLASS = NamedNode("https://w3id.org/civicgraph/ontology#Nonprofit")
NTRIPLES = by_name("ntriples")
OLD, NEW = 1_000, 200_000


def _settings(server: VirtuosoServer, **changes: str) -> Settings:
    return from_env({**server.env, **changes})


@pytest.mark.parametrize(
    "accept", ["application/sparql-results+json", "application/sparql-results+xml"]
)
@pytest.mark.parametrize(("query", "value"), [("ASK {}", True), ("ASK { <urn:x> ?p ?o }", False)])
def test_ask_as_a_one_row_table_is_a_boolean(
    virtuoso_server: VirtuosoServer, accept: str, query: str, value: bool
) -> None:
    def ask() -> requests.Response:
        return requests.post(
            virtuoso_server.query_url,
            data={"query": query},
            headers={"Accept": accept},
            timeout=10,
            stream=True,
        )

    assert "__ASK_RETVAL" in ask().text  # the form this test is about
    assert parse_answer(ask(), query) == AskResult(value)


def test_basic_auth_refused_without_a_scheme_says_to_use_digest(
    virtuoso_server: VirtuosoServer,
) -> None:
    store = RemoteStore(_settings(virtuoso_server, CIVICGRAPH_STORE_AUTH="basic"))
    with pytest.raises(StoreError, match="Virtuoso wants digest") as caught:
        store.update("DROP SILENT GRAPH <urn:nothing>")
    assert caught.value.status == 401


def test_failed_load_names_its_first_failure_not_the_cleanup(
    virtuoso_server: VirtuosoServer,
) -> None:
    store = RemoteStore(_settings(virtuoso_server, CIVICGRAPH_STORE_PASSWORD="wrong"))
    with pytest.raises(StoreError) as caught:
        store.load(b'<urn:a> <urn:p> "1" .', NTRIPLES, GRAPH)
    assert "sparql-graph-crud-auth" in str(caught.value)  # the upload, first to fail
    assert "staging graph" in " ".join(caught.value.__notes__)  # the cleanup, as a note


def test_system_graphs_are_not_listed(virtuoso_server: VirtuosoServer) -> None:
    virtuoso_server.clear()
    assert "http://www.openlinksw.com/schemas/virtrdf#" in virtuoso_server.graphs()
    assert RemoteStore(_settings(virtuoso_server)).graphs() == []


@pytest.mark.heavy
def test_civicgraph_serve_over_virtuoso(virtuoso_server: VirtuosoServer, tmp_path: Path) -> None:
    virtuoso_server.clear()
    server = LiveServer(tmp_path / "serve", virtuoso_server.env).start()  # loads bundled data
    try:
        ask = {"query": "ASK { ?s a <https://w3id.org/civicgraph/ontology#Person> }"}
        json = {"Accept": "application/sparql-results+json"}
        assert requests.get(f"{server.url}/sparql", ask, headers=json, timeout=30).json() == {
            "head": {},
            "boolean": True,
        }
        page = requests.get(f"{server.url}/id/org/code-for-america", timeout=30)
        assert "<h1>Code for America</h1>" in page.text
        network = requests.get(f"{server.url}/api/graph", {"focus": CFA}, timeout=30).json()
        assert CFA in [node["id"] for node in network["nodes"]]
        export = requests.get(f"{server.url}/export/download", {"format": "turtle"}, timeout=60)
        triples = [q.triple for q in parse(export.content, RdfFormat.TURTLE)]
        assert Triple(NamedNode(CFA), RDF_TYPE, CFA_CLASS) in triples
        assert not [t for t in triples if "openlinksw" in t.subject.value]
    finally:
        server.stop()


def test_server_limits_are_announced_not_silent(tmp_path: Path) -> None:
    limits = {"ResultSetMaxRows": 5, "MaxQueryExecutionTime": 1}
    server = VirtuosoServer(tmp_path / "limited", sparql=limits).start()
    try:
        store = RemoteStore(_settings(server))
        store.load(_triples(10, "row"), NTRIPLES, GRAPH)
        capped = store.query(f"SELECT ?s WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}")
        assert isinstance(capped, SelectResult)
        assert (len(capped.rows), capped.truncated) == (5, True)
        with pytest.raises(StoreError, match="ResultSetMaxRows"):
            store.dump(io.BytesIO(), NTRIPLES, [GRAPH])  # a Graph Store GET is cut silently
        slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        with pytest.raises(QueryTimeoutError):
            store.query(slow)
    finally:
        server.stop()


@pytest.fixture
def crash_server(tmp_path: Path) -> Iterator[VirtuosoServer]:
    """A Virtuoso of this test's own, holding ``OLD`` triples in ``GRAPH``."""
    server = VirtuosoServer(tmp_path / "virtuoso").start()
    RemoteStore(_settings(server)).load(_triples(OLD, "old"), NTRIPLES, GRAPH)
    yield server
    server.stop()


def _triples(count: int, tag: str) -> bytes:
    return "".join(f'<urn:{tag}:{i}> <urn:p> "{i}" .\n' for i in range(count)).encode()


class KillingStore(RemoteStore):
    """A real remote store that kills its server (SIGKILL) once a chosen step begins."""

    def __init__(self, server: VirtuosoServer, step: str) -> None:
        super().__init__(_settings(server, CIVICGRAPH_QUERY_TIMEOUT="30"))
        self.server, self.step = server, step

    def _post_graph(self, graph: str, data: object) -> None:
        if self.step == "upload":
            self._kill_after(0.3)
        super()._post_graph(graph, data)  # type: ignore[arg-type]

    def _post_update(self, text: str, read_timeout: float) -> None:
        if self.step == "move" and text.startswith("MOVE"):
            self._kill_after(0.02)
        super()._post_update(text, read_timeout)

    def _kill_after(self, seconds: float) -> None:
        timer = threading.Timer(seconds, self.server.kill)
        timer.start()


@pytest.mark.heavy
@pytest.mark.parametrize("step", ["upload", "move"])
def test_sigkill_during_a_replacing_load_keeps_old_or_new_graph(
    crash_server: VirtuosoServer, step: str
) -> None:
    with pytest.raises(CivicgraphError):
        KillingStore(crash_server, step).load(_triples(NEW, "new"), NTRIPLES, GRAPH)
    crash_server.process = None
    crash_server.start()
    counts = crash_server.graphs()
    assert counts.get(GRAPH) in {OLD, NEW}
    left = [g for g in counts if g.startswith(STAGING_PREFIX)]
    if step == "upload":
        assert counts[GRAPH] == OLD
    else:  # killed in the move: the upload was whole, so it is either moved or kept aside
        assert counts[GRAPH] == NEW or [counts[g] for g in left] == [NEW]
    store = RemoteStore(_settings(crash_server))
    assert [g.iri for g in store.graphs()] == [GRAPH]  # a partial staging graph is hidden
    assert sorted(store.remove_stale_staging(older_than=0)) == sorted(left)
    assert not [g for g in crash_server.graphs() if g.startswith(STAGING_PREFIX)]


def test_next_load_removes_old_staging_graphs_but_not_a_load_in_flight(
    remote_store: RemoteStore,
) -> None:
    crashed, in_flight = staging_graph(now=1_000_000_000), staging_graph()
    remote_store.update(
        f"INSERT DATA {{ GRAPH <{crashed}> {{ <urn:a> <urn:p> 1 }} "
        f"GRAPH <{in_flight}> {{ <urn:a> <urn:p> 2 }} }}"
    )
    remote_store.load(b'<urn:b> <urn:p> "3" .', NTRIPLES, GRAPH)
    assert not remote_store.query(f"ASK {{ GRAPH <{crashed}> {{ ?s ?p ?o }} }}").value  # type: ignore[union-attr]
    assert remote_store.query(f"ASK {{ GRAPH <{in_flight}> {{ ?s ?p ?o }} }}").value  # type: ignore[union-attr]
