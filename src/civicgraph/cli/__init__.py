"""The ``civicgraph`` command: each subcommand is a thin wrapper over one library call."""

from typing import Any

import click

from civicgraph import __version__
from civicgraph.cli.backup import backup_command, restore_command
from civicgraph.cli.claims import claims_command
from civicgraph.cli.data import export_command, load, stats_command, validate
from civicgraph.cli.network import graph_command, metrics_command
from civicgraph.cli.querying import query
from civicgraph.cli.reproduce import reproduce_command
from civicgraph.cli.serving import serve
from civicgraph.cli.versions import diff_command, versions_command
from civicgraph.errors import CivicgraphError


class CivicGroup(click.Group):
    """Turns the project's errors into a one-line message and exit code 1, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CivicgraphError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=CivicGroup, context_settings={"auto_envvar_prefix": "CIVICGRAPH"})
@click.version_option(__version__, prog_name="civicgraph")
def main() -> None:
    """civicgraph: a knowledge graph of the public-technology landscape."""


for command in (
    load,
    query,
    export_command,
    validate,
    stats_command,
    claims_command,
    serve,
    graph_command,
    metrics_command,
    backup_command,
    restore_command,
    versions_command,
    diff_command,
    reproduce_command,
):
    main.add_command(command)
