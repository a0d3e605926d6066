"""SHACL validation of files or of the store against ``ontology/shapes.ttl``.

The engine is pyshacl-turbo (the pyshacl API over a Rust engine). Measured here on
the project's shapes it gives exactly pyshacl's results on the bundled data and on
the broken fixtures, at a fraction of the time (``tests/test_validation.py`` keeps
comparing the two). The data is validated together with the ontology, so SHACL's own
class semantics (``rdf:type/rdfs:subClassOf*``, SHACL §3.2) check an instance of a
subclass (a ``civ:GovernmentAgency``) with the shapes of its superclasses
(``civ:Organization``); no RDFS inference runs, which would also type literals that
sit where the ontology's ranges expect a resource and report them twice.

Files are parsed by pyoxigraph first, so syntax errors carry the same file, line and
column as everywhere else, and reach the engine as N-Triples. A report summarises
(counts per shape, the first few problems); the full list is there on request.
"""

import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import pyshacl_turbo
from pyoxigraph import BlankNode, NamedNode, RdfFormat, Triple, parse, serialize

from civicgraph.errors import RdfSyntaxError
from civicgraph.formats import Kind, by_name, from_path
from civicgraph.resources import ontology_dir
from civicgraph.store import GraphStore
from civicgraph.store.parsesafety import check_file_before_parsing
from civicgraph.vocab import RDF, SH

#: How many problems a summary lists before pointing to the full report.
SUMMARY_LIMIT: Final = 5


@dataclass(frozen=True)
class Violation:
    """One SHACL result, reduced to what a reader needs to fix the data."""

    focus: str
    path: str
    message: str
    severity: str
    shape: str = ""

    def line(self) -> str:
        """The problem on one line: severity, node, property and message."""
        return f"- {self.severity}: {self.focus} {self.path}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation run."""

    conforms: bool
    violations: tuple[Violation, ...]

    def per_shape(self) -> list[tuple[str, int]]:
        """How many problems each shape found, most first."""
        return Counter(v.shape for v in self.violations).most_common()

    def text(self, limit: int | None = None) -> str:
        """A readable report; with ``limit``, a summary: counts per shape, first problems."""
        if self.conforms:
            return "The data conforms to the civicgraph shapes."
        lines = [f"{len(self.violations)} problem(s) found:"]
        if limit is not None:
            lines += [f"  {count:,} from {shape}" for shape, count in self.per_shape()]
        shown = self.violations if limit is None else self.violations[:limit]
        lines += [v.line() for v in shown]
        if len(shown) < len(self.violations):
            lines.append(f"… and {len(self.violations) - len(shown):,} more (full report: --full)")
        return "\n".join(lines)


@cache
def _shapes() -> str:
    return (ontology_dir() / "shapes.ttl").read_text(encoding="utf-8")


@cache
def _ontology() -> bytes:
    path = ontology_dir() / "civic.ttl"
    return _ntriples(parse(path=str(path), format=RdfFormat.TURTLE, rename_blank_nodes=True))


def _ntriples(quads: Iterable[object]) -> bytes:
    triples = (q.triple if not isinstance(q, Triple) else q for q in quads)  # type: ignore[attr-defined]
    return serialize(triples, format=RdfFormat.N_TRIPLES) or b""


def parse_file(path: Path) -> bytes:
    """A file's triples as N-Triples, with pyoxigraph's precise syntax errors.

    Blank nodes are renamed, so files validated together never share one by accident.
    """
    fmt = from_path(path, Kind.GRAPH)
    check_file_before_parsing(path, fmt.rdf_format)
    try:
        quads = list(parse(path=str(path), format=fmt.rdf_format, rename_blank_nodes=True))
    except SyntaxError as exc:
        raise RdfSyntaxError(
            str(path), str(exc.msg).splitlines()[0], exc.lineno, exc.offset
        ) from exc
    return _ntriples(quads)


def validate_ntriples(data: bytes) -> ValidationReport:
    """Validate N-Triples (with the ontology added) against the shapes."""
    conforms, report, _ = pyshacl_turbo.validate(
        data + b"\n" + _ontology(),
        data_graph_format="nt",
        shacl_graph=_shapes(),
        shacl_graph_format="turtle",
        allow_warnings=True,
        serialize_report_graph="nt",
    )
    return ValidationReport(bool(conforms), _violations(report))


def _violations(report: bytes) -> tuple[Violation, ...]:
    facts: dict[object, dict[NamedNode, str]] = {}
    results = []
    for triple in parse(report, format=RdfFormat.N_TRIPLES):
        if triple.predicate == RDF.type and triple.object == SH.ValidationResult:
            results.append(triple.subject)
        facts.setdefault(triple.subject, {})[triple.predicate] = _name(triple.object)
    found = []
    for result in results:
        fact = facts[result]
        found.append(
            Violation(
                focus=fact.get(SH.focusNode, ""),
                path=fact.get(SH.resultPath, ""),
                message=fact.get(SH.resultMessage, ""),
                severity=fact.get(SH.resultSeverity, "").rsplit("#", 1)[-1],
                shape=_shape_name(fact, facts),
            )
        )
    return tuple(sorted(found, key=lambda v: (v.focus, v.path, v.message)))


def _name(term: object) -> str:
    if isinstance(term, BlankNode):
        return "_:" + term.value
    return str(getattr(term, "value", term))


def _shape_name(fact: dict[NamedNode, str], facts: dict[object, dict[NamedNode, str]]) -> str:
    """The shape's local name, or ``property <path>`` for an inline property shape."""
    shape = fact.get(SH.sourceShape, "")
    if not shape.startswith("_:"):
        return shape.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return f"property {fact.get(SH.resultPath, '').rsplit('#', 1)[-1].rsplit('/', 1)[-1]}"


def validate_files(paths: Iterable[Path]) -> ValidationReport:
    """Validate files together, as one graph (they refer to each other's entities)."""
    return validate_ntriples(b"\n".join(parse_file(path) for path in paths))


def validate_store(store: GraphStore) -> ValidationReport:
    """Validate everything in the store, read as the union of its graphs."""
    buffer = io.BytesIO()
    store.dump(buffer, by_name("ntriples"))
    return validate_ntriples(buffer.getvalue())
