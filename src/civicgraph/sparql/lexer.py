"""A SPARQL 1.1 lexer: enough to find keywords without parsing the whole grammar.

Deciding whether a query contains ``SERVICE`` or ``LOAD`` must not be fooled by the
word inside a string, an IRI, a comment, a variable or a prefixed name, so the text is
cut into tokens exactly as the grammar's terminals cut it (SPARQL 1.1 Query §19.8):
``PN_LOCAL`` with its ``PLX`` (``%hh`` and the ``PN_LOCAL_ESC`` backslash escapes, so
``ex:a\\#`` is one name and not a name and a comment), all four string forms, IRIs,
comments, blank nodes and variables. A full parse (rdflib costs 2 to 20 ms a query) is
not needed to tell those apart.

Every step runs in time linear in the text: the terminals are alternatives of one
pattern without nested or overlapping repetition, matched left to right, and a run of
name characters that is not a prefix (``a.a.a…``) is taken whole, so that the words
inside it are not scanned again (the earlier lexer took 23 s on 100 KB of it). A
repeated group of alternatives is possessive (``*+``): the regular expression engine
keeps no state for each step, which took 330 MB for one 1 MiB name. Text
that is not SPARQL (an unterminated string, a stray backslash) ends the lexing with
one ``ERROR`` token holding the rest: callers that look for a keyword then judge that
rest conservatively.
"""

import re
from collections.abc import Iterator
from enum import Enum
from functools import cache
from typing import Final, NamedTuple

from civicgraph.sparql.lessthan import Context
from civicgraph.sparql.remembered import for_short_texts, remembering


class TokenKind(Enum):
    """The terminal classes the guard and the update rewriter care about."""

    WORD = "word"  # a keyword or function name: SELECT, SERVICE, a, true, STRLEN …
    PNAME = "pname"  # ex:local, ex:, :local
    BNODE = "bnode"  # _:label
    IRI = "iri"  # <http://…>
    VAR = "var"  # ?x, $x
    STRING = "string"  # '…', "…", '''…''', """…"""
    LANGTAG = "langtag"  # @en-GB
    NUMBER = "number"  # unsigned: a sign is punctuation
    PUNCT = "punct"  # { } ( ) ; . , and operators
    ERROR = "error"  # the rest of a text that stopped being SPARQL here


class Token(NamedTuple):
    """One token; ``start`` is its offset in the text that was lexed.

    A named tuple, not a dataclass: a long text is a million tokens, and a frozen
    dataclass takes several times as long to make.
    """

    kind: TokenKind
    text: str
    start: int

    def is_word(self, *words: str) -> bool:
        """Whether this is one of ``words`` as a keyword (keywords ignore case, §19.1)."""
        return self.kind is TokenKind.WORD and self.text.upper() in words


# Character classes of §19.8, written once as regular-expression class bodies.
_BASE: Final = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
    "\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf"
    "\ufdf0-\ufffd\U00010000-\U000effff"
)
_CHARS_U: Final = _BASE + "_"
_CHARS: Final = _CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
#: A variable's name (§19.8 VARNAME), and a variable found anywhere in a text.
_VARNAME: Final = rf"[{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
VARIABLE: Final = re.compile(rf"[?$]({_VARNAME})")
_PLX: Final = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
#: ECHAR (§19.8) and, inside literals, the codepoint escapes pyoxigraph decodes there.
_ESCAPE: Final = r"\\(?:[tbnrf\"'\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})"

_LOCAL: Final = (
    rf"(?:(?:[{_CHARS_U}:0-9]|{_PLX})"
    rf"(?:[{_CHARS}:]++|{_PLX}|\.++(?=[{_CHARS}:]|{_PLX}))*+)?"
)
#: One alternative per terminal, tried in order at each position. An alternative that
#: fails after a long scan is followed by one that consumes what it scanned (``run``
#: after ``pname``), or it fails at most once per text (a long string that never
#: closes), or its scan stops where it could start again (``iri`` at ``<``): linear.
_TERMINALS: Final = "|".join(
    [
        r"(?P<space>[ \t\r\n]+)",
        r"(?P<comment>#[^\r\n]*)",
        rf"(?P<string>'''(?:[^'\\]++|{_ESCAPE}|'(?!''))*+'''"
        rf'|"""(?:[^"\\]++|{_ESCAPE}|"(?!""))*+"""'
        rf"|'(?:[^'\\\r\n]++|{_ESCAPE})*+'"
        rf'|"(?:[^"\\\r\n]++|{_ESCAPE})*+")',
        r"(?P<iri><(?:[^<>\"{}|^`\\\x00-\x20]++|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>)",
        rf"(?P<var>[?$]{_VARNAME})",
        rf"(?P<bnode>_:[{_CHARS_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)",
        rf"(?P<pname>(?:[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?)?:{_LOCAL})",
        rf"(?P<run>[{_BASE}][{_CHARS}.]*)",
        r"(?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
        r"|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
        r"(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
        r"(?P<punct>\^\^|\|\||&&|!=|<=|>=|[{}()\[\];,.=<>!+\-*/^|?])",
        r"(?P<error>[\s\S])",
    ]
)
#: What a run of name characters not followed by ``:`` is made of, for a parser.
_RUN_PART: Final = re.compile(
    r"(?P<word>[A-Za-z][A-Za-z0-9_]*)|(?P<number>[0-9]+)|(?P<punct>[.\-])|(?P<error>[\s\S])"
)
_KINDS: Final = {kind.value: kind for kind in TokenKind}


