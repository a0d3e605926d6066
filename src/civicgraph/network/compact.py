"""The network as compact arrays: what every process maps instead of building its own.

A networkx multigraph holding a record per node and edge costs kilobytes per entity;
at a million triples each serving process held hundreds of MiB of it. Here the same
network is a handful of numpy arrays: a node table and an edge table of string ids
into one interned string table, lists (classes, literals, cited sources) as CSR, and
the adjacency as CSR over edge numbers in both directions. Each edge's evidence is
summarised (best confidence, cited sources, the span the timeline reads) for filters,
and kept in full as two more CSR levels (records per edge, sources per record), decoded
only for the edges a view or a path shows (``Compact.evidence``): the statements were
read once, by the build, and a view reads its edges' few pages of the mapped file
instead of asking the store for a few hundred statements each time (at 100k triples,
about 40 ms for every 200 subjects).

Nodes are numbered in IRI order and edges in the order the networkx projection lists
them, so a subgraph rebuilt from the arrays (``Compact.subgraph``) iterates exactly as
the projection's own subgraph did, and views, layouts and paths come out the same.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Final

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from civicgraph.network.model import INFO, EdgeInfo, EvidenceSummary, NodeInfo
from civicgraph.network.timeline import edge_span, first_year, node_span
from civicgraph.readmodels.evidence import CitedSource, Confidence, Evidence

Ints = NDArray[np.int64]
_NODE_FIELDS: Final = ("iri", "label", "cls", "cls_label", "group", "group_label", "description")
_EDGE_FIELDS: Final = ("id", "predicate", "property_label", "role", "start", "end", "via")
#: An evidence record's strings; its confidence follows them as a number.
_EVIDENCE_FIELDS: Final = ("statement", "location", "date", "note")


#: Decoded strings each process keeps (a few MiB at most).
TEXTS_KEPT: Final = 1 << 15


class _Interner:
    """Strings to ids, each distinct string stored once."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {"": 0}

    def __call__(self, text: str) -> int:
        return self.ids.setdefault(text, len(self.ids))

    def arrays(self) -> dict[str, NDArray[Any]]:
        encoded = [text.encode() for text in self.ids]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return {
            "strings": np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8),
            "string_offsets": offsets,
        }


def _csr(rows: Sequence[Sequence[tuple[int, ...]]], width: int) -> tuple[Ints, Ints]:
    pointers = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=pointers[1:])
    flat = [item for row in rows for item in row]
    return pointers, np.array(flat, dtype=np.int64).reshape(len(flat), width)


def _adjacency(ends: Ints, column: int, count: int) -> tuple[Ints, Ints]:
    order = np.argsort(ends[:, column], kind="stable")
    pointers = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(ends[:, column], minlength=count), out=pointers[1:])
    return pointers, order.astype(np.int64)


def _day(value: str | None) -> bytes:
    return (value or "").encode()


def _evidence_arrays(
    edges: Sequence[EdgeInfo], intern: Callable[[str], int]
) -> dict[str, NDArray[Any]]:
    """Each edge's evidence records, and each record's sources, as two CSR levels."""
    records = [[_record(item, intern) for item in info.evidence] for info in edges]
    sources = [
        [(intern(s.iri), intern(s.label)) for s in item.sources]
        for info in edges
        for item in info.evidence
    ]
    out: dict[str, NDArray[Any]] = {}
    out["evidence_pointers"], out["evidence"] = _csr(records, len(_EVIDENCE_FIELDS) + 1)
    out["evidence_sources_pointers"], out["evidence_sources"] = _csr(sources, 2)
    return out


def _record(item: Evidence, intern: Callable[[str], int]) -> tuple[int, ...]:
    return (*(intern(getattr(item, f)) for f in _EVIDENCE_FIELDS), int(item.confidence or 0))


