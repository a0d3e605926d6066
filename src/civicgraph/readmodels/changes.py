"""A change between two dataset versions, as people read it and as SPARQL applies it.

A patch is a list of triples; a reader wants "what happened to Code for America", so
rows are grouped by their subject and shown with readable names. The same change is
also written as SPARQL Update text, so that any SPARQL 1.1 server can apply it.
"""

from dataclasses import dataclass, field, replace

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse

from civicgraph.dataset.versions import DEFAULT, Change
from civicgraph.readmodels.labels import curie


@dataclass(frozen=True)
class ChangedValue:
    """One triple of an entity that appeared or went: its property, value and graph."""

    predicate: str
    value: str
    is_iri: bool
    graph: str


@dataclass(frozen=True)
class EntityChange:
    """Everything that changed about one subject between two versions."""

    subject: str
    label: str
    added: list[ChangedValue] = field(default_factory=list)
    removed: list[ChangedValue] = field(default_factory=list)

    def labelled(self, label: str | None) -> "EntityChange":
        """The same change named by the entity's label, when it has one."""
        return replace(self, label=label) if label else self

    def as_json(self) -> dict[str, object]:
        """The JSON shape of ``/versions/{a}/diff/{b}`` for one entity."""
        return {
            "subject": self.subject,
            "label": self.label,
            "added": [vars(v) for v in self.added],
            "removed": [vars(v) for v in self.removed],
        }


def _triples(rows: list[bytes]) -> list[Triple]:
    return list(parse(b"\n".join(rows), format=RdfFormat.N_TRIPLES)) if rows else []


def _value(term: object) -> tuple[str, bool]:
    if isinstance(term, NamedNode):
        return term.value, True
    if isinstance(term, Literal):
        return term.value, False
    return str(term), False


def by_entity(change: Change) -> list[EntityChange]:
    """The change grouped by subject, subjects in IRI order, removals beside additions."""
    groups: dict[str, EntityChange] = {}
    for part, attribute in ((change.added, "added"), (change.removed, "removed")):
        for graph, rows in part.items():
            for triple in _triples(rows):
                subject = _value(triple.subject)[0]
                group = groups.setdefault(subject, EntityChange(subject, curie(subject)))
                value, is_iri = _value(triple.object)
                getattr(group, attribute).append(
                    ChangedValue(curie(triple.predicate.value), value, is_iri, graph)
                )
    return [groups[s] for s in sorted(groups)]


def _data_block(part: dict[str, list[bytes]], *, deleting: bool) -> tuple[str, list[bytes]]:
    """The body of INSERT DATA / DELETE DATA, and the rows it cannot hold.

    SPARQL 1.1 Update §3.1.2: DELETE DATA may not name blank nodes, so such rows are
    left out of the text and reported as comments instead.
    """
    blocks, skipped = [], []
    for graph, rows in sorted(part.items()):
        blank = [r for r in rows if deleting and _has_blank_node(r)]
        kept = [r for r in rows if r not in blank]
        skipped += blank
        if not kept:
            continue
        body = "\n".join("    " + r.decode() for r in kept)
        blocks.append(f"  GRAPH <{graph}> {{\n{body}\n  }}" if graph != DEFAULT else body)
    return "\n".join(blocks), skipped


def _has_blank_node(row: bytes) -> bool:
    triple = _triples([row])[0]
    return isinstance(triple.subject, BlankNode) or isinstance(triple.object, BlankNode)


def update_text(change: Change) -> str:
    """SPARQL Update text that turns the older version into the newer one."""
    removed, skipped = _data_block(change.removed, deleting=True)
    added, _ = _data_block(change.added, deleting=False)
    parts = [f"# From dataset version {change.older} to version {change.newer}."]
    parts += [f"# Not expressible as DELETE DATA (blank node): {r.decode()}" for r in skipped]
    if removed:
        parts.append(f"DELETE DATA {{\n{removed}\n}} ;")
    if added:
        parts.append(f"INSERT DATA {{\n{added}\n}} ;")
    return "\n".join(parts).removesuffix(" ;") + "\n"
