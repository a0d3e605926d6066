"""SHACL validation of files or of the store against ``ontology/shapes.ttl``.

The shapes are compiled to SPARQL queries (``dataset/shacl.py``) that pyoxigraph
evaluates over an in-memory copy of the data, so validation costs about what loading
costs. The data is validated together with the ontology, so SHACL's own class
semantics (``rdf:type/rdfs:subClassOf*``, SHACL §3.2) check an instance of a subclass
(a ``civ:GovernmentAgency``) with the shapes of its superclasses
(``civ:Organization``); no RDFS inference runs, which would also type literals that
sit where the ontology's ranges expect a resource and report them twice.

Files are parsed by pyoxigraph, so syntax errors carry the same file, line and column
as everywhere else; each file goes into a graph of its own (its blank nodes are its
own, and a load can take a graph's rows from there), and the checks read the union of
the graphs. A report summarises (counts per shape, the first few problems); the full
list is there on request.
"""

import hashlib
import heapq
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, NamedTuple

from pyoxigraph import BlankNode, NamedNode, RdfFormat, Store

from civicgraph.dataset.shacl import Check, Finding, Shape, compile_shapes, display, validate
from civicgraph.errors import RdfSyntaxError
from civicgraph.formats import Kind, by_name, from_path
from civicgraph.readmodels.labels import local_name
from civicgraph.resources import ontology_dir
from civicgraph.store import GraphStore
from civicgraph.store.parsesafety import check_before_parsing

#: How many problems a summary lists before pointing to the full report.
SUMMARY_LIMIT: Final = 5
#: Where ``in_memory`` keeps the ontology.
_ONTOLOGY: Final = NamedNode("urn:civicgraph:validated-ontology")


class Violation(NamedTuple):
    """One SHACL result, reduced to what a reader needs to fix the data (a tuple, as
    ``shacl.Finding`` is: a report can hold hundreds of thousands)."""

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
    #: In no particular order; ``text`` lists them by node, property and message.
    violations: tuple[Violation, ...]

    def per_shape(self) -> list[tuple[str, int]]:
        """How many problems each shape found, most first."""
        counts = Counter(v.shape for v in self.violations)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def text(self, limit: int | None = None) -> str:
        """A readable report; with ``limit``, a summary: counts per shape, first problems."""
        if self.conforms:
            return "The data conforms to the civicgraph shapes."
        lines = [f"{len(self.violations):,} problem(s) found:"]
        if limit is not None:
            lines += [f"  {count:,} from {shape}" for shape, count in self.per_shape()]
        # Sorting a million problems to print five would take longer than finding them.
        if limit is None:
            shown = sorted(self.violations, key=_reading_order)
        else:
            shown = heapq.nsmallest(limit, self.violations, key=_reading_order)
        lines += [v.line() for v in shown]
        if len(shown) < len(self.violations):
            lines.append(f"… and {len(self.violations) - len(shown):,} more (full report: --full)")
        return "\n".join(lines)


def _reading_order(violation: Violation) -> tuple[str, str, str, str]:
    return violation.focus, violation.path, violation.message, violation.shape


@cache
def _checks() -> tuple[Check, ...]:
    shapes = Store()
    shapes.load(path=str(ontology_dir() / "shapes.ttl"), format=RdfFormat.TURTLE)
    return compile_shapes(shapes)


def file_graph(index: int) -> NamedNode:
    """The graph of the ``index``-th file in ``in_memory``'s store."""
    return NamedNode(f"urn:civicgraph:validated-file:{index}")


def in_memory(paths: Iterable[Path], *, checked: bool = False) -> tuple[Store, list[str]]:
    """A fresh in-memory store (the ontology, and each file in its ``file_graph``), and
    the SHA-256 of each file's bytes as they were read.

    Files are read as the store's loader reads them (no base IRI), so their graphs
    hold exactly what a load of the same bytes puts in the store; the hashes tell
    whether the load read the same bytes. ``checked`` files are being parsed strictly
    by a load beside this copy, which fails on any syntax error: the copy skips the
    parser's own validation of IRIs and the like (a quarter of its time), as what it
    reads is the same as far as it goes.
    """
    store = Store()
    ontology = ontology_dir() / "civic.ttl"
    store.bulk_load(path=str(ontology), format=RdfFormat.TURTLE, to_graph=_ONTOLOGY)
    return store, [
        _add_file(store, path, file_graph(i), lenient=checked) for i, path in enumerate(paths)
    ]


def _add_file(store: Store, path: Path, graph: NamedNode, *, lenient: bool) -> str:
    """Add a file's triples, with pyoxigraph's precise syntax errors; the bytes' hash.

    The file is read once, so that the safety check, the hash and the parser see the
    same bytes (a file rewritten while it is read cannot pass the check in one form
    and be parsed in another).
    """
    fmt = from_path(path, Kind.GRAPH)
    data = path.read_bytes()
    check_before_parsing(data, fmt.rdf_format, str(path))
    try:
        store.bulk_load(data, fmt.rdf_format, to_graph=graph, lenient=lenient)
    except SyntaxError as exc:
        raise RdfSyntaxError(
            str(path), str(exc.msg).splitlines()[0], exc.lineno, exc.offset
        ) from exc
    return hashlib.sha256(data).hexdigest()


def report_of(data: Store) -> ValidationReport:
    """Validate the union of ``data``'s graphs; the same problem found twice counts once."""
    found = tuple({_violation(finding) for finding in validate(data, _checks())})
    return ValidationReport(not found, found)


def _violation(finding: Finding) -> Violation:
    return Violation(
        focus=display(finding.focus),
        path=display(finding.path),
        message=finding.message,
        severity=_severity_name(finding.severity),
        shape=_shape_name(finding.shape, finding.path),
    )


# A large file can have a million problems from a few dozen shapes: the names are
# worked out once per shape, not once per problem.
@cache
def _severity_name(severity: NamedNode) -> str:
    return local_name(severity.value)


@cache
def _shape_name(shape: Shape, path: NamedNode | None) -> str:
    """The shape's local name, or ``property <path>`` for an inline property shape."""
    if not isinstance(shape, BlankNode):
        return local_name(shape.value)
    return f"property {local_name(display(path))}"


def validate_files(paths: Iterable[Path]) -> ValidationReport:
    """Validate files together, as one graph (they refer to each other's entities)."""
    return report_of(in_memory(paths)[0])


def validate_store(store: GraphStore) -> ValidationReport:
    """Validate everything in the store, read as the union of its graphs."""
    buffer = io.BytesIO()
    store.dump(buffer, by_name("ntriples"))
    data, _ = in_memory([])
    data.bulk_load(buffer.getvalue(), format=RdfFormat.N_TRIPLES)
    return report_of(data)
