"""The store contract, run against the embedded store (memory, disk) and a remote server."""

import io
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store

from civicgraph.dataset.versions import VersionLog
from civicgraph.errors import QuerySyntaxError, RdfSyntaxError, StoreLockedError, UserInputError
from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore, GraphStore, RemoteStore, replacement, views
from civicgraph.store.base import GraphInfo, Upload
from civicgraph.store.embedded import WRITTEN
from civicgraph.store.results import AskResult, GraphResult, SelectResult
from civicgraph.store.streams import STAGING_PREFIX, is_staging
from civicgraph.store.views import Generation
from civicgraph.store.writer import _Owner
from civicgraph.vocab import SKOLEM_BASE

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


@pytest.mark.parametrize("on_disk", [False, True])
def test_a_load_counts_each_triple_once_into_an_empty_store_or_not(
    tmp_path: Path, on_disk: bool
) -> None:
    """A load into an empty store counts the store, one into a store with data the
    graph: both count a triple written twice once, and neither counts the other graphs."""
    store = EmbeddedStore(tmp_path / "store" if on_disk else None)
    twice = b'<urn:a> <urn:p> "1" .\n<urn:a> <urn:p> "1" .\n<urn:a> <urn:p> "2" .\n'
    for graph in (G1, G2, None):
        assert store.load(twice, by_name("ntriples"), graph) == 2


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


