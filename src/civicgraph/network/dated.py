"""The compact network on a day, and what changed between two days, as masks.

The spans (``network.timeline``) are computed once, when the model is built, and
stored as day strings per node and edge; slicing on a day is then a few vectorised
comparisons, and a dated network is two boolean masks over the shared arrays rather
than a copy of the graph.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from civicgraph.network.compact import Compact

Mask = NDArray[np.bool_]


@dataclass(frozen=True)
class Scope:
    """The part of the model a projection covers: all of it, or what held on a day."""

    model: Compact
    nodes: Mask
    edges: Mask

    @classmethod
    def whole(cls, model: Compact) -> "Scope":
        """Every node and edge."""
        return cls(
            model, np.ones(model.node_count, dtype=bool), np.ones(model.edge_count, dtype=bool)
        )

    def touched(self) -> Mask:
        """Nodes with at least one relation in scope."""
        ends = self.model.ends[self.edges]
        count = np.bincount(ends.ravel(), minlength=self.model.node_count)
        found: Mask = count > 0
        return found

    def index(self, iri: str) -> int | None:
        """The number of an entity in scope, or None."""
        found = self.model.index(iri)
        return found if found is not None and self.nodes[found] else None


def _holds(start: NDArray[np.bytes_], end: NDArray[np.bytes_], day: bytes) -> Mask:
    """Spans covering ``day``; an empty day string is an open end."""
    result: Mask = ((start == b"") | (start <= day)) & ((end == b"") | (end >= day))
    return result


def _undated(start: NDArray[np.bytes_], end: NDArray[np.bytes_]) -> Mask:
    result: Mask = (start == b"") & (end == b"")
    return result


@dataclass(frozen=True)
class Dated:
    """The network on one day: which nodes and edges held, which of them carry no date."""

    day: str
    nodes: Mask
    edges: Mask
    undated_nodes: Mask
    undated_edges: Mask


def as_of(model: Compact, day: str, *, hide_undated: bool = False) -> Dated:
    """What held on ``day`` (a ``parse_day`` result); undated things kept unless hidden."""
    when = day.encode()
    undated_nodes = _undated(model.node_start, model.node_end)
    undated_edges = _undated(model.edge_start, model.edge_end)
    nodes = _holds(model.node_start, model.node_end, when)
    edges = _holds(model.edge_start, model.edge_end, when)
    if hide_undated:
        nodes, edges = nodes & ~undated_nodes, edges & ~undated_edges
    ends = model.ends
    edges = edges & nodes[ends[:, 0]] & nodes[ends[:, 1]]
    return Dated(day, nodes, edges, undated_nodes & nodes, undated_edges)


@dataclass(frozen=True)
class Shift:
    """Nodes and edges (numbers) that appeared or ended between two days."""

    appeared_nodes: tuple[int, ...]
    ended_nodes: tuple[int, ...]
    appeared_edges: tuple[int, ...]
    ended_edges: tuple[int, ...]
    unchanged_edges: tuple[int, ...]


def _around(model: Compact, focus: str | None) -> tuple[Mask, Mask]:
    """The nodes a comparison covers (all, or the focus and its neighbours) and their edges."""
    nodes = np.ones(model.node_count, dtype=bool)
    if focus is not None:
        nodes[:] = False
        found = model.index(focus)
        if found is not None:
            nodes[found] = True
            nodes[[other for _, other in model.neighbours(found)]] = True
    ends = model.ends
    return nodes, nodes[ends[:, 0]] & nodes[ends[:, 1]]


def _by_id(model: Compact, edges: Mask) -> tuple[int, ...]:
    found = np.flatnonzero(edges)
    order = np.argsort(model.edge_ids[found], kind="stable")
    return tuple(int(e) for e in found[order])


def shift(model: Compact, older: str, newer: str, *, focus: str | None = None) -> Shift:
    """What appeared and what ended from ``older`` to ``newer``, optionally around ``focus``."""
    before, after = as_of(model, older), as_of(model, newer)
    nodes, edges = _around(model, focus)
    was, now = before.nodes & nodes, after.nodes & nodes
    had, has = before.edges & edges, after.edges & edges
    return Shift(
        tuple(int(n) for n in np.flatnonzero(now & ~was)),
        tuple(int(n) for n in np.flatnonzero(was & ~now)),
        _by_id(model, has & ~had),
        _by_id(model, had & ~has),
        _by_id(model, has & had),
    )
