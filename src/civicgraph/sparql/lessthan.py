"""Where a ``<`` is less-than to a parser, though SPARQL's terminals read an IRI there.

Terminals alone cannot tell: in ``FILTER(?a<?b&&'x>'!='y')`` the text ``<?b&&'x>`` is
an IRI to a lexer and a comparison followed by strings to pyoxigraph, and everything
after it reads differently, a ``SERVICE`` inside a string to one and a clause to the
other. A parser decides by where it is: right after an operand of an expression, a
``<`` is less-than; anywhere else (after a term of a triple pattern, in a ``VALUES``
row or a collection), it begins an IRI.

``Context`` follows the lexemes to know where it is: which brackets are open and
whether each parenthesis opens an expression (``FILTER(``, ``BIND(``, a function's
arguments, a ``SELECT``, ``GROUP BY`` or ``HAVING`` expression, anything inside one)
or a list of terms (``VALUES`` rows, collections, property paths), and whether an
operand (a term, ``true``, a closing parenthesis, an ``EXISTS { … }``) ends just
before. Only an IRI whose reading as less-than would open a string, a comment or a
bracket reads differently; one without (``?a<?b&&?c>?d``) is the same tokens up to its
``>`` either way.
"""

import re
from typing import Final

#: An open parenthesis of an expression, and one of a list of terms.
EXPRESSION: Final = "("
TERMS: Final = "t"
#: What, read after a less-than instead of inside an IRI, opens a string, a comment or
#: a bracket, and so changes how the rest of the text reads.
_SHIFTS: Final = re.compile(r"['#()\[\]]")
#: Lexemes that end an operand.
_OPERANDS: Final = frozenset({"var", "iri", "pname", "string", "number", "langtag", "bnode"})
_BOOLEANS: Final = frozenset({"TRUE", "FALSE"})
#: Words a parenthesis of terms may follow; after any other word, one opens an
#: expression (``FILTER(``, ``BIND(``, ``regex(``, ``IN(``…).
_BEFORE_TERMS: Final = frozenset({"VALUES", "A", "TRUE", "FALSE", "UNDEF"})
#: Words after which parentheses open expressions until the group (``SELECT ?x (…)``,
#: ``GROUP BY ?x (…)``, ``HAVING (…)``), and the words that end that.
_CLAUSES: Final = frozenset({"SELECT", "BY", "HAVING"})
_CLAUSE_ENDS: Final = frozenset({"WHERE", "VALUES", "LIMIT", "OFFSET", "FROM"})


class Context:
    """Where the lexemes read so far have left a parser."""

    def __init__(self) -> None:
        self.brackets: list[str] = []  # EXPRESSION, TERMS, "{" or "["
        self.after_operand = False
        self.in_clause = False  # after SELECT, BY or HAVING, before its group
        self.previous: tuple[str, str] = ("", "")  # kind and, for a word, its upper case
        self.before: tuple[str, str] = ("", "")

    def less_than(self, text: str, kind: str, start: int, end: int) -> bool:
        """Whether the lexeme, an IRI to the lexer, is less-than and more to a parser,
        and the two read the rest differently."""
        return (
            kind == "iri"
            and self.after_operand
            and self.brackets[-1:] == [EXPRESSION]
            and _SHIFTS.search(text, start + 1, end - 1) is not None
        )

    def see(self, text: str, kind: str, start: int, end: int) -> None:
        """Note a lexeme read."""
        if kind in ("space", "comment"):
            return
        mark = text[start] if kind == "punct" else ""
        word = text[start:end].upper() if kind == "run" else ""
        if mark == "(":
            self.brackets.append(EXPRESSION if self._opens_expression() else TERMS)
        elif mark in ("{", "["):
            self.brackets.append(mark)
        elif mark in (")", "]", "}") and self.brackets:
            self.brackets.pop()
        self.in_clause = (self.in_clause or word in _CLAUSES) and not (
            mark == "{" or word in _CLAUSE_ENDS
        )
        closed_exists = mark == "}" and self.brackets[-1:] == [EXPRESSION]
        self.after_operand = (
            kind in _OPERANDS or word in _BOOLEANS or mark in (")", "]") or closed_exists
        )
        self.before, self.previous = self.previous, (kind, word)

    def _opens_expression(self) -> bool:
        """Whether a ``(`` here opens an expression rather than a list of terms."""
        innermost = self.brackets[-1] if self.brackets else None
        kind, word = self.previous
        if innermost == EXPRESSION or self.in_clause:
            return True
        if innermost is None:  # outside every group: a solution modifier's expression
            return word != "VALUES"
        if kind == "run":
            return word not in _BEFORE_TERMS
        # ``FILTER <f>(…)`` calls a function; after any other IRI, a collection follows.
        return kind in ("iri", "pname") and self.before == ("run", "FILTER")
