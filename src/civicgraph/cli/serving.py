"""The ``serve`` command."""

import click

from civicgraph.cli.common import settings_for, store_option
from civicgraph.webapp import server


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [default: 8000].")
@click.option(
    "--workers",
    default=None,
    type=int,
    help="Serving processes, plus one for fairness [default: one per core].",
)
@store_option
def serve(host: str | None, port: int | None, workers: int | None, store: str | None) -> None:
    """Load the bundled data if needed, then serve the web app and SPARQL endpoint."""
    settings = settings_for(host=host, port=port, store=store, workers=workers)
    click.echo(f"Store: {settings.store}", err=True)
    click.echo(f"Serving on http://{settings.host}:{settings.port}/", err=True)
    server.serve(settings)
