"""The ``serve`` command."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click

from civicgraph.cli.common import served_url_file, settings_for, store_option
from civicgraph.config import Settings
from civicgraph.store import MEMORY
from civicgraph.webapp import server


@click.command()
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [default: 8000].")
@click.option(
    "--workers",
    default=None,
    type=int,
    help="Serving processes, plus one for fairness [default: one per core; remote store: 3].",
)
@store_option
def serve(host: str | None, port: int | None, workers: int | None, store: str | None) -> None:
    """Load the bundled data if needed, then serve the web app and SPARQL endpoint."""
    settings = settings_for(host=host, port=port, store=store, workers=workers)
    click.echo(f"Store: {settings.store}", err=True)
    click.echo(f"Serving on http://{settings.host}:{settings.port}/", err=True)
    with _noted_endpoint(settings):
        server.serve(settings)


@contextmanager
def _noted_endpoint(settings: Settings) -> Iterator[None]:
    """Note the endpoint beside the store, so a CLI that finds it locked can name it."""
    if settings.is_remote or settings.store == MEMORY:
        yield
        return
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::", ""} else settings.host
    noted, owner = served_url_file(settings.store), os.getpid()
    noted.write_text(f"http://{host}:{settings.port}/sparql\n", encoding="utf-8")
    try:
        yield
    finally:
        # Serving processes are forked inside ``serve`` and leave through here too
        # (when gunicorn reloads them on SIGHUP, say); the server still runs then.
        if os.getpid() == owner:
            noted.unlink(missing_ok=True)
