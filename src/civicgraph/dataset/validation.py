"""SHACL validation of files or of the store against ``ontology/shapes.ttl``.

The shapes are compiled to SPARQL queries (``dataset/shacl.py``) that pyoxigraph
evaluates over an in-memory copy of the data, so validation costs about what loading
costs. The data is validated together with the ontology, so SHACL's own class
semantics (``rdf:type/rdfs:subClassOf*``, SHACL §3.2) check an instance of a subclass
(a ``civ:GovernmentAgency``) with the shapes of its superclasses
(``civ:Organization``); no RDFS inference runs, which would also type literals that
sit where the ontology's ranges expect a resource and report them twice.

Files are parsed by pyoxigraph, so syntax errors carry the same file, line and column
as everywhere else; each file's blank nodes are its own. A report summarises (counts
per shape, the first few problems); the full list is there on request.
"""

import io
import multiprocessing
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Final

from pyoxigraph import BlankNode, RdfFormat, Store

from civicgraph.dataset.shacl import Check, Finding, compile_shapes, display, validate
from civicgraph.errors import RdfSyntaxError
from civicgraph.formats import Kind, by_name, from_path
from civicgraph.readmodels.labels import local_name
from civicgraph.resources import ontology_dir
from civicgraph.store import GraphStore
from civicgraph.store.parsesafety import check_file_before_parsing

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
        lines = [f"{len(self.violations):,} problem(s) found:"]
        if limit is not None:
            lines += [f"  {count:,} from {shape}" for shape, count in self.per_shape()]
        shown = self.violations if limit is None else self.violations[:limit]
        lines += [v.line() for v in shown]
        if len(shown) < len(self.violations):
            lines.append(f"… and {len(self.violations) - len(shown):,} more (full report: --full)")
        return "\n".join(lines)


@cache
def _checks() -> tuple[Check, ...]:
    shapes = Store()
    shapes.load(path=str(ontology_dir() / "shapes.ttl"), format=RdfFormat.TURTLE)
    return compile_shapes(shapes)


def _with_ontology() -> Store:
    """A fresh in-memory store holding the ontology, to which the data is added."""
    store = Store()
    store.bulk_load(path=str(ontology_dir() / "civic.ttl"), format=RdfFormat.TURTLE)
    return store


def _add_file(store: Store, path: Path) -> None:
    """Add a file's triples, with pyoxigraph's precise syntax errors."""
    fmt = from_path(path, Kind.GRAPH)
    check_file_before_parsing(path, fmt.rdf_format)
    try:
        store.bulk_load(path=str(path), format=fmt.rdf_format)
    except SyntaxError as exc:
        raise RdfSyntaxError(
            str(path), str(exc.msg).splitlines()[0], exc.lineno, exc.offset
        ) from exc


def _report(data: Store) -> ValidationReport:
    """Validate the default graph of ``data``; the same problem found twice counts once."""
    found = {_violation(finding) for finding in validate(data, _checks())}
    ordered = sorted(found, key=lambda v: (v.focus, v.path, v.message, v.shape))
    return ValidationReport(not ordered, tuple(ordered))


def _violation(finding: Finding) -> Violation:
    return Violation(
        focus=display(finding.focus),
        path=display(finding.path),
        message=finding.message,
        severity=local_name(finding.severity.value),
        shape=_shape_name(finding),
    )


def _shape_name(finding: Finding) -> str:
    """The shape's local name, or ``property <path>`` for an inline property shape."""
    if not isinstance(finding.shape, BlankNode):
        return local_name(finding.shape.value)
    return f"property {local_name(display(finding.path))}"


def validate_files(paths: Iterable[Path]) -> ValidationReport:
    """Validate files together, as one graph (they refer to each other's entities)."""
    data = _with_ontology()
    for path in paths:
        _add_file(data, path)
    return _report(data)


def validate_store(store: GraphStore) -> ValidationReport:
    """Validate everything in the store, read as the union of its graphs."""
    buffer = io.BytesIO()
    store.dump(buffer, by_name("ntriples"))
    data = _with_ontology()
    data.bulk_load(buffer.getvalue(), format=RdfFormat.N_TRIPLES)
    return _report(data)


class InBackground:
    """Files validated in a second process while this one loads them into the store.

    Validation builds its own in-memory copy of the data, so it needs nothing from the
    load: on two cores the load and the version record run beside it, and ``load``
    takes about as long as the longer of the two instead of their sum. The process is
    a new interpreter, not a fork, so no lock another thread holds is copied into it.
    """

    def __init__(self, paths: Iterable[Path], limit: int | None) -> None:
        context = multiprocessing.get_context("spawn")
        self._answers, sender = context.Pipe(duplex=False)
        arguments = (list(paths), limit, sender)
        self._process = context.Process(target=_answer, args=arguments, daemon=True)
        self._process.start()
        sender.close()

    def finished(self) -> bool:
        """Whether the report is ready (``summary`` will not wait)."""
        return self._answers.poll()

    def summary(self) -> str | None:
        """The report's text (at most ``limit`` problems listed), None if the files conform.

        Only the text comes back: a million problems' worth of objects would take
        longer to pass between the processes than to print.
        """
        try:
            outcome = self._answers.recv()
        finally:
            self._process.join()
        if isinstance(outcome, BaseException):
            raise outcome
        assert outcome is None or isinstance(outcome, str)
        return outcome

    def cancel(self) -> None:
        """Stop the validation (the load failed: there is nothing to report on)."""
        self._process.kill()
        self._process.join()


def _answer(paths: list[Path], limit: int | None, sender: Connection) -> None:
    try:
        report = validate_files(paths)
        sender.send(None if report.conforms else report.text(limit))
    except Exception as exc:  # the parent raises it where the report was wanted
        sender.send(exc)
