"""Binding variables of a query sent to a SPARQL server, which has no substitution API.

The SPARQL 1.1 Protocol carries only query text, so a binding becomes a ``VALUES``
block (SPARQL 1.1 Query §10.2) placed first inside the query's outermost ``WHERE``
group. Joined there, before anything else in the group is evaluated, it gives the
same answers as pyoxigraph's substitution of the embedded store, including inside
``OPTIONAL``, ``FILTER`` and ``GROUP BY``, and servers use it to narrow the first
index scan. Terms are written by pyoxigraph in N-Triples form, which escapes quotes,
backslashes and line breaks, and variable names are checked, so a bound value can
never change the query's structure.

The brace that opens the ``WHERE`` group is found with the project's SPARQL lexer
(``sparql.lexer``), which skips strings, IRIs and comments. A ``CONSTRUCT WHERE { … }``
short form allows only triple patterns in its group, so there the block goes at the
end of the query as the trailing ``VALUES`` clause (§18.2.4.1), which joins after it.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Final

from pyoxigraph import BlankNode

from civicgraph.errors import UserInputError
from civicgraph.sparql.forms import query_form
from civicgraph.sparql.lexer import TokenKind, tokens
from civicgraph.store.results import Term

_VARIABLE: Final = re.compile(r"[A-Za-z0-9_]+")


def values_block(bindings: Mapping[str, Term]) -> str:
    """One row of a ``VALUES`` block holding the bound terms."""
    names, terms = [], []
    for name, term in bindings.items():
        if not _VARIABLE.fullmatch(name):
            raise UserInputError(f"{name!r} is not a variable name that can be bound")
        if isinstance(term, BlankNode):
            raise UserInputError(f"?{name} cannot be bound to a blank node in a query text")
        names.append(f"?{name}")
        terms.append(str(term))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


def _where_brace(sparql: str) -> int | None:
    """The offset just after the brace opening the WHERE group; None for CONSTRUCT WHERE."""
    form = query_form(sparql)
    if form is None:
        raise UserInputError("Only a query (SELECT, CONSTRUCT, ASK, DESCRIBE) takes bindings")
    started, depth, parens, template_done = False, 0, 0, form != "CONSTRUCT"
    for token in tokens(sparql):
        if not started:
            started = token.is_word(form)
        elif token.kind is not TokenKind.PUNCT and not token.is_word("WHERE"):
            continue
        elif token.text in {"(", ")"}:
            parens += 1 if token.text == "(" else -1
        elif not template_done and depth == 0 and token.is_word("WHERE"):
            return None
        elif token.text == "{":
            if depth == 0 and parens == 0 and template_done:
                return token.start + 1
            depth += 1
        elif token.text == "}":
            depth -= 1
            template_done = template_done or depth == 0
    raise UserInputError("The query has no WHERE group to bind variables in")


def bind_each(sparql: str, name: str, terms: Iterable[Term]) -> str:
    """The query text with ``?name`` bound to each of ``terms`` in turn (one VALUES row each).

    One query answers for many values at once, where one query per value would cost
    a round trip each.
    """
    rows = [values_block({name: term}).split("{", 1)[1].rsplit("}", 1)[0] for term in terms]
    block = f"VALUES (?{name}) {{{''.join(rows)} }}"
    return _placed(sparql, block)


def _placed(sparql: str, block: str) -> str:
    at = _where_brace(sparql)
    if at is None:
        return f"{sparql}\n{block}"
    return f"{sparql[:at]} {block}{sparql[at:]}"


def bind(sparql: str, bindings: Mapping[str, Term] | None) -> str:
    """The query text with ``bindings`` joined in as a ``VALUES`` block."""
    if not bindings:
        return sparql
    return _placed(sparql, values_block(bindings))
