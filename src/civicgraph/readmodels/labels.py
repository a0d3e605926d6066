"""The one rule that names a resource, wherever it is shown.

Entity pages, the network explorer, the path finder, search, the gallery and the
exports all name things through :func:`best_label`, so an entity carries the same
name everywhere. Labels come from the four properties in :data:`LABEL_PROPERTIES`
(the queries read them with the path in :data:`LABEL_PATH`); among them English
(``en``, ``en-GB`` …) comes first, then untagged text, then other languages; within
one language the shortest label wins and ties go alphabetically, so the choice never
depends on the order a store returns rows in. A resource with no label is named by
its IRI's local name.
"""

import re
from collections.abc import Iterable
from typing import Final

from pyoxigraph import Literal, NamedNode

from civicgraph.queries import named_query, rows
from civicgraph.sparql.binding import bind_each
from civicgraph.store import GraphStore
from civicgraph.store.results import Term, term_value
from civicgraph.vocab import FOAF, PREFIXES, RDFS, SDO, SKOS, XSD

#: The properties that name a resource, as full IRIs.
LABEL_PROPERTIES: Final = tuple(t.value for t in (RDFS.label, SKOS.prefLabel, SDO.name, FOAF.name))
#: The same properties as a SPARQL property path, for the named queries.
LABEL_PATH: Final = "|".join(f"<{iri}>" for iri in LABEL_PROPERTIES)

_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _language_rank(language: str | None) -> int:
    tag = (language or "").lower()
    if tag == "en" or tag.startswith("en-"):
        return 0
    return 1 if not tag else 2


def _rank(term: Literal) -> tuple[int, int, str]:
    return (_language_rank(term.language), len(term.value), term.value)


def best_label(candidates: Iterable[Term | None]) -> str:
    """The label to show among candidate values; non-literals are ignored, none gives ``""``."""
    literals = [t for t in candidates if isinstance(t, Literal)]
    return min(literals, key=_rank).value if literals else ""


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or ``/``), the label of last resort."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


def label_or_name(iri: str, candidates: Iterable[Term | None]) -> str:
    """The best label, or the IRI's local name when there is none."""
    return best_label(candidates) or local_name(iri)


#: Datatypes whose values read better grouped in thousands (XSD §3.3.3, §3.4.13-§3.4.25).
_GROUPED: Final = frozenset(
    XSD.namespace + name
    for name in (
        "decimal", "integer", "long", "int", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
    )
)  # fmt: skip


def shown_value(term: Literal) -> str:
    """A literal as a reader sees it: a whole or decimal number grouped in thousands
    (``1,711,011,443``; ``1711011443`` was hard to read as a cost), anything else as
    written. Pages keep the value as written in the tooltip."""
    whole, dot, fraction = term.value.partition(".")
    digits = whole.lstrip("+-")
    if term.datatype.value not in _GROUPED or not digits.isascii() or not digits.isdigit():
        return term.value
    first = len(digits) % 3 or 3  # grouped as text: ``int`` refuses 4,300 digits or more
    groups = [digits[:first], *(digits[i : i + 3] for i in range(first, len(digits), 3))]
    return f"{whole[: len(whole) - len(digits)]}{','.join(groups)}{dot}{fraction}"


def stored_labels(store: GraphStore, iris: Iterable[str]) -> dict[str, str]:
    """The best label of each IRI the store labels, read in one query: what a result
    table shows for IRIs no index holds, rather than the IRI itself."""
    wanted = [node for node in map(_named, sorted(set(iris))) if node is not None]
    if not wanted:
        return {}
    found: dict[str, list[Term | None]] = {}
    for row in rows(store.query(bind_each(named_query("term_labels"), "term", wanted))):
        found.setdefault(term_value(row["term"]), []).append(row.get("label"))
    return {iri: label for iri, candidates in found.items() if (label := best_label(candidates))}


def _named(iri: str) -> NamedNode | None:
    """The IRI as a term, or None when it is not one (a client sent it)."""
    try:
        return NamedNode(iri)
    except ValueError:
        return None


def claim_name(subject: str, relation: str, obj: str) -> str:
    """How a claim (a statement, an edge, a path's hop) is named: as its source states it,
    "Code for America · founder: Jennifer Pahlka". An arrow between the names read as
    the first founding the second."""
    return f"{subject} · {relation}: {obj}"


def humanize(iri: str) -> str:
    """A readable stand-in label for a term without one: ``foundingDate`` → ``founding date``."""
    return _CAMEL.sub(" ", local_name(iri)).replace("_", " ").lower()


def curie(iri: str) -> str:
    """``civ:Person`` for an IRI in a known namespace, else the IRI itself."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri
