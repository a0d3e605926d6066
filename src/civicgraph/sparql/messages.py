"""Parser messages in the reader's words: what a SPARQL syntax error means.

pyoxigraph reports what its grammar expected at a position, as a list of terminals
that may include character classes spelled as Unicode ranges ("expected one of
['A' ..= 'Z' | '\\u{00C0}'..='\\u{00D6}' …]"), and a misspelt ``SELEKT`` yields
"expected CONSTRUCT". A reader needs the word that is wrong: the prefix that was never
declared (with the namespace to declare, when the app knows it), an IRI without its
``>``, the word where a keyword, a number (after LIMIT), a variable (after AS or BY)
or a value (an operand or an argument: a string in quotes) belongs, a quote that
ends its string early, a backslash that starts no escape (``"\\d"`` copied from a
regular expression), a character that is no part of SPARQL
(a no-break space, curly quotes), or the structure that is broken: a string or bracket
never closed, a bracket that closes another kind or nothing, a triple pattern without
its object (or with one too many terms), a SELECT without what to return. The tokens
are read once, by ``sparql/reading.py``, and only up to ``MOST_READ`` characters.
Anything else keeps the parser's own sentence, or its list of expectations shortened
to what a person types.
"""

import re
import unicodedata
from dataclasses import dataclass, replace
from difflib import get_close_matches
from typing import Final

from civicgraph.errors import QuerySyntaxError, SyntaxPosition
from civicgraph.sparql.lexer import Token, TokenKind
from civicgraph.sparql.reading import CLOSERS, KEYWORDS, Reading, read, touching
from civicgraph.vocab import PREFIXES

_RANGES: Final = re.compile(r"\[[^\]]*\]")
_QUOTED: Final = re.compile(r'"[^"]*"|\b[A-Z][A-Z_]+\b')
#: A short string's body up to its closing quote, escapes and all.
_BODIES: Final = {q: re.compile(rf"(?:[^{q}\\\n]|\\.)*") for q in ("'", '"')}
#: A backslash that starts no escape (§19.7 ECHAR, and the codepoint escapes).
_BAD_ESCAPE: Final = re.compile(r"\\(?:[^tbnrf\"'\\uU]|u(?![0-9A-Fa-f]{4})|U(?![0-9A-Fa-f]{8}))")
#: How many hexadecimal digits each codepoint escape takes.
_DIGITS: Final = {"\\u": 4, "\\U": 8}
#: What belongs after a keyword, where a bare word stands instead.
_AFTER: Final = {
    "LIMIT": "{keyword} takes a whole number, not {word}",
    "OFFSET": "{keyword} takes a whole number, not {word}",
    "AS": "AS names a variable: ?{word}",
    "PREFIX": "a prefix is declared with a colon: {word}:",
    "BY": "{keyword} takes a variable or an expression: ?{word}",
}
#: Tokens after which a value belongs: an operand, an argument, a list's next item.
#: (Not ``*``, ``+``, ``/``: they also end ``SELECT *`` and a property path.)
_BEFORE_VALUE: Final = frozenset(["=", "!=", "<", ">", "<=", ">=", "&&", "||", ",", "("])
#: A bare word followed by ``(`` or ``{`` is a function name or ``EXISTS`` (misspelt).
_CALL: Final = re.compile(r"\s*[({]")


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


#: The most characters before the parser's stop that are read to explain it: a query a
#: person wrote is far shorter, and reading a megabyte takes seconds. Past it the
#: parser's own list of expectations stands.
MOST_READ: Final = 64 * 1024
#: The most characters of a token a message quotes, or offers to fix.
_QUOTED_MOST: Final = 40
#: Curly quotes, which word processors put where SPARQL needs straight ones.
_CURLY: Final = frozenset("\u201c\u201d\u2018\u2019")


def _cut(text: str) -> str:
    """Text as a message quotes it: a long one cut short."""
    return text if len(text) <= _QUOTED_MOST else text[: _QUOTED_MOST - 1] + "…"


