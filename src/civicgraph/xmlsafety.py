"""Refuses RDF/XML whose entity declarations would blow up when pyoxigraph parses it.

pyoxigraph's RDF/XML parser expands internal entities, nested ones included, with no
limit of its own: measured with pyoxigraph 0.5, a 653-byte document of eight nested
levels of ten references ("billion laughs") parsed into one 100 MB literal, and two
more levels exhaust memory. It honours a DOCTYPE anywhere in the document, not only
in the prolog. It rejects external entities (``SYSTEM``/``PUBLIC``, XML 1.0 §4.2.2) and
parameter entities as syntax errors and fetches nothing, so expansion is the one risk.

Before any RDF/XML is parsed, this module therefore allows only flat declarations
(``<!ENTITY name "text">`` whose text holds no entity reference; character references
such as ``&#38;`` are not re-parsed and stay allowed) and bounds what all references
together may add. Ontology editors write exactly such flat entities (``&owl;``), so
their files still load. A declaration-like string inside a comment or CDATA section is
judged as if it were real: refusing a harmless oddity beats parsing a dangerous one.
"""

import re
from pathlib import Path
from typing import Final

from civicgraph.errors import UnsafeDocumentError

#: Entity references may add at most this many times the document's own size ...
EXPANSION_FACTOR: Final = 4
#: ... or this many bytes, whichever is more (small documents with long IRIs).
EXPANSION_FLOOR: Final = 1024 * 1024

_OPENING: Final = re.compile(rb"<!entity", re.IGNORECASE)
_FLAT_DECLARATION: Final = re.compile(
    rb'<!ENTITY\s+([^\s"\'%<>&;]+)\s+"((?:[^"<>&]|&#[0-9]+;|&#x[0-9a-fA-F]+;)*)"\s*>'
)
_CHUNK: Final = 1024 * 1024


def check_rdfxml(data: bytes, source: str = "request body") -> None:
    """Raise ``UnsafeDocumentError`` unless every entity in ``data`` is flat and bounded."""
    lengths: dict[bytes, int] = {}
    for opening in _OPENING.finditer(data):
        declaration = _FLAT_DECLARATION.match(data, opening.start())
        if declaration is None:
            raise UnsafeDocumentError(
                source,
                "an entity declaration that is external, a parameter entity, or refers "
                "to other entities",
            )
        name, text = declaration.groups()
        lengths[name] = max(lengths.get(name, 0), len(text))
    added = sum(data.count(b"&" + name + b";") * size for name, size in lengths.items())
    allowed = max(EXPANSION_FLOOR, EXPANSION_FACTOR * len(data))
    if added > allowed:
        raise UnsafeDocumentError(
            source, f"its entities would expand by {added:,} bytes (limit {allowed:,})"
        )


def declares_entities(path: Path) -> bool:
    """Whether a file contains anything like an entity declaration, read in chunks."""
    overlap = len(b"<!entity") - 1
    tail = b""
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            if _OPENING.search(tail + chunk):
                return True
            tail = chunk[-overlap:]
    return False


def check_rdfxml_file(path: Path) -> None:
    """``check_rdfxml`` for a file, reading it whole only when it declares entities."""
    if declares_entities(path):
        check_rdfxml(path.read_bytes(), str(path))
