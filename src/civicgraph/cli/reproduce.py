"""The ``reproduce`` command: run a research-object bundle's query again and compare."""

from pathlib import Path

import click

from civicgraph.cli.common import opened_store, settings_for, store_option
from civicgraph.readmodels.bundle import reproduce


@click.command("reproduce")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@store_option
def reproduce_command(bundle: Path, store: str | None) -> None:
    """Run BUNDLE's query on the store; exit 0 if the result is byte-identical, else 1."""
    with opened_store(settings_for(store=store)) as opened:
        record, found = reproduce(opened, bundle)
    click.echo(found.explain(record))
    if not found.identical:
        raise SystemExit(1)
