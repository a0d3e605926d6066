"""A SPARQL 1.1 lexer: enough to find keywords without parsing the whole grammar.

Deciding whether a query contains ``SERVICE`` or ``LOAD`` must not be fooled by the
word inside a string, an IRI, a comment, a variable or a prefixed name, so the text is
cut into tokens exactly as the grammar's terminals cut it (SPARQL 1.1 Query §19.8):
``PN_LOCAL`` with its ``PLX`` (``%hh`` and the ``PN_LOCAL_ESC`` backslash escapes, so
``ex:a\\#`` is one name and not a name and a comment), all four string forms, IRIs,
comments, blank nodes and variables. A full parse (rdflib costs 2 to 20 ms a query) is
not needed to tell those apart.

Every step runs in time linear in the text: each token is one match of a pattern
without nested or overlapping repetition, chosen by its first character, and a run of
name characters that is not followed by ``:`` is remembered, so that the words inside
it (``a.a.a…``) are not scanned again. Text that is not SPARQL (an unterminated
string, a stray backslash) ends the lexing with one ``ERROR`` token holding the rest:
callers that look for a keyword then judge that rest conservatively.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Final


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


@dataclass(frozen=True)
class Token:
    """One token; ``start`` is its offset in the text that was lexed."""

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
_PLX: Final = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
#: ECHAR (§19.8) and, inside literals, the codepoint escapes pyoxigraph decodes there.
_ESCAPE: Final = r"\\(?:[tbnrf\"'\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})"

_SPACE: Final = re.compile(r"[ \t\r\n]+")
_COMMENT: Final = re.compile(r"#[^\r\n]*")
_IRI: Final = re.compile(r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>")
_STRINGS: Final = {
    "'''": re.compile(rf"'''(?:[^'\\]|{_ESCAPE}|'(?!''))*'''"),
    '"""': re.compile(rf'"""(?:[^"\\]|{_ESCAPE}|"(?!""))*"""'),
    "'": re.compile(rf"'(?:[^'\\\r\n]|{_ESCAPE})*'"),
    '"': re.compile(rf'"(?:[^"\\\r\n]|{_ESCAPE})*"'),
}
_VAR: Final = re.compile(f"[?$][{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*")
_BNODE: Final = re.compile(f"_:[{_CHARS_U}0-9][{_CHARS}.]*")
#: A PN_PREFIX candidate: its end decides between a prefixed name and words.
_NAME_RUN: Final = re.compile(f"[{_BASE}][{_CHARS}.]*")
_NAME_START: Final = re.compile(f"[{_BASE}]")
_LOCAL: Final = re.compile(f"(?:[{_CHARS_U}:0-9]|{_PLX})(?:[{_CHARS}.:]|{_PLX})*")
_WORD: Final = re.compile("[A-Za-z][A-Za-z0-9_]*")
_NUMBER: Final = re.compile(
    r"[0-9]+\.[0-9]*[eE][+-]?[0-9]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
    r"|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
)
_LANGTAG: Final = re.compile("@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_PUNCT: Final = re.compile(r"\^\^|\|\||&&|!=|<=|>=|[{}()\[\];,.=<>!+\-*/^|?]")
_CODEPOINT: Final = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

_Candidates = tuple[tuple[re.Pattern[str], TokenKind | None], ...]
#: The patterns a token can match, by its first character, longest first.
_BY_FIRST: Final[dict[str, _Candidates]] = {
    **dict.fromkeys(" \t\r\n", ((_SPACE, None),)),
    "#": ((_COMMENT, None),),
    **{q: ((_STRINGS[q * 3], TokenKind.STRING), (_STRINGS[q], TokenKind.STRING)) for q in "'\""},
    **dict.fromkeys("?$", ((_VAR, TokenKind.VAR), (_PUNCT, TokenKind.PUNCT))),
    "<": ((_IRI, TokenKind.IRI), (_PUNCT, TokenKind.PUNCT)),
    "_": ((_BNODE, TokenKind.BNODE),),
    "@": ((_LANGTAG, TokenKind.LANGTAG),),
    **dict.fromkeys("0123456789.", ((_NUMBER, TokenKind.NUMBER), (_PUNCT, TokenKind.PUNCT))),
    **dict.fromkeys(":" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", ()),
}
#: Names (letters, ``:``) go to ``_Lexer._name``; anything else is punctuation or not SPARQL.
_OTHER: Final[_Candidates] = ((_PUNCT, TokenKind.PUNCT),)


def _trim_dots(text: str, start: int, end: int) -> int:
    """The end of a name without its trailing unescaped dots (a name never ends in one)."""
    while end > start and text[end - 1] == "." and text[end - 2 : end - 1] != "\\":
        end -= 1
    return end


class _Lexer:
    """One pass over a text; ``no_colon_before`` remembers where the last name run ended."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.no_colon_before = 0

    def next(self, pos: int) -> tuple[TokenKind | None, int]:
        """The kind and end of the token at ``pos`` (kind None: space or a comment)."""
        char = self.text[pos]
        for pattern, kind in _BY_FIRST.get(char, _OTHER):
            match = pattern.match(self.text, pos)
            if match:
                end = match.end()
                return kind, _trim_dots(self.text, pos, end) if kind is TokenKind.BNODE else end
        if char == ":" or (_NAME_START.match(char) and pos >= self.no_colon_before):
            return self._name(pos)
        return self._word(pos)

    def _name(self, pos: int) -> tuple[TokenKind | None, int]:
        """A prefixed name if a PN_PREFIX (or nothing) and ``:`` start here, else words."""
        end = pos
        if self.text[pos] != ":":
            match = _NAME_RUN.match(self.text, pos)
            end = match.end() if match else pos
            if self.text[end - 1 : end] == "." or self.text[end : end + 1] != ":":
                self.no_colon_before = end
                return self._word(pos)
        local = _LOCAL.match(self.text, end + 1)
        return TokenKind.PNAME, _trim_dots(self.text, end + 1, local.end() if local else end + 1)

    def _word(self, pos: int) -> tuple[TokenKind | None, int]:
        """A keyword-like word (ASCII letters, digits, ``_``), or the end of SPARQL."""
        match = _WORD.match(self.text, pos)
        if match:
            return TokenKind.WORD, match.end()
        return TokenKind.ERROR, len(self.text)


def tokens(text: str) -> Iterator[Token]:
    """Cut ``text`` into tokens, dropping white space and comments.

    Text that no SPARQL terminal matches (an unterminated string, a stray backslash)
    comes out as one ``ERROR`` token holding the rest of the text, and lexing stops.
    """
    lexer, pos = _Lexer(text), 0
    while pos < len(text):
        kind, end = lexer.next(pos)
        if kind is not None:
            yield Token(kind, text[pos:end], pos)
        pos = end


def unescape_codepoints(text: str) -> str:
    """Apply ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes everywhere (SPARQL 1.1 Query §19.2).

    The grammar allows these escapes anywhere in a query, before tokenizing; a
    parser that honours them would read ``\\u0053ERVICE`` as ``SERVICE``.
    """

    def replace(match: re.Match[str]) -> str:
        code = int(match[1] or match[2], 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match[0]

    return _CODEPOINT.sub(replace, text) if "\\u" in text or "\\U" in text else text


def readings(text: str) -> list[str]:
    """The text as written and, if it has codepoint escapes, as §19.2 reads it.

    Servers differ: pyoxigraph decodes the escapes only inside IRIs and strings
    (which the lexer accepts as written), others everywhere, before parsing.
    """
    unescaped = unescape_codepoints(text)
    return [text] if unescaped == text else [text, unescaped]


def may_hold_word(text: str, *words: str) -> bool:
    """Whether ``text`` might hold one of ``words`` (upper case) in any reading.

    A cheap filter before lexing: a token whose ``upper()`` holds a word leaves that
    word in the ``upper()`` of the whole text (the mapping works character by
    character), so text whose readings lack the word holds no such token.
    """
    return any(word in reading.upper() for reading in readings(text) for word in words)


def _depth_zero(text: str) -> Iterator[tuple[Token, int]]:
    """Tokens with the brace depth they sit at (0 outside every ``{ … }``)."""
    depth = 0
    for token in tokens(text):
        if token.text == "}":
            depth -= 1
        yield token, depth
        if token.text == "{":
            depth += 1


def declares_dataset(text: str) -> bool:
    """Whether a query names its own dataset with ``FROM`` or ``FROM NAMED``."""
    if not may_hold_word(text, "FROM"):
        return False
    return any(token.is_word("FROM") for reading in readings(text) for token in tokens(reading))


def has_dataset_clause(text: str) -> bool:
    """Whether an update names its own dataset with ``USING`` or ``WITH``."""
    return any(
        token.is_word("USING", "WITH") and depth == 0
        for reading in readings(text)
        for token, depth in _depth_zero(reading)
    )


def _operations(text: str) -> Iterator[list[Token]]:
    """The depth-0 tokens of each operation of an update (split at ``;``)."""
    current: list[Token] = []
    for token, depth in _depth_zero(text):
        if depth == 0 and token.text == ";":
            yield current
            current = []
        elif depth == 0:
            current.append(token)
    yield current


def _group_end(text: str, open_brace: int) -> int:
    """The offset just past the ``}`` that closes the ``{`` at ``open_brace``."""
    depth = 0
    for token in tokens(text[open_brace:]):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
            if depth == 0:
                return open_brace + token.start + 1
    return len(text)


def _insertion(text: str, operation: list[Token], clauses: str) -> tuple[int, int, str] | None:
    """Where USING clauses go in one operation: (start, end, replacement), or None.

    ``DELETE/INSERT … WHERE`` takes them before ``WHERE`` (SPARQL 1.1 Update §3.1.3).
    ``DELETE WHERE { P }`` cannot carry them, so it is rewritten to its long form
    ``DELETE { P } USING … WHERE { P }``, which §3.1.3.3 defines as equivalent.
    """
    words = [t for t in operation if t.kind is TokenKind.WORD]
    verbs = [t for t in words if not t.is_word("PREFIX", "BASE")]
    if not verbs or not verbs[0].is_word("DELETE", "INSERT"):
        return None
    where = next((t for t in operation if t.is_word("WHERE")), None)
    if where is None:
        return None
    position = where.start
    if words.index(where) > 0 and words[words.index(where) - 1].is_word("DELETE"):
        brace = text.index("{", position)
        pattern = text[brace : _group_end(text, brace)]
        return position, brace + len(pattern), f"{pattern} {clauses} WHERE {pattern}"
    return position, position, f"{clauses} "


def with_using(text: str, graphs: list[str], named_graphs: list[str]) -> str:
    """Apply protocol ``using-graph-uri``/``using-named-graph-uri`` to every operation.

    SPARQL 1.1 Protocol §2.2.3: these parameters set the dataset of each operation
    that matches a pattern, exactly as ``USING``/``USING NAMED`` clauses would. The
    IRIs must already be validated (they are written into the text between ``<>``).
    """
    clauses = " ".join(
        [f"USING <{g}>" for g in graphs] + [f"USING NAMED <{g}>" for g in named_graphs]
    )
    edits = [_insertion(text, op, clauses) for op in _operations(text)]
    for start, end, replacement in sorted((e for e in edits if e), reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
