"""``SELECT *`` answered with its columns in the order the text first names them.

SPARQL leaves the order of ``*``'s columns to the engine, and pyoxigraph sorts them by
name: ``SELECT * WHERE { ?s ?p ?o }`` answered ``o, p, s``, and the workbench drew its
network from the first column to the second. The engine's own list of the columns is
kept (only it knows which variables are in scope); they are put in the order the text
first names them, and the query is asked again with that list in place of ``*``.

Which columns ``*`` stands for depends on the text alone, so a short text's order is
kept once learnt: a client asking the same ``SELECT *`` again has it asked once, in
order (asked twice and lexed, a cheap query took three times as long).
"""

import re
from collections.abc import Sequence
from typing import Final

from civicgraph.sparql.lexer import TokenKind, tokens
from civicgraph.sparql.remembered import KEPT, SHORT_TEXT

#: A text that may project ``*``: the lexer reads only such texts.
_MAY_STAR: Final = re.compile(r"SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?\*", re.IGNORECASE)
#: The most columns put in order: a projection of more would cost the engine's planner
#: more than the order is worth (it reads a projection in time that grows with the
#: square of its variables).
MOST_COLUMNS: Final = 200
#: Short texts, each with its text in order (None: the text asks in order already).
_KEPT: dict[str, str | None] = {}


def known_order(text: str) -> str:
    """What to ask for ``text``: its text in order where that is known, else itself."""
    return _KEPT.get(text) or text


def learn(text: str, columns: Sequence[str]) -> str | None:
    """``in_text_order``, kept for ``known_order`` where the text is short."""
    if text in _KEPT:
        return _KEPT[text]
    ordered = in_text_order(text, columns)
    if len(text) <= SHORT_TEXT:
        if len(_KEPT) >= KEPT:  # all let go at once: no order to keep between requests
            _KEPT.clear()
        _KEPT[text] = ordered
    return ordered


def in_text_order(text: str, columns: Sequence[str]) -> str | None:
    """``text`` with its ``SELECT *`` replaced by ``columns`` in the order the text
    first names them; None where nothing changes: the query names its columns, they
    are in that order already, or there are too many to order."""
    if not 1 < len(columns) <= MOST_COLUMNS or not _MAY_STAR.search(text):
        return None
    star, first = _star_and_names(text, set(columns))
    if star is None or len(first) < len(columns):
        return None
    ordered = sorted(columns, key=first.__getitem__)
    if ordered == list(columns):
        return None
    return f"{text[:star]}{' '.join('?' + name for name in ordered)}{text[star + 1 :]}"


def _star_and_names(text: str, columns: set[str]) -> tuple[int | None, dict[str, int]]:
    """Where the query's own ``*`` stands (None if its first ``SELECT`` names its
    columns, or the text stops being SPARQL), and where each of ``columns`` is first
    named. The lexing stops once all are found: ``SELECT * { ?s ?p ?o`` and a megabyte
    of filters after it took 0.44 s read to the end."""
    star: int | None = None
    first: dict[str, int] = {}
    selected = False
    for token in tokens(text):
        if token.kind is TokenKind.ERROR:
            return None, first
        if star is None:
            if not selected:
                selected = token.is_word("SELECT")
            elif token.text == "*":
                star = token.start
            elif not token.is_word("DISTINCT", "REDUCED"):
                return None, first
        elif token.kind is TokenKind.VAR and token.text[1:] in columns:
            first.setdefault(token.text[1:], token.start)
            if len(first) == len(columns):
                break
    return star, first
