"""JSON-LD that people can read: compacted against the project's published ``@context``.

pyoxigraph writes expanded JSON-LD (full IRIs as keys, every value in an array). This
compacts that flat list of node objects with the prefixes of ``vocab.PREFIXES`` plus
``id:`` for entity IRIs, the same context ``/context.jsonld`` publishes (JSON-LD 1.1
§4.1.2 compact IRIs, §4.3 ``@type``): ``rdf:type`` becomes ``@type``, one-element
arrays become the value itself. Only IRIs whose local part cannot be misread as an
IRI scheme or a blank node are shortened, so the document expands back to the very
same triples (a test reads it back and compares graphs).
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


def context_document() -> dict[str, Any]:
    """The document served at ``/context.jsonld``."""
    return {"@context": dict(CONTEXT)}


def compact_iri(iri: str) -> str:
    """``prefix:local`` when a namespace of the context holds the IRI safely, else the IRI."""
    for prefix, namespace in _BY_LENGTH:
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and _SAFE_LOCAL.fullmatch(local) and "//" not in local:
            return f"{prefix}:{local}"
    return iri


def _value(value: dict[str, Any]) -> Any:
    if "@id" in value:
        return {"@id": compact_iri(value["@id"])}
    if set(value) == {"@value"} and isinstance(value["@value"], str):
        return value["@value"]  # a plain string needs no wrapper (JSON-LD 1.1 §4.2)
    if "@type" in value:
        return {**value, "@type": compact_iri(value["@type"])}
    return value


def _single(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _node(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, values in node.items():
        if key == "@id":
            out["@id"] = compact_iri(values)
        elif key == _RDF_TYPE and all(set(v) == {"@id"} for v in values):
            out["@type"] = _single([compact_iri(v["@id"]) for v in values])
        elif key.startswith("@"):
            out[key] = values
        else:
            out[compact_iri(key)] = _single([_value(v) for v in values])
    return out


def compact(expanded: bytes, context: str | None = None) -> bytes:
    """Compact pyoxigraph's expanded JSON-LD; ``context`` is the published context's URL.

    Without a URL the context is written inline (the same terms), so the document
    reads offline.
    """
    nodes = json.loads(expanded or b"[]")
    document = {"@context": context or dict(CONTEXT), "@graph": [_node(n) for n in nodes]}
    return json.dumps(document, ensure_ascii=False, indent=1).encode()
