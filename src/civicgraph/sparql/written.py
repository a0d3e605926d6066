"""Which graphs an update can change, read from its text: a version record reads those.

A dataset version's record compares each graph a write may have changed with the rows
it recorded, reading the graph whole from the store (about ten seconds a million
triples: every term's text is looked up), so an update that could have changed any
graph had every graph read, the largest included. An update names the graphs it
writes: ``GRAPH`` in its data and templates, ``WITH``, the graphs of ``CLEAR``,
``DROP``, ``ADD``, ``MOVE`` and ``COPY``; whatever else it writes goes to the default
graph, which is always counted. What it reads (``USING … WHERE { … }``) writes nothing.

Where the text does not settle it (a template's ``GRAPH ?g``, ``CLEAR ALL``, ``LOAD``,
a relative IRI, ``BASE``, a prefix declared twice, a codepoint escape, a local name
with an escape, text that is not SPARQL to the lexer) the answer is None, and every
graph is read.
A text that pyoxigraph then refuses changed nothing, whatever was named.

pyoxigraph reads a keyword wherever its letters begin a word: ``SILENTGRAPH <g>`` as
``SILENT GRAPH <g>``, ``trueGRAPH`` as ``true GRAPH``, and a prefixed name it cannot
take (``GRAPH:g``, ``TOex:b``) as the keyword its prefix begins with and what follows.
So a word that is not exactly a SPARQL keyword or function, and a prefixed name whose
prefix begins with a keyword that places a graph, leave the text unsettled.

A text of more than ``MOST_TOKENS`` tokens is not settled either: the writer reads
every update's text before its record, and a megabyte of tiny tokens took ten
seconds of Python a pass; reading every graph is the record's usual way.

An update made only of ``INSERT DATA`` and ``DELETE DATA`` also says which triples it
adds and removes (``data_blocks``), for the record to apply to the rows it has
(``dataset/delta.py``).
"""

from collections.abc import Sequence
from itertools import islice
from typing import Final

from civicgraph.sparql.lexer import SCHEME, Token, TokenKind, operations, tokens

#: The most tokens of a text whose graphs are settled: a 1 MiB ``INSERT DATA`` of
#: prefixed names holds about 70,000; lexed three times, these take under a second.
MOST_TOKENS: Final = 131_072
#: The default graph, as a record's ``touched`` names it.
DEFAULT_GRAPH: Final = None
#: The words of SPARQL 1.1 Query and Update: keywords, aggregates, built-in functions.
_SPARQL_WORDS: Final = """
    A ABS ADD ALL AS ASC ASK AVG BASE BIND BNODE BOUND BY CEIL CLEAR COALESCE CONCAT
    CONSTRUCT CONTAINS COPY COUNT CREATE DATA DATATYPE DAY DEFAULT DELETE DESC DESCRIBE
    DISTINCT DROP ENCODE_FOR_URI EXISTS FALSE FILTER FLOOR FROM GRAPH GROUP GROUP_CONCAT
    HAVING HOURS IF IN INSERT INTO IRI ISBLANK ISIRI ISLITERAL ISNUMERIC ISURI LANG
    LANGMATCHES LCASE LIMIT LOAD MAX MD5 MIN MINUS MINUTES MONTH MOVE NAMED NOT NOW OFFSET
    OPTIONAL ORDER PREFIX RAND REDUCED REGEX REPLACE ROUND SAMETERM SAMPLE SECONDS SELECT
    SEPARATOR SERVICE SHA1 SHA256 SHA384 SHA512 SILENT STR STRAFTER STRBEFORE STRDT
    STRENDS STRLANG STRLEN STRSTARTS STRUUID SUBSTR SUM TIMEZONE TO TRUE TZ UCASE UNDEF
    UNION URI USING UUID VALUES WHERE WITH YEAR
"""
_WORDS: Final = frozenset(_SPARQL_WORDS.split())
#: The keywords a prefixed name's prefix may begin with and be read as: those that
#: place a graph or end a triple before one (``true``, ``false``).
_GRAPH_WORDS: Final = """
    ADD ALL CLEAR COPY CREATE DATA DEFAULT DELETE DROP FALSE GRAPH INSERT INTO LOAD MOVE
    NAMED SILENT TO TRUE USING WHERE WITH
"""
_GLUED: Final = tuple(_GRAPH_WORDS.split())
_NAMES: Final = (TokenKind.IRI, TokenKind.PNAME)
_Tokens = Sequence[tuple[Token, int]]


class _UnsettledError(Exception):
    """The text does not settle which graphs the update writes."""


def graphs_written(text: str) -> frozenset[str | None] | None:
    """The graphs the update ``text`` can change (None: the default graph), or None
    when its text does not settle which."""
    if "\\u" in text or "\\U" in text or not _few_and_plain(text):
        return None
    prefixes: dict[str, str] = {}
    found: set[str | None] = {DEFAULT_GRAPH}
    try:
        for operation in operations(text):
            found |= _written(_after_prologue(operation, prefixes), prefixes)
    except _UnsettledError:
        return None
    return frozenset(found)


