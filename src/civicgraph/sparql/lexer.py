"""A small SPARQL lexer: enough to find keywords without parsing the whole grammar.

Deciding whether a query contains ``SERVICE`` or ``LOAD`` must not be fooled by the
word inside a string, an IRI, a comment, a variable or a prefixed name, so the text
is cut into tokens the way SPARQL 1.1 Query §19.8 (grammar terminals) cuts it. A
full parse (rdflib costs 2 to 20 ms a query) is not needed to tell those apart.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum


class TokenKind(Enum):
    """The terminal classes the guard and the rewriters care about."""

    WORD = "word"  # a keyword or bare name: SELECT, SERVICE, a, true …
    PNAME = "pname"  # ex:local, ex:, _:label
    IRI = "iri"  # <http://…>
    VAR = "var"  # ?x, $x
    STRING = "string"  # '…', "…", '''…''', \"\"\"…\"\"\"
    LANGTAG = "langtag"  # @en-GB
    NUMBER = "number"
    PUNCT = "punct"  # { } ( ) ; . , and operators


@dataclass(frozen=True)
class Token:
    """One token; ``start`` is its offset in the text that was lexed."""

    kind: TokenKind
    text: str
    start: int

    def is_word(self, *words: str) -> bool:
        """Whether this is one of ``words`` as a keyword (keywords ignore case, §19.1)."""
        return self.kind is TokenKind.WORD and self.text.upper() in words


# Order matters: long strings before short ones, IRIs before the '<' operator.
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''
             | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
             | '(?:[^'\\\r\n]|\\.)*'
             | "(?:[^"\\\r\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<pname>(?:[^\W\d][\w.\-]*)?:(?:[\w\-:%\\.]*[\w\-:%])?|_:[\w][\w.\-]*)
  | (?P<word>[^\W\d][\w]*)
  | (?P<punct>\^\^|\|\||&&|!=|<=|>=|[^\s])
    """,
    re.VERBOSE,
)
_KINDS = {
    "string": TokenKind.STRING,
    "iri": TokenKind.IRI,
    "var": TokenKind.VAR,
    "langtag": TokenKind.LANGTAG,
    "number": TokenKind.NUMBER,
    "pname": TokenKind.PNAME,
    "word": TokenKind.WORD,
    "punct": TokenKind.PUNCT,
}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def tokens(text: str) -> Iterator[Token]:
    """Cut ``text`` into tokens, dropping white space and comments.

    An unterminated string or IRI does not stop the lexer: its first character comes
    out as punctuation and lexing goes on, so nothing after it escapes inspection.
    """
    for match in _TOKEN.finditer(text):
        group = match.lastgroup
        if group in _KINDS:
            yield Token(_KINDS[group], match.group(), match.start())


def unescape_codepoints(text: str) -> str:
    """Apply ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes everywhere (SPARQL 1.1 Query §19.2).

    The grammar allows these escapes anywhere in a query, before tokenizing; a
    parser that honours them would read ``\\u0053ERVICE`` as ``SERVICE``.
    """

    def replace(match: re.Match[str]) -> str:
        code = int(match[1] or match[2], 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match[0]

    return _ESCAPE.sub(replace, text)


def unescaped_variants(text: str) -> list[str]:
    """The text as written and, if it has codepoint escapes, as a parser may read it."""
    unescaped = unescape_codepoints(text)
    return [text] if unescaped == text else [text, unescaped]


def may_hold_word(text: str, *words: str) -> bool:
    """Whether ``text`` might hold one of ``words`` (upper case) as a keyword token.

    A cheap filter before lexing: a token whose ``upper()`` is a word leaves that
    word in the ``upper()`` of the whole text (the mapping works character by
    character), and a codepoint escape could spell any word, so both mean "maybe".
    """
    upper = text.upper()
    return "\\U" in upper or any(word in upper for word in words)


def declares_dataset(text: str) -> bool:
    """Whether a query names its own dataset with ``FROM`` or ``FROM NAMED``."""
    if not may_hold_word(text, "FROM"):
        return False
    return any(
        token.is_word("FROM") for reading in unescaped_variants(text) for token in tokens(reading)
    )
