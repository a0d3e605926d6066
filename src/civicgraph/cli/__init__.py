"""The ``civicgraph`` command: each subcommand is a thin wrapper over one library call.

A subcommand's module is imported when that subcommand runs: together they import
the web app, the network analytics and their libraries (about a second), which a
load or a query does not need.
"""

import importlib
import sys
from typing import Any

import click

from civicgraph import __version__
from civicgraph.allocator import start_with_preferred
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


@click.group(cls=CivicGroup, context_settings={"auto_envvar_prefix": "CIVICGRAPH"})
@click.version_option(__version__, prog_name="civicgraph")
def main() -> None:
    """civicgraph: a knowledge graph of the public-technology landscape."""


def run() -> None:
    """The ``civicgraph`` program: a long-running command starts again with the preferred
    allocator first (``civicgraph/allocator.py``), then the command runs."""
    start_with_preferred(sys.argv)
    main()
