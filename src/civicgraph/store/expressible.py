"""What a format cannot express is refused (406) with the reason, never a crash or bad XML.

Some results have no form in some formats: pyoxigraph's JSON-LD writer refuses RDF 1.2
triple terms with an ``OSError``; XML 1.0 has no way at all to write U+0000 and most
other C0 controls (not even as ``&#0;``), and pyoxigraph's RDF/XML writer puts them in
raw; RDF/XML names a predicate by an XML element, so a predicate IRI that does not end
in an XML name (``http://example.org/1``) became an ill-formed element. The client
asked for a format that cannot carry the answer: that is a 406 saying why, and it is
checked before or while writing, so nothing invalid is ever sent.
"""

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Final
from xml.parsers import expat

from pyoxigraph import BlankNode, NamedNode, RdfFormat, Triple, serialize

from civicgraph.errors import CannotExpressError
from civicgraph.formats import Format

#: Characters XML 1.0 forbids anywhere in a document (§2.2 Char), escaped or not.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: The same in UTF-8, which cannot hold a surrogate: a control of one byte (no byte of
#: a longer character is below 0x80), or one of the two noncharacters.
_XML_FORBIDDEN_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_XML_OTHER_BYTES = bytes(b for b in range(256) if b not in _XML_FORBIDDEN_BYTES)
_XML_FORBIDDEN_NONCHARACTERS = ("\ufffe".encode(), "\uffff".encode())
_PROBE = BlankNode("probe")
_RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: The root element, as expat names it with namespaces on.
_ROOT: Final = f"{_RDF} RDF"
#: The names RDF/XML keeps for its syntax, which name no node or property element
#: (its grammar's coreSyntaxTerms and oldTerms, and ``rdf:li``, which names no node):
#: pyoxigraph writes a type or a predicate so named as an element all the same.
_RESERVED_ELEMENTS: Final = frozenset(
    f"{_RDF} {name}"
    for name in (
        *("RDF", "ID", "about", "parseType", "resource", "nodeID", "datatype", "li"),
        *("aboutEach", "aboutEachPrefix", "bagID"),
    )
)


def check_xml_text(text: str, label: str) -> str:
    """``text`` unchanged; a 406 naming the first character XML 1.0 cannot carry."""
    found = XML_FORBIDDEN.search(text)
    if found:
        raise CannotExpressError(
            label,
            f"the result holds the character U+{ord(found.group()):04X}, which XML 1.0 "
            "cannot carry in any form",
        )
    return text


def xml_forbidden_in(utf8: bytes) -> bool:
    """Whether UTF-8 text holds a character XML 1.0 cannot carry.

    For a written answer, checked after the writer: deleting every other byte leaves
    any forbidden control, and the noncharacters are searched for. Three scans in C,
    a fifth of the time ``XML_FORBIDDEN`` takes over the same bytes.
    """
    if utf8.translate(None, _XML_OTHER_BYTES):
        return True
    return any(found in utf8 for found in _XML_FORBIDDEN_NONCHARACTERS)


@lru_cache(maxsize=4096)
def _rdfxml_can_name(predicate: str) -> bool:
    """Whether pyoxigraph writes this predicate as an element an XML parser accepts.

    The writer picks the element name from the IRI by its own rules, so the check
    is the writer itself, on one triple, judged by expat with namespaces on (an
    element ``oxprefix:`` is a name to plain XML, but not to XML Namespaces, which
    RDF/XML needs); a dataset has few
    distinct predicates, so the cache makes this one small document per predicate.
    """
    probe = serialize([Triple(_PROBE, NamedNode(predicate), _PROBE)], format=RdfFormat.RDF_XML)
    return rdfxml_readable(probe or b"")


def rdfxml_readable(document: bytes) -> bool:
    """Whether an RDF/XML parser reads ``document``: an XML parser with namespaces on
    reads it (expat, in C, in one pass; it also refuses every character XML 1.0
    forbids), and no element but the root has a name RDF/XML keeps for its syntax."""
    parser = expat.ParserCreate(namespace_separator=" ")
    reserved: list[str] = []

    def start(name: str, _attributes: object) -> None:
        if name in _RESERVED_ELEMENTS:
            reserved.append(name)

    parser.StartElementHandler = start
    try:
        parser.Parse(document, True)
    except expat.ExpatError:
        return False
    return reserved == [_ROOT]


def _checked_for_rdfxml(triple: Triple, fmt: Format) -> Triple:
    if not _rdfxml_can_name(triple.predicate.value):
        raise CannotExpressError(
            fmt.label,
            f"the predicate <{triple.predicate.value}> does not end in an XML name or is "
            "one RDF/XML keeps for its syntax, so RDF/XML has no element for it",
        )
    for term in (triple.subject, triple.object):
        if isinstance(term, Triple):
            _checked_for_rdfxml(term, fmt)
        else:
            check_xml_text(term.value, fmt.label)
    return triple


def check_rdfxml(document: bytes, fmt: Format) -> bytes:
    """``document`` with its carriage returns written as references; a 406 when an
    XML parser refuses it.

    The checks per triple name the reason for what they know; this one, on the
    written bytes, holds whatever else the writer turns into an element (a type
    whose IRI ends in no XML name, ``rdf:type`` being written as the element's name).
    pyoxigraph's writer leaves a carriage return in a literal bare, which a parser
    reads back as a line break (and CR LF as one); it writes none of its own, and no
    IRI, language tag or blank node holds one, so each is a literal's, and ``&#13;``.
    """
    if not rdfxml_readable(document):
        raise CannotExpressError(
            fmt.label,
            "an IRI in it ends in no XML name or is one RDF/XML keeps for its syntax, "
            "so RDF/XML has no element for it",
        )
    return document.replace(b"\r", b"&#13;")


def expressible(triples: Iterable[Triple], fmt: Format) -> Iterator[Triple]:
    """The triples, each checked as it passes to the writer when ``fmt`` is RDF/XML."""
    if fmt.name != "rdfxml":
        yield from triples
        return
    for triple in triples:
        yield _checked_for_rdfxml(triple, fmt)


@contextmanager
def writer_refusals(fmt: Format) -> Iterator[None]:
    """Turn a pyoxigraph writer's refusal (``OSError``: nothing else fails in memory) into 406."""
    try:
        yield
    except OSError as exc:
        raise CannotExpressError(fmt.label, str(exc)) from exc
