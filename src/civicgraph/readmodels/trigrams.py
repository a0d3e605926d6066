"""Names that look like the query: trigram similarity, as PostgreSQL's pg_trgm measures it.

Each word is padded (two spaces before, one after) and cut into three-letter pieces;
two words are similar when they share enough pieces, so one wrong, missing or swapped
letter ("Palka" for "Pahlka", "amerika" for "america") costs only the few pieces around
it, and a word one edit away ("amercia", two letters swapped) is similar whatever it
shares. A name looks like the query when every word of the query looks like (or starts)
one of the name's words, so "ada example" does not drift to "Example Agency". An
inverted index from piece to names means a query touches only the names that share
pieces with it, never the whole index.
"""

from collections import Counter
from collections.abc import Iterable
from typing import Final

from civicgraph.readmodels.words import words

#: Queries shorter than this are left to exact and prefix matching: three letters share
#: pieces with almost every name.
MIN_LENGTH: Final = 4
#: Share of pieces two words must have in common (pg_trgm's default threshold is 0.3).
WORD_SIMILARITY: Final = 0.4
#: How similar a word one edit away counts (a letter wrong, missing, added, or two
#: swapped): a swap in the middle ("amercia") leaves too few pieces in common.
ONE_EDIT_SIMILARITY: Final = 0.7
#: Words shorter than this are not taken one edit away: "data" is not "date".
ONE_EDIT_LENGTH: Final = 5


def trigrams(word: str) -> frozenset[str]:
    """The padded three-letter pieces of one already normalized word."""
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def _similarity(left: frozenset[str], right: frozenset[str]) -> float:
    common = len(left & right)
    return common / (len(left) + len(right) - common)


def _alike(word: str, pieces: frozenset[str], own: str, own_pieces: frozenset[str]) -> float:
    """How much a query word looks like a name's word: 1 for a start of it, else the
    share of pieces in common, at least ``ONE_EDIT_SIMILARITY`` one edit away."""
    if own.startswith(word):
        return 1.0
    shared = _similarity(pieces, own_pieces)
    if len(word) >= ONE_EDIT_LENGTH and shared < ONE_EDIT_SIMILARITY and _one_edit(word, own):
        return ONE_EDIT_SIMILARITY
    return shared


def _one_edit(left: str, right: str) -> bool:
    """Whether the two words differ by one letter wrong, missing or added, or by two
    neighbours swapped (Damerau); one pass over the shorter."""
    if abs(len(left) - len(right)) > 1:
        return False
    at = next((i for i, (a, b) in enumerate(zip(left, right, strict=False)) if a != b), None)
    if at is None:
        return True  # equal, or one letter added at the end
    if len(left) > len(right):
        return left[at + 1 :] == right[at:]
    if len(left) < len(right):
        return left[at:] == right[at + 1 :]
    swapped = left[at : at + 2] == right[at : at + 2][::-1]
    return left[at + 1 :] == right[at + 1 :] or (swapped and left[at + 2 :] == right[at + 2 :])


class _Name:
    """One indexed name: its words with their pieces, and the entry it names."""

    def __init__(self, text: str, number: int) -> None:
        self.text, self.number = text, number
        self.words = [(word, trigrams(word)) for word in words(text)]

    def score(self, query: list[tuple[str, frozenset[str]]]) -> float:
        """Mean best similarity of each query word to a word of this name; 0 if one has none."""
        total = 0.0
        for word, pieces in query:
            best = max(_alike(word, pieces, own, own_pieces) for own, own_pieces in self.words)
            if best < WORD_SIMILARITY:
                return 0.0
            total += best
        return total / len(query)


class TrigramIndex:
    """Names by their pieces, each name tagged with the number of the entry it names."""

    def __init__(self, names: Iterable[tuple[str, int]]) -> None:
        self._names: list[_Name] = []
        self._postings: dict[str, list[int]] = {}
        for text, number in names:
            name = _Name(text, number)
            if not name.words:
                continue
            for piece in frozenset().union(*(pieces for _, pieces in name.words)):
                self._postings.setdefault(piece, []).append(len(self._names))
            self._names.append(name)

    def similar(self, text: str) -> dict[int, tuple[float, str]]:
        """Entry numbers whose names look like ``text``, with the best score and that name."""
        if len(text) < MIN_LENGTH:
            return {}
        query = [(word, trigrams(word)) for word in words(text)]
        pieces = frozenset().union(*(p for _, p in query))
        shared: Counter[int] = Counter()
        for piece in pieces:
            shared.update(self._postings.get(piece, ()))
        floor = WORD_SIMILARITY * len(pieces) / 2
        found: dict[int, tuple[float, str]] = {}
        for position, common in shared.items():
            if common < floor:
                continue
            name = self._names[position]
            score = name.score(query)
            if score and (name.number not in found or found[name.number][0] < score):
                found[name.number] = (score, name.text)
        return found
