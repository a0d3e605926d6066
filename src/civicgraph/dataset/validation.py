"""SHACL validation of files or of the store against ``ontology/shapes.ttl``.

Validation runs with RDFS inference over the ontology, so an instance of a subclass
(a ``civ:GovernmentAgency``) is checked by the shapes of its superclasses
(``civ:Organization``). Files are parsed by pyoxigraph first so that syntax errors
carry the same file, line and column as everywhere else.
"""

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Triple, parse, serialize
from pyshacl import validate
from rdflib import Graph, URIRef

from civicgraph.errors import RdfSyntaxError
from civicgraph.formats import Kind, by_name, from_path
from civicgraph.resources import ontology_dir
from civicgraph.store import GraphStore
from civicgraph.store.parsesafety import check_file_before_parsing
from civicgraph.vocab import RDF, SH


@dataclass(frozen=True)
class Violation:
    """One SHACL result, reduced to what a reader needs to fix the data."""

    focus: str
    path: str
    message: str
    severity: str


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation run."""

    conforms: bool
    violations: tuple[Violation, ...]

    def text(self) -> str:
        """A readable report: one line per violation, naming node, property and problem."""
        if self.conforms:
            return "The data conforms to the civicgraph shapes."
        lines = [f"{len(self.violations)} problem(s) found:"]
        lines += [f"- {v.severity}: {v.focus} {v.path}: {v.message}" for v in self.violations]
        return "\n".join(lines)


def _ontology_graph(name: str) -> Graph:
    graph = Graph()
    path = ontology_dir() / name
    if path.exists():
        graph.parse(path, format="turtle")
    return graph


def parse_file(path: Path) -> Graph:
    """Parse an RDF file into an rdflib graph, with pyoxigraph's precise syntax errors."""
    fmt = from_path(path, Kind.GRAPH)
    check_file_before_parsing(path, fmt.rdf_format)
    try:
        quads = list(parse(path=str(path), format=fmt.rdf_format, without_named_graphs=False))
    except SyntaxError as exc:
        raise RdfSyntaxError(
            str(path), str(exc.msg).splitlines()[0], exc.lineno, exc.offset
        ) from exc
    return _as_rdflib(q.triple for q in quads)


def _as_rdflib(triples: Iterable[Triple]) -> Graph:
    """Hand triples to rdflib through N-Triples, the one syntax both read exactly alike."""
    ntriples = serialize(triples, format=RdfFormat.N_TRIPLES) or b""
    return Graph().parse(data=ntriples, format="nt")


def validate_graph(data: Graph) -> ValidationReport:
    """Validate one graph against the shapes, with RDFS inference over the ontology."""
    conforms, results, _ = validate(
        data,
        shacl_graph=_ontology_graph("shapes.ttl"),
        ont_graph=_ontology_graph("civic.ttl"),
        inference="rdfs",
        allow_warnings=True,
    )
    return ValidationReport(bool(conforms), tuple(_violations(results)))


def _ref(term: NamedNode) -> URIRef:
    """A vocabulary term as rdflib names it: pyshacl's report is an rdflib graph."""
    return URIRef(term.value)


def _violations(results: Graph) -> Iterable[Violation]:
    for result in results.subjects(_ref(RDF.type), _ref(SH.ValidationResult)):
        yield Violation(
            focus=str(results.value(result, _ref(SH.focusNode))),
            path=str(results.value(result, _ref(SH.resultPath)) or ""),
            message=str(results.value(result, _ref(SH.resultMessage)) or ""),
            severity=str(results.value(result, _ref(SH.resultSeverity)) or "").rsplit("#", 1)[-1],
        )


def validate_files(paths: Iterable[Path]) -> ValidationReport:
    """Validate files together, as one graph (they refer to each other's entities)."""
    combined = Graph()
    for path in paths:
        combined += parse_file(path)
    return validate_graph(combined)


def validate_store(store: GraphStore) -> ValidationReport:
    """Validate everything in the store, read as the union of its graphs."""
    buffer = io.BytesIO()
    store.dump(buffer, by_name("nquads"))
    quads = parse(buffer.getvalue(), format=RdfFormat.N_QUADS)
    return validate_graph(_as_rdflib(q.triple for q in quads))
