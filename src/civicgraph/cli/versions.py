"""The ``versions`` and ``diff`` commands: the dataset's history, read from its version log."""

import click

from civicgraph.cli.common import settings_for, store_option
from civicgraph.cli.output import aligned_table
from civicgraph.dataset.versions import VersionLog, log_for
from civicgraph.errors import UserInputError
from civicgraph.readmodels.changes import update_text


def _log(store: str | None) -> VersionLog:
    log = log_for(settings_for(store=store))
    if log is None:
        raise UserInputError(
            "This store keeps no version log: versions are kept beside an on-disk store, "
            "or in the folder CIVICGRAPH_VERSIONS names."
        )
    return log


@click.command("versions")
@store_option
def versions_command(store: str | None) -> None:
    """List the dataset's versions: every load, update and Graph Store write."""
    found = _log(store).versions()
    if not found:
        click.echo("No version is recorded yet: the first write to the data will make one.")
        return
    rows = [
        [str(v.number), v.time, v.who, v.action, f"+{v.total_added:,}", f"-{v.total_removed:,}"]
        for v in found
    ]
    click.echo(aligned_table(["version", "time", "who", "what", "added", "removed"], rows))


@click.command("diff")
@click.argument("older", type=int)
@click.argument("newer", type=int)
@click.option(
    "--format",
    "shape",
    type=click.Choice(["patch", "update"]),
    default="patch",
    show_default=True,
    help="An RDF Patch, or SPARQL Update text that applies the change.",
)
@store_option
def diff_command(older: int, newer: int, shape: str, store: str | None) -> None:
    """Show what changed from version OLDER to version NEWER (0 is the empty dataset)."""
    change = _log(store).change(older, newer)
    click.echo(change.as_patch() if shape == "patch" else update_text(change), nl=False)
