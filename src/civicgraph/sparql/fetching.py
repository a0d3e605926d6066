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
Where the text stops being SPARQL, the lexer cannot tell what a parser would make of
the rest, so the keyword anywhere in that rest counts.
"""

from typing import Final

from civicgraph.errors import ForbiddenOperationError
from civicgraph.sparql.lexer import Token, TokenKind, may_hold_word, readings, tokens

_FETCHING: Final = ("SERVICE", "LOAD")
_MESSAGES: Final = {
    "SERVICE": "SERVICE is not allowed: this server does not send queries to other "
    "servers on a visitor's behalf. Run the federated part against the other endpoint "
    "yourself.",
    "LOAD": "LOAD is not allowed: this server does not fetch data on a visitor's "
    "behalf. Upload the data with PUT or POST /store instead.",
}


def _keyword_in(token: Token) -> str | None:
    """The fetching keyword a token may carry for a parser, if any."""
    if token.kind is TokenKind.PNAME:
        text = token.text.partition(":")[0]
    elif token.kind in (TokenKind.WORD, TokenKind.ERROR):
        text = token.text
    else:
        return None
    upper = text.upper()
    return next((word for word in _FETCHING if word in upper), None)


def fetching_keyword(text: str) -> str | None:
    """``SERVICE`` or ``LOAD`` if a SPARQL parser could read that keyword in ``text``.

    Linear in the length of the text; text without the letters of either keyword in
    any reading is not lexed at all.
    """
    if not may_hold_word(text, *_FETCHING):
        return None
    for reading in readings(text):
        for token in tokens(reading):
            keyword = _keyword_in(token)
            if keyword is not None:
                return keyword
    return None


def refuse_fetching(text: str) -> None:
    """Raise ``ForbiddenOperationError`` if ``text`` could make the server fetch."""
    keyword = fetching_keyword(text)
    if keyword is not None:
        raise ForbiddenOperationError(_MESSAGES[keyword])
