"""Parser messages in the reader's words: what a SPARQL syntax error means.

pyoxigraph reports what its grammar expected at a position, as a list of terminals
that may include character classes spelled as Unicode ranges ("expected one of
['A' ..= 'Z' | '\\u{00C0}'..='\\u{00D6}' …]"), and a misspelt ``SELEKT`` yields
"expected CONSTRUCT". A reader needs the word that is wrong: the prefix that was never
declared (with the namespace to declare, when the app knows it), the word where a
keyword belongs, or the structure that is broken: a string or bracket never closed, a
bracket that closes another kind or nothing, a triple pattern without its object (or
with one too many terms), a SELECT without what to return. Anything else keeps the
parser's list of expectations, shortened to what a person types.
"""

import re
import unicodedata
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
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
#: A sentence of the parser's own among its expectations ("Variables are not allowed
#: in INSERT DATA"): a capitalized word and more words after it, each after one space.
_SENTENCE: Final = re.compile(r"\b[A-Z][a-z]+(?: [A-Za-z]+)+")


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


#: Each opening bracket's closing one, and the other way round.
_CLOSERS: Final = {"{": "}", "(": ")", "[": "]"}
_OPENERS: Final = {closer: opener for opener, closer in _CLOSERS.items()}
#: Tokens that are one term of a triple pattern on their own.
_TERMS: Final = frozenset(
    {TokenKind.VAR, TokenKind.IRI, TokenKind.PNAME, TokenKind.BNODE, TokenKind.STRING}
    | {TokenKind.NUMBER}
)
#: The most characters before the parser's stop that are read to explain it: a query a
#: person wrote is far shorter, and reading a megabyte takes seconds. Past it the
#: parser's own list of expectations stands.
MOST_READ: Final = 64 * 1024
#: The most characters of a token a message quotes, or offers to fix.
_QUOTED_MOST: Final = 40
#: Curly quotes, which word processors put where SPARQL needs straight ones.
_CURLY: Final = frozenset("\u201c\u201d\u2018\u2019")
#: The words after which a SELECT names what it returns.
_SELECTING: Final = ("SELECT", "DISTINCT", "REDUCED")
#: The innermost unclosed brackets kept, deepest last: nesting deeper than this is
#: counted, not kept, so that a megabyte of ``{`` holds no megabyte of positions.
_KEPT_OPEN: Final = 64


@dataclass
class _Reading:
    """What one pass over the tokens up to the parser's stop found out: one pass, as a
    pass over a megabyte of anyone's text takes seconds.

    Without ``whole`` it reads prefixes only (a message without a position, where the
    whole text is read for the first undeclared prefix, and no further).
    """

    whole: bool = True
    #: Where the parser stopped (the text's length when it ran out of text).
    end: int = 0
    #: The prefixes declared so far, and the first prefixed name whose prefix was not.
    declared: set[str] = field(default_factory=set)
    undeclared: Token | None = None
    #: The last bare word that is no SPARQL keyword.
    unknown: Token | None = None
    #: The innermost brackets not yet closed, as (bracket, offset); ``depth`` counts all.
    open: deque[tuple[str, int]] = field(default_factory=lambda: deque(maxlen=_KEPT_OPEN))
    depth: int = 0
    #: How many of each kind are open (those not kept too).
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_CLOSERS, 0))
    #: The first closing bracket that closed another kind, and the one it met (None
    #: for one that closed nothing).
    mismatch: tuple[Token, tuple[str, int] | None] | None = None
    #: The terms of the triple pattern under way (at most three), or None once it holds
    #: anything else (a path, an expression, brackets); ``need`` is how many it needs.
    terms: list[Token] | None = field(default_factory=list)
    need: int = 3
    #: The first pattern that ended short of its object: its terms and how many it needed.
    short: tuple[list[Token], int] | None = None
    #: The first term that followed a whole pattern without a ``.``, and that pattern.
    extra: tuple[Token, list[Token]] | None = None
    #: The first SELECT (or its DISTINCT) followed by no variable or ``*``.
    bare_select: Token | None = None
    last: Token | None = None
    before: Token | None = None

    def see(self, token: Token) -> None:
        """Take the next token into account."""
        self._names(token)
        if self.whole:
            self._bracket(token)
            self._pattern(token)
            self._select(token)
        self.before, self.last = self.last, token

    def _select(self, token: Token) -> None:
        last = self.last
        if self.bare_select is not None or last is None or last.kind is not TokenKind.WORD:
            return
        if (token.text == "{" or token.is_word("WHERE")) and last.is_word(*_SELECTING):
            self.bare_select = last

    def _names(self, token: Token) -> None:
        kind = token.kind
        if kind is TokenKind.PNAME and not token.text.startswith("_:"):
            if self.last is not None and self.last.is_word("PREFIX"):
                self.declared.add(token.text[:-1])
            elif self.undeclared is None and token.text.split(":", 1)[0] not in self.declared:
                self.undeclared = token
        elif kind is TokenKind.WORD and token.text.upper() not in KEYWORDS:
            self.unknown = token

    def _bracket(self, token: Token) -> None:
        if token.kind is not TokenKind.PUNCT:
            return
        text = token.text
        if text in _CLOSERS:
            self.open.append((text, token.start))
            self.depth += 1
            self.counts[text] += 1
        elif text in _OPENERS:
            own = _OPENERS[text]
            if not self.counts[own]:  # a stray one: nothing of its kind is open
                self.mismatch = self.mismatch or (token, None)
                return
            self.depth -= 1
            opener = self.open.pop() if self.open else (own, -1)  # the outermost: not kept
            self.counts[opener[0]] -= 1
            if opener[0] != own:  # the inner one left open
                self.mismatch = self.mismatch or (token, opener)

    def _pattern(self, token: Token) -> None:
        punct = token.kind is TokenKind.PUNCT
        ends = punct and token.text in ("}", ".", ";")
        if ends and self.terms and len(self.terms) < self.need and self.short is None:
            self.short = (self.terms, self.need)
        opens = punct and token.text == "{"
        if ends or opens:  # a pattern may follow a group too: { … } ?s ?p ?o
            values = self.before is not None and self.before.is_word("VALUES")
            self.terms = None if opens and values else []
            self.need = 2 if token.text == ";" else 3
        elif self.terms is not None and (token.kind in _TERMS or token.is_word("A")):
            if len(self.terms) < self.need:
                self.terms.append(token)
            else:  # one too many; the pattern is judged no further
                self.extra = self.extra or (token, self.terms)
                self.terms = None
        elif token.kind is not TokenKind.LANGTAG:
            self.terms = None


