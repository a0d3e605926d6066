"""Network commands: ``graph`` writes a standalone HTML view, ``metrics`` ranks entities."""

import csv
import sys
from functools import partial
from pathlib import Path
from typing import Any

import click

from civicgraph.cli.common import atomic_output, opened_store, settings_for, store_option
from civicgraph.cli.output import aligned_table
from civicgraph.network import (
    MEASURES,
    NetworkExplorer,
    View,
    ViewRequest,
    exports,
    parse_measure,
    view_json,
)
from civicgraph.network import html as network_html
from civicgraph.network import params as read
from civicgraph.network.timeline import parse_day
from civicgraph.readmodels.search import SearchIndex
from civicgraph.spreadsheet import neutralise


@click.command("graph")
@click.argument("entity", required=False, metavar="[ENTITY]")
@click.option("--depth", default=1, show_default=True, type=click.IntRange(1, 3))
@click.option(
    "--classes",
    default=None,
    metavar="NAMES",
    help="Comma-separated classes, e.g. Person,Organization.",
)
@click.option("--relations", default=None, metavar="NAMES", help="Comma-separated relations.")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATE",
    help="Draw the network as it stood on DATE (YYYY-MM-DD or YYYY).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write: .html (offline view), .gexf, .graphml, .ttl or .jsonld.",
)
@store_option
def graph_command(
    *,
    entity: str | None,
    depth: int,
    classes: str | None,
    relations: str | None,
    as_of: str | None,
    output: Path,
    store: str | None,
) -> None:
    """Write the network (or ENTITY's ego network) to a file, in the format its name ends in.

    .html is one file that works offline; .gexf (Gephi) and .graphml (Cytoscape,
    yEd) keep labels, classes and evidence counts; .ttl and .jsonld hold the RDF.

    ENTITY is a name ("Code for America"), another name, kind/slug
    (org/code-for-america) or an IRI; case and accents do not matter.
    """
    settings = settings_for(store=store)
    with opened_store(settings, reading=True) as opened:
        request = ViewRequest(
            focus=read.entity(entity, partial(SearchIndex.build, opened)) if entity else None,
            depth=depth,
            classes=read.terms([classes or ""]),
            relations=read.terms([relations or ""]),
        )
        explorer = NetworkExplorer(opened, settings.node_cap)
        day = parse_day(as_of) if as_of else None
        dated = explorer.projection().at(day).projection if day else None
        view = explorer.view(request, projection=dated)
    data = view_json(view, lambda iri: iri)
    with atomic_output(output) as stream:
        stream.write(_file_body(data, view, output, entity, day))
    click.echo(f"Wrote {output}: {len(view.nodes)} nodes, {len(view.edges)} edges", err=True)


def _file_body(
    data: dict[str, Any], view: View, output: Path, entity: str | None, day: str | None
) -> bytes:
    """The view in the format the output file's extension names (``.html`` by default)."""
    extension = output.suffix.lower().lstrip(".") or "html"
    if extension != "html":
        return exports.render(data, extension).body
    notice = f"Grouped: {view.total_nodes} nodes pass the node cap." if view.truncated else ""
    title = "civicgraph network" + (
        f" around {view.nodes[0].label}" if entity and view.nodes else ""
    )
    title += f" on {day}" if day else ""
    return network_html.render(data, title=title, notice=notice).encode()


@click.command("metrics")
@click.option(
    "--measure", "measure_name", type=click.Choice(MEASURES), default="degree", show_default=True
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["table", "csv"]),
    default=None,
    help="Output format [default: table on a terminal, else csv].",
)
@click.option("--limit", type=int, default=None, help="Show only the top N.")
@store_option
def metrics_command(
    measure_name: str, format_name: str | None, limit: int | None, store: str | None
) -> None:
    """Rank entities by degree, betweenness or PageRank."""
    settings = settings_for(store=store)
    with opened_store(settings, reading=True) as opened:
        projection = NetworkExplorer(opened, settings.node_cap).projection()
        values = projection.measure(parse_measure(measure_name))
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:limit]
    rows = [[n, projection.label(n), f"{v:.6g}"] for n, v in ranked]
    header = ["id", "label", measure_name]
    if (format_name or ("table" if sys.stdout.isatty() else "csv")) == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        # A ranking table, opened in spreadsheets: text must not run as a formula.
        writer.writerows([neutralise(cell) for cell in row] for row in rows)
    else:
        click.echo(aligned_table(header, rows))