def data_blocks(text: str) -> list[tuple[bool, str]] | None:
    """Each operation's data (True: ``INSERT DATA``, False: ``DELETE DATA``) as an
    ``INSERT DATA`` of its own, with the prefixes declared before it, when the update
    is made of nothing else and its graphs are settled (as ``graphs_written`` settles
    them); None otherwise. Applied to an empty store, each holds the data's quads."""
    if graphs_written(text) is None:
        return None
    prefixes: dict[str, str] = {}
    blocks: list[tuple[bool, str]] = []
    for operation in operations(text):
        rest = _after_prologue(operation, prefixes)
        if not rest:
            continue
        verb, data = rest[0][0], rest[1][0] if len(rest) > 1 else None
        if not verb.is_word("INSERT", "DELETE") or data is None or not data.is_word("DATA"):
            return None
        opened, closed = rest[2][0] if len(rest) > 2 else None, rest[-1][0]
        if opened is None or opened.text != "{" or closed.text != "}" or rest[-1][1] != 0:
            return None
        if any(depth == 0 for _token, depth in rest[3:-1]):  # one block, and only it
            return None
        declared = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())
        block = text[opened.start : closed.start + 1]
        blocks.append((verb.is_word("INSERT"), f"{declared}INSERT DATA {block}"))
    return blocks


def _few_and_plain(text: str) -> bool:
    """Whether ``text`` has at most ``MOST_TOKENS`` tokens, each ``_plain``; the text is
    lexed no further than that."""
    seen = 0
    for token in islice(tokens(text), MOST_TOKENS + 1):
        if not _plain(token):
            return False
        seen += 1
    return seen <= MOST_TOKENS


def _plain(token: Token) -> bool:
    """Whether pyoxigraph reads the token as the lexer does (no keyword glued on)."""
    if token.kind is TokenKind.WORD:
        return token.text.upper() in _WORDS
    if token.kind is TokenKind.PNAME:
        return not token.text.partition(":")[0].upper().startswith(_GLUED)
    return True


def _after_prologue(operation: _Tokens, prefixes: dict[str, str]) -> _Tokens:
    """The operation's tokens after its ``PREFIX`` declarations, noted in ``prefixes``
    (they hold for the rest of the update)."""
    at = 0
    while at < len(operation) and operation[at][0].is_word("PREFIX", "BASE"):
        declared = [token for token, _depth in operation[at + 1 : at + 3]]
        if operation[at][0].is_word("BASE") or len(declared) < 2:
            raise _UnsettledError
        name, iri = declared
        if name.kind is not TokenKind.PNAME or not name.text.endswith(":"):
            raise _UnsettledError
        if iri.kind is not TokenKind.IRI:
            raise _UnsettledError
        if prefixes.setdefault(name.text[:-1], iri.text[1:-1]) != iri.text[1:-1]:
            raise _UnsettledError
        at += 3
    return operation[at:]


def _written(operation: _Tokens, prefixes: dict[str, str]) -> set[str | None]:
    """The graphs besides the default one that one operation can write."""
    if not operation:
        return set()
    if any(token.kind is TokenKind.ERROR for token, _depth in operation):
        raise _UnsettledError
    verb = operation[0][0]
    if verb.is_word("INSERT", "DELETE", "WITH"):
        return _named(_templates(operation), prefixes)
    if verb.is_word("CLEAR", "DROP", "CREATE"):
        if any(token.is_word("ALL", "NAMED") for token, _depth in operation):
            raise _UnsettledError
        return _named(operation, prefixes)
    if verb.is_word("ADD", "MOVE", "COPY"):
        return {_iri(token, prefixes) for token, _depth in operation if token.kind in _NAMES}
    raise _UnsettledError  # LOAD, or no update


def _templates(operation: _Tokens) -> _Tokens:
    """What an INSERT or DELETE writes from: all of ``INSERT DATA``, ``DELETE DATA``
    and ``DELETE WHERE``; the templates before ``USING`` or ``WHERE`` otherwise."""
    for at, (token, depth) in enumerate(operation):
        after_delete = at > 0 and operation[at - 1][0].is_word("DELETE")
        if depth == 0 and (token.is_word("USING") or (token.is_word("WHERE") and not after_delete)):
            return operation[:at]
    return operation


def _named(part: _Tokens, prefixes: dict[str, str]) -> set[str | None]:
    """The graphs ``GRAPH`` and ``WITH`` name in ``part``; a variable is unsettled."""
    found: set[str | None] = set()
    for at, (token, _depth) in enumerate(part):
        if token.is_word("GRAPH", "WITH"):
            named = part[at + 1][0] if at + 1 < len(part) else None
            if named is None or named.kind not in _NAMES:
                raise _UnsettledError
            found.add(_iri(named, prefixes))
    return found


def _iri(token: Token, prefixes: dict[str, str]) -> str:
    """The absolute IRI an IRI or a prefixed name stands for."""
    if token.kind is TokenKind.IRI:
        value = token.text[1:-1]
    else:
        prefix, _colon, local = token.text.partition(":")
        if "\\" in local or prefix not in prefixes:
            raise _UnsettledError
        value = prefixes[prefix] + local
    if not SCHEME.match(value):
        raise _UnsettledError
    return value
