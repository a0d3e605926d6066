"""One pass over a query's tokens up to where the parser stopped: what a message needs.

Explaining a syntax error (``sparql/messages.py``) asks several questions of the text
before the parser's stop: the first prefix used undeclared, the last word that is no
keyword, the brackets still open (and one closed by another kind, or by nothing), the
triple pattern under way and whether it ended short of its object or ran a term
over, a SELECT that names nothing to return. All are answered in one pass, a token at
a time, in memory that does not grow with the text.
"""

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import takewhile
from typing import Final

from civicgraph.sparql.lexer import Token, TokenKind, tokens

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
    PREDICATE OBJECT ISTRIPLE LANGDIR STRLANGDIR HASLANG HASLANGDIR ADJUST LTR RTL
"""
KEYWORDS: Final = frozenset(_KEYWORD_TEXT.split())
#: Each opening bracket's closing one, and the other way round.
CLOSERS: Final = {"{": "}", "(": ")", "[": "]"}
_OPENERS: Final = {closer: opener for opener, closer in CLOSERS.items()}
#: Tokens that are one term of a triple pattern on their own.
_TERMS: Final = frozenset(
    {TokenKind.VAR, TokenKind.IRI, TokenKind.PNAME, TokenKind.BNODE, TokenKind.STRING}
    | {TokenKind.NUMBER}
)
#: Schemes of IRIs: ``<http:`` read as a prefixed name is an IRI missing its ``>``.
_SCHEMES: Final = frozenset({"http", "https", "urn", "mailto", "file", "ftp", "tag"})
#: The words after which a SELECT names what it returns.
_SELECTING: Final = ("SELECT", "DISTINCT", "REDUCED")
#: The innermost unclosed brackets kept, deepest last: nesting deeper than this is
#: counted, not kept, so that a megabyte of ``{`` holds no megabyte of positions.
_KEPT_OPEN: Final = 64


def touching(first: Token | None, second: Token) -> bool:
    """Whether ``second`` begins where ``first`` ends, with no space between."""
    return first is not None and first.start + len(first.text) == second.start


def until(text: str, end: int) -> Iterator[Token]:
    """The tokens of ``text`` that start at or before ``end``, where the parser stopped:
    the text may go on for a megabyte after it, anyone's query."""
    return takewhile(lambda token: token.start <= end, tokens(text))


@dataclass
class Reading:
    """What one pass over the tokens up to the parser's stop found out.

    Without ``whole`` it reads prefixes only (for a message without a position, whose
    text is read up to its first undeclared prefix, and no further).
    """

    whole: bool = True
    #: Where the parser stopped (the text's length when it ran out of text).
    end: int = 0
    #: The prefixes declared so far, and the first prefixed name whose prefix was not.
    declared: set[str] = field(default_factory=set)
    undeclared: Token | None = None
    #: The last bare word that is no SPARQL keyword, and the token before it.
    unknown: Token | None = None
    before_unknown: Token | None = None
    #: The first ``<`` that a prefixed name follows at once: an IRI never closed.
    open_iri: Token | None = None
    #: The innermost brackets not yet closed, as (bracket, offset); ``depth`` counts all.
    open: deque[tuple[str, int]] = field(default_factory=lambda: deque(maxlen=_KEPT_OPEN))
    depth: int = 0
    #: How many of each kind are open (those not kept too).
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLOSERS, 0))
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
        kind, last = token.kind, self.last
        if kind is TokenKind.PNAME and not token.text.startswith("_:"):
            prefix = token.text.split(":", 1)[0]
            if last is not None and last.is_word("PREFIX"):
                self.declared.add(prefix)
            elif self.undeclared is None and prefix not in self.declared:
                self._undeclared(token, prefix)
        elif kind is TokenKind.WORD and token.text.upper() not in KEYWORDS:
            self.unknown, self.before_unknown = token, last

    def _undeclared(self, token: Token, prefix: str) -> None:
        """A prefix used undeclared; or, right after ``<``, an IRI missing its ``>``."""
        last = self.last
        if prefix in _SCHEMES and last is not None and last.text == "<" and touching(last, token):
            self.open_iri = self.open_iri or last
        else:
            self.undeclared = token

    def _bracket(self, token: Token) -> None:
        if token.kind is not TokenKind.PUNCT:
            return
        text = token.text
        if text in CLOSERS:
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


def read(text: str, end: int, *, whole: bool = True) -> Reading:
    """Read the tokens up to ``end``; without ``whole``, only up to the first prefixed
    name whose prefix is not declared."""
    reading = Reading(whole, end)
    for token in until(text, end):
        reading.see(token)
        if not whole and reading.undeclared is not None:
            break
    return reading