@cache
def terminals() -> re.Pattern[str]:
    """``_TERMINALS`` compiled, at its first use: the classes of name characters take
    40 ms to compile, which a command that lexes no text (``civicgraph load``) need not
    wait for. A server's master compiles it before it forks, for one shared copy."""
    return re.compile(_TERMINALS)


_CODEPOINT: Final = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def lexemes(text: str) -> Iterator[tuple[str, int, int]]:
    """``(kind, start, end)`` of each terminal, white space and comments included.

    A run of name characters not followed by ``:`` comes whole, as kind ``run``: its
    words are not split apart here, for callers that only need to search it. The
    first character no terminal matches comes as ``error``, and nothing after it; so
    does a ``<`` that a parser might read as less-than where the terminals read an IRI
    that would hide a string, a comment or a bracket from it (``lessthan.Context``).
    """
    context = Context()
    less_than, see = context.less_than, context.see  # a million tokens: bound once
    for match in terminals().finditer(text):
        kind = match.lastgroup or "error"
        start, end = match.span()
        if kind == "iri" and less_than(text, kind, start, end):
            yield "error", start, start + 1
            return
        yield kind, start, end
        if kind == "error":
            return
        if kind not in ("space", "comment"):
            see(text, kind, start, end)


def tokens(text: str) -> Iterator[Token]:
    """Cut ``text`` into tokens, dropping white space and comments.

    Text that no SPARQL terminal matches (an unterminated string, a stray backslash)
    comes out as one ``ERROR`` token holding the rest of the text, and lexing stops.
    """
    for kind, start, end in lexemes(text):
        if kind == "run":
            for part in _RUN_PART.finditer(text, start, end):
                yield _token(text, part.lastgroup or "error", part.start(), part.end())
                if part.lastgroup == "error":
                    return
        elif kind not in ("space", "comment"):
            yield _token(text, kind, start, end)


def _token(text: str, kind: str, start: int, end: int) -> Token:
    if kind == "error":
        return Token(TokenKind.ERROR, text[start:], start)
    return Token(_KINDS[kind], text[start:end], start)


def unescape_codepoints(text: str) -> str:
    """Apply ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes everywhere (SPARQL 1.1 Query §19.2).

    The grammar allows these escapes anywhere in a query, before tokenizing; a
    parser that honours them would read ``\\u0053ERVICE`` as ``SERVICE``.
    """

    def replace(match: re.Match[str]) -> str:
        code = int(match[1] or match[2], 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match[0]

    return _CODEPOINT.sub(replace, text) if "\\u" in text or "\\U" in text else text


#: How many texts keep their readings: the checks of one query read it in turn.
_READ_TEXTS: Final = 4


@remembering(_READ_TEXTS)
def readings(text: str) -> tuple[str, ...]:
    """The text as written and, if it has codepoint escapes, as §19.2 reads it.

    Servers differ: pyoxigraph decodes the escapes only inside IRIs and strings
    (which the lexer accepts as written), others everywhere, before parsing.
    """
    unescaped = unescape_codepoints(text)
    return (text,) if unescaped == text else (text, unescaped)


@remembering(_READ_TEXTS)
def _upper_readings(text: str) -> tuple[str, ...]:
    return tuple(reading.upper() for reading in readings(text))


def may_hold_word(text: str, *words: str) -> bool:
    """Whether ``text`` might hold one of ``words`` (upper case) in any reading.

    A cheap filter before lexing: a token whose ``upper()`` holds a word leaves that
    word in the ``upper()`` of the whole text (the mapping works character by
    character), so text whose readings lack the word holds no such token.
    """
    return any(word in upper for upper in _upper_readings(text) for word in words)


def depths(text: str) -> Iterator[tuple[Token, int]]:
    """Tokens with the brace depth they sit at (0 outside every ``{ … }``)."""
    depth = 0
    for token in tokens(text):
        if token.text == "}":
            depth -= 1
        yield token, depth
        if token.text == "{":
            depth += 1


def _keyword_depths(text: str, *words: str) -> Iterator[int]:
    """The brace depth of every keyword among ``words`` (upper case) in ``text``.

    Works on lexemes, splitting only the name runs that hold one of the words, so a
    long query costs one pass of the lexer and no token objects.
    """
    depth = 0
    for kind, start, end in lexemes(text):
        if kind == "punct" and text[start] in "{}":
            depth += 1 if text[start] == "{" else -1
        elif kind == "run" and any(word in text[start:end].upper() for word in words):
            for part in _RUN_PART.finditer(text, start, end):
                if part.lastgroup == "word" and part[0].upper() in words:
                    yield depth


#: The start of an absolute IRI: a scheme and its colon (RFC 3986 §3.1).
SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
#: A ``<`` that does not start an absolute IRI: a relative one, or no IRI at all.
_NOT_ABSOLUTE: Final = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.\-]*:)")


