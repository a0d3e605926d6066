"""The typed values the network carries on its nodes and edges.

networkx stores attributes in dicts; each node and edge keeps one frozen record under
the key ``info`` so code reads typed fields instead of loose dict keys.
"""

import hashlib
from dataclasses import dataclass
from typing import Final

from civicgraph.readmodels.evidence import Confidence, Evidence

INFO: Final = "info"


@dataclass(frozen=True)
class NodeInfo:
    """An entity as a node: its label, most specific class and top-level group."""

    iri: str
    label: str
    cls: str
    cls_label: str
    group: str
    group_label: str
    classes: frozenset[str] = frozenset()
    description: str = ""
    alt_labels: tuple[str, ...] = ()
    literals: tuple[tuple[str, str], ...] = ()
    #: Date-typed literals by property IRI (not label): what ``timeline`` reads.
    dates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EvidenceSummary:
    """What views need of an edge's evidence before it is looked up: the best confidence."""

    confidence: Confidence | None = None


@dataclass(frozen=True)
class EdgeInfo:
    """A relation between two entities, with the evidence that supports it.

    Folded memberships carry ``role``, ``start`` and ``end``; ``via`` names the
    membership they came from. An edge read from the compact model carries a
    ``summary`` of its evidence instead, until the evidence is looked up for display.
    """

    id: str
    predicate: str
    property_label: str
    evidence: tuple[Evidence, ...] = ()
    role: str = ""
    start: str = ""
    end: str = ""
    via: str = ""
    summary: EvidenceSummary | None = None

    @property
    def confidence(self) -> Confidence | None:
        """The best confidence among the evidence, or None when there is none."""
        if self.summary is not None:
            return self.summary.confidence
        levels = [e.confidence for e in self.evidence if e.confidence is not None]
        return max(levels) if levels else None

    @property
    def cited(self) -> frozenset[tuple[str, str]]:
        """Every source document cited by the evidence held, with its label (what the
        build keeps for filters; an edge read back from the arrays holds none)."""
        return frozenset((s.iri, s.label) for e in self.evidence for s in e.sources)


def edge_id(subject: str, prop: str, obj: str) -> str:
    """A short id for an edge, stable across requests so views can merge expansions."""
    return hashlib.sha1(f"{subject} {prop} {obj}".encode(), usedforsecurity=False).hexdigest()[:16]
