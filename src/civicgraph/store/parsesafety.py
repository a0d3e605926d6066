"""Checks an RDF document must pass before pyoxigraph parses it.

Measured with pyoxigraph 0.5, three inputs hurt the parsing process itself, before
any limit of ours could apply:

- RDF/XML entities: the parser expands internal entities, nested ones included, with
  no limit (a 653-byte "billion laughs" document became one 100 MB literal; two more
  levels exhaust memory), and it honours a DOCTYPE anywhere in the document. It
  rejects external (``SYSTEM``/``PUBLIC``, XML 1.0 §4.2.2) and parameter entities as
  syntax errors and fetches nothing, so expansion is the risk.
- JSON-LD nesting: about 5,000 nested objects or arrays (a 70 KB body) overflow the
  native stack and kill the process with a segmentation fault.
- RDF/XML nesting: time grows with the square of the element depth (20,000 levels:
  12 s; 100,000: minutes of CPU).

So RDF/XML may declare only flat entities (``<!ENTITY name "text">`` whose text holds
no entity reference; character references such as ``&#38;`` are not re-parsed and
stay allowed) whose references together add a bounded amount, and JSON-LD and RDF/XML
may nest at most ``MAX_DEPTH`` levels. Ontology editors write exactly such flat
entities (``&owl;``), and real data nests a few levels, so real files still load.
A declaration-like string inside a comment or CDATA section is judged as if it were
real: refusing a harmless oddity beats parsing a dangerous one.
"""

import re
from itertools import accumulate
from pathlib import Path
from typing import Final

from pyoxigraph import RdfFormat

from civicgraph.errors import UnsafeDocumentError

#: Entity references may add at most this many times the document's own size ...
EXPANSION_FACTOR: Final = 4
#: ... or this many bytes, whichever is more (small documents with long IRIs).
EXPANSION_FLOOR: Final = 1024 * 1024
#: Deepest nesting of JSON objects and arrays, or of XML elements, that is parsed.
MAX_DEPTH: Final = 1000

_ENTITY_OPENING: Final = re.compile(rb"<!entity", re.IGNORECASE)
_FLAT_ENTITY: Final = re.compile(
    rb'<!ENTITY\s+([^\s"\'%<>&;]+)\s+"((?:[^"<>&]|&#[0-9]+;|&#x[0-9a-fA-F]+;)*)"\s*>'
)
_JSON_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKETS: Final = bytes(range(256)).translate(None, b"{}[]")
_XML_UNNESTED: Final = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<[?!][^>]*>", re.DOTALL)
_XML_TAG: Final = re.compile(rb"<(/?)[^\s/>]+(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>")
_CHUNK: Final = 1024 * 1024


def check_before_parsing(data: bytes, rdf_format: RdfFormat, source: str) -> None:
    """Raise ``UnsafeDocumentError`` if parsing ``data`` could exhaust the process."""
    if rdf_format == RdfFormat.RDF_XML:
        _check_entities(data, source)
        _check_depth(_xml_steps(data), source)
    elif rdf_format == RdfFormat.JSON_LD:
        _check_depth(_json_steps(data), source)


def check_file_before_parsing(path: Path, rdf_format: RdfFormat) -> None:
    """``check_before_parsing`` for a file; only JSON-LD and RDF/XML files are read."""
    if rdf_format in (RdfFormat.RDF_XML, RdfFormat.JSON_LD):
        check_before_parsing(path.read_bytes(), rdf_format, str(path))


def _check_entities(data: bytes, source: str) -> None:
    lengths: dict[bytes, int] = {}
    for opening in _ENTITY_OPENING.finditer(data):
        declaration = _FLAT_ENTITY.match(data, opening.start())
        if declaration is None:
            raise UnsafeDocumentError(
                source,
                "an entity declaration that is external, a parameter entity, or refers "
                'to other entities; declare entities as plain text (<!ENTITY name "text">)',
            )
        name, text = declaration.groups()
        lengths[name] = max(lengths.get(name, 0), len(text))
    added = sum(data.count(b"&" + name + b";") * size for name, size in lengths.items())
    allowed = max(EXPANSION_FLOOR, EXPANSION_FACTOR * len(data))
    if added > allowed:
        raise UnsafeDocumentError(
            source,
            f"its entities would expand by {added:,} bytes (limit {allowed:,}); "
            "write the repeated text out instead",
        )


def _json_steps(data: bytes) -> list[int]:
    """+1 for every opening and -1 for every closing bracket outside strings."""
    brackets = _JSON_STRING.sub(b"", data).translate(None, _JSON_BRACKETS)
    return [1 if b in b"{[" else -1 for b in brackets]


def _xml_steps(data: bytes) -> list[int]:
    """+1 for every start tag and -1 for every end tag (empty elements count 0)."""
    tags = _XML_TAG.finditer(_XML_UNNESTED.sub(b"", data))
    return [-1 if tag[1] else 1 for tag in tags if not tag[2]]


def _check_depth(steps: list[int], source: str) -> None:
    deepest = max(accumulate(steps), default=0)
    if deepest > MAX_DEPTH:
        raise UnsafeDocumentError(
            source, f"it nests {deepest:,} levels deep (limit {MAX_DEPTH:,}); flatten it"
        )
