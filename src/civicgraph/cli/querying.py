"""The ``query`` command: run SPARQL from the command line."""

import sys
from pathlib import Path

import click

from civicgraph.cli.common import opened_store, settings_for, store_option
from civicgraph.cli.output import TABLE, emit
from civicgraph.errors import UserInputError

_FORMATS = [TABLE, "csv", "tsv", "json", "xml", "ttl", "nt", "jsonld", "rdfxml", "trig", "nq"]


def read_query_argument(text: str) -> str:
    """A query given inline, as ``@file.rq``, or as ``-`` for standard input."""
    if text == "-":
        return sys.stdin.read()
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise UserInputError(f"No query file at {path}")
        return path.read_text(encoding="utf-8")
    return text


@click.command()
@click.argument("query_text", metavar="QUERY|@FILE.rq|-")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(_FORMATS),
    default=None,
    help="Output format [default: table on a terminal, else csv or turtle].",
)
@store_option
def query(query_text: str, format_name: str | None, store: str | None) -> None:
    """Run a SPARQL query over the union of all graphs."""
    settings = settings_for(store=store)
    with opened_store(settings, reading=True) as opened:
        result = opened.query(read_query_argument(query_text), max_rows=settings.row_cap)
    emit(result, format_name)
