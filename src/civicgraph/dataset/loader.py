"""Loads RDF files into one named graph each, idempotently and atomically.

Each loaded file's content hash is recorded in a metadata graph, so serving can
reload exactly the bundled files that changed since they were loaded and skip the
rest; that keeps a restart on a loaded store fast.
"""

import hashlib
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from civicgraph.formats import Format, Kind, from_path
from civicgraph.queries import rows
from civicgraph.resources import bundled_files
from civicgraph.store import GraphStore, ProgressCallback
from civicgraph.store.base import Remembers
from civicgraph.store.results import term_value
from civicgraph.vocab import META, META_GRAPH, XSD, graph_iri

#: The subject of dataset-wide bookkeeping in the metadata graph.
DATASET_RECORD = META.dataset
#: Every load record and the dataset revision, in one round trip: pages ask for the
#: dataset version on each request to know whether their cached views are current.
_RECORDED = f"""
SELECT ?graph ?hash ?loaded ?load ?revision WHERE {{
  GRAPH <{META_GRAPH}> {{
    {{ ?graph {META.sha256} ?hash ; {META.loadedAt} ?loaded
       OPTIONAL {{ ?graph {META.load} ?load }} }}
    UNION {{ {DATASET_RECORD} {META.revision} ?revision }}
  }}
}}"""


@dataclass(frozen=True)
class LoadReport:
    """What happened to one file: loaded (with a triple count) or skipped as unchanged."""

    path: Path
    graph: str
    triples: int
    skipped: bool = False


@dataclass(frozen=True)
class LoadRecord:
    """What the metadata graph remembers of one loaded graph."""

    graph: str
    sha256: str
    loaded_at: str
    #: Names this load and no other, even one of the same file in the same second
    #: ('' for loads recorded before loads were named).
    load: str = ""


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks so large files stay cheap."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_graph_for(path: Path) -> str:
    """The named graph a file goes into when none is given: one per file stem."""
    return graph_iri(path.stem)


def load_file(
    store: GraphStore,
    path: Path,
    *,
    graph: str | None = None,
    fmt: Format | None = None,
    on_progress: ProgressCallback | None = None,
) -> LoadReport:
    """Replace a graph with a file's content; on any error the graph is unchanged.

    The file is hashed while the store loads it: the loader leaves the interpreter
    free, and reading and hashing a file of a million triples after it took 0.3 s.
    """
    target = graph or default_graph_for(path)
    fmt = fmt or from_path(path, Kind.GRAPH)
    with ThreadPoolExecutor(1) as beside:
        digest = beside.submit(file_hash, path)
        triples = store.load(path, fmt, target, replace=True, on_progress=on_progress)
        record_load(store, target, digest.result())
    if Kind.DATASET in fmt.kinds:  # its named graphs went into graphs of their own
        record_revision(store)
    return LoadReport(path, target, triples)


def record_load(store: GraphStore, graph: str, sha256: str) -> None:
    """Remember which content a graph holds, replacing any earlier record.

    The update names the bookkeeping terms by a prefix: with a graph name of up to
    about 55 characters it is short enough for the engine to take at once
    (``store/structure.py``), where a longer text costs a check in a process of its
    own (0.13 s).
    """
    subject = NamedNode(graph)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    store.update(
        f"PREFIX m: <{META.namespace}>\n"
        f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ {subject} ?p ?o }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ {subject} m:sha256 {Literal(sha256)} ; "
        f'm:loadedAt "{stamp}"^^{XSD.dateTime} ; m:load {Literal(uuid.uuid4().hex)} }} }}'
    )


def _bookkeeping(store: GraphStore) -> tuple[dict[str, LoadRecord], str]:
    """Every graph's load record by graph IRI, and the dataset revision ('' if none).

    Pages, exports and every cache keyed on the dataset version ask for this on each
    request; a store that remembers keeps it until the next write.
    """
    if isinstance(store, Remembers):
        return store.remembered("bookkeeping", lambda: _read_bookkeeping(store))
    return _read_bookkeeping(store)


def _read_bookkeeping(store: GraphStore) -> tuple[dict[str, LoadRecord], str]:
    records, revision = {}, ""
    for row in rows(store.query(_RECORDED)):
        if "revision" in row:
            revision = term_value(row["revision"])
            continue
        load = term_value(row["load"]) if "load" in row else ""
        record = LoadRecord(
            term_value(row["graph"]), term_value(row["hash"]), term_value(row["loaded"]), load
        )
        records[record.graph] = record
    return records, revision


def load_records(store: GraphStore) -> dict[str, LoadRecord]:
    """Every graph's load record, by graph IRI."""
    return _bookkeeping(store)[0]


def load_bundled(
    store: GraphStore,
    *,
    force: bool = False,
    files: Iterable[Path] | None = None,
    on_file: Callable[[LoadReport], None] | None = None,
) -> list[LoadReport]:
    """Load the bundled ontology and data, skipping files whose content is unchanged."""
    records = {} if force else load_records(store)
    reports = []
    for path in files if files is not None else bundled_files():
        graph = default_graph_for(path)
        record = records.get(graph)
        if record is not None and record.sha256 == file_hash(path):
            report = LoadReport(path, graph, 0, skipped=True)
        else:
            report = load_file(store, path, graph=graph)
        reports.append(report)
        if on_file:
            on_file(report)
    return reports


def record_revision(store: GraphStore) -> None:
    """Mark the data as changed by a write that is not a file load (SPARQL Update, GSP).

    The dataset version includes this revision, so caches keyed on the version (the
    search index, the ontology page) are rebuilt after any write, not only after loads.
    """
    record = f"{DATASET_RECORD} {META.revision}"
    store.update(
        f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ {record} ?o }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ {record} {Literal(uuid.uuid4().hex)} }} }}"
    )


def dataset_version(store: GraphStore) -> str:
    """A short, stable name for the loaded content: last load date and a hash prefix.

    Used in export file names so that a citation names exactly what was downloaded.
    """
    found, revision = _bookkeeping(store)
    records = sorted(found.values(), key=lambda r: r.graph)
    if not records:
        return "empty"
    content = "".join(r.graph + r.sha256 for r in records) + revision
    combined = hashlib.sha256(content.encode()).hexdigest()
    last = max(r.loaded_at for r in records)[:10]
    return f"{last}-{combined[:8]}"


def revision(store: GraphStore) -> str:
    """The revision the last write that was not a load left ('' before any)."""
    return _bookkeeping(store)[1]
