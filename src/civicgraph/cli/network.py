"""Network commands: ``graph`` writes a standalone HTML view, ``metrics`` ranks entities."""

import csv
import sys
from pathlib import Path

import click

from civicgraph.cli.common import opened_store, settings_for, store_option
from civicgraph.cli.output import aligned_table
from civicgraph.network import MEASURES, NetworkExplorer, ViewRequest, parse_measure, view_json
from civicgraph.network import html as network_html
from civicgraph.network import params as read
from civicgraph.network.model import INFO
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
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="HTML file to write.",
)
@store_option
def graph_command(
    *,
    entity: str | None,
    depth: int,
    classes: str | None,
    relations: str | None,
    output: Path,
    store: str | None,
) -> None:
    """Write the network (or ENTITY's ego network) as one HTML file that works offline.

    ENTITY is an IRI or kind/slug, e.g. person/patrick-atwater.
    """
    settings = settings_for(store=store)
    request = ViewRequest(
        focus=read.entity(entity) if entity else None,
        depth=depth,
        classes=read.terms([classes or ""]),
        relations=read.terms([relations or ""]),
    )
    with opened_store(settings) as opened:
        view = NetworkExplorer(opened, settings.node_cap).view(request)
    notice = f"Grouped: {view.total_nodes} nodes pass the node cap." if view.truncated else ""
    title = "civicgraph network" + (
        f" around {view.nodes[0].label}" if entity and view.nodes else ""
    )
    data = view_json(view, lambda iri: iri)
    output.write_text(network_html.render(data, title=title, notice=notice), encoding="utf-8")
    click.echo(f"Wrote {output}: {len(view.nodes)} nodes, {len(view.edges)} edges", err=True)


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
    with opened_store(settings) as opened:
        projection = NetworkExplorer(opened, settings.node_cap).projection()
        values = projection.measure(parse_measure(measure_name))
    graph = projection.graph
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:limit]
    rows = [[n, graph.nodes[n][INFO].label, f"{v:.6g}"] for n, v in ranked]
    header = ["id", "label", measure_name]
    if (format_name or ("table" if sys.stdout.isatty() else "csv")) == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        # A ranking table, opened in spreadsheets: text must not run as a formula.
        writer.writerows([neutralise(cell) for cell in row] for row in rows)
    else:
        click.echo(aligned_table(header, rows))
