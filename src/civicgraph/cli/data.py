"""Commands that move data in and out: load, export, validate, stats."""

import getpass
import sys
from pathlib import Path

import click

from civicgraph.cli.common import atomic_output, opened_store, settings_for, store_option
from civicgraph.cli.output import aligned_table, tell
from civicgraph.dataset import loader, stats, validation, versions
from civicgraph.dataset.beside import Beside, rows_to_record
from civicgraph.dataset.export import export
from civicgraph.errors import UserInputError, ValidationFailedError
from civicgraph.formats import FORMATS, Kind, by_name
from civicgraph.store import GraphStore

_EXPORT_FORMATS = [f.name for f in FORMATS if f.kinds & {Kind.GRAPH, Kind.DATASET}]
_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _load_one(store: GraphStore, path: Path, graph: str | None) -> loader.LoadReport:
    size = path.stat().st_size
    if not sys.stderr.isatty() or size < 8 * 1024 * 1024:
        return loader.load_file(store, path, graph=graph)
    with click.progressbar(length=size, label=f"Loading {path.name}", file=sys.stderr) as bar:
        return loader.load_file(
            store, path, graph=graph, on_progress=lambda n: bar.update(n - bar.pos)
        )


@click.command()
@click.argument("files", nargs=-1, type=_EXISTING_FILE)
@click.option("--graph", default=None, metavar="IRI", help="Named graph [default: one per file].")
@click.option(
    "--bundled",
    is_flag=True,
    help="Load the ontology and the bundled data (unchanged files skipped).",
)
@click.option("--validate/--no-validate", default=True, help="Check the loaded files' shapes.")
@click.option("--full", is_flag=True, help="List every shape problem, not a summary.")
@store_option
def load(
    files: tuple[Path, ...],
    graph: str | None,
    *,
    bundled: bool,
    validate: bool,
    full: bool,
    store: str | None,
) -> None:
    """Load RDF FILES (or, with --bundled, the bundled data), each into its named graph.

    Each file replaces its named graph atomically. The files are checked against the
    shapes beside the load, and a summary printed once both are done (problems do not
    undo the load).
    """
    if not files and not bundled:
        raise UserInputError("Name RDF files to load, or --bundled for the bundled data")
    settings = settings_for(store=store)
    log = versions.log_for(settings)
    targets = {graph or loader.default_graph_for(path): i for i, path in enumerate(files)}
    # A remote server may spell terms otherwise than pyoxigraph does: it is read back.
    rows_of = set(targets.values()) if log is not None and not settings.is_remote else set()
    limit = None if full else validation.SUMMARY_LIMIT
    wanted = bool(files) and (validate or bool(rows_of))
    staging = log.folder if log is not None else None
    copy = (
        Beside(files, rows_of=rows_of, staging=staging, validate=validate, limit=limit)
        if wanted
        else None
    )
    try:
        with opened_store(settings) as opened:
            if bundled:
                _load_bundled(opened)
            counts = {}
            for path in files:
                report = _load_one(opened, path, graph)
                counts[report.graph] = report.triples
                tell(f"Loaded {report.triples:,} triples from {path} into <{report.graph}>")
            if log is not None:
                found = (copy.rows() or {}) if copy and rows_of else {}
                known = rows_to_record(found, opened, targets, counts)
                _record_version(log, opened, files, bundled=bundled, known_rows=known)
    except BaseException:
        if copy is not None:
            copy.cancel()
        raise
    if copy is None:
        return
    if not copy.finished():
        click.echo("Checking the loaded files against the shapes…", err=True)
    summary = copy.summary()
    if summary is not None:
        click.echo(summary, err=True)


def _record_version(
    log: versions.VersionLog,
    store: GraphStore,
    files: tuple[Path, ...],
    *,
    bundled: bool,
    known_rows: dict[str, versions.Known],
) -> None:
    """Record the load as a dataset version."""
    names = ", ".join([*(["the bundled data"] if bundled else []), *(p.name for p in files)])
    who = f"civicgraph load ({getpass.getuser()})"
    versions.record_quietly(log, store, who=who, action=f"load {names}", known_rows=known_rows)


def _load_bundled(store: GraphStore) -> None:
    reports = loader.load_bundled(store)
    loaded = [r for r in reports if not r.skipped]
    triples = sum(r.triples for r in loaded)
    tell(
        f"Loaded {triples:,} triples from {len(loaded)} bundled files "
        f"({len(reports) - len(loaded)} unchanged, skipped)"
    )


@click.command("export")
@click.option("--graph", default=None, metavar="IRI", help="Export one named graph only.")
@click.option(
    "--format",
    "format_name",
    default="trig",
    show_default=True,
    type=click.Choice([*_EXPORT_FORMATS, "ttl", "nt", "nq", "rdf"]),
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@store_option
def export_command(
    graph: str | None, format_name: str, output: Path | None, store: str | None
) -> None:
    """Export the dataset (or one graph) in an RDF format."""
    fmt = by_name(format_name)
    with opened_store(settings_for(store=store), reading=True) as opened:
        if output is None:
            export(opened, sys.stdout.buffer, fmt, graph)
            return
        with atomic_output(output) as stream:
            export(opened, stream, fmt, graph)
    click.echo(f"Wrote {output}", err=True)


@click.command()
@click.argument("files", nargs=-1, type=_EXISTING_FILE)
@store_option
def validate(files: tuple[Path, ...], store: str | None) -> None:
    """Check FILES (or the whole store) against the SHACL shapes."""
    if files:
        report = validation.validate_files(files)
    else:
        with opened_store(settings_for(store=store), reading=True) as opened:
            report = validation.validate_store(opened)
    if not report.conforms:
        raise ValidationFailedError(report.text())
    click.echo(report.text())


@click.command("stats")
@store_option
def stats_command(store: str | None) -> None:
    """Show triples in all, per graph, and instances per class."""
    with opened_store(settings_for(store=store), reading=True) as opened:
        found = stats.collect(opened)
    click.echo(f"{found.triples:,} triples in {len(found.graphs)} graphs\n")
    graph_rows = [[g.iri or "(default graph)", f"{g.triples:,}"] for g in found.graphs]
    click.echo(aligned_table(["graph", "triples"], graph_rows) + "\n")
    class_rows = [[c.name, f"{c.count:,}"] for c in found.classes]
    click.echo(aligned_table(["class", "instances"], class_rows))