def _cut(text: str) -> str:
    """Text as a message quotes it: a long one cut short."""
    return text if len(text) <= _QUOTED_MOST else text[: _QUOTED_MOST - 1] + "…"


def _shown(*found: Token) -> str:
    """Tokens as a message quotes them: a long IRI or string cut short."""
    return " ".join(_cut(t.text) for t in found)


def _read(text: str, end: int, *, whole: bool = True) -> _Reading:
    """Read the tokens up to ``end``; without ``whole``, only up to the first prefixed
    name whose prefix is not declared."""
    reading = _Reading(whole, end)
    for token in _until(text, end):
        reading.see(token)
        if not whole and reading.undeclared is not None:
            break
    return reading


def _structure(text: str, reading: _Reading) -> Explanation | None:
    """An unclosed string or bracket, brackets closed in the wrong order, a triple
    pattern without its object (or with a term too many), or a SELECT without what to
    return: what the parser's list of expectations does not say."""
    last = reading.last
    if last is None:
        return None
    if last.kind is TokenKind.ERROR:  # the lexer stopped: what comes after is not read
        checks = (_lexer_stop, _bare_select, _short_pattern, _extra_term, _mismatch)
    else:
        checks = (_bare_select, _short_pattern, _extra_term, _mismatch, _unclosed)
    return next((found for check in checks if (found := check(text, reading))), None)


def _said_at(text: str, offset: int, words: str) -> Explanation:
    """``words`` about the place at ``offset``, which the editor marks."""
    at = SyntaxPosition.at(text, offset)
    return Explanation(f"{_where(at)}: {words}", at=at)


def _lexer_stop(text: str, reading: _Reading) -> Explanation | None:
    """Where the lexer stopped: a string never closed (or run past its line), or a
    character that is no part of SPARQL. Not at a ``<`` or ``~``, where the lexer stops
    though the parser may read on (less-than, an RDF 1.2 reifier)."""
    last = reading.last
    if last is None or last.text[:1] in ("<", "~"):
        return None
    if last.text[:1] in ("'", '"'):
        return _open_string(text, last)
    char = last.text[0]
    name = unicodedata.name(char, "").lower()
    hint = "it has no meaning here"
    if unicodedata.category(char) == "Zs":
        hint = "use a plain space"
    elif char in _CURLY:
        hint = "use straight quotes, \" or '"
    named = f"U+{ord(char):04X} {name}".strip()
    shown = f"{char} " if char.isprintable() and not char.isspace() else ""
    return _said_at(text, last.start, f"{shown}({named}) is not SPARQL; {hint}")


def _open_string(text: str, opening: Token) -> Explanation | None:
    """A string the lexer could not read: never closed, or run past the end of its line
    (None where it is closed on its line: an escape the parser names is wrong)."""
    long = opening.text[:3] in ("'''", '"""')
    quote = opening.text[:3] if long else opening.text[0]
    rest = text[opening.start + len(quote) :]
    if not long and quote in rest.split("\n", 1)[0]:
        return None
    if quote in rest:
        if long:
            return None
        words = "this string runs past the end of its line; one of several lines is "
        return _said_at(text, opening.start, words + f"written between {quote * 3} and {quote * 3}")
    return _said_at(text, opening.start, "the string that starts here is never closed")


