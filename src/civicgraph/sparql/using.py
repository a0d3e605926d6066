"""Protocol ``using-graph-uri`` and ``using-named-graph-uri`` on ``/update``, written in.

SPARQL 1.1 Protocol §2.2.3: these parameters set the dataset of each operation that
matches a pattern, exactly as ``USING``/``USING NAMED`` clauses would, so each such
operation gets the clauses in its text. ``DELETE/INSERT … WHERE`` takes them before
``WHERE`` (SPARQL 1.1 Update §3.1.3); ``DELETE WHERE { P }`` cannot carry them, so it
becomes its long form ``DELETE { P } USING … WHERE { P }``, which §3.1.3.3 defines as
equivalent.

The text is a token holder's, as long as the body limit allows, and this runs in the
serving process: one pass over the tokens keeps a few offsets of the operation at
hand, and the new text is joined once. Edited in place one operation at a time, a
megabyte of ``INSERT{}WHERE{};`` took a minute of CPU; and since every operation gets
the clauses, a long list of them would make the text gigabytes, so the rewritten text
has the body's limit too.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from civicgraph.errors import PayloadTooLargeError, SyntaxPosition, UserInputError
from civicgraph.sparql.lexer import Token, TokenKind, depths

#: An edit of the text: the offsets it replaces, and what it puts there.
Edit = tuple[int, int, str]


def with_using(text: str, graphs: list[str], named_graphs: list[str], most: int) -> str:
    """``text`` with the clauses of ``graphs`` and ``named_graphs`` in every operation
    that takes them; a ``PayloadTooLargeError`` past ``most`` bytes.

    The IRIs must already be validated: they are written between ``<>``. Where the
    lexer stops reading the text (``lexer.lexemes``), it cannot say where they go.
    """
    clauses = " ".join(
        [f"USING <{g}>" for g in graphs] + [f"USING NAMED <{g}>" for g in named_graphs]
    )
    pieces: list[str] = []
    size = 0
    for piece in _pieces(text, clauses):
        size += len(piece.encode())
        if size > most:
            raise PayloadTooLargeError(most, "update with its dataset written into each operation")
        pieces.append(piece)
    return "".join(pieces)


def _pieces(text: str, clauses: str) -> Iterator[str]:
    """The rewritten text, piece by piece: what no edit touches, then each edit's text."""
    copied = 0
    for start, end, replacement in _edits(text, clauses):
        yield text[copied:start]
        yield replacement
        copied = end
    yield text[copied:]


def _edits(text: str, clauses: str) -> Iterator[Edit]:
    """Where ``clauses`` go in each operation (split at ``;`` outside braces), in order."""
    operation = _Operation(text)
    for token, depth in depths(text):
        if token.kind is TokenKind.ERROR:
            raise _unplaced(text, token.start)
        if depth != 0:
            continue
        if token.text == ";":
            operation = _Operation(text)
            continue
        edit = operation.see(token, clauses)
        if edit is not None:
            yield edit
    if operation.pattern is not None and not operation.done:  # a pattern never closed
        yield _long_form(text, operation.pattern, len(text), clauses)


@dataclass
class _Operation:
    """What the tokens of one operation outside braces have shown so far."""

    text: str  # the whole update
    verb: Token | None = None  # the first word after the prologue
    previous: Token | None = None  # the token before, outside braces
    where: int | None = None  # a ``DELETE WHERE``'s ``WHERE``, its pattern awaited
    pattern: tuple[int, int] | None = None  # that ``WHERE`` and its pattern's ``{``
    done: bool = False

    def see(self, token: Token, clauses: str) -> Edit | None:
        """The edit this operation takes, once ``token`` shows it."""
        if self.done:
            return None
        if self.pattern is not None:  # outside braces, next after ``{`` is its ``}``
            self.done = True
            return _long_form(self.text, self.pattern, token.start + 1, clauses)
        if self.where is not None:
            if token.text == "{":
                self.pattern = self.where, token.start
            return None
        if token.is_word("WHERE"):
            return self._at_where(token, clauses)
        if self.verb is None and token.kind is TokenKind.WORD:
            self.verb = None if token.is_word("PREFIX", "BASE") else token
        self.previous = token
        return None

    def _at_where(self, where: Token, clauses: str) -> Edit | None:
        """The edit at the operation's first ``WHERE``, or None when it takes none or
        (``DELETE WHERE``) must wait for its pattern."""
        if self.verb is None or not self.verb.is_word("DELETE", "INSERT"):
            self.done = True
            return None
        # ``DELETE WHERE`` is the two words together; ``DELETE { … } WHERE`` is not it.
        if self.previous is not None and self.previous.is_word("DELETE"):
            self.where = where.start
            return None
        self.done = True
        return where.start, where.start, f"{clauses} "


def _long_form(text: str, pattern: tuple[int, int], end: int, clauses: str) -> Edit:
    """``DELETE WHERE { P }`` as ``DELETE { P } USING … WHERE { P }``: ``pattern`` is
    where its ``WHERE`` and ``{`` start, and ``P`` ends at ``end``."""
    where, brace = pattern
    group = text[brace:end]
    return where, end, f"{group} {clauses} WHERE {group}"


def _unplaced(text: str, at: int) -> UserInputError:
    """Why the clauses cannot go into a text the lexer stopped reading at ``at``."""
    line, column = SyntaxPosition.at(text, at)
    return UserInputError(
        f"using-graph-uri cannot be placed in this update: it could not be read from "
        f"line {line}, column {column} on (text that is not SPARQL, or a '<' right after "
        "a value, which may be less-than or begin an IRI); write USING clauses in the "
        "update, or put spaces around comparisons"
    )
