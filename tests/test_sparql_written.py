"""An update's text names the graphs it can change; a version record reads only those.

Each case is also run on a store holding four graphs: every graph whose rows changed
must be among those named (a graph left out would keep its old rows in the log).
"""

import pytest
from pyoxigraph import DefaultGraph, NamedNode, Quad, Store

from civicgraph.sparql.written import MOST_TOKENS, graphs_written

A, B, C = "http://e.org/a", "http://e.org/b", "http://e.org/c"
_P = "PREFIX e: <http://e.org/> "

SETTLED: list[tuple[str, set[str | None]]] = [
    ("INSERT DATA { <urn:s> <urn:p> 1 }", {None}),
    (f"INSERT DATA {{ GRAPH <{A}> {{ <urn:s> <urn:p> 1 }} }}", {None, A}),
    (
        _P + "delete data { graph e:a { e:s e:p 1 } } ; INSERT DATA { GRAPH e:b { e:s e:p 2 } }",
        {None, A, B},
    ),
    (f"WITH <{A}> DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {None, A}),
    (
        f"DELETE {{ GRAPH <{B}> {{ ?s ?p ?o }} }} USING NAMED <{C}> "
        "WHERE { GRAPH ?g { ?s ?p ?o } }",
        {None, B},
    ),
    (f"DELETE WHERE {{ GRAPH <{C}> {{ ?s ?p ?o }} }}", {None, C}),
    (f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH <{A}> {{ ?s ?p ?o }} }}", {None}),
    (f"CLEAR GRAPH <{A}> ; DROP SILENT GRAPH <{B}> ; CLEAR DEFAULT", {None, A, B}),
    (f"CREATE SILENT GRAPH <{C}>", {None, C}),
    (f"ADD SILENT <{A}> TO <{B}>", {None, A, B}),
    (_P + "MOVE e:a TO DEFAULT", {None, A}),
    (_P + "COPY GRAPH e:c TO GRAPH e:b", {None, B, C}),
    (
        "INSERT DATA { GRAPH <http://e.org/a> { <urn:s> <urn:p> 'GRAPH ?g WITH' } } # GRAPH ?x",
        {None, A},
    ),
    ("", {None}),
]

UNSETTLED = [
    "INSERT { GRAPH ?g { <urn:s> <urn:p> 1 } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
    "CLEAR ALL",
    "DROP NAMED",
    "LOAD <http://e.org/data.ttl>",
    "INSERT DATA { GRAPH <a> { <urn:s> <urn:p> 1 } }",
    "BASE <http://e.org/> INSERT DATA { GRAPH <a> { <urn:s> <urn:p> 1 } }",
    _P + "PREFIX e: <http://x.org/> INSERT DATA { GRAPH e:a { <urn:s> <urn:p> 1 } }",
    "INSERT DATA { GRAPH e:a { <urn:s> <urn:p> 1 } }",
    _P + "INSERT DATA { GRAPH e:a\\.b { <urn:s> <urn:p> 1 } }",
    "INSERT DATA { GRAPH <http://e.org/\\u0061> { <urn:s> <urn:p> 1 } }",
    "INSERT DATA { GRAPH <http://e.org/a> { <urn:s> <urn:p> 'unterminated } }",
    "SELECT * WHERE { ?s ?p ?o }",
    # pyoxigraph reads a keyword wherever its letters begin a word or a prefix
    f"CLEAR SILENTGRAPH <{A}>",
    "DROP SILENTALL",
    "CLEAR SILENTNAMED",
    "PREFIX : <http://e.org/> INSERT DATA { GRAPH:a { <urn:s> <urn:p> 1 } }",
    _P + "INSERT DATA { GRAPHe:a { <urn:s> <urn:p> 1 } }",
    _P + "DELETE WHERE { GRAPHe:a { ?s ?p ?o } }",
    f"INSERT DATA {{ <urn:s> <urn:p> trueGRAPH <{A}> {{ <urn:s> <urn:p> 7 }} }}",
    _P + "PREFIX TOe: <http://x.org/> ADD e:a TOe:b",
    "PREFIX SILENTe: <http://x.org/> MOVE SILENTe:a TO <http://e.org/b>",
]


@pytest.mark.parametrize(("update", "named"), SETTLED)
def test_an_update_names_the_graphs_it_writes(update: str, named: set[str | None]) -> None:
    assert graphs_written(update) == named


@pytest.mark.parametrize("update", UNSETTLED)
def test_an_update_that_does_not_settle_its_graphs_names_none(update: str) -> None:
    assert graphs_written(update) is None


def test_a_text_of_more_tokens_than_the_bound_is_not_settled() -> None:
    # Eight tokens around the data, four a triple: at the bound, then one triple past.
    triples = (MOST_TOKENS - 8) // 4
    assert 8 + 4 * triples == MOST_TOKENS

    def update(count: int) -> str:
        return f"INSERT DATA {{ GRAPH <{A}> {{{' <urn:s> <urn:p> 1 .' * count}}} }}"

    assert graphs_written(update(triples)) == {None, A}
    assert graphs_written(update(triples + 1)) is None


def _graphs(store: Store) -> dict[str | None, set[Quad]]:
    names: list[NamedNode | DefaultGraph] = [DefaultGraph(), *map(NamedNode, (A, B, C))]
    found = {name: set(store.quads_for_pattern(None, None, None, name)) for name in names}
    return {getattr(name, "value", None): quads for name, quads in found.items()}


@pytest.mark.parametrize(("update", "named"), [case for case in SETTLED if case[0]])
def test_what_an_update_changes_is_in_the_graphs_it_names(
    update: str, named: set[str | None]
) -> None:
    store = Store()
    for graph in (DefaultGraph(), *map(NamedNode, (A, B, C))):
        for i in range(2):
            store.add(
                Quad(NamedNode(f"urn:s{i}"), NamedNode("urn:p"), NamedNode(f"urn:o{i}"), graph)
            )
    before = _graphs(store)
    store.update(update)
    after = _graphs(store)
    assert {graph for graph in before if before[graph] != after[graph]} <= named


def test_an_update_read_only_in_part_is_not_settled() -> None:
    """Read as pyoxigraph reads it, the ``GRAPH`` after the comparison is in a string."""
    text = (
        "INSERT { GRAPH <g:a> { ?s ?p ?o } } WHERE { ?s ?p ?o FILTER(?o<?b&&'x>'!='GRAPH <g:b>') }"
    )
    assert graphs_written(text.replace("?o<?b", "?o < ?b")) == {None, "g:a"}
    assert graphs_written(text) is None
