"""The ``civicgraph`` command: each subcommand is a thin wrapper over one library call.

A subcommand's module is imported when that subcommand runs: together they import
the web app, the network analytics and their libraries (about a second), which a
load or a query does not need.
"""

import importlib
from typing import Any

import click

import civicgraph
from civicgraph.errors import CivicgraphError

#: Each subcommand's name, and where it is defined (module in ``civicgraph.cli``, name).
_COMMANDS: dict[str, tuple[str, str]] = {
    "load": ("data", "load"),
    "query": ("querying", "query"),
    "export": ("data", "export_command"),
    "validate": ("data", "validate"),
    "stats": ("data", "stats_command"),
    "claims": ("claims", "claims_command"),
    "serve": ("serving", "serve"),
    "graph": ("network", "graph_command"),
    "metrics": ("network", "metrics_command"),
    "backup": ("backup", "backup_command"),
    "restore": ("backup", "restore_command"),
    "versions": ("versions", "versions_command"),
    "diff": ("versions", "diff_command"),
    "reproduce": ("reproduce", "reproduce_command"),
}


class CivicGroup(click.Group):
    """Imports a subcommand when it is asked for; turns the project's errors into a
    one-line message and exit code 1, no traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        module, name = _COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"civicgraph.cli.{module}"), name)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CivicgraphError as exc:
            raise click.ClickException(str(exc)) from exc


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the package's version is read only when it is asked for (reading
    package metadata is a tenth of a second every other command need not wait)."""
    if value and not ctx.resilient_parsing:
        click.echo(f"civicgraph, version {civicgraph.__version__}")
        ctx.exit()


@click.group(cls=CivicGroup, context_settings={"auto_envvar_prefix": "CIVICGRAPH"})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
def main() -> None:
    """civicgraph: a knowledge graph of the public-technology landscape."""