@pytest.mark.parametrize("graph", [G1, None], ids=["named", "default"])
@pytest.mark.parametrize("way", ["in-memory", "staging"])
def test_a_reload_holds_exactly_the_new_data(
    tmp_path: Path, graph: str | None, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept triples stay, missing ones go, new ones come, blank nodes keep their shape;
    other graphs and the staging graph are left as they were (none). Either way: the
    new data compared in memory, or a graph too large for that, through a staging graph."""
    if way == "staging":
        monkeypatch.setattr(replacement, "MOST_TRIPLES", 0)
    store = EmbeddedStore(tmp_path / "store")
    _load(store, '<urn:a> <urn:p> 1, 2 .\n_:b <urn:q> _:c .\n_:c <urn:r> "x" .', graph)
    _load(store, "<urn:k> <urn:p> 9 .", G2)
    count = _load(store, '<urn:a> <urn:p> 2, 3 .\n_:b <urn:q> _:c .\n_:c <urn:r> "y" .', graph)
    assert count == 4
    assert [(g.iri, g.triples) for g in store.graphs()] == sorted(
        [(graph, 4), (G2, 1)], key=lambda found: found[0] is not None
    )
    where = "" if graph is None else f"GRAPH <{graph}>"
    values = store.query(f"SELECT ?v {{ {where} {{ <urn:a> <urn:p> ?v }} }} ORDER BY ?v")
    assert isinstance(values, SelectResult)
    assert [t.value for t in values.column("v")] == ["2", "3"]  # type: ignore[union-attr]
    assert store.query(f'ASK {{ {where} {{ ?b <urn:q> ?c . ?c <urn:r> "y" }} }}') == AskResult(True)
    assert store.query('ASK { ?c <urn:r> "x" }') == AskResult(False)


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


def test_a_broken_upload_larger_than_a_megabyte_changes_nothing(store: GraphStore) -> None:
    """An upload that large goes through the bulk loader, which writes as it parses."""
    good = "".join(f'<urn:s{i}> <urn:p> "{"x" * 40}" .\n' for i in range(30_000))
    broken = good + '<urn:a> <urn:p> "open'
    assert len(broken) > 1024 * 1024
    _load(store, "<urn:a> <urn:p> 1 .")
    with pytest.raises(RdfSyntaxError) as caught:
        _load(store, broken)
    assert caught.value.line == 30_001
    with pytest.raises(RdfSyntaxError):
        _load(store, broken, G2)
    assert [(g.iri, g.triples) for g in store.graphs()] == [(G1, 1)]
    assert _load(store, good, G2) == 30_000


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


def _caught_mid_write(path: Path) -> None:
    """A store as a view opened mid-write finds it: a graph's new content in a staging
    graph beside the old, and a load into an empty graph, its marker still there."""
    writer = Store(str(path))
    p = NamedNode("http://example.org/p")
    writer.add(Quad(KEPT, p, Literal("old"), KEPT))
    writer.add(Quad(KEPT, p, Literal("new"), STAGED))
    marker = NamedNode(f"{STAGING_PREFIX}marker")
    writer.add(Quad(marker, NamedNode("urn:civicgraph:loading"), LOADING, marker))
    writer.add(Quad(LOADING, p, Literal("loading"), LOADING))
    writer.add_graph(NamedNode("http://example.org/empty"))
    writer.flush()


KEPT, LOADING = NamedNode("http://example.org/g"), NamedNode("http://example.org/loading")
STAGED = NamedNode(f"{STAGING_PREFIX}replace")


def test_a_view_opened_in_the_middle_of_a_write_sees_the_graphs_as_before_it(
    tmp_path: Path,
) -> None:
    """No staging triple, marker or graph still loading in the union, in ``GRAPH ?g``
    or in a graph list; a dataset that names a staging graph still reads it."""
    _caught_mid_write(tmp_path / "store")
    view = EmbeddedStore(tmp_path / "store", read_only=True)

    union = view.query("SELECT ?o { ?s ?p ?o }")
    assert isinstance(union, SelectResult)
    assert [row["o"].value for row in union.dicts()] == ["old"]
    graphs = view.query("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(graphs, SelectResult)
    assert [row["g"].value for row in graphs.dicts()] == [KEPT.value]
    assert [g.iri for g in view.graphs()] == [KEPT.value]
    named = view.query(f"SELECT ?o FROM <{STAGED.value}> {{ ?s ?p ?o }}")
    assert isinstance(named, SelectResult)
    assert [row["o"].value for row in named.dicts()] == ["new"]
    asked = view.query("ASK { GRAPH ?g { ?s ?p 'new' } }", named_graphs=[STAGED.value])
    assert isinstance(asked, AskResult)
    assert asked.value


def test_a_backup_of_a_view_mid_write_leaves_the_write_out(tmp_path: Path) -> None:
    """It keeps the graphs as they were, an empty one included."""
    _caught_mid_write(tmp_path / "store")
    EmbeddedStore(tmp_path / "store", read_only=True).backup(tmp_path / "copy")
    copy = EmbeddedStore(tmp_path / "copy")
    assert [(g.iri, g.triples) for g in copy.graphs()] == [(KEPT.value, 1)]
    assert copy.has_graph("http://example.org/empty")
    assert not copy.has_graph(LOADING.value)


def test_a_loading_marker_for_the_default_graph_hides_it_from_a_view(tmp_path: Path) -> None:
    writer = Store(str(tmp_path / "store"))
    marker = NamedNode(f"{STAGING_PREFIX}marker")
    mark = NamedNode("urn:civicgraph:default-graph")
    writer.add(Quad(marker, NamedNode("urn:civicgraph:loading"), mark, marker))
    writer.add(Quad(KEPT, KEPT, Literal("loading")))
    writer.add(Quad(KEPT, KEPT, Literal("kept"), KEPT))
    writer.flush()
    view = EmbeddedStore(tmp_path / "store", read_only=True)
    union = view.query("SELECT ?o { ?s ?p ?o }")
    assert isinstance(union, SelectResult)
    assert [row["o"].value for row in union.dicts()] == ["kept"]


WRITES = {
    "update": lambda s: s.update(f"INSERT DATA {{ GRAPH <{G2}> {{ <urn:a> <urn:p> 2 }} }} ;"),
    "update of a prologue alone": lambda s: s.update("PREFIX ex: <urn:ex:>"),
    "load into an empty graph": lambda s: s.load(b"<urn:a> <urn:p> 2, 3 .", TURTLE, G2),
    "reload": lambda s: s.load(b"<urn:a> <urn:p> 4 .", TURTLE, G1),
    "reload unchanged": lambda s: s.load(b"<urn:a> <urn:p> 1 .", TURTLE, G1),
    "add": lambda s: s.load(b"<urn:a> <urn:p> 5 .", TURTLE, G1, replace=False),
    "drop": lambda s: s.drop_graph(G1),
}


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_a_write_the_writer_stopped_after_committing_is_found_by_the_next(
    tmp_path: Path, write: str
) -> None:
    """The engine writes a transaction's log before it returns (seconds before, for a
    large one): a writer stopped in between committed the write without answering.
    The transaction that commits a write records its number and result; the next
    open finds the record, and drops it."""
    store = EmbeddedStore(tmp_path / "store")
    store.load(b"<urn:a> <urn:p> 1 .", TURTLE, G1)
    store.write_number = 7
    result = WRITES[write](store)
    store.close()  # stopped before ``forget_written``

    reopened = EmbeddedStore(tmp_path / "store")
    assert reopened.written == (7, None if result is None else int(result))
    assert reopened.write_number is None
    assert not any(is_staging(name) for name in reopened._store.named_graphs())
    reopened.close()
    assert EmbeddedStore(tmp_path / "store").written is None  # dropped as it was read


def test_the_writer_notes_the_graphs_its_writes_touched_until_a_record(tmp_path: Path) -> None:
    log = VersionLog(tmp_path / "log")
    store = EmbeddedStore(tmp_path / "store")
    owner = _Owner(tmp_path / "store", store, Generation(tmp_path / "g"), log)
    owner.record_start()
    assert owner.touched == set()
    load = {"source": b"<urn:a> <urn:p> 1 .", "fmt": TURTLE, "replace": True, "base_iri": None}
    assert owner.answer(("load", {**load, "graph": G1}, 1)) == ("ok", 1)
    assert owner.answer(("drop_graph", {"graph": G2}, 2)) == ("ok", False)  # changed nothing
    assert owner.touched == {G1}
    assert owner.answer(("record", {"who": "test", "action": "upload"}, 3)) == ("ok", None)
    assert owner.touched == set()
    update = {"sparql": f"INSERT DATA {{ GRAPH <{G2}> {{ <urn:a> <urn:p> 2 }} }}", "base_iri": None}
    assert owner.answer(("update", update, 4)) == ("ok", None)
    assert owner.touched == {G2, None}  # the graphs its text names, and the default graph
    anywhere = {"sparql": "INSERT { GRAPH ?g { <urn:a> <urn:p> 3 } } WHERE { GRAPH ?g {} }"}
    assert owner.answer(("update", {**anywhere, "base_iri": None}, 5)) == ("ok", None)
    assert owner.touched is None  # this one may change any graph: the record reads all
    assert owner.answer(("record", {"who": "test", "action": "update"}, 6)) == ("ok", None)
    assert [v.action for v in log.versions()][-2:] == ["upload", "update"]


@pytest.mark.parametrize(
    "forged",
    ['"garbage"', '"[1, 2, 3]"', '"[true, null]"', '"[1, \\"x\\"]"', "5", '"x"^^<urn:t>'],
)
def test_a_record_forged_by_an_update_is_no_record_and_opens(tmp_path: Path, forged: str) -> None:
    """A token holder's update can write into the record's graph by a prefixed name;
    what is not a record of ours must neither stop the store from opening nor count."""
    store = EmbeddedStore(tmp_path / "store")
    store.update(
        "PREFIX st: <urn:civicgraph:> "
        f"INSERT DATA {{ GRAPH st:staging:written {{ st:write st:write {forged} }} }}"
    )
    store.close()
    reopened = EmbeddedStore(tmp_path / "store")
    assert reopened.written is None
    assert not any(is_staging(name) for name in reopened._store.named_graphs())


def test_a_writes_record_stays_until_its_answer_is_sent_then_views_reopen(
    tmp_path: Path,
) -> None:
    """Dropped before the answer went out, a writer stopped in between (flushing the
    write) left an applied write that its client heard was not; dropped after, a view
    that reopened meanwhile must reopen again, or it keeps hiding the record's graph."""
    generation = Generation(tmp_path / "g")
    owner = _Owner(tmp_path / "store", EmbeddedStore(tmp_path / "store"), generation, None)
    update = {"sparql": "INSERT DATA { <urn:a> <urn:p> 1 }", "base_iri": None}
    assert owner.answer(("update", update, 5)) == ("ok", None)
    answered_at = generation.value()
    assert owner.store.has_graph(WRITTEN)  # until the answer is sent
    owner.answered()
    assert not owner.store.has_graph(WRITTEN)
    assert generation.value() == answered_at + 1
    owner.answered()  # nothing more to drop: no reopen
    assert generation.value() == answered_at + 1


