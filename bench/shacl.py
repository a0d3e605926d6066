"""SHACL engines on the project's shapes: civicgraph's compiled checks beside pySHACL and
two engines written in Rust (pyrudof, pyshacl-turbo).

Correctness first: each engine validates the same generated civic graph together with
the ontology (as civicgraph validates), and its problems, as (focus node, property)
pairs, are compared with civicgraph's. Then the time, from the files to the list of
problems, each engine reading them its own way. An engine that is not installed or
fails is reported so, not skipped silently.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyoxigraph import RdfFormat, Store

from civicgraph.dataset.shacl import compile_shapes, validate
from civicgraph.dataset.validation import in_memory
from civicgraph.resources import ontology_dir

#: What each engine reports: (focus node, property) pairs ('' for a node's own shape).
Pairs = set[tuple[str, str]]
SHAPES = ontology_dir() / "shapes.ttl"
ONTOLOGY = ontology_dir() / "civic.ttl"


@dataclass(frozen=True)
class EngineResult:
    """One engine's run: its time, how many problems, and whether they are civicgraph's."""

    name: str
    seconds: float | None
    problems: int
    same: bool | None
    note: str = ""


def _civicgraph(data: Path) -> Pairs:
    shapes = Store()
    shapes.load(path=str(SHAPES), format=RdfFormat.TURTLE)
    store, _ = in_memory([data])
    return {
        (str(getattr(f.focus, "value", f.focus)), f.path.value if f.path else "")
        for f in validate(store, compile_shapes(shapes))
    }


def _rdflib_report(engine: Any, data: Path) -> Pairs:
    """pySHACL's API (pyshacl-turbo has the same): pairs from the report graph."""
    from rdflib import Graph, Namespace  # noqa: PLC0415  (a peer's library, in the bench only)

    sh = Namespace("http://www.w3.org/ns/shacl#")
    graph = Graph()
    graph.parse(data, format="nt")
    graph.parse(ONTOLOGY, format="turtle")
    shapes = Graph().parse(SHAPES, format="turtle")
    _, report, _ = engine.validate(graph, shacl_graph=shapes)
    return {
        (str(report.value(r, sh.focusNode)), str(report.value(r, sh.resultPath) or ""))
        for r in report.subjects(None, sh.ValidationResult)
    }


def _pyshacl(data: Path) -> Pairs:
    import pyshacl  # noqa: PLC0415

    return _rdflib_report(pyshacl, data)


def _pyshacl_turbo(data: Path) -> Pairs:
    import pyshacl_turbo  # noqa: PLC0415

    return _rdflib_report(pyshacl_turbo, data)


def _pyrudof(data: Path) -> Pairs:
    import pyrudof  # noqa: PLC0415

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(str(data), pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict)
    rudof.read_data(str(ONTOLOGY), pyrudof.RDFFormat.Turtle, merge=True)
    rudof.read_shacl(str(SHAPES))
    return {(str(e.focus_node), str(e.path or "")) for e in rudof.validate_shacl()}


ENGINES: dict[str, Callable[[Path], Pairs]] = {
    "civicgraph (shapes compiled to SPARQL, pyoxigraph)": _civicgraph,
    "pySHACL": _pyshacl,
    "pyrudof": _pyrudof,
    "pyshacl-turbo": _pyshacl_turbo,
}


def compare(data: Path) -> list[EngineResult]:
    """Every engine on ``data``, civicgraph's first (the others are compared with it)."""
    results, reference = [], None
    for name, run in ENGINES.items():
        started = time.perf_counter()
        try:
            found = run(data)
        except ImportError as exc:
            results.append(EngineResult(name, None, 0, None, f"not installed ({exc.name})"))
            continue
        except Exception as exc:  # a peer's failure is a result, not the run's end
            results.append(EngineResult(name, None, 0, None, f"failed: {exc}"[:200]))
            continue
        seconds = time.perf_counter() - started
        reference = found if reference is None else reference
        results.append(EngineResult(name, seconds, len(found), found == reference))
    return results


def table(results: list[EngineResult], triples: int) -> list[str]:
    """The comparison as a Markdown section."""
    lines = [
        f"## SHACL engines on the project's shapes ({triples:,} triples)",
        "",
        "Each engine validates the same generated graph with the ontology; problems are "
        "compared as (focus node, property) pairs with civicgraph's.",
        "",
        "| engine | seconds | problems | same problems as civicgraph |",
        "|---|---|---|---|",
    ]
    for r in results:
        seconds = f"{r.seconds:.2f}" if r.seconds is not None else r.note
        same = {True: "yes", False: "no", None: "-"}[r.same]
        lines.append(f"| {r.name} | {seconds} | {r.problems:,} | {same} |")
    return lines
