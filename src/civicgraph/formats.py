"""The one table of RDF and query-result formats, and content negotiation over it.

The endpoint, the exports, entity pages and the CLI all look formats up here, so a
format's name, media type and extension can never disagree between two places.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path

from pyoxigraph import QueryResultsFormat, RdfFormat

from civicgraph.errors import NotAcceptableError, UnknownFormatError, UnsupportedMediaTypeError

HTML = "text/html"


class Kind(Enum):
    """What a format can carry."""

    GRAPH = "graph"  # triples: CONSTRUCT/DESCRIBE results, one named graph
    DATASET = "dataset"  # quads: the whole store with its named graphs
    RESULTS = "results"  # SELECT rows and ASK booleans


@dataclass(frozen=True)
class Format:
    """One serialization: how it is named, labelled and served."""

    name: str
    label: str
    media_type: str
    extension: str
    kinds: frozenset[Kind]
    aliases: tuple[str, ...] = ()
    other_media_types: tuple[str, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a user may type for this format."""
        return (self.name, self.extension, *self.aliases)

    @property
    def media_types(self) -> tuple[str, ...]:
        """The preferred media type first, then the others accepted for it."""
        return (self.media_type, *self.other_media_types)

    @property
    def content_type(self) -> str:
        """The Content-Type header value, with a charset for text formats."""
        return f"{self.media_type}; charset=utf-8"

    @property
    def w3c_name(self) -> str:
        """Its local name under ``http://www.w3.org/ns/formats/`` (for service descriptions)."""
        return _W3C_NAMES[self.name]

    @property
    def rdf_format(self) -> RdfFormat:
        """pyoxigraph's handle for an RDF format."""
        return RdfFormat.from_media_type(self.media_type)  # type: ignore[return-value]

    @property
    def names_graphs(self) -> bool:
        """Whether a document may put triples in graphs of its own: a dataset format's
        named graphs, or N3's formulas (graphs named by blank nodes)."""
        return Kind.DATASET in self.kinds or self.name == "n3"

    @property
    def results_format(self) -> QueryResultsFormat:
        """pyoxigraph's handle for a query-results format."""
        return QueryResultsFormat.from_media_type(self.media_type)  # type: ignore[return-value]


_G, _D, _R = Kind.GRAPH, Kind.DATASET, Kind.RESULTS

FORMATS: tuple[Format, ...] = (
    Format(
        "turtle",
        "Turtle",
        "text/turtle",
        "ttl",
        frozenset({_G}),
        ("ttl",),
        ("application/x-turtle",),
    ),
    Format("ntriples", "N-Triples", "application/n-triples", "nt", frozenset({_G}), ("nt",)),
    Format("jsonld", "JSON-LD", "application/ld+json", "jsonld", frozenset({_G, _D}), ("json-ld",)),
    Format("rdfxml", "RDF/XML", "application/rdf+xml", "rdf", frozenset({_G}), ("xml-rdf", "owl")),
    Format("n3", "N3", "text/n3", "n3", frozenset({_G})),
    Format("trig", "TriG", "application/trig", "trig", frozenset({_G, _D})),
    Format("nquads", "N-Quads", "application/n-quads", "nq", frozenset({_G, _D}), ("nq",)),
    Format(
        "json",
        "SPARQL JSON",
        "application/sparql-results+json",
        "srj",
        frozenset({_R}),
        ("json",),
        ("application/json",),
    ),
    Format(
        "xml",
        "SPARQL XML",
        "application/sparql-results+xml",
        "srx",
        frozenset({_R}),
        ("xml",),
        ("application/xml",),
    ),
    Format("csv", "CSV", "text/csv", "csv", frozenset({_R})),
    Format("tsv", "TSV", "text/tab-separated-values", "tsv", frozenset({_R})),
)


_W3C_NAMES = {
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
    "n3": "N3",
    "trig": "TriG",
    "nquads": "N-Quads",
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
}


def formats_for(kind: Kind) -> tuple[Format, ...]:
    """Return the formats that can carry ``kind``, in preference order."""
    return tuple(f for f in FORMATS if kind in f.kinds)


def by_name(name: str, kind: Kind | None = None) -> Format:
    """Find a format by name, alias or extension; the error lists the valid names."""
    wanted = name.strip().lower().lstrip(".")
    candidates = formats_for(kind) if kind else FORMATS
    for fmt in candidates:
        if wanted in fmt.names:
            return fmt
    raise UnknownFormatError(name, [f.name for f in candidates])


def from_path(path: str | Path, kind: Kind | None = None) -> Format:
    """Guess a format from a file name's extension."""
    suffix = Path(path).suffix
    if not suffix:
        raise UnknownFormatError(str(path), [f.extension for f in formats_for(kind or _G)])
    return by_name(suffix, kind)


