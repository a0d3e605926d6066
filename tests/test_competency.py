"""Competency questions: each SPARQL file must return exactly its recorded answer.

The graph is loaded the way the application serves it: every Turtle file in its own
named graph, queried with the union of all named graphs as the default graph.
"""

import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

pytestmark = pytest.mark.filterwarnings("error")

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "tests" / "competency"
GRAPH_BASE = "https://w3id.org/civicgraph/graph/"
Row = tuple[tuple[str, str], ...]


def load_store() -> ox.Store:
    """Load each ontology and data file into graph/{file-stem}, as the app does."""
    store = ox.Store()
    for path in sorted([*ROOT.glob("ontology/*.ttl"), *ROOT.glob("graph_data/*.ttl")]):
        graph = ox.NamedNode(GRAPH_BASE + path.stem)
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=graph)
    return store


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """One store for all queries: loading is the slow part."""
    return load_store()


def run(store: ox.Store, query: str) -> bool | Counter[Row]:
    """Answer as a boolean (ASK) or a multiset of rows of lexical values."""
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    rows = [tuple((n, s[n].value) for n in names if s[n] is not None) for s in result]
    return Counter(rows)


def expected_answer(name: str) -> bool | Counter[Row]:
    """Read the recorded answer in the same shape that run() returns."""
    answer = json.loads((QUERIES / "expected.json").read_text())[name]
    if isinstance(answer, bool):
        return answer
    return Counter(tuple(sorted(row.items())) for row in answer)


def normalise(answer: bool | Counter[Row]) -> bool | Counter[Row]:
    """Sort each row's bindings so that column order does not matter."""
    if isinstance(answer, bool):
        return answer
    return Counter({tuple(sorted(row)): n for row, n in answer.items()})


def test_every_query_has_an_answer() -> None:
    """A query without a recorded answer would silently go untested."""
    recorded = set(json.loads((QUERIES / "expected.json").read_text()))
    assert recorded == {p.name for p in QUERIES.glob("*.rq")}


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.name)
def test_competency_query(store: ox.Store, path: Path) -> None:
    """Each competency question returns exactly its expected answer."""
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# title: ") and lines[1].startswith("# question: ")
    got = normalise(run(store, path.read_text()))
    assert got == expected_answer(path.name)
