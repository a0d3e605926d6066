"""Competency questions: each SPARQL file must return exactly its recorded answer.

The graph is loaded by the application's own loader: every Turtle file in its own
named graph, queried with the union of all graphs as the default graph.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

from civicgraph.store import GraphStore
from civicgraph.store.results import AskResult, SelectResult, term_value

QUERIES = Path(__file__).resolve().parent / "competency"
Row = tuple[tuple[str, str], ...]


def run(store: GraphStore, query: str) -> bool | Counter[Row]:
    """Answer as a boolean (ASK) or a multiset of rows of lexical values."""
    result = store.query(query)
    if isinstance(result, AskResult):
        return result.value
    assert isinstance(result, SelectResult)
    return Counter(
        tuple((name, term_value(term)) for name, term in row.items()) for row in result.dicts()
    )


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
def test_competency_query(bundled_store: GraphStore, path: Path) -> None:
    """Each competency question returns exactly its expected answer."""
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# title: ")
    assert lines[1].startswith("# question: ")
    got = normalise(run(bundled_store, path.read_text()))
    assert got == expected_answer(path.name)
