"""Parser messages in the reader's words: what a SPARQL syntax error means.

pyoxigraph reports what its grammar expected at a position, as a list of terminals
that may include character classes spelled as Unicode ranges ("expected one of
['A' ..= 'Z' | '\\u{00C0}'..='\\u{00D6}' …]"), and a misspelt ``SELEKT`` yields
"expected CONSTRUCT". A reader needs the word that is wrong: the prefix that was never
declared (with the namespace to declare, when the app knows it), or the word where a
keyword belongs. Anything else keeps the parser's list of expectations, shortened to
what a person types.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import get_close_matches
from itertools import takewhile
from typing import Final

from civicgraph.errors import QuerySyntaxError, SyntaxPosition
from civicgraph.sparql.lexer import Token, TokenKind, tokens
from civicgraph.vocab import PREFIXES

#: Keywords and built-in function names of SPARQL 1.1 (§19.8) and the RDF 1.2 drafts.
_KEYWORD_TEXT: Final = """
    BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK WHERE FROM NAMED GRAPH OPTIONAL UNION MINUS
    FILTER BIND VALUES SERVICE SILENT ORDER BY GROUP HAVING LIMIT OFFSET DISTINCT REDUCED
    AS ASC DESC INSERT DELETE DATA WITH USING DEFAULT ALL LOAD CLEAR DROP CREATE ADD MOVE
    COPY INTO TO NOT IN EXISTS UNDEF A TRUE FALSE LATERAL SEPARATOR
    STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT
    STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR
    MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384
    SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC
    REGEX SUBSTR REPLACE COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT TRIPLE SUBJECT
    PREDICATE OBJECT ISTRIPLE LANGDIR STRLANGDIR HASLANG HASLANGDIR
"""
KEYWORDS: Final = frozenset(_KEYWORD_TEXT.split())
_RANGES: Final = re.compile(r"\[[^\]]*\]")
_QUOTED: Final = re.compile(r'"[^"]*"|\b[A-Z][A-Z_]+\b')


@dataclass(frozen=True)
class Explanation:
    """A readable message, and what the editor can offer to fix."""

    detail: str
    prefix: str | None = None
    namespace: str | None = None
    keyword: str | None = None
    #: The line and column the detail names, where it is not where the parser stopped
    #: (an undeclared prefix or unknown word before it): the editor marks this one.
    at: tuple[int, int] | None = None

    @property
    def fix(self) -> dict[str, str]:
        """The fields an editor reads to offer a fix; only those that are known."""
        found = {"prefix": self.prefix, "namespace": self.namespace, "keyword": self.keyword}
        return {k: v for k, v in found.items() if v is not None}


def _offset(text: str, line: int, column: int) -> int:
    """The index of a 1-based line and column in ``text``."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:  # fewer lines than that
            return len(text)
    return min(len(text), start + column - 1)


def _where(at: tuple[int, int]) -> str:
    return f"Line {at[0]}, column {at[1]}"


def _until(text: str, end: int) -> Iterator[Token]:
    """The tokens of ``text`` that start at or before ``end``, where the parser stopped:
    the text may go on for a megabyte after it, anyone's query."""
    return takewhile(lambda token: token.start <= end, tokens(text))


def _undeclared_prefix(text: str, end: int) -> Token | None:
    """The first prefixed name up to ``end`` whose prefix no PREFIX before it declares."""
    declared: set[str] = set()
    previous: Token | None = None
    for token in _until(text, end):
        named = token.kind is TokenKind.PNAME and not token.text.startswith("_:")
        if named and previous is not None and previous.is_word("PREFIX"):
            declared.add(token.text[:-1])
        elif named and token.text.split(":", 1)[0] not in declared:
            return token
        previous = token
    return None


def _unknown_word(text: str, end: int) -> Token | None:
    """The last bare word up to ``end`` that is no SPARQL keyword."""
    word = None
    for token in _until(text, end):
        if token.kind is TokenKind.WORD and token.text.upper() not in KEYWORDS:
            word = token
    return word


def _expected(message: str) -> str:
    """The parser's expectations without its character classes."""
    listed = message.split("expected", 1)[-1]
    items = list(dict.fromkeys(_QUOTED.findall(_RANGES.sub("", listed))))
    names = " or a name" if _RANGES.search(listed) else ""
    if not items:
        return "unexpected text here" if not names else "expected a name here"
    return "expected " + ", ".join(items) + names


def explain(message: str, text: str, line: int | None, column: int | None) -> Explanation:
    """Turn a parser message about ``text`` into what is wrong and how to fix it."""
    end = len(text) if line is None else _offset(text, line, column or len(text) + 1)
    token = _undeclared_prefix(text, end)
    if token is not None:
        prefix = token.text.split(":", 1)[0]
        namespace = PREFIXES.get(prefix)
        fix = f"add PREFIX {prefix}: <{namespace}>" if namespace else "declare it with PREFIX"
        at = SyntaxPosition.at(text, token.start)
        detail = f"{_where(at)}: unknown prefix {prefix}: in {token.text}; {fix}"
        return Explanation(detail, prefix=prefix, namespace=namespace, at=at)
    if line is None or column is None:
        return Explanation(message)
    word = _unknown_word(text, end)
    if word is not None:
        near = get_close_matches(word.text.upper(), KEYWORDS, n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        at = SyntaxPosition.at(text, word.start)
        detail = f"{_where(at)}: unknown keyword {word.text}{hint}"
        return Explanation(detail, keyword=word.text, at=at)
    return Explanation(f"Line {line}, column {column}: {_expected(message)}")


def explained(text: str, message: str) -> QuerySyntaxError:
    """The syntax error the store raises for ``text``: the reader's words as its detail.

    The CLI prints the detail as it is; the web app explains the parser's own message
    again (kept as ``message``) to pass the fix to the editor as fields.
    """
    line, column = SyntaxPosition.from_message(message)
    error = QuerySyntaxError(message, line, column)
    found = explain(message, text, line, column)
    error.detail = found.detail
    error.args = (error.detail,)
    error.fix = found.fix
    if found.at is not None:
        error.line, error.column = found.at
    return error