def from_content_type(content_type: str | None, kind: Kind) -> Format:
    """Find the format of a request body from its Content-Type (parameters ignored)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    for fmt in formats_for(kind):
        if media in fmt.media_types:
            return fmt
    raise UnsupportedMediaTypeError(media or "(none)", [f.media_type for f in formats_for(kind)])


@dataclass(frozen=True, order=True)
class _Range:
    """One entry of an Accept header."""

    quality: float
    specificity: int
    media: str


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split on ``separator`` except inside quoted strings (RFC 9110 §5.6.4), in one pass."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _quality(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


@lru_cache(maxsize=256)
def _parse_accept(accept: str) -> tuple[_Range, ...]:
    """The media ranges of a header; parameters other than ``q`` do not narrow a match.

    Kept for the last few hundred distinct headers: a client sends the same one with
    every request, and parsing it is a character-by-character scan.
    """
    ranges = []
    for part in _split_outside_quotes(accept, ","):
        media, *params = (p.strip() for p in _split_outside_quotes(part, ";"))
        if not media:
            continue
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append(_Range(_quality(params), specificity, media.lower()))
    return tuple(ranges)


def range_parameters(accept: str | None, media_type: str) -> dict[str, str]:
    """The parameters of the first range that names ``media_type`` exactly (keys lower-case).

    They select a variant of one format (``text/csv; profile=spreadsheet``); a
    wildcard range names no variant.
    """
    for part in _split_outside_quotes(accept or "", ","):
        media, *params = (p.strip() for p in _split_outside_quotes(part, ";"))
        if media.lower() == media_type:
            pairs = (param.partition("=") for param in params)
            return {k.strip().lower(): v.strip().strip('"') for k, _, v in pairs}
    return {}


def _matches(media_range: str, media_type: str) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return media_type.startswith(media_range[:-1])
    return media_range == media_type


def _best_range(ranges: tuple[_Range, ...], media_type: str) -> _Range | None:
    """The most specific range matching ``media_type`` (RFC 9110 §12.5.1)."""
    matching = [r for r in ranges if _matches(r.media, media_type)]
    return max(matching, key=lambda r: (r.specificity, r.quality), default=None)


def _media_quality(ranges: tuple[_Range, ...], media_types: Iterable[str]) -> float:
    """The q-value of the best of several names for one thing; exact beats wildcard."""
    found = [r for r in (_best_range(ranges, m) for m in media_types) if r is not None]
    best = max(found, key=lambda r: (r.specificity, r.quality), default=None)
    return best.quality if best else 0.0


def negotiate(accept: str | None, kind: Kind, offered: Iterable[Format] | None = None) -> Format:
    """Pick the best format of ``kind`` for an Accept header (RFC 9110 §12.5.1).

    A missing or empty header means the first format offered. Ties go to the order
    of ``FORMATS``, so the preferred serialization wins among equals.
    """
    if offered is None:
        return _negotiate_kind(accept or "", kind)
    return _best_of(accept or "", tuple(offered))


@lru_cache(maxsize=256)
def _negotiate_kind(accept: str, kind: Kind) -> Format:
    """``negotiate`` over every format of a kind, kept per header as ``_parse_accept`` is."""
    return _best_of(accept, formats_for(kind))


def _best_of(accept: str, choices: tuple[Format, ...]) -> Format:
    if not accept.strip():
        return choices[0]
    ranges = _parse_accept(accept)
    scored = [(_media_quality(ranges, fmt.media_types), -i, fmt) for i, fmt in enumerate(choices)]
    quality, _, best = max(scored, key=lambda item: (item[0], item[1]))
    if quality <= 0:
        raise NotAcceptableError(accept, [f.media_type for f in choices])
    return best


def preferred(accept: str | None, media_types: Sequence[str]) -> str:
    """The media type the client ranks highest among ``media_types``; ties and no
    preference go to the first, the server's default."""
    if not accept or not accept.strip():
        return media_types[0]
    ranges = _parse_accept(accept)
    return max(media_types, key=lambda m: (_media_quality(ranges, (m,)), -media_types.index(m)))


def wants_html(accept: str | None, alternatives: Iterable[Format], *, page: bool) -> bool:
    """Whether to answer HTML rather than one of ``alternatives``: the one rule for it.

    HTML wins when the client ranks it at least as high as every alternative, which
    gives it ties (browsers list ``text/html`` first). A ``page`` (an entity, the
    ontology) is HTML by default, so a bare ``*/*`` or no header gets the page; on a
    machine endpoint (``/sparql``, errors) HTML must be asked for by name.
    """
    if not accept or not accept.strip():
        return page
    ranges = _parse_accept(accept)
    if not page and not any(r.media == HTML for r in ranges):
        return False
    html = _media_quality(ranges, (HTML,))
    others = max((_media_quality(ranges, f.media_types) for f in alternatives), default=0.0)
    return html > 0 and html >= others