def arrays_of(graph: nx.MultiDiGraph) -> dict[str, NDArray[Any]]:
    """The arrays of a projection (``network.projection.project``), ready to save."""
    intern = _Interner()
    nodes = sorted(graph)
    index = {node: number for number, node in enumerate(nodes)}
    infos: list[NodeInfo] = [graph.nodes[n][INFO] for n in nodes]
    edges = [(u, v, d[INFO]) for u, v, d in graph.edges(data=True)]
    node_spans = [node_span(info) for info in infos]
    edge_spans = [edge_span(info) for _, _, info in edges]
    lists: dict[str, list[list[tuple[int, ...]]]] = {
        "classes": [[(intern(c),) for c in sorted(i.classes)] for i in infos],
        "alt_labels": [[(intern(a),) for a in i.alt_labels] for i in infos],
        "literals": [[(intern(p), intern(v)) for p, v in i.literals] for i in infos],
        "dates": [[(intern(p), intern(v)) for p, v in i.dates] for i in infos],
        "cited": [
            sorted((intern(iri), intern(label)) for iri, label in info.cited)
            for _, _, info in edges
        ],
    }
    ends = np.array([(index[u], index[v]) for u, v, _ in edges], dtype=np.int64).reshape(-1, 2)
    out = dict(zip(("out_pointers", "out_edges"), _adjacency(ends, 0, len(nodes)), strict=True))
    out.update(zip(("in_pointers", "in_edges"), _adjacency(ends, 1, len(nodes)), strict=True))
    for name, rows in lists.items():
        out[f"{name}_pointers"], out[name] = _csr(
            rows, 1 if name in ("classes", "alt_labels") else 2
        )
    edge_ids = np.array([info.id.encode() for _, _, info in edges], dtype="S16")
    order = np.argsort(edge_ids, kind="stable").astype(np.int64)
    out.update(
        nodes=np.array(
            [[intern(getattr(i, f)) for f in _NODE_FIELDS] for i in infos], dtype=np.int64
        ).reshape(-1, len(_NODE_FIELDS)),
        edges=np.array(
            [[intern(getattr(i, f)) for f in _EDGE_FIELDS] for _, _, i in edges], dtype=np.int64
        ).reshape(-1, len(_EDGE_FIELDS)),
        ends=ends,
        confidence=np.array([i.confidence or 0 for _, _, i in edges], dtype=np.int8),
        node_start=np.array([_day(s.start) for s in node_spans], dtype="S10"),
        node_end=np.array([_day(s.end) for s in node_spans], dtype="S10"),
        edge_start=np.array([_day(s.start) for s in edge_spans], dtype="S10"),
        edge_end=np.array([_day(s.end) for s in edge_spans], dtype="S10"),
        edge_ids=edge_ids,
        edge_id_order=order,
        sorted_edge_ids=edge_ids[order],
        first_year=np.array([first_year(infos)], dtype=np.int64),
    )
    out.update(_evidence_arrays([info for _, _, info in edges], intern))
    out.update(intern.arrays())
    return out