def test_a_write_that_failed_or_was_answered_leaves_no_record(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.write_number = 8
    with pytest.raises(QuerySyntaxError) as caught:
        store.update("INSERT DATA { <urn:a> <urn:p> ")  # said of its own text, not ours
    assert "written" not in str(caught.value)
    store.write_number = 9
    store.update("INSERT DATA { <urn:a> <urn:p> 1 }")
    store.forget_written()
    store.close()
    assert EmbeddedStore(tmp_path / "store").written is None


def test_an_upload_of_several_parts_is_one_write_of_the_writer(tmp_path: Path) -> None:
    """The parts go into one staging graph and into place in one write: no other write
    can come between them (an update over ``GRAPH ?g`` once saw 350 of 400 parts), a
    part that fails leaves the target as it was, and no staging graph is left."""
    target, nt = "http://example.org/target", by_name("ntriples")
    store = EmbeddedStore(tmp_path / "store")
    owner = _Owner(tmp_path / "store", store, Generation(tmp_path / "g"), None)
    store.load(b'<urn:old> <urn:p> "1" .', nt, target)
    parts = [(b'_:b <urn:p> "1" .', nt), (b'_:b <urn:p> "1" .', nt)]

    def held() -> int:
        return {g.iri: g.triples for g in store.graphs()}[target]

    assert owner.answer(("load_parts", {"upload": Upload(parts, target)}, 7)) == ("ok", 2)
    assert held() == 2  # two blank nodes, and the old triple gone
    broken = Upload([(b'<urn:a> <urn:p> "2" .', nt), (b"<urn:a> <urn:p> oops", nt)], target)
    status, error = owner.answer(("load_parts", {"upload": broken}, 8))
    assert (status, type(error)) == ("error", RdfSyntaxError)
    assert held() == 2
    added = Upload([(b'<urn:a> <urn:p> "2" .', nt)] * 2, target, replace=False)
    assert owner.answer(("load_parts", {"upload": added}, 9)) == ("ok", 1)
    assert held() == 3
    assert not any(is_staging(name) for name in store.graph_names() if name)


def test_load_parts_replaces_or_adds_with_each_part_s_own_blank_nodes(store: GraphStore) -> None:
    graph, nt = "http://example.org/parts", by_name("ntriples")
    store.load(b'<urn:old> <urn:p> "1" .', nt, graph)
    parts = [(b'_:b <urn:p> "1" .', nt), (b'_:b <urn:p> "1" .', nt)]
    assert store.load_parts(Upload(parts, graph)) == 2
    assert store.load_parts(Upload([(b'<urn:a> <urn:p> "2" .', nt)], graph, replace=False)) == 1
    counted = store.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert isinstance(counted, SelectResult)
    assert [int(str(row["n"].value)) for row in counted.dicts()] == [3]
    assert [g.iri for g in store.graphs()] == [graph]


def test_a_graph_named_by_a_blank_node_is_loaded_under_an_iri_and_exported(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "s")
    trig = b"_:g { <urn:a> <urn:p> 1 . } <urn:g> { <urn:b> <urn:p> _:x . } <urn:c> <urn:p> 3 ."
    store.load(trig, by_name("trig"), G1)
    names = [n for n in store.graph_names() if n is not None]
    (skolem,) = [n for n in names if n.startswith(SKOLEM_BASE)]
    assert sorted(names) == sorted([G1, "urn:g", skolem])
    out = io.BytesIO()
    store.dump(out, by_name("nquads"))
    assert f'<urn:a> <urn:p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> <{skolem}> .' in (
        out.getvalue().decode()
    )


def test_a_store_holding_a_graph_named_by_a_blank_node_names_it_when_opened(
    tmp_path: Path,
) -> None:
    raw = Store(str(tmp_path / "s"))
    blank = BlankNode("b1")
    raw.add(Quad(NamedNode("urn:a"), NamedNode("urn:p"), Literal("x"), blank))
    raw.add(Quad(NamedNode("urn:a"), NamedNode("urn:p"), Literal("y"), blank))
    del raw
    store = EmbeddedStore(tmp_path / "s")
    assert store.graphs() == [GraphInfo(SKOLEM_BASE + "b1", 2)]
    store.close()
    reopened = EmbeddedStore(tmp_path / "s", read_only=True)
    assert reopened.graph_names() == [SKOLEM_BASE + "b1"]


def test_a_loading_marker_written_by_an_update_with_a_literal_breaks_nothing(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "s")
    _load(store, "<urn:a> <urn:p> 1 .")
    staging = f"{STAGING_PREFIX}x"
    store.update(
        f'INSERT DATA {{ GRAPH <{staging}> {{ <{staging}> <urn:civicgraph:loading> "x" }} }}'
    )
    store.flush()
    view = EmbeddedStore(tmp_path / "s", read_only=True)
    assert view.graph_names() == [G1]
    view.close()
    store.close()
    reopened = EmbeddedStore(tmp_path / "s")
    assert reopened.graphs() == [GraphInfo(G1, 1)]


def test_a_read_only_open_that_loses_a_file_to_compaction_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    EmbeddedStore(tmp_path / "store").close()
    opened = views.EmbeddedStore
    failures = [FileNotFoundError("No such file or directory: 000826.sst")]

    def open_once_lost(path: Path, *, read_only: bool = False) -> EmbeddedStore:
        if failures:  # the first read the opening makes meets a compacted-away file
            raise failures.pop()
        return opened(path, read_only=read_only)

    monkeypatch.setattr(views, "EmbeddedStore", open_once_lost)
    store = views.open_read_only(tmp_path / "store")
    assert not failures
    store.close()
