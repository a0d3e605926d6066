"""The store contract, run against the embedded store (memory, disk) and a remote server."""

import io
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from civicgraph.errors import QuerySyntaxError, RdfSyntaxError, StoreLockedError, UserInputError
from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore, GraphStore, RemoteStore
from civicgraph.store.results import AskResult, GraphResult, SelectResult
from civicgraph.store.streams import STAGING_PREFIX

G1 = "https://example.org/g1"
G2 = "https://example.org/g2"
TURTLE = by_name("turtle")


def _load(store: GraphStore, text: str, graph: str | None = G1, replace: bool = True) -> int:
    return store.load(text.encode(), TURTLE, graph, replace=replace)


def test_load_counts_triples_and_select_sees_union(store: GraphStore) -> None:
    assert _load(store, "<urn:a> <urn:p> 1, 2 .") == 2
    _load(store, "<urn:b> <urn:p> 3 .", G2)
    result = store.query("SELECT ?s WHERE { ?s <urn:p> ?o } ORDER BY ?o")
    assert isinstance(result, SelectResult)
    assert [t.value for t in result.column("s")] == ["urn:a", "urn:a", "urn:b"]  # type: ignore[union-attr]


def test_ask_and_construct_have_their_own_types(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> <urn:b> .")
    ask = store.query("ASK { <urn:a> ?p ?o }")
    graph = store.query("CONSTRUCT { ?o ?p <urn:a> } WHERE { <urn:a> ?p ?o }")
    assert ask == AskResult(True)
    assert store.query("ASK { <urn:b> ?p ?o }") == AskResult(False)
    assert isinstance(graph, GraphResult)
    assert graph.triples[0].subject == NamedNode("urn:b")


def test_describe_is_a_graph(store: GraphStore) -> None:
    # Typed, as every entity is: Virtuoso 7 describes an IRI without a dataset only
    # when it has an rdf:type (DESCRIBE ?x WHERE … has no such limit).
    _load(store, "<urn:a> a <urn:T> ; <urn:p> <urn:b> .")
    result = store.query("DESCRIBE <urn:a>")
    assert isinstance(result, GraphResult)
    assert NamedNode("urn:b") in [t.object for t in result.triples]


def test_row_cap_truncates_and_says_so(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1, 2, 3 .")
    result = store.query("SELECT ?o WHERE { ?s ?p ?o }", max_rows=2)
    assert isinstance(result, SelectResult)
    assert (len(result.rows), result.truncated) == (2, True)


def test_bindings_are_substituted_not_pasted(store: GraphStore) -> None:
    _load(store, '<urn:a> <urn:p> "x" . <urn:b> <urn:p> "y" .')
    query = "SELECT ?s ?o WHERE { ?s <urn:p> ?o }"
    result = store.query(query, bindings={"s": NamedNode("urn:b")})
    assert isinstance(result, SelectResult)
    assert result.column("o") == [Literal("y")]


def test_bound_literal_cannot_change_the_query(store: GraphStore) -> None:
    tricky = Literal('x" } ; DROP ALL ; # \n }')
    _load(store, f'<urn:a> <urn:p> {tricky} . <urn:b> <urn:p> "y" .')
    result = store.query("SELECT ?s ?o WHERE { ?s <urn:p> ?o }", bindings={"o": tricky})
    assert isinstance(result, SelectResult)
    assert result.column("s") == [NamedNode("urn:a")]


def test_bindings_in_construct_apply_to_its_where_group(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1 . <urn:b> <urn:p> 2 .")
    query = "CONSTRUCT { ?s <urn:q> ?o } WHERE { ?s <urn:p> ?o }"
    result = store.query(query, bindings={"s": NamedNode("urn:b")})
    assert isinstance(result, GraphResult)
    assert [t.subject for t in result.triples] == [NamedNode("urn:b")]


def test_dataset_restriction(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1 .")
    _load(store, "<urn:b> <urn:p> 2 .", G2)
    result = store.query("SELECT ?s WHERE { ?s ?p ?o }", default_graphs=[G2])
    assert isinstance(result, SelectResult)
    assert result.column("s") == [NamedNode("urn:b")]


def test_replace_is_idempotent(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1 .")
    _load(store, "<urn:a> <urn:p> 1 .")
    assert [(g.iri, g.triples) for g in store.graphs()] == [(G1, 1)]


def test_add_keeps_existing_triples(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1 .")
    _load(store, "<urn:a> <urn:p> 2 .", replace=False)
    assert store.graphs()[0].triples == 2


def test_broken_rdf_names_line_and_leaves_graph_unchanged(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1 .")
    with pytest.raises(RdfSyntaxError) as caught:
        _load(store, '<urn:a> <urn:p> 2 .\n<urn:a> <urn:p> "open')
    assert caught.value.line == 2
    assert [(g.iri, g.triples) for g in store.graphs()] == [(G1, 1)]


def test_broken_rdf_into_empty_graph_leaves_no_graph(store: GraphStore) -> None:
    with pytest.raises(RdfSyntaxError):
        _load(store, '<urn:a> <urn:p> 2 .\n<urn:a> <urn:p> "open')
    assert store.graphs() == []


def test_bad_query_reports_position(store: GraphStore) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        store.query("SELECT * WHERE {\n ?s ?p }")
    assert caught.value.line == 2
    assert "line 2" in str(caught.value).lower()
    if not (isinstance(store, RemoteStore) and store.endpoints.query.endswith("/sparql")):
        assert caught.value.column is not None  # Virtuoso's compiler names the line only


def test_default_graph_load_and_drop(store: GraphStore) -> None:
    if isinstance(store, RemoteStore):
        with pytest.raises(UserInputError, match="named graphs"):
            _load(store, "<urn:a> <urn:p> 1 .", None)
        return
    _load(store, "<urn:a> <urn:p> 1 .", None)
    assert store.graphs()[0].iri is None
    assert store.drop_graph(None) is True
    assert store.graphs() == []


def test_drop_named_graph(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1 .")
    assert store.has_graph(G1)
    assert store.drop_graph(G1) is True
    assert not store.has_graph(G1)
    assert store.drop_graph(G1) is False


def test_update_is_atomic(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1 .")
    with pytest.raises(QuerySyntaxError):
        store.update(f"DROP GRAPH <{G1}> ; INSERT DATA {{ <urn:x> }}")
    assert store.graphs()[0].triples == 1


def test_dump_dataset_keeps_graphs(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1 .")
    _load(store, "<urn:b> <urn:p> 2 .", G2)
    out = io.BytesIO()
    store.dump(out, by_name("nquads"))
    lines = sorted(out.getvalue().decode().splitlines())
    assert lines[0].endswith(f"<{G1}> .")
    assert lines[1].endswith(f"<{G2}> .")


def test_dump_one_graph_as_turtle(store: GraphStore) -> None:
    _load(store, "<urn:a> <urn:p> 1 .")
    _load(store, "<urn:b> <urn:p> 2 .", G2)
    out = io.BytesIO()
    store.dump(out, TURTLE, [G2])
    assert "urn:b" in out.getvalue().decode()
    assert "urn:a" not in out.getvalue().decode()


def test_second_writer_on_same_directory_is_refused(tmp_path: Path) -> None:
    first = EmbeddedStore(tmp_path / "s")
    with pytest.raises(StoreLockedError, match="in use by another process"):
        EmbeddedStore(tmp_path / "s")
    first.close()


def test_disk_store_survives_reopen(tmp_path: Path) -> None:
    first = EmbeddedStore(tmp_path / "s")
    _load(first, "<urn:a> <urn:p> 1 .")
    first.close()
    again = EmbeddedStore(tmp_path / "s")
    assert again.graphs()[0].triples == 1


def test_graph_names_are_the_graphs_without_their_counts(store: GraphStore) -> None:
    if isinstance(store, EmbeddedStore):  # a remote store has no unnamed default graph
        _load(store, "<urn:a> <urn:p> 1 .", None)
    _load(store, "<urn:a> <urn:p> 2 .", G1)
    _load(store, "<urn:a> <urn:p> 3 .", G2)
    store.update(f"CLEAR GRAPH <{G2}>")  # a named graph that holds nothing
    assert store.graph_names() == [g.iri for g in store.graphs()]
    assert G1 in store.graph_names()
    assert G2 not in store.graph_names()


def test_a_view_opened_in_the_middle_of_a_write_leaves_its_staging_graphs_out(
    tmp_path: Path,
) -> None:
    """A read-only view opened while the writer has a graph's new content in a staging
    graph (and an empty graph's loading marker) answers from the graphs a reader may
    see: no staging triple in the union, in ``GRAPH ?g`` or in a graph list."""
    path = tmp_path / "store"
    writer = Store(str(path))
    kept, staged = NamedNode("http://example.org/g"), NamedNode(f"{STAGING_PREFIX}replace")
    marker = NamedNode(f"{STAGING_PREFIX}marker")
    p = NamedNode("http://example.org/p")
    writer.add(Quad(kept, p, Literal("old"), kept))
    writer.add(Quad(kept, p, Literal("new"), staged))
    writer.add(Quad(marker, NamedNode("urn:civicgraph:loading"), kept, marker))
    writer.flush()
    view = EmbeddedStore(path, read_only=True)

    union = view.query("SELECT ?o { ?s ?p ?o }")
    assert isinstance(union, SelectResult)
    assert [row["o"].value for row in union.dicts()] == ["old"]
    graphs = view.query("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(graphs, SelectResult)
    assert [row["g"].value for row in graphs.dicts()] == [kept.value]
    named = view.query(f"SELECT ?o FROM <{staged.value}> {{ ?s ?p ?o }}")
    assert isinstance(named, SelectResult)
    assert [row["o"].value for row in named.dicts()] == ["new"], "a query that names it reads it"
    asked = view.query("ASK { GRAPH ?g { ?s ?p 'new' } }", named_graphs=[staged.value])
    assert isinstance(asked, AskResult)
    assert asked.value
    assert [g.iri for g in view.graphs()] == [kept.value]
