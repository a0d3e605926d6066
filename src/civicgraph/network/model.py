"""The typed values the network carries on its nodes and edges.

networkx stores attributes in dicts; each node and edge keeps one frozen record under
the key ``info`` so code reads typed fields instead of loose dict keys.
"""

import hashlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from civicgraph.vocab import CIV

INFO: Final = "info"


class Confidence(IntEnum):
    """The ontology's confidence levels, ordered so that ``max`` picks the best."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def from_iri(cls, iri: str) -> "Confidence | None":
        """The level named by a ``civ:*Confidence`` IRI, or None for anything else."""
        return _BY_IRI.get(iri)

    @classmethod
    def parse(cls, text: str) -> "Confidence":
        """Read ``high``, ``medium`` or ``low`` (any case), as URLs and the CLI give it."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown confidence {text!r}; use high, medium or low") from None

    @property
    def label(self) -> str:
        """Lower-case name, as the JSON API writes it."""
        return self.name.lower()


_BY_IRI: Final = {
    str(CIV.HighConfidence): Confidence.HIGH,
    str(CIV.MediumConfidence): Confidence.MEDIUM,
    str(CIV.LowConfidence): Confidence.LOW,
}


@dataclass(frozen=True)
class Source:
    """A document a statement was derived from."""

    iri: str
    label: str


@dataclass(frozen=True)
class Evidence:
    """One reified statement backing an edge: where it came from and how sure it is."""

    statement: str
    sources: tuple[Source, ...]
    location: str = ""
    confidence: Confidence | None = None
    date: str = ""


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


@dataclass(frozen=True)
class EdgeInfo:
    """A relation between two entities, with the evidence that supports it.

    Folded memberships carry ``role``, ``start`` and ``end``; ``via`` names the
    membership they came from.
    """

    id: str
    predicate: str
    property_label: str
    evidence: tuple[Evidence, ...] = ()
    role: str = ""
    start: str = ""
    end: str = ""
    via: str = ""

    @property
    def confidence(self) -> Confidence | None:
        """The best confidence among the evidence, or None when there is none."""
        levels = [e.confidence for e in self.evidence if e.confidence is not None]
        return max(levels) if levels else None

    @property
    def sources(self) -> frozenset[str]:
        """Every source document cited by the evidence."""
        return frozenset(s.iri for e in self.evidence for s in e.sources)


def edge_id(subject: str, prop: str, obj: str) -> str:
    """A short id for an edge, stable across requests so views can merge expansions."""
    return hashlib.sha1(f"{subject} {prop} {obj}".encode(), usedforsecurity=False).hexdigest()[:16]


def local_name(iri: str) -> str:
    """The part of an IRI after the last ``#`` or ``/``, as a fallback label."""
    return iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
