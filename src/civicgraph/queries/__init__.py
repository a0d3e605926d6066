"""The named SPARQL files the application runs, and the one helper that runs them.

Queries live in ``.rq`` files next to this module so they can be read, run by hand
and measured in the benchmark; values are bound through ``bindings`` (SPARQL
substitution), never pasted into the text. :func:`select` runs one and returns its
rows typed, so read models never check the result's shape themselves.
"""

from collections.abc import Mapping
from functools import cache

from civicgraph.resources import queries_dir
from civicgraph.store import GraphStore
from civicgraph.store.results import QueryResult, SelectResult, Term

#: One SELECT row: each bound variable's term (unbound variables are left out).
Row = dict[str, Term]


@cache
def named_query(name: str) -> str:
    """Return the text of ``queries/{name}.rq``."""
    path = queries_dir() / f"{name}.rq"
    if not path.is_file():
        raise KeyError(f"no named query {name!r} in {queries_dir()}")
    return path.read_text(encoding="utf-8")


def rows(result: QueryResult) -> list[Row]:
    """The rows of a SELECT result; any other result is a programming error, said plainly."""
    if not isinstance(result, SelectResult):
        raise TypeError(f"expected the rows of a SELECT, got a {type(result).__name__}")
    return result.dicts()


def select(store: GraphStore, name: str, bindings: Mapping[str, Term] | None = None) -> list[Row]:
    """Run the named SELECT query ``name`` with ``bindings`` and return its rows."""
    return rows(store.query(named_query(name), bindings=bindings))
