"""Syntax errors a person can act on: the unknown prefix or keyword, named, with the fix.

pyoxigraph reports what its parser expected at a position, which for an undeclared
prefix is a list of Unicode ranges and for a misspelt keyword is the first keyword it
would have accepted ("expected CONSTRUCT" for ``SELEKT``). Reading the query text at
that position says what is actually wrong: the prefix that is not declared (with the
declaration when it is one the project knows), or the word that is not a keyword
(with the nearest keyword). The parser's own message stays after the hint.
"""

import difflib
import re
from typing import Final

from civicgraph.errors import QuerySyntaxError, SyntaxPosition
from civicgraph.sparql.lexer import TokenKind, tokens
from civicgraph.vocab import PREFIXES

KEYWORDS: Final = frozenset(
    [
        "SELECT",
        "CONSTRUCT",
        "DESCRIBE",
        "ASK",
        "WHERE",
        "PREFIX",
        "BASE",
        "FROM",
        "NAMED",
        "DISTINCT",
        "REDUCED",
        "AS",
        "OPTIONAL",
        "UNION",
        "MINUS",
        "FILTER",
        "BIND",
        "VALUES",
        "GRAPH",
        "SERVICE",
        "SILENT",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "GROUP",
        "HAVING",
        "LIMIT",
        "OFFSET",
        "NOT",
        "EXISTS",
        "IN",
        "INSERT",
        "DELETE",
        "DATA",
        "WITH",
        "USING",
        "DEFAULT",
        "ALL",
        "LOAD",
        "CLEAR",
        "DROP",
        "CREATE",
        "ADD",
        "MOVE",
        "COPY",
        "INTO",
        "TO",
        "UNDEF",
        "A",
        "TRUE",
        "FALSE",
        "COUNT",
        "SUM",
        "MIN",
        "MAX",
        "AVG",
        "SAMPLE",
        "GROUP_CONCAT",
        "SEPARATOR",
        "STR",
        "LANG",
        "LANGMATCHES",
        "DATATYPE",
        "BOUND",
        "IRI",
        "URI",
        "BNODE",
        "RAND",
        "ABS",
        "CEIL",
        "FLOOR",
        "ROUND",
        "CONCAT",
        "STRLEN",
        "UCASE",
        "LCASE",
        "ENCODE_FOR_URI",
        "CONTAINS",
        "STRSTARTS",
        "STRENDS",
        "STRBEFORE",
        "STRAFTER",
        "YEAR",
        "MONTH",
        "DAY",
        "HOURS",
        "MINUTES",
        "SECONDS",
        "TIMEZONE",
        "TZ",
        "NOW",
        "UUID",
        "STRUUID",
        "MD5",
        "SHA1",
        "SHA256",
        "SHA384",
        "SHA512",
        "COALESCE",
        "IF",
        "STRLANG",
        "STRDT",
        "SAMETERM",
        "ISIRI",
        "ISURI",
        "ISBLANK",
        "ISLITERAL",
        "ISNUMERIC",
        "REGEX",
        "SUBSTR",
        "REPLACE",
    ]
)
_PREFIXED_BEFORE: Final = re.compile(r"([A-Za-z][\w.-]*)?:[\w.-]*$")


def _text_before(text: str, line: int, column: int) -> str:
    lines = text.splitlines() or [""]
    return lines[line - 1][: column - 1] if 0 < line <= len(lines) else ""


def _unknown_prefix(before: str) -> str:
    found = _PREFIXED_BEFORE.search(before)
    name = found.group(1) or "" if found else ""
    known = PREFIXES.get(name)
    fix = f"PREFIX {name}: <{known}>" if known else f"PREFIX {name}: <…namespace IRI…>"
    return f"Unknown prefix '{name}:'; declare it first: {fix}"


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[: line - 1]) + column - 1


def _unknown_word(text: str, line: int, column: int) -> str:
    """The first bare word up to the error that is no SPARQL keyword, with the nearest one."""
    end = _offset(text, line, column)
    for token in tokens(text):
        if token.start > end:
            break
        if token.kind is TokenKind.WORD and token.text.upper() not in KEYWORDS:
            near = difflib.get_close_matches(token.text.upper(), KEYWORDS, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]}?)" if near else ""
            return f"Unknown keyword '{token.text}'{hint}"
    return ""


def readable_syntax_error(text: str, message: str) -> QuerySyntaxError:
    """A syntax error for ``text`` whose message names the likely mistake first."""
    line, column = SyntaxPosition.from_message(message)
    if line is None or column is None:
        return QuerySyntaxError(message)
    before = _text_before(text, line, column)
    if "Prefix not found" in message:
        hint = _unknown_prefix(before)
        return QuerySyntaxError(f"{hint} (error at {line}:{column})", line, column)
    hint = _unknown_word(text, line, column)
    return QuerySyntaxError(f"{hint}; {message}" if hint else message, line, column)