@dataclass(frozen=True)
class Compact:
    """One projection as arrays (memory-mapped from a file, or held for an in-memory store)."""

    arrays: dict[str, NDArray[Any]]
    _texts: Callable[[int], str] = field(init=False, repr=False, compare=False)

    def __getattr__(self, name: str) -> NDArray[Any]:
        try:
            return self.arrays[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def node_count(self) -> int:
        """How many entities the network holds."""
        return len(self.arrays["nodes"])

    @property
    def edge_count(self) -> int:
        """How many relations the network holds."""
        return len(self.arrays["edges"])

    def __post_init__(self) -> None:
        # Labels, classes and relation names repeat from record to record.
        object.__setattr__(self, "_texts", lru_cache(maxsize=TEXTS_KEPT)(self._decode))

    def _decode(self, sid: int) -> str:
        offsets = self.arrays["string_offsets"]
        return bytes(self.arrays["strings"][offsets[sid] : offsets[sid + 1]]).decode()

    def text(self, sid: int) -> str:
        """The interned string ``sid``."""
        return self._texts(int(sid))

    def sid(self, text: str) -> int | None:
        """The id of an interned string, or None (a linear scan: for a few filter terms)."""
        wanted = text.encode()
        strings, offsets = self.arrays["strings"], self.arrays["string_offsets"]
        starts = np.flatnonzero(np.diff(offsets) == len(wanted))
        for sid in starts:
            if bytes(strings[offsets[sid] : offsets[sid + 1]]) == wanted:
                return int(sid)
        return None

    def iri(self, node: int) -> str:
        """The IRI of node number ``node``."""
        return self.text(int(self.arrays["nodes"][node, 0]))

    def index(self, iri: str) -> int | None:
        """The number of the node ``iri`` (nodes are in IRI order: a binary search)."""
        low, high = 0, self.node_count
        while low < high:
            middle = (low + high) // 2
            if self.iri(middle) < iri:
                low = middle + 1
            else:
                high = middle
        return low if low < self.node_count and self.iri(low) == iri else None

    def edge_index(self, edge_id: str) -> int | None:
        """The number of the edge with id ``edge_id``, if the network has it."""
        ids, order = self.arrays["sorted_edge_ids"], self.arrays["edge_id_order"]
        key = edge_id.encode()
        at = int(np.searchsorted(ids, key))
        return int(order[at]) if at < len(ids) and ids[at] == key else None

    def rows(self, name: str, item: int) -> NDArray[Any]:
        """The list ``name`` of a node (classes, alt_labels, literals, dates) or edge (cited)."""
        pointers = self.arrays[f"{name}_pointers"]
        return self.arrays[name][pointers[item] : pointers[item + 1]]

    def _pairs(self, name: str, item: int) -> tuple[tuple[str, str], ...]:
        return tuple((self.text(a), self.text(b)) for a, b in self.rows(name, item).tolist())

    def brief_info(self, node: int) -> NodeInfo:
        """What a drawing shows of node ``node``: names, class, group, description."""
        iri, label, cls, cls_label, group, group_label, description = map(
            self.text, self.arrays["nodes"][node]
        )
        return NodeInfo(iri, label, cls, cls_label, group, group_label, description=description)

    def node_info(self, node: int) -> NodeInfo:
        """The record of node number ``node``, as the projection made it."""
        return replace(
            self.brief_info(node),
            classes=frozenset(self.text(c) for (c,) in self.rows("classes", node)),
            alt_labels=tuple(self.text(a) for (a,) in self.rows("alt_labels", node)),
            literals=self._pairs("literals", node),
            dates=self._pairs("dates", node),
        )

    def edge_info(self, edge: int) -> EdgeInfo:
        """The record of edge number ``edge``: evidence summarised, not held."""
        edge_id, predicate, label, role, start, end, via = map(
            self.text, self.arrays["edges"][edge]
        )
        level = int(self.arrays["confidence"][edge])
        summary = EvidenceSummary(Confidence(level) if level else None)
        return EdgeInfo(edge_id, predicate, label, (), role, start, end, via, summary=summary)

    def evidence(self, edge: int) -> tuple[Evidence, ...]:
        """The evidence of edge number ``edge``, as the projection read it."""
        start, stop = self.evidence_pointers[edge : edge + 2].tolist()
        return tuple(map(self._evidence_record, range(start, stop)))

    def _evidence_record(self, record: int) -> Evidence:
        statement, location, date, note, level = self.arrays["evidence"][record].tolist()
        sources = (CitedSource(*pair) for pair in self._pairs("evidence_sources", record))
        # A statement's own strings are nearly all distinct: decoded past the cache of
        # the labels and names that views repeat, so as not to push those out of it.
        return Evidence(
            statement=self._decode(statement),
            sources=tuple(sources),
            location=self._decode(location),
            confidence=Confidence(level) if level else None,
            date=self._decode(date),
            note=self._decode(note),
        )

    def groups(self, nodes: Ints) -> list[tuple[str, str]]:
        """The group (id, label) of each of the nodes numbered ``nodes``."""
        at = _NODE_FIELDS.index("group")
        found = self.arrays["nodes"][nodes, at : at + 2].reshape(-1, 2)
        distinct, each = np.unique(found, axis=0, return_inverse=True)
        names = [(self.text(group), self.text(label)) for group, label in distinct.tolist()]
        return [names[which] for which in each.ravel().tolist()]

    def label(self, node: int) -> str:
        """The label of node number ``node``."""
        return self.text(int(self.arrays["nodes"][node, 1]))

    def neighbours(self, node: int) -> Iterator[tuple[int, int]]:
        """(edge, other end) for every edge out of and into ``node``."""
        ends = self.arrays["ends"]
        for direction, column in (("out", 1), ("in", 0)):
            pointers = self.arrays[f"{direction}_pointers"]
            for edge in self.arrays[f"{direction}_edges"][pointers[node] : pointers[node + 1]]:
                yield int(edge), int(ends[edge, column])

    def subgraph(self, nodes: Iterable[int], edges: Iterable[int]) -> nx.MultiDiGraph:
        """A networkx multigraph of some nodes and edges, in model order.

        Nodes carry their brief records (``brief_info``): views and paths draw no more,
        and a view kept to the best-connected nodes may hold thousands before the cap.
        Edges carry their records, evidence summarised.
        """
        graph = nx.MultiDiGraph()
        for node in sorted(nodes):
            brief = self.brief_info(node)
            graph.add_node(brief.iri, **{INFO: brief})
        ends = self.arrays["ends"]
        for edge in sorted(edges):
            u, v = (self.iri(int(end)) for end in ends[edge])
            info = self.edge_info(edge)
            graph.add_edge(u, v, key=info.id, **{INFO: info})
        return graph
