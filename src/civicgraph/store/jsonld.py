"""JSON-LD that people can read: compacted against the project's published ``@context``.

pyoxigraph writes expanded JSON-LD (full IRIs as keys, every value in an array). This
compacts that flat list of node objects with the prefixes of ``vocab.PREFIXES`` plus
``id:`` for entity IRIs, the same context ``/context.jsonld`` publishes (JSON-LD 1.1
§4.1.2 compact IRIs, §4.3 ``@type``): ``rdf:type`` becomes ``@type``, one-element
arrays become the value itself. Only IRIs whose local part cannot be misread as an
IRI scheme or a blank node are shortened, so the document expands back to the very
same triples (a test reads it back and compares graphs). An IRI whose scheme is a term
of the context (``<rdf:x>``, ``<id:x>``) would be read as a compact IRI wherever it
stood, and nothing in a document under that context can say otherwise: a document
holding one is sent expanded, with no context.
"""

import json
import re
from typing import Any, Final

from civicgraph.vocab import ENTITY_BASE, PREFIXES

_RDF_TYPE: Final = PREFIXES["rdf"] + "type"
_SAFE_LOCAL: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/#]*")
#: The terms of the published context: the prefixes, and ``id`` for entity IRIs.
CONTEXT: Final[dict[str, str]] = {**PREFIXES, "id": ENTITY_BASE}
#: Longest namespace first, so ``id:`` never shadows a longer prefix under it.
_BY_LENGTH: Final = sorted(CONTEXT.items(), key=lambda item: -len(item[1]))
#: Whether an IRI opens with one of the context's namespaces.
_IN_A_NAMESPACE: Final = re.compile("|".join(re.escape(namespace) for _, namespace in _BY_LENGTH))
#: One node object as JSON, in C. ``json.dumps`` with an argument builds an encoder at
#: every call: a 7,000-triple answer's 3,500 nodes took 27-37 ms that way, 20-27 ms so.
_ENCODE: Final = json.JSONEncoder(ensure_ascii=False).encode
#: The context as written inline, a level in (a JSON string holds no raw line break).
_INLINE: Final = json.dumps(CONTEXT, ensure_ascii=False, indent=1).replace("\n", "\n ")


def context_document() -> dict[str, Any]:
    """The document served at ``/context.jsonld``."""
    return {"@context": dict(CONTEXT)}


def compact_iri(iri: str) -> str:
    """``prefix:local`` when a namespace of the context holds the IRI safely, else the IRI.

    An IRI in none of the namespaces is told so by one search in C instead of a test of
    each namespace in turn: a CONSTRUCT of 7,000 triples whose 5,205 IRIs are in none
    was compacted in 41-45 ms instead of 55-58.
    """
    if _IN_A_NAMESPACE.match(iri) is None:
        return iri
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if _SAFE_LOCAL.fullmatch(local) and "//" not in local:
                return f"{prefix}:{local}"
    return iri


class _Compactor:
    """Compacts the node objects of one document, each distinct IRI once (an answer
    names the same predicates, types and nodes over and over; the memo lives and dies
    with the document, so it holds nothing the document does not)."""

    def __init__(self) -> None:
        self._memo: dict[str, str] = {}
        #: Set once an IRI the context would misread is met (the document goes expanded).
        self.misread = False

    def iri(self, iri: str) -> str:
        found = self._memo.get(iri)
        if found is None:
            found = self._memo[iri] = compact_iri(iri)
            if found == iri and _misread(iri):
                self.misread = True
        return found

    def value(self, value: dict[str, Any]) -> Any:
        if "@id" in value:
            return {"@id": self.iri(value["@id"])}
        if len(value) == 1 and isinstance(value.get("@value"), str):
            return value["@value"]  # a plain string needs no wrapper (JSON-LD 1.1 §4.2)
        if "@type" in value:
            return {**value, "@type": self.iri(value["@type"])}
        return value

    def node(self, node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, values in node.items():
            if key == "@id":
                out["@id"] = self.iri(values)
            elif key == _RDF_TYPE and all(len(v) == 1 and "@id" in v for v in values):
                out["@type"] = _single([self.iri(v["@id"]) for v in values])
            elif key.startswith("@"):
                out[key] = values
            else:
                out[self.iri(key)] = _single([self.value(v) for v in values])
        return out


def _misread(iri: str) -> bool:
    """Whether a reader would take ``iri``, left whole, for a compact IRI of the context
    (JSON-LD 1.1 IRI expansion: a prefix that is a term, a suffix not opening ``//``)."""
    scheme, colon, rest = iri.partition(":")
    return bool(colon) and scheme in CONTEXT and not rest.startswith("//")


def _single(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def compact(expanded: bytes, context: str | None = None) -> bytes:
    """Compact pyoxigraph's expanded JSON-LD; ``context`` is the published context's URL.

    Without a URL the context is written inline (the same terms), so the document
    reads offline. Each node object is written on a line of its own: readable, and
    written by the json module's C encoder, which an indented document cannot use
    (the pure-Python one took half the time of the whole answer).
    """
    found = compact_at_most(expanded, None, context)
    assert found is not None
    return found


def compact_at_most(expanded: bytes, most: int | None, context: str | None = None) -> bytes | None:
    """``compact``, or None if the document holds more than ``most`` triples (counted
    exactly here: the marks that stopped its writer only bound them from above)."""
    nodes = json.loads(expanded or b"[]")
    if most is not None and _triples(nodes) > most:
        return None
    compactor = _Compactor()
    compacted = [compactor.node(n) for n in nodes]
    if compactor.misread:
        return _listed(nodes, "").encode()
    terms = json.dumps(context, ensure_ascii=False) if context else _INLINE
    return f'{{\n "@context": {terms},\n "@graph": {_listed(compacted, " ")}\n}}'.encode()


def _triples(nodes: list[dict[str, Any]]) -> int:
    """The triples of expanded node objects: one per value of each property."""
    return sum(len(values) for node in nodes for key, values in node.items() if key != "@id")


def _listed(nodes: list[dict[str, Any]], indent: str) -> str:
    """A JSON list of node objects, each on a line of its own, ``indent`` in."""
    if not nodes:
        return "[]"
    lines = f",\n{indent} ".join(map(_ENCODE, nodes))
    return f"[\n{indent} {lines}\n{indent}]"
