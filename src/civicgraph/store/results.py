"""Query results as three tagged types, and their serializations.

SELECT, ASK and CONSTRUCT/DESCRIBE answer with different shapes, so each has its own
type instead of one shape-shifting result. The SELECT serializers are written here
rather than delegated to pyoxigraph because the row cap truncates results, and a
truncated result must still serialize exactly like a complete one.
"""

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Final

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Triple, serialize

from civicgraph.formats import Format, Kind, negotiate
from civicgraph.spreadsheet import FORMULA_STARTS, neutralise, wants_spreadsheet
from civicgraph.store import jsonld
from civicgraph.store.expressible import (
    check_rdfxml,
    check_xml_text,
    expressible,
    writer_refusals,
)
from civicgraph.vocab import PREFIXES, XSD

Term = NamedNode | BlankNode | Literal | Triple


@dataclass(frozen=True)
class SelectResult:
    """Rows of a SELECT; ``truncated`` is true when the row cap cut them short."""

    variables: tuple[str, ...]
    rows: tuple[tuple[Term | None, ...], ...]
    truncated: bool = False

    @property
    def kind(self) -> Kind:
        """Which family of formats can carry this result."""
        return Kind.RESULTS

    def dicts(self) -> list[dict[str, Term]]:
        """Each row as a mapping from variable to bound term (unbound ones left out)."""
        return [
            {var: term for var, term in zip(self.variables, row, strict=True) if term is not None}
            for row in self.rows
        ]

    def column(self, variable: str) -> list[Term | None]:
        """All values of one variable, in row order."""
        index = self.variables.index(variable)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class AskResult:
    """The answer of an ASK query."""

    value: bool
    truncated: bool = False

    @property
    def kind(self) -> Kind:
        """Which family of formats can carry this result."""
        return Kind.RESULTS


@dataclass(frozen=True)
class GraphResult:
    """Triples of a CONSTRUCT or DESCRIBE."""

    triples: tuple[Triple, ...]
    truncated: bool = False

    @property
    def kind(self) -> Kind:
        """Which family of formats can carry this result."""
        return Kind.GRAPH


QueryResult = SelectResult | AskResult | GraphResult


@dataclass(frozen=True)
class SerializedResult:
    """A result already written in the format the client negotiated.

    This is what the endpoint sends, so a query worker can hand it over as bytes
    instead of as a pickle of terms that the server would then serialize itself.
    """

    body: bytes
    content_type: str
    truncated: bool = False
    #: How many rows (or triples) a truncated answer holds: what the truncation announces.
    kept: int = 0


def term_to_json(term: Term) -> dict[str, object]:
    """One RDF term in SPARQL 1.1 Query Results JSON form (§3.2.2)."""
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Triple):
        return {
            "type": "triple",
            "value": {
                "subject": term_to_json(term.subject),
                "predicate": term_to_json(term.predicate),
                "object": term_to_json(term.object),
            },
        }
    out: dict[str, object] = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
        if term.direction is not None:  # RDF 1.2's base direction, as pyoxigraph writes it
            out["its:dir"] = term.direction.value
    elif term.datatype != XSD.string:
        out["datatype"] = term.datatype.value
    return out


def _json(result: SelectResult | AskResult) -> bytes:
    if isinstance(result, AskResult):
        return json.dumps({"head": {}, "boolean": result.value}).encode()
    # Rows repeat terms (IRIs, labels, types): each distinct term is converted once.
    convert = cache(term_to_json)
    variables = result.variables
    bindings = [
        {var: convert(term) for var, term in zip(variables, row, strict=True) if term is not None}
        for row in result.rows
    ]
    body = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    return json.dumps(body, ensure_ascii=False).encode()


#: The W3C Internationalization Tag Set, whose ``dir`` carries a base direction.
_ITS: Final = "http://www.w3.org/2005/11/its"


