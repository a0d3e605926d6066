"""Where a ``<`` might be less-than to a parser, though SPARQL's terminals read an IRI.

Terminals alone cannot tell: in ``FILTER(?a<?b&&'x>'!='y')`` the text ``<?b&&'x>`` is
an IRI to a lexer and a comparison followed by strings to pyoxigraph, and everything
after it reads differently: a ``SERVICE`` inside a string to one is a clause to the
other. A parser decides by where it is, and pyoxigraph reads keywords glued to other
words (``trueFILTER``, ``SELECTDISTINCT``), so a lexer that tried to follow it as
closely was bypassed again and again. What a lexer can know for sure is where a
parser might read less-than: right after an operand (a term, a word, a closing
bracket), with a parenthesis the innermost bracket open, unless it is a row of a
``VALUES`` block (the word whole, then only variables before its ``{``: a parser reads
nothing but terms there). Such an IRI whose content
would open a string, a comment or a bracket if read as less-than ends the lexing
there (``lexer.lexemes``), and callers judge the rest of the text as they judge text
that is not SPARQL: conservatively.

Up to the first such ``<`` both read the same lexemes (an IRI that hides nothing,
``?a<?b&&?c>?d``, is the same tokens up to its ``>`` either way), so the brackets and
operands followed here are the parser's too, and none is missed. The price is a text
with an IRI holding ``#``, ``'``, ``(``, ``)``, ``[`` or ``]`` right after a term in a
collection: the rest of it is judged conservatively.
"""

import re
from typing import Final

#: What, read after a less-than instead of inside an IRI, opens a string, a comment or
#: a bracket, and so changes how the rest of the text reads.
_SHIFTS: Final = re.compile(r"['#()\[\]]")
#: A ``VALUES`` block's brace and its rows' parentheses, where only terms are read.
_DATA: Final = "v"


class Context:
    """The brackets the lexemes read so far leave open, and whether an operand may end
    just before the next one."""

    def __init__(self) -> None:
        self.brackets: list[str] = []
        self.after_operand = False
        self.values = False  # after the word VALUES and only variables since

    def less_than(self, text: str, kind: str, start: int, end: int) -> bool:
        """Whether the lexeme, an IRI to the lexer, might be less-than to a parser and
        make it read the rest otherwise."""
        return (
            kind == "iri"
            and self.after_operand
            and self.brackets[-1:] == ["("]
            and _SHIFTS.search(text, start + 1, end - 1) is not None
        )

    def see(self, text: str, kind: str, start: int, end: int) -> None:
        """Note a lexeme read, neither white space nor a comment. Every lexeme but
        punctuation may end an operand: a term, or a word (``true``, a glued keyword)."""
        if kind != "punct":
            self.after_operand = True
            is_values = kind == "run" and end - start == 6 and text[start:end].upper() == "VALUES"
            self.values = is_values or (self.values and kind == "var")
            return
        mark = text[start]
        if mark in ("(", "{"):
            data = self.values if mark == "{" else self.brackets[-1:] == [_DATA]
            self.brackets.append(_DATA if data else mark)
        elif mark == "[":
            self.brackets.append(mark)
        elif mark in (")", "]", "}") and self.brackets:
            self.brackets.pop()
        self.after_operand = mark in (")", "]", "}")
        self.values = self.values and mark in ("(", ")")
