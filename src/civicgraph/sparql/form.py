"""Which of the four query forms a query text is (SPARQL 1.1 Query §16).

A client that talks to a server must know the form before it sends the query: the
``Accept`` header has to name result formats for SELECT and ASK and graph formats for
CONSTRUCT and DESCRIBE, because some servers (Virtuoso 7) answer a graph query as a
table when the ``Accept`` list also allows a results format.
"""

from typing import Final

from civicgraph.sparql.lexer import tokens

FORMS: Final = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def query_form(text: str) -> str | None:
    """The form keyword (upper case) of the query, or ``None`` if none is found.

    The prologue (BASE, PREFIX) holds no keyword of the forms, so the first form
    keyword token is the query's own; a subquery's SELECT always comes later.
    """
    for token in tokens(text):
        if token.is_word(*FORMS):
            return token.text.upper()
    return None
