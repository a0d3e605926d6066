"""The ``serve`` command."""

import click

from civicgraph.cli.common import settings_for, store_option
from civicgraph.webapp import server


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [default: 8000].")
@click.option("--threads", default=8, show_default=True, help="Request threads.")
@store_option
def serve(host: str | None, port: int | None, threads: int, store: str | None) -> None:
    """Load the bundled data if needed, then serve the web app and SPARQL endpoint."""
    settings = settings_for(host=host, port=port, store=store)
    click.echo(f"Store: {settings.store}", err=True)
    server.prepare_store(settings)
    click.echo(f"Serving on http://{settings.host}:{settings.port}/", err=True)
    server.serve(settings, threads)
