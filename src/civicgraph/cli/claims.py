"""``civicgraph claims``: every claim with its source, location and confidence, as CSV."""

import sys
from pathlib import Path

import click

from civicgraph.cli.common import opened_store, settings_for, store_option
from civicgraph.readmodels.claims import load_claims, write_claims_csv


@click.command("claims")
@click.option(
    "--source", default=None, metavar="IRI", help="Only the claims this document supports."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@store_option
def claims_command(source: str | None, output: Path | None, store: str | None) -> None:
    """Write every claim: subject, predicate, object, labels, source, location, confidence."""
    with opened_store(settings_for(store=store)) as opened:
        found = load_claims(opened, source)
    if source and not found:
        raise click.ClickException(
            f"No claim cites <{source}>; give the IRI of a source document, "
            "e.g. https://w3id.org/civicgraph/id/document/roundup-2019"
        )
    if output is None:
        write_claims_csv(found, sys.stdout)
        return
    with output.open("w", encoding="utf-8", newline="") as stream:
        count = write_claims_csv(found, stream)
    click.echo(f"Wrote {count:,} claims to {output}", err=True)