def _xml_term(term: Term) -> str:
    # ``html.escape`` writes XML as well: ``xml.sax.saxutils`` imports an HTTP client,
    # 0.04 s of the start of every command, which a load need not wait for.
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value, quote=False)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value, quote=False)}</bnode>"
    if isinstance(term, Triple):
        parts = zip(("subject", "predicate", "object"), term, strict=True)
        return "<triple>" + "".join(f"<{n}>{_xml_term(t)}</{n}>" for n, t in parts) + "</triple>"
    attrs = ""
    if term.language:
        attrs = f' xml:lang="{escape(term.language)}"'
        if term.direction is not None:  # RDF 1.2's base direction, as pyoxigraph writes it
            attrs += f' its:dir="{term.direction.value}" xmlns:its="{_ITS}" its:version="2.0"'
    elif term.datatype != XSD.string:
        attrs = f' datatype="{escape(term.datatype.value)}"'
    return f"<literal{attrs}>{_xml_text(term.value)}</literal>"


#: White space that pyoxigraph's reader of SPARQL XML, and so a client built on it,
#: trims from either end of a literal's text.
_ENDS: Final = " \t\n"


def _xml_text(value: str) -> str:
    """A literal's value as XML text, as pyoxigraph's writer spells it: a carriage return
    as a reference (XML parsers turn a bare one into a newline), and so the white space
    at either end (``_ENDS``)."""
    text = escape(value, quote=False).replace("\r", "&#13;")
    body = text.strip(_ENDS)
    if len(body) == len(text):
        return text
    start = len(text) - len(text.lstrip(_ENDS))
    end = start + len(body)
    return _references(text[:start]) + body + _references(text[end:])


def _references(characters: str) -> str:
    """Each character as an XML character reference."""
    return "".join(f"&#{ord(c)};" for c in characters)


def _xml(result: SelectResult | AskResult) -> bytes:
    head = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
    if isinstance(result, AskResult):
        return f"{head}<head/><boolean>{str(result.value).lower()}</boolean></sparql>".encode()
    variables = "".join(f'<variable name="{escape(v)}"/>' for v in result.variables)
    names = [f'<binding name="{escape(v)}">' for v in result.variables]
    convert = cache(_xml_term)  # each distinct term written once, as in ``_json``
    rows = "".join(
        "<result>"
        + "".join(
            f"{name}{convert(term)}</binding>"
            for name, term in zip(names, row, strict=True)
            if term is not None
        )
        + "</result>"
        for row in result.rows
    )
    text = f"{head}<head>{variables}</head><results>{rows}</results></sparql>"
    return check_xml_text(text, "SPARQL XML").encode()


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Triple):
        return str(term)
    return term.value


def _csv(result: SelectResult | AskResult, spreadsheet: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if isinstance(result, AskResult):
        writer.writerows([["_askResult"], [str(result.value).lower()]])
    else:
        cell = (lambda t: neutralise(_csv_value(t))) if spreadsheet else _csv_value
        writer.writerow(result.variables)
        writer.writerows([cell(t) for t in row] for row in result.rows)
    return buffer.getvalue().encode()


#: Literals TSV writes as Turtle's bare numbers and booleans, as pyoxigraph's writer
#: does (the answers it writes and those cut here read alike): a datatype, and the
#: lexical forms Turtle reads back as that datatype. Each digit can be read one way
#: only (no two runs of digits side by side), so a failed match is linear.
_TSV_BARE: Final = {
    XSD.integer: re.compile(r"[+-]?[0-9]+"),
    XSD.decimal: re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD.double: re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+"),
    XSD.boolean: re.compile("true|false"),
}


def _tsv_value(term: Term | None) -> str:
    """A TSV cell: the term as in Turtle, a triple term as SPARQL 1.2 writes it."""
    if term is None:
        return ""
    if isinstance(term, Triple):
        return "<<( " + " ".join(_tsv_value(part) for part in term) + " )>>"
    if isinstance(term, Literal) and not term.language:
        bare = _TSV_BARE.get(term.datatype)
        if bare is not None and bare.fullmatch(term.value):
            return term.value
    return str(term)


def _tsv_spreadsheet_value(term: Term | None) -> str:
    """A TSV cell whose literal, once a spreadsheet strips its quotes, is not a formula."""
    if isinstance(term, Literal) and term.value.startswith(FORMULA_STARTS):
        kind = {"language": term.language} if term.language else {"datatype": term.datatype}
        term = Literal(neutralise(term.value), **kind)
    return neutralise(_tsv_value(term))


def _tsv(result: SelectResult | AskResult, spreadsheet: bool = False) -> bytes:
    if isinstance(result, AskResult):
        return f"?_askResult\n{str(result.value).lower()}\n".encode()
    cell = _tsv_spreadsheet_value if spreadsheet else _tsv_value
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(cell(t) for t in row) for row in result.rows]
    return ("\n".join(lines) + "\n").encode()