def _shown(*found: Token) -> str:
    """Tokens as a message quotes them: a long IRI or string cut short."""
    return " ".join(_cut(t.text) for t in found)


def _structure(text: str, reading: Reading) -> Explanation | None:
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


def _lexer_stop(text: str, reading: Reading) -> Explanation | None:
    """Where the lexer stopped: a string never closed (or run past its line), or a
    character that is no part of SPARQL. Not at a ``<`` or ``~``, where the lexer stops
    though the parser may read on (less-than, an RDF 1.2 reifier)."""
    last = reading.last
    if last is None or last.text[:1] in ("<", "~"):
        return None
    if last.text[:1] in ("'", '"'):
        return _open_string(text, last)
    char = last.text[0]
    if char == "@":
        return _said_at(text, last.start, 'a language tag has letters after @ ("x"@en)')

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
        return _bad_escape(text, opening.start + 1, quote)
    if quote in rest:
        if long:
            return None
        words = "this string runs past the end of its line; one of several lines is "
        return _said_at(text, opening.start, words + f"written between {quote * 3} and {quote * 3}")
    return _said_at(text, opening.start, "the string that starts here is never closed")


def _bad_escape(text: str, start: int, quote: str) -> Explanation | None:
    """A backslash in a short string that starts no escape SPARQL has (``"\\d"`` from a
    regular expression); None if the string has none."""
    body = _BODIES[quote].match(text, start, start + MOST_READ)
    found = _BAD_ESCAPE.search(body.group()) if body else None
    if found is None:
        return None
    escape = found.group()
    if escape in _DIGITS:
        words = f"{escape} takes {_DIGITS[escape]} hexadecimal digits"
    else:
        words = f"{_cut(escape)} is no escape in a SPARQL string; write \\\\ for a backslash"
    return _said_at(text, start + found.start(), words)


def _bare_select(text: str, reading: Reading) -> Explanation | None:
    if reading.bare_select is None:
        return None
    words = "SELECT names what to return (SELECT ?s ?label), or * for all"
    return _said_at(text, reading.bare_select.start, words)


def _short_pattern(text: str, reading: Reading) -> Explanation | None:
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


def _extra_term(text: str, reading: Reading) -> Explanation | None:
    """A term after a whole pattern, where a ``.`` belongs (``?s ?p ?o ?x``)."""
    if reading.extra is None:
        return None
    term, terms = reading.extra
    words = f"{_shown(term)} follows the whole pattern {_shown(*terms)}; end it with . first"
    return _said_at(text, term.start, words)


def _mismatch(text: str, reading: Reading) -> Explanation | None:
    """A closing bracket that closes nothing, or a bracket of another kind."""
    if reading.mismatch is None:
        return None
    closer, opener = reading.mismatch
    if opener is None:
        return _said_at(text, closer.start, f"this {closer.text} closes no bracket")
    bracket, start = opener
    opened = _where(SyntaxPosition.at(text, start)).lower()
    words = f"{closer.text} closes the {bracket} of {opened}; add {CLOSERS[bracket]} before it"
    return _said_at(text, closer.start, words)


def _unclosed(text: str, reading: Reading) -> Explanation | None:
    """The query ends inside brackets: the innermost one that is never closed."""
    if not reading.depth or reading.end < len(text):  # the parser stopped before its end
        return None
    if not reading.open:
        return Explanation(f"The query ends inside {reading.depth:,} brackets never closed")
    bracket, start = reading.open[-1]
    words = f"this {bracket} is never closed; add {CLOSERS[bracket]} where it ends"
    return _said_at(text, start, words)


