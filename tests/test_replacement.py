"""A graph's content replaced in one update of the triples that differ (``replacement``)."""

from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Store

from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore, replacement
from civicgraph.store.results import GraphResult

G = "urn:g"
NT = by_name("ntriples")
#: Terms whose N-Triples spelling SPARQL must read back as they were: escapes, control
#: characters, a base direction, a number the store writes its own way, SPARQL's own
#: punctuation inside a string, and a backslash before a "u".
SPELLINGS = (
    '<urn:a> <urn:p> "q\\"b\\\\s\\nn\\u0000z\\u007F \\r\\t\\b\\f é 😀"@en .\n'
    '<urn:a> <urn:p> "x"@ar--rtl .\n'
    '<urn:a> <urn:p> "007"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    '<urn:a> <urn:p> "{ } ; . GRAPH <urn:g> DELETE" .\n'
    '<urn:a> <urn:p> "\\\\u0041" .\n'
    "<urn:a%20b?c=d#e> <urn:p> <http://example.org/é> .\n"
)


def _content(store: EmbeddedStore) -> set[str]:
    """The graph's triples as N-Triples lines."""
    found = store.query(f"CONSTRUCT {{ ?s ?p ?o }} {{ GRAPH <{G}> {{ ?s ?p ?o }} }}")
    assert isinstance(found, GraphResult)
    return {f"{t.subject} {t.predicate} {t.object} ." for t in found.triples}


def _expected(text: str) -> set[str]:
    parsed = Store()
    parsed.load(text.encode(), RdfFormat.N_TRIPLES)
    return {f"{q.subject} {q.predicate} {q.object} ." for q in parsed}


def test_terms_of_every_spelling_are_replaced_as_parsed(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.load(b'<urn:a> <urn:p> "old" .', NT, G)
    assert store.load(SPELLINGS.encode(), NT, G) == 6
    assert _content(store) == _expected(SPELLINGS)
    # Loaded again, each is found unchanged: none is removed and written again as another.
    assert store.load(SPELLINGS.encode(), NT, G) == 6
    assert _content(store) == _expected(SPELLINGS)


def test_a_graph_holding_a_triple_term_is_replaced_through_a_staging_graph(
    tmp_path: Path,
) -> None:
    """``in_memory`` does not write triple terms out (an update may have put one in);
    the staging graph replaces such a graph all the same."""
    store = EmbeddedStore(tmp_path / "store")
    store.update(
        f"INSERT DATA {{ GRAPH <{G}> {{ <urn:a> <urn:p> <<( <urn:x> <urn:y> <urn:z> )>> }} }}"
    )
    new = "<urn:a> <urn:p> <urn:o> .\n<urn:b> <urn:p> _:b .\n"
    assert store.load(new.encode(), NT, G) == 2
    assert len(_content(store)) == 2
    assert "<urn:a> <urn:p> <urn:o> ." in _content(store)


def test_in_memory_leaves_a_graph_holding_a_triple_term_to_the_staging_graph() -> None:
    held = Store()
    held.update("INSERT DATA { <urn:a> <urn:p> <<( <urn:x> <urn:y> <urn:z> )>> }")
    parsed = Store()
    parsed.load(b"<urn:a> <urn:p> <urn:o> .", RdfFormat.N_TRIPLES)
    triples = {q.triple for q in parsed}
    assert replacement.in_memory({q.triple for q in held}, triples, G) is None


def test_an_unchanged_graph_needs_no_operation() -> None:
    parsed = Store()
    parsed.load(b'<urn:a> <urn:p> "1" .\n<urn:a> <urn:p> "2" .', RdfFormat.N_TRIPLES)
    triples = {q.triple for q in parsed}
    assert replacement.in_memory(triples, triples, G) == []


def test_a_source_too_large_to_compare_in_memory_goes_through_a_staging_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replacement, "MOST_BYTES", 10)
    monkeypatch.setattr(replacement, "in_memory", lambda *a: pytest.fail("compared in memory"))
    store = EmbeddedStore(tmp_path / "store")
    store.load(b'<urn:a> <urn:p> "1" .', NT, G)
    assert store.load(b'<urn:a> <urn:p> "2" .', NT, G) == 1
    assert _content(store) == _expected('<urn:a> <urn:p> "2" .')


def test_operations_sparql_refuses_leave_the_replacement_and_its_record_to_the_staging_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spelling SPARQL would not read back writes nothing: the staging graph replaces
    the graph, and the write's record goes with it."""
    monkeypatch.setattr(replacement, "in_memory", lambda *a: ["INSERT DATA { <urn:a> }"])
    store = EmbeddedStore(tmp_path / "store")
    store.load(b'<urn:a> <urn:p> "1" .', NT, G)
    store.write_number = 5
    assert store.load(b'<urn:a> <urn:p> "2" .', NT, G) == 1
    assert _content(store) == _expected('<urn:a> <urn:p> "2" .')
    store.close()
    assert EmbeddedStore(tmp_path / "store").written == (5, 1)


@pytest.mark.parametrize("way", ["in-memory", "staging"])
def test_adding_to_a_graph_keeps_its_triples_and_counts_the_uploads(
    tmp_path: Path, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An add (a Graph Store POST) is replacing nothing: the new triples are inserted,
    those already there kept once, blank nodes never merged with the graph's."""
    if way == "staging":
        monkeypatch.setattr(replacement, "MOST_BYTES", 0)
    store = EmbeddedStore(tmp_path / "store")
    store.load(b'<urn:a> <urn:p> "1" .\n_:b <urn:p> "3" .\n', NT, G)
    added = b'<urn:a> <urn:p> "1" .\n<urn:a> <urn:p> "2" .\n_:b <urn:p> "3" .\n'
    assert store.load(added, NT, G, replace=False) == 3
    assert len(_content(store)) == 4
    assert {'<urn:a> <urn:p> "1" .', '<urn:a> <urn:p> "2" .'} <= _content(store)
