"""The rule that no query or update makes the server fetch from elsewhere.

pyoxigraph follows ``SERVICE`` and ``LOAD`` IRIs over HTTP by itself, and so do the
SPARQL servers a remote store talks to. The processes that evaluate queries over the
embedded store have no network (``store/isolation.py``); this check comes first
everywhere, gives the visitor a clear refusal, and is the only guard in front of a
remote store.

The keywords are looked for in the tokens of both readings of the text (as written,
and with ``\\u`` escapes decoded, SPARQL 1.1 Query §19.2). pyoxigraph's parser matches
keywords without a word boundary (``SERVICEex:a { }``, ``LOADSILENT<…>`` and
``?s ?p trueSERVICE <…> { }`` all run), so a keyword inside a word or a prefix name
counts too; inside a local name, a string, an IRI, a variable or a comment it does not.
So does a ``<`` that a parser might read as less-than where the lexer reads an IRI
(``sparql/lessthan.py``): the lexing stops there too.
Where the text stops being SPARQL, the lexer cannot tell what a parser would make of
the rest, so the keyword anywhere in that rest counts.
"""

from collections.abc import Iterator
from typing import Final

from civicgraph.errors import ForbiddenOperationError, SyntaxPosition
from civicgraph.sparql.lexer import lexemes, may_hold_word, readings, stop
from civicgraph.sparql.remembered import for_short_texts

_FETCHING: Final = ("SERVICE", "LOAD")
_MESSAGES: Final = {
    "SERVICE": "SERVICE is not allowed: this server does not send queries to other "
    "servers on a visitor's behalf. Run the federated part against the other endpoint "
    "yourself.",
    "LOAD": "LOAD is not allowed: this server does not fetch data on a visitor's "
    "behalf. Upload the data with PUT or POST /store instead.",
}


def _carriers(text: str) -> Iterator[str]:
    """The parts of ``text`` in which a parser could read a keyword.

    Words (whole runs of name characters: ``trueSERVICE`` is ``true`` then
    ``SERVICE`` to pyoxigraph), the prefix of each prefixed name, and the rest of the
    text from where it stops being SPARQL.
    """
    for kind, start, end in lexemes(text):
        if kind == "run":
            yield text[start:end]
        elif kind == "pname":
            yield text[start:end].partition(":")[0]
        elif kind == "error":
            yield text[start:]


@for_short_texts
def fetching_keyword(text: str) -> str | None:
    """``SERVICE`` or ``LOAD`` if a SPARQL parser could read that keyword in ``text``.

    Linear in the length of the text; text without the letters of either keyword in
    any reading is not lexed at all.
    """
    if not may_hold_word(text, *_FETCHING):
        return None
    for reading in readings(text):
        for part in _carriers(reading):
            upper = part.upper()
            keyword = next((word for word in _FETCHING if word in upper), None)
            if keyword is not None:
                return keyword
    return None


def refuse_fetching(text: str) -> None:
    """Raise ``ForbiddenOperationError`` if ``text`` could make the server fetch."""
    keyword = fetching_keyword(text)
    if keyword is not None:
        raise ForbiddenOperationError(_MESSAGES[keyword] + _unread_note(text))


def _unread_note(text: str) -> str:
    """Where the lexer stopped reading ``text``, if it did: past there the word counts
    anywhere, and a query without the clause learns why it was refused."""
    at = stop(text)
    if at is None:
        return ""
    line, column = SyntaxPosition.at(text, at)
    return (
        f" (The text could not be read from line {line}, column {column} on, so the word "
        "counts anywhere after it; if there is no such clause, a '<' right after a value "
        "there may be less-than or begin an IRI: put spaces around comparisons.)"
    )
