"""Exports of the dataset or one graph, in every RDF format of ``formats.py``.

The metadata graph (load records) is bookkeeping, not data, so whole-dataset exports
leave it out: an export then round-trips to exactly what was loaded.
"""

from collections.abc import Callable
from typing import BinaryIO

from pyoxigraph import NamedNode

from civicgraph.errors import NotFoundError, UserInputError
from civicgraph.formats import Format
from civicgraph.store import GraphStore
from civicgraph.vocab import GRAPH_BASE, META_GRAPH


def data_graphs(store: GraphStore) -> list[str | None]:
    """Every graph that holds data (the default graph included), metadata left out."""
    return [g for g in store.graph_names() if is_data_graph(g)]


def is_data_graph(graph: str | None) -> bool:
    """Whether ``graph`` holds data, not the server's own record of loads."""
    return graph != META_GRAPH


def export(store: GraphStore, out: BinaryIO, fmt: Format, graph: str | None = None) -> None:
    """Write the whole dataset, or one named graph, to ``out``."""
    if graph is None:
        store.dump(out, fmt, data_graphs(store))
        return
    check_graph(graph, store.has_graph)
    store.dump(out, fmt, [graph])


def check_graph(graph: str, exists: Callable[[str], bool]) -> None:
    """Refuse a graph name that is not an absolute IRI (400) or names no graph (404)."""
    try:
        NamedNode(graph)
    except ValueError as exc:
        raise UserInputError(f"A graph is named by an absolute IRI, not {graph!r}: {exc}") from exc
    if not exists(graph):
        raise NotFoundError(f"No graph named <{graph}>; 'civicgraph stats' lists them", graph)


def export_filename(version: str, fmt: Format, graph: str | None = None) -> str:
    """A download name that says what it holds: ``civicgraph-{graph}-{version}.{ext}``."""
    part = "dataset"
    if graph is not None:
        part = graph.removeprefix(GRAPH_BASE).replace("/", "-") or "graph"
        part = "".join(c if c.isalnum() or c in "-_." else "_" for c in part)[:80]
    return f"civicgraph-{part}-{version}.{fmt.extension}"