_RESULT_WRITERS = {"json": _json, "xml": _xml}
_TABLE_WRITERS = {"csv": _csv, "tsv": _tsv}


def serialize_triples(
    triples: Sequence[Triple] | Iterator[Triple], fmt: Format, context: str | None = None
) -> bytes:
    """Serialize triples in any RDF format; dataset formats put them in the default graph.

    JSON-LD is compacted (``store.jsonld``), against ``context`` when given its URL.
    """
    with writer_refusals(fmt):
        if Kind.DATASET in fmt.kinds and fmt.name != "jsonld":
            quads = (Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples)
            return serialize(quads, format=fmt.rdf_format) or b""
        prefixes = PREFIXES if fmt.name in {"turtle", "n3", "rdfxml"} else None
        checked = expressible(triples, fmt)
        body = serialize(checked, format=fmt.rdf_format, prefixes=prefixes) or b""
    if fmt.name == "rdfxml":
        return check_rdfxml(body, fmt)
    return jsonld.compact(body, context) if fmt.name == "jsonld" else body


def serialize_result(result: QueryResult, fmt: Format, *, spreadsheet: bool = False) -> bytes:
    """Serialize a result in ``fmt``; the caller negotiated a format of ``result.kind``.

    ``spreadsheet`` asks CSV and TSV for their spreadsheet variant (``spreadsheet``
    module): cells that would run as formulas get a leading ``'``.
    """
    if isinstance(result, GraphResult):
        if fmt.kinds.isdisjoint({Kind.GRAPH, Kind.DATASET}):
            raise ValueError(f"{fmt.label} cannot carry a graph")
        return serialize_triples(result.triples, fmt)
    if Kind.RESULTS not in fmt.kinds:
        raise ValueError(f"{fmt.label} cannot carry SELECT or ASK results")
    if fmt.name in _TABLE_WRITERS:
        return _TABLE_WRITERS[fmt.name](result, spreadsheet)
    return _RESULT_WRITERS[fmt.name](result)


def serialize_negotiated(result: QueryResult, accept: str | None) -> SerializedResult:
    """Negotiate a format for ``result`` against an Accept header, and serialize in it."""
    fmt = negotiate(accept, result.kind)
    spreadsheet = wants_spreadsheet(accept, fmt.media_type)
    body = serialize_result(result, fmt, spreadsheet=spreadsheet)
    return SerializedResult(body, fmt.content_type, result.truncated, _count(result))


def _count(result: QueryResult) -> int:
    if isinstance(result, SelectResult):
        return len(result.rows)
    return len(result.triples) if isinstance(result, GraphResult) else 1


def term_value(term: Term | None) -> str:
    """The lexical value of a term (IRI, literal value, blank node id); '' when unbound."""
    if term is None:
        return ""
    return str(term) if isinstance(term, Triple) else term.value


def term_label(term: Term | None) -> str:
    """A compact text form of a term for tables: IRIs and literal values as they are."""
    if term is None:
        return ""
    return _csv_value(term)
