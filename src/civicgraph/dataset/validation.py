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
from typing import Final, NamedTuple, TypeAlias

from pyoxigraph import BlankNode, NamedNode, RdfFormat, Store

from civicgraph.dataset.shacl import (
    Check,
    Finding,
    Shape,
    answered,
    compile_shapes,
    display,
    validate,
)
from civicgraph.errors import RdfSyntaxError
from civicgraph.formats import Kind, by_name, from_path
from civicgraph.readmodels.labels import local_name
from civicgraph.resources import ontology_dir
from civicgraph.store import GraphStore
from civicgraph.store.parsesafety import check_before_parsing

#: How many problems a summary lists before pointing to the full report.
SUMMARY_LIMIT: Final = 5
#: What a report on data without problems says.
CONFORMS: Final = "The data conforms to the civicgraph shapes."
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


#: Problems grouped by what they share: (path, message, severity, shape) to focus nodes.
_Groups: TypeAlias = dict[tuple[str, str, str, str], set[str]]


@dataclass(frozen=True)
class Summary:
    """What a summary tells: how many problems, how many from each shape, the first few."""

    total: int
    #: Each shape's name and how many problems it found, most first.
    per_shape: list[tuple[str, int]]
    #: The first problems in reading order (by node, property and message).
    first: tuple[Violation, ...]

    def text(self) -> str:
        """The summary as ``civicgraph load`` prints it."""
        if not self.total:
            return CONFORMS
        lines = [f"{self.total:,} problem(s) found:"]
        lines += [f"  {count:,} from {shape}" for shape, count in self.per_shape]
        lines += [v.line() for v in self.first]
        if len(self.first) < self.total:
            lines.append(f"… and {self.total - len(self.first):,} more (full report: --full)")
        return "\n".join(lines)


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation run."""

    conforms: bool
    #: In no particular order; ``text`` lists them by node, property and message.
    violations: tuple[Violation, ...]

    def per_shape(self) -> list[tuple[str, int]]:
        """How many problems each shape found, most first."""
        return self.summary(0).per_shape

    def summary(self, limit: int) -> Summary:
        """Counts per shape and the first ``limit`` problems."""
        groups: _Groups = {}
        for v in self.violations:
            groups.setdefault((v.path, v.message, v.severity, v.shape), set()).add(v.focus)
        return _summary(groups, limit)

    def text(self, limit: int | None = None) -> str:
        """A readable report; with ``limit``, a summary: counts per shape, first problems."""
        if limit is not None or self.conforms:
            return self.summary(limit or 0).text()
        shown = sorted(self.violations, key=_reading_order)
        return "\n".join([f"{len(shown):,} problem(s) found:", *(v.line() for v in shown)])


def _summary(groups: _Groups, limit: int) -> Summary:
    """The summary of grouped problems.

    Only each group's first ``limit`` nodes are made into problems: sorting a million
    problems to print five would take longer than finding them.
    """
    counts: Counter[str] = Counter()
    first: list[Violation] = []
    for (path, message, severity, shape), foci in groups.items():
        counts[shape] += len(foci)
        leading = heapq.nsmallest(limit, foci)
        first += [Violation(focus, path, message, severity, shape) for focus in leading]
    per_shape = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = heapq.nsmallest(limit, first, key=_reading_order)
    return Summary(counts.total(), per_shape, tuple(shown))


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


def text_of(data: Store, limit: int | None) -> str | None:
    """The report on ``data`` as text (a summary with ``limit``); None if it conforms."""
    if limit is None:
        report = report_of(data)
        return None if report.conforms else report.text()
    summary = summary_of(data, limit)
    return summary.text() if summary.total else None


def summary_of(data: Store, limit: int) -> Summary:
    """What ``report_of(data).summary(limit)`` says, without a ``Violation`` for each
    problem where the checks' rows tell them apart (``Check.foci``)."""
    groups: _Groups = {}
    for check, answers in answered(data, _checks()):
        foci = check.foci(answers)
        if foci is None:
            for v in map(_violation, check.findings(answers)):
                groups.setdefault((v.path, v.message, v.severity, v.shape), set()).add(v.focus)
            continue
        severity = _severity_name(check.severity)
        for path, names in foci.items():
            shape = _shape_name(check.shape, NamedNode(path) if path else None)
            groups.setdefault((path, check.message, severity, shape), set()).update(names)
    return _summary(groups, limit)


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