def _expected(message: str) -> str:
    """The parser's expectations without its character classes."""
    listed = message.split("expected", 1)[-1]
    sentence = _sentence(listed) if "expected" in message else None
    if sentence:  # the parser's own words, such as why a variable is refused here
        return sentence
    items = list(dict.fromkeys(_QUOTED.findall(_RANGES.sub("", listed))))
    names = " or a name" if _RANGES.search(listed) else ""
    if not items:
        return "unexpected text here" if not names else "expected a name here"
    return "expected " + ", ".join(items) + names


def _sentence(listed: str) -> str | None:
    """A sentence of the parser's own among its expectations ("Variables are not
    allowed in INSERT DATA", "SELECT * is not authorized with GROUP BY"): an item of
    several words, some of them in lower case."""
    for item in _RANGES.sub("", listed).removeprefix(" one of").split(","):
        words = item.split()
        quoted = item.lstrip().startswith('"')
        if len(words) > 2 and not quoted and sum(word.islower() for word in words) >= 2:
            return " ".join(words)
    return None


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
    return _named(text, read(text, end, whole=positioned), positioned) or fallback


def _named(text: str, reading: Reading, positioned: bool) -> Explanation | None:
    """What the reading names: an IRI never closed, an undeclared prefix and, where the
    parser said where it stopped, a word out of place or a broken structure."""
    if reading.open_iri is not None:
        return _said_at(text, reading.open_iri.start, "this IRI is never closed with >")
    if reading.undeclared is not None:
        return _undeclared(text, reading.undeclared)
    if not positioned:
        return None
    if reading.unknown is not None:
        return _unknown(text, reading.unknown, reading.before_unknown)
    return _structure(text, reading)


def _undeclared(text: str, token: Token) -> Explanation:
    """A prefixed name whose prefix no PREFIX before it declares."""
    prefix = token.text.split(":", 1)[0]
    namespace = PREFIXES.get(prefix)
    fix = f"add PREFIX {prefix}: <{namespace}>" if namespace else "declare it with PREFIX"
    words = f"unknown prefix {_cut(prefix)}: in {_shown(token)}; {fix}"
    found = _said_at(text, token.start, words)
    offered = prefix if len(prefix) <= _QUOTED_MOST else None  # no fix for a megabyte
    return replace(found, prefix=offered, namespace=namespace)


def _unknown(text: str, word: Token, before: Token | None) -> Explanation:
    """A bare word where a keyword belongs, with the keyword it looks like; or where
    something else belongs, by what comes before it."""
    if before is not None and before.kind is TokenKind.STRING and touching(before, word):
        words = "a quote inside this string ends it; write it as \\' or \\\" inside"
        return _said_at(text, before.start, words)
    belongs = _what_belongs(text, word, before)
    if belongs is not None:
        return _said_at(text, word.start, belongs)
    near = get_close_matches(word.text.upper(), KEYWORDS, n=1)
    hint = f"; did you mean {near[0]}?" if near else ""
    found = _said_at(text, word.start, f"unknown keyword {_shown(word)}{hint}")
    return replace(found, keyword=word.text if len(word.text) <= _QUOTED_MOST else None)


def _what_belongs(text: str, word: Token, before: Token | None) -> str | None:
    """What belongs where ``word`` stands, by the token before it, where that says."""
    shown = _shown(word)
    if before is None:
        return None
    form = _AFTER.get(before.text.upper()) if before.kind is TokenKind.WORD else None
    if form is not None:
        return form.format(keyword=before.text, word=shown)
    if _is_value(text, word, before):
        quoted = f'a string in quotes ("{shown}") or a variable (?{shown})'
        return f"a bare word is no value: write {quoted}"
    return None


def _is_value(text: str, word: Token, before: Token) -> bool:
    """Whether ``word`` stands where an expression wants a value, and is not called
    like a function (``contians(?o, "x")`` is a misspelt function, not a value, and
    ``EXIST {`` a misspelt ``EXISTS``)."""
    if before.kind is not TokenKind.PUNCT or before.text not in _BEFORE_VALUE:
        return False
    return _CALL.match(text, word.start + len(word.text)) is None


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
