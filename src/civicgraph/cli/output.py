"""How the CLI prints results: aligned tables on a terminal, formats elsewhere."""

import os
import sys
from collections.abc import Sequence

import click

from civicgraph.formats import by_name
from civicgraph.store.results import (
    AskResult,
    GraphResult,
    QueryResult,
    SelectResult,
    serialize_result,
)
from civicgraph.store.results import term_label as label

TABLE = "table"


def tell(line: str) -> None:
    """Print a line of progress in the middle of a write.

    A reader that stops reading (``civicgraph load … | head -1``) must not stop the
    write half-way, with the data in the store and no version recorded for it: the
    rest of the output goes nowhere instead.
    """
    try:
        click.echo(line)
    except BrokenPipeError:
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, sys.stdout.fileno())
        os.close(nowhere)


def aligned_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, with a rule under the header."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def as_table(result: QueryResult) -> str:
    """A query result as an aligned table (triples become subject/predicate/object rows)."""
    if isinstance(result, AskResult):
        return "true" if result.value else "false"
    if isinstance(result, GraphResult):
        rows = [[label(t.subject), label(t.predicate), label(t.object)] for t in result.triples]
        return aligned_table(["subject", "predicate", "object"], rows)
    rows = [[label(term) for term in row] for row in result.rows]
    return aligned_table(list(result.variables), rows)


def default_format(result: QueryResult) -> str:
    """A table for people at a terminal; CSV or Turtle when piped."""
    if sys.stdout.isatty():
        return TABLE
    return "turtle" if isinstance(result, GraphResult) else "csv"


def emit(result: QueryResult, format_name: str | None) -> None:
    """Print a result in the asked format, and say on stderr when rows were cut."""
    name = format_name or default_format(result)
    if name == TABLE:
        click.echo(as_table(result))
    else:
        fmt = by_name(name, result.kind)
        click.echo(serialize_result(result, fmt).decode(), nl=False)
    if result.truncated:
        count = len(result.rows) if isinstance(result, SelectResult) else "some"
        click.echo(f"Note: the result was truncated at {count} rows (row cap).", err=True)