def _bare_select(text: str, reading: _Reading) -> Explanation | None:
    if reading.bare_select is None:
        return None
    words = "SELECT names what to return (SELECT ?s ?label), or * for all"
    return _said_at(text, reading.bare_select.start, words)


def _short_pattern(text: str, reading: _Reading) -> Explanation | None:
    """A triple pattern that stops before its object (``?s ?p }``, ``?s a .``)."""
    if reading.short is None:
        return None
    terms, need = reading.short
    missing = "object" if need - len(terms) == 1 else "predicate or object"
    words = (
        f"the triple pattern {_shown(*terms)} has no {missing}; "
        "a pattern is subject, predicate and object (?s ?p ?o)"
    )
    return _said_at(text, terms[0].start, words)


def _extra_term(text: str, reading: _Reading) -> Explanation | None:
    """A term after a whole pattern, where a ``.`` belongs (``?s ?p ?o ?x``)."""
    if reading.extra is None:
        return None
    term, terms = reading.extra
    words = f"{_shown(term)} follows the whole pattern {_shown(*terms)}; end it with . first"
    return _said_at(text, term.start, words)


def _mismatch(text: str, reading: _Reading) -> Explanation | None:
    """A closing bracket that closes nothing, or a bracket of another kind."""
    if reading.mismatch is None:
        return None
    closer, opener = reading.mismatch
    if opener is None:
        return _said_at(text, closer.start, f"this {closer.text} closes no bracket")
    bracket, start = opener
    opened = _where(SyntaxPosition.at(text, start)).lower()
    words = f"{closer.text} closes the {bracket} of {opened}; add {_CLOSERS[bracket]} before it"
    return _said_at(text, closer.start, words)


def _unclosed(text: str, reading: _Reading) -> Explanation | None:
    """The query ends inside brackets: the innermost one that is never closed."""
    if not reading.depth or reading.end < len(text):  # the parser stopped before its end
        return None
    if not reading.open:
        return Explanation(f"The query ends inside {reading.depth:,} brackets never closed")
    bracket, start = reading.open[-1]
    words = f"this {bracket} is never closed; add {_CLOSERS[bracket]} where it ends"
    return _said_at(text, start, words)


def _expected(message: str) -> str:
    """The parser's expectations without its character classes."""
    listed = message.split("expected", 1)[-1]
    sentence = _SENTENCE.search(_RANGES.sub("", listed))
    if sentence:  # the parser's own words, such as why a variable is refused here
        return sentence[0]
    items = list(dict.fromkeys(_QUOTED.findall(_RANGES.sub("", listed))))
    names = " or a name" if _RANGES.search(listed) else ""
    if not items:
        return "unexpected text here" if not names else "expected a name here"
    return "expected " + ", ".join(items) + names


def explain(message: str, text: str, line: int | None, column: int | None) -> Explanation:
    """Turn a parser message about ``text`` into what is wrong and how to fix it."""
    if not text.strip():
        return Explanation("The query is empty: write one, or start from an example")
    end = len(text) if line is None else _offset(text, line, column or len(text) + 1)
    positioned = line is not None and column is not None
    if positioned:
        fallback = Explanation(f"Line {line}, column {column}: {_expected(message)}")
    else:
        fallback = Explanation(message)
    if end > MOST_READ:  # a megabyte of anyone's text takes seconds to read
        return fallback
    reading = _read(text, end, whole=positioned)
    if reading.undeclared is not None:
        return _undeclared(text, reading.undeclared)
    if not positioned:
        return fallback
    if reading.unknown is not None:
        return _unknown(text, reading.unknown)
    return _structure(text, reading) or fallback


def _undeclared(text: str, token: Token) -> Explanation:
    """A prefixed name whose prefix no PREFIX before it declares."""
    prefix = token.text.split(":", 1)[0]
    namespace = PREFIXES.get(prefix)
    fix = f"add PREFIX {prefix}: <{namespace}>" if namespace else "declare it with PREFIX"
    words = f"unknown prefix {_cut(prefix)}: in {_shown(token)}; {fix}"
    found = _said_at(text, token.start, words)
    offered = prefix if len(prefix) <= _QUOTED_MOST else None  # no fix for a megabyte
    return replace(found, prefix=offered, namespace=namespace)


def _unknown(text: str, word: Token) -> Explanation:
    """A bare word where a keyword belongs, with the keyword it looks like."""
    near = get_close_matches(word.text.upper(), KEYWORDS, n=1)
    hint = f"; did you mean {near[0]}?" if near else ""
    found = _said_at(text, word.start, f"unknown keyword {_shown(word)}{hint}")
    return replace(found, keyword=word.text if len(word.text) <= _QUOTED_MOST else None)


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