@for_short_texts
def has_relative_iri(text: str) -> bool:
    """Whether a base IRI could change what ``text`` means: it holds a relative IRI.

    Giving pyoxigraph a base costs a cheap query a tenth of its time, and most
    queries write every IRI whole. ``IRI("x")`` and ``URI("x")`` read their string
    against the base: text that may call either counts as holding one. Every other
    IRI the engine reads starts at a ``<`` of one of the readings, so where each
    ``<`` starts an absolute IRI the text holds no relative one, whatever the rest
    is: that is found without lexing (which took 0.18 ms for a query with the usual
    block of prefixes, most of a new text's cost). Otherwise the ``<`` may be a
    less-than or sit in a string: the lexer decides, and text that stops being
    SPARQL counts as holding one.
    """
    if may_hold_word(text, "IRI", "URI"):
        return True
    read = readings(text)
    if not any(_NOT_ABSOLUTE.search(reading) for reading in read):
        return False
    for reading in read:
        for kind, start, _end in lexemes(reading):
            if kind == "error" or (kind == "iri" and not SCHEME.match(reading, start + 1)):
                return True
    return False


@for_short_texts
def declares_dataset(text: str) -> bool:
    """Whether a query names its own dataset with ``FROM`` or ``FROM NAMED``."""
    if not may_hold_word(text, "FROM"):
        return False
    return any(True for reading in readings(text) for _ in _keyword_depths(reading, "FROM"))


def has_dataset_clause(text: str) -> bool:
    """Whether an update names its own dataset with ``USING`` or ``WITH``, or might
    (either word where the text stops being SPARQL)."""
    if not may_hold_word(text, "USING", "WITH"):
        return False
    for reading in readings(text):
        at = stop(reading)
        rest = "" if at is None else reading[at:].upper()
        if "USING" in rest or "WITH" in rest:
            return True
        if any(depth == 0 for depth in _keyword_depths(reading, "USING", "WITH")):
            return True
    return False


def stop(text: str) -> int | None:
    """Where the lexer stops reading ``text`` (``lexemes``), or None if it reads it all."""
    return next((start for kind, start, _end in lexemes(text) if kind == "error"), None)


def operations(text: str) -> Iterator[list[tuple[Token, int]]]:
    """Each operation of an update (split at ``;`` outside braces): its tokens, each
    with the brace depth it sits at."""
    current: list[tuple[Token, int]] = []
    for token, depth in depths(text):
        if depth == 0 and token.text == ";":
            yield current
            current = []
        else:
            current.append((token, depth))
    yield current


def operation_separator(text: str) -> str:
    """What goes between an update's text and one more operation appended after it.

    ``;`` after an operation; nothing where an operation may start: an empty text, a
    text ending in ``;`` (``A ; ; B`` is not SPARQL), or a prologue alone.

    One pass over the lexemes, keeping only whether the last operation so far is a
    prologue: the writer calls it on every update, and a text of a million tiny
    tokens took five seconds when each became a ``Token``.
    """
    depth, prologue = 0, True
    for kind, start, end in lexemes(text):
        if kind in ("space", "comment"):
            continue
        parts = _RUN_PART.finditer(text, start, end) if kind == "run" else [None]
        for part in parts:
            name = kind if part is None else part.lastgroup
            mark = text[start] if name == "punct" and part is None else ""
            depth -= mark == "}"
            if depth == 0 and mark == ";":
                prologue = True
            elif depth == 0 and not _prologue_token(name, part):
                prologue = False
            if name == "error":
                # The lexer stops here, and so does the last operation.
                return "\n" if prologue else "\n;\n"
            depth += mark == "{"
    return "\n" if prologue else "\n;\n"


def _prologue_token(kind: str | None, part: re.Match[str] | None) -> bool:
    """Whether a token of ``kind`` (and, in a name run, ``part``) may be in a prologue."""
    if part is not None:
        return kind == "word" and part[0].upper() in ("PREFIX", "BASE")
    return kind in ("pname", "iri")
