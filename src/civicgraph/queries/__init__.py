"""The named SPARQL files the application runs.

Queries live in ``.rq`` files next to this module so they can be read, run by hand
and measured in the benchmark; values are bound through ``bindings`` (SPARQL
substitution), never pasted into the text.
"""

from functools import cache

from civicgraph.resources import queries_dir


@cache
def named_query(name: str) -> str:
    """Return the text of ``queries/{name}.rq``."""
    path = queries_dir() / f"{name}.rq"
    if not path.is_file():
        raise KeyError(f"no named query {name!r} in {queries_dir()}")
    return path.read_text(encoding="utf-8")
