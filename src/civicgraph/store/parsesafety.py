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
- JSON-LD term chains: a context whose terms each expand through the next
  (``"t0": "t1:"``, ``"t1": "t2:"``, …) overflows the stack at 10,000 terms (5,000
  passed alone, 4,000 crashed inside a test run), in a body nested two levels deep.

So RDF/XML may declare only flat entities (``<!ENTITY name "text">`` whose text holds
no entity reference; character references such as ``&#38;`` are not re-parsed and
stay allowed) whose references together add a bounded amount, and JSON-LD and RDF/XML
may nest at most ``MAX_DEPTH`` levels, and JSON-LD contexts may define at most
``MAX_TERMS`` terms in all (within a test run's deeper stack, 4,000 already crashed
the parser; a context written by hand defines a few dozen). Ontology
editors write exactly such flat entities (``&owl;``), and real data nests a few
levels, so real files still load.
A declaration-like string inside a comment or CDATA section is judged as if it were
real: refusing a harmless oddity beats parsing a dangerous one.

These checks read untrusted uploads of up to the upload limit in the serving process,
so each runs in time linear in the document: every pattern below is one left-to-right
scan with alternatives that start with different characters, and the patterns that
find a construct always succeed once it has started (an unterminated string, comment
or tag runs to the end of the document, as it would for the parser), so no start
position is scanned twice. The earlier tag pattern took 18 s on 2 KB of ``<a<a<a…``.
"""

import json
import re
from array import array
from collections.abc import Iterable, Iterator
from itertools import accumulate, chain
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
#: Most terms the contexts of one JSON-LD document may define in all.
MAX_TERMS: Final = 1000

_ENTITY_OPENING: Final = re.compile(rb"<!entity", re.IGNORECASE)
_FLAT_ENTITY: Final = re.compile(
    rb'<!ENTITY\s+([^\s"\'%<>&;]+)\s+"((?:[^"<>&]++|&#[0-9]++;|&#x[0-9a-fA-F]++;)*+)"\s*>'
)
_JSON_SYNTAX: Final = b'"{}[]'
_NOT_JSON_SYNTAX: Final = bytes(range(256)).translate(None, _JSON_SYNTAX)
_XML_UNNESTED: Final = re.compile(
    rb"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<[?!][^>]*(?:>|\Z)", re.DOTALL
)
_XML_QUOTED: Final = re.compile(rb'"[^"<]*"|\'[^\'<]*\'')
#: ``/>`` in the text after a tag (``>`` may stand in text): the only text that matters.
_XML_TEXT_CLOSE: Final = re.compile(rb">[^<>]*/>")
#: +1 for an opening bracket or a start tag, -1 (a signed byte) for a closing one.
_BRACKET_STEPS: Final = bytes.maketrans(b"{[]}", b"\x01\x01\xff\xff")
_TAG_STEPS: Final = bytes.maketrans(b"<\x01\x02", b"\x01\xff\xff")
_NOT_TAG_MARKS: Final = bytes(range(256)).translate(None, b"<\x01\x02")
#: Most entity declarations a document may hold (ontology editors write a dozen).
MAX_ENTITIES: Final = 1000
#: Past this many declared entities, the expansion bound is not refined by counting.
MAX_COUNTED_ENTITIES: Final = 8
_CHUNK: Final = 1024 * 1024


def check_before_parsing(data: bytes, rdf_format: RdfFormat, source: str) -> None:
    """Raise ``UnsafeDocumentError`` if parsing ``data`` could exhaust the process."""
    if rdf_format == RdfFormat.RDF_XML:
        _check_entities(data, source)
        _check_depth(_xml_steps(data), source)
    elif rdf_format == RdfFormat.JSON_LD:
        _check_depth(_json_steps(data), source)
        _check_terms(data, source)


def check_file_before_parsing(path: Path, rdf_format: RdfFormat) -> None:
    """``check_before_parsing`` for a file; only JSON-LD and RDF/XML files are read."""
    if rdf_format in (RdfFormat.RDF_XML, RdfFormat.JSON_LD):
        check_before_parsing(path.read_bytes(), rdf_format, str(path))


def _check_entities(data: bytes, source: str) -> None:
    declared = data.lower().count(b"<!entity")
    if declared > MAX_ENTITIES:
        raise UnsafeDocumentError(
            source, f"it declares {declared:,} entities (limit {MAX_ENTITIES:,})"
        )
    lengths: dict[bytes, int] = {}
    for opening in _ENTITY_OPENING.finditer(data):
        declaration = _FLAT_ENTITY.match(data, opening.start())
        if declaration is None:
            raise UnsafeDocumentError(
                source,
                "an entity declaration that is external, a parameter entity, or refers "
                'to other entities; declare entities as plain text (<!ENTITY name "text">)',
            )
        name, length = declaration[1], declaration.end(2) - declaration.start(2)
        lengths[name] = max(lengths.get(name, 0), length)
    allowed = max(EXPANSION_FLOOR, EXPANSION_FACTOR * len(data))
    added = _expansion(data, lengths, allowed)
    if added > allowed:
        raise UnsafeDocumentError(
            source,
            f"its entities would expand by {added:,} bytes (limit {allowed:,}); "
            "write the repeated text out instead",
        )


def _expansion(data: bytes, lengths: dict[bytes, int], allowed: int) -> int:
    """What the entity references add, or an upper bound of it when that is allowed.

    Each bound is one pass in C: every ``&`` taken as the longest entity first, then
    each name counted (a few names only: a pass each).
    """
    bound = data.count(b"&") * max(lengths.values(), default=0)
    if bound <= allowed or len(lengths) > MAX_COUNTED_ENTITIES:
        return bound
    return sum(data.count(b"&" + name + b";") * size for name, size in lengths.items())


def _json_steps(data: bytes) -> Iterable[int]:
    """+1 for every opening and -1 for every closing bracket outside strings.

    Escaped backslashes and quotes are removed first (they pair up left to right, as
    escapes do), so every remaining quote opens or closes a string; the parts between
    quotes alternate outside and inside. All of it is bytes methods, one pass each.
    """
    kept = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_JSON_SYNTAX)
    return chain.from_iterable(_outside_strings(kept))


def _outside_strings(kept: bytes) -> "Iterator[array[int]]":
    """The bracket steps outside strings, a chunk at a time (parity carried over)."""
    inside = False
    for start in range(0, len(kept), _CHUNK):
        parts = kept[start : start + _CHUNK].split(b'"')
        outside = b"".join(parts[1::2] if inside else parts[0::2])
        yield array("b", outside.translate(_BRACKET_STEPS))
        inside ^= len(parts) % 2 == 0


def _xml_steps(data: bytes) -> Iterable[int]:
    """+1 for every start tag and -1 for every end tag (an empty element: +1 then -1).

    Comments, CDATA, processing instructions and declarations go first; then quoted
    attribute values (which cannot hold ``<``, XML 1.0 §3.1) and any ``/>`` in the
    text between tags, so that ``</`` and ``/>`` are seen only inside tags; what is
    left is counted by byte.
    """
    if b"<!" in data or b"<?" in data:
        data = _XML_UNNESTED.sub(b"", data)
    bare = _XML_TEXT_CLOSE.sub(b">", _XML_QUOTED.sub(b"", data))
    marked = bare.replace(b"</", b"\x01").replace(b"/>", b"\x02")
    return array("b", marked.translate(_TAG_STEPS, _NOT_TAG_MARKS))


def _check_terms(data: bytes, source: str) -> None:
    """Refuse JSON-LD whose contexts define more than ``MAX_TERMS`` terms in all.

    Read with the standard JSON parser (linear; the nesting is bounded already), then
    walked without recursion. A body the JSON parser refuses is left to pyoxigraph's,
    which reports the syntax error.
    """
    if b"@context" not in data:
        return
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return
    terms, waiting = 0, [(document, False)]
    while waiting:
        node, in_context = waiting.pop()
        if isinstance(node, dict):
            terms += len(node) if in_context else 0
            waiting.extend((v, in_context or k == "@context") for k, v in node.items())
        elif isinstance(node, list):
            waiting.extend((item, in_context) for item in node)
    if terms > MAX_TERMS:
        raise UnsafeDocumentError(
            source, f"its contexts define {terms:,} terms (limit {MAX_TERMS:,}); split them"
        )


def _check_depth(steps: Iterable[int], source: str) -> None:
    deepest = max(accumulate(steps), default=0)
    if deepest > MAX_DEPTH:
        raise UnsafeDocumentError(
            source, f"it nests {deepest:,} levels deep (limit {MAX_DEPTH:,}); flatten it"
        )
