"""Rewriting update text for the protocol's dataset parameters (SPARQL 1.1 Protocol §2.2.3).

``using-graph-uri`` and ``using-named-graph-uri`` become ``USING`` clauses written
into each operation, and ``DELETE WHERE`` is expanded to the long form that can carry
them. Every position is found from the lexer's tokens, so a brace or a keyword in a
string, an IRI or a comment is never taken for syntax.
"""

from collections.abc import Iterator

from civicgraph.sparql.lexer import Token, TokenKind, tokens, unescaped_variants


def _depth_zero(text: str) -> Iterator[tuple[Token, int]]:
    """Tokens with the brace depth they sit at (0 outside every ``{ … }``)."""
    depth = 0
    for token in tokens(text):
        if token.text == "}":
            depth -= 1
        yield token, depth
        if token.text == "{":
            depth += 1


def has_dataset_clause(text: str) -> bool:
    """Whether an update names its own dataset with ``USING`` or ``WITH``."""
    return any(
        token.is_word("USING", "WITH") and depth == 0
        for reading in unescaped_variants(text)
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


def _opens(token: Token) -> bool:
    return token.kind is TokenKind.PUNCT and token.text == "{"


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
        brace = next((t.start for t in operation if t.start > position and _opens(t)), None)
        if brace is None:
            return None
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
