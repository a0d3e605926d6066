"""The ``backup`` and ``restore`` commands for an on-disk store."""

from pathlib import Path

import click

from civicgraph.cli.common import settings_for, store_option
from civicgraph.config import Settings
from civicgraph.errors import UserInputError
from civicgraph.store import MEMORY
from civicgraph.store import backup as backups

_FOLDER = click.Path(file_okay=False, path_type=Path)
#: What a backup says of a store another process held.
_FROM = {
    "checkpoint": " (from the running server's newest checkpoint)",
    "snapshot": " (from a read-only snapshot beside the process holding the store)",
}


def _store_folder(settings: Settings) -> Path:
    if settings.is_remote or settings.store == MEMORY:
        raise UserInputError(
            f"Backups copy an on-disk store, not {settings.store!r}; "
            "use 'civicgraph export --format trig' instead"
        )
    return Path(settings.store)


@click.command("backup")
@click.argument("target", type=_FOLDER)
@store_option
def backup_command(target: Path, store: str | None) -> None:
    """Copy the store to the new folder TARGET; safe while the server is serving."""
    report = backups.backup(_store_folder(settings_for(store=store)), target)
    how = _FROM.get(report.held_by_another or "", "")
    click.echo(f"Backed up {report.quads:,} quads to {report.path}{how}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a store that holds data.")
@store_option
def restore_command(source: Path, force: bool, store: str | None) -> None:
    """Replace the store with the backup in SOURCE (stop the server first)."""
    report = backups.restore(source, _store_folder(settings_for(store=store)), force=force)
    click.echo(f"Restored {report.quads:,} quads into {report.path}")
