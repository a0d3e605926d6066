"""Which of the four query forms a text is (SPARQL 1.1 Query §16), read from tokens.

The form is the first keyword after the prologue (``PREFIX`` and ``BASE``
declarations), so a keyword in a comment, a string, an IRI or a prefix name never
counts. The gallery labels its entries with it, the binder needs it to find the
``WHERE`` group, and the remote store picks its ``Accept`` header by it (Virtuoso 7
answers a graph query as a table when the list also allows a results format).
"""

from typing import Final

from civicgraph.sparql.lexer import TokenKind, tokens

FORMS: Final = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")


def query_form(text: str) -> str | None:
    """``SELECT``, ``CONSTRUCT``, ``ASK`` or ``DESCRIBE``; None for anything else (updates)."""
    for token in tokens(text):
        if token.kind is not TokenKind.WORD or token.is_word("PREFIX", "BASE"):
            continue
        return token.text.upper() if token.is_word(*FORMS) else None
    return None
