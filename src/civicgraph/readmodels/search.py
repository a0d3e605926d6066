"""Search over labels, alternative names and descriptions, ranked the way people expect.

The index is built in this process from one query and rebuilt only when the dataset
version changes, so a keystroke in the typeahead costs a scan of a few thousand short
strings rather than a SPARQL round trip. Matching ignores case and accents
("jose nunez" finds "José Núñez"). Ranking: a name equal to the query, then a name
starting with it, then a name with a word starting with it, then a name containing it,
then a name holding every word of the query; descriptions come after all names.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum

from civicgraph.dataset.versioned import PerVersion
from civicgraph.queries import select
from civicgraph.readmodels.labels import label_or_name
from civicgraph.store import GraphStore
from civicgraph.store.results import Term, term_value
from civicgraph.vocab import parse_entity_iri

#: Results a search answers with unless asked for fewer.
DEFAULT_LIMIT = 20
#: Entities never offered by search: evidence records have no name of their own.
_UNSEARCHED_KINDS = frozenset({"statement"})


class Tier(IntEnum):
    """How well a text matches; lower is better."""

    EXACT = 0
    PREFIX = 1
    WORD = 2
    SUBSTRING = 3
    ALL_WORDS = 4
    DESCRIPTION_WORD = 5
    DESCRIPTION_SUBSTRING = 6


def normalize(text: str) -> str:
    """Fold case and strip accents and extra spaces, for comparison only."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True)
class Hit:
    """One search result."""

    iri: str
    label: str
    kind: str
    types: tuple[str, ...]
    matched: str
    tier: Tier


@dataclass(frozen=True)
class _Entry:
    iri: str
    label: str
    kind: str
    types: tuple[str, ...]
    names: tuple[tuple[str, str], ...]  # (normalized, original): the label first
    descriptions: tuple[str, ...]


class _Query:
    """A normalized query with the patterns each tier tests."""

    def __init__(self, text: str) -> None:
        self.text = normalize(text)
        self.word = re.compile(r"(?<!\w)" + re.escape(self.text))
        self.words = [re.compile(r"(?<!\w)" + re.escape(w)) for w in self.text.split()]

    def name_tier(self, name: str) -> Tier | None:
        if name == self.text:
            return Tier.EXACT
        if name.startswith(self.text):
            return Tier.PREFIX
        if self.word.search(name):
            return Tier.WORD
        if self.text in name:
            return Tier.SUBSTRING
        if len(self.words) > 1 and all(w.search(name) for w in self.words):
            return Tier.ALL_WORDS
        return None

    def description_tier(self, description: str) -> Tier | None:
        if self.word.search(description):
            return Tier.DESCRIPTION_WORD
        if self.text in description:
            return Tier.DESCRIPTION_SUBSTRING
        return None


class SearchIndex:
    """An immutable index of every named entity."""

    def __init__(self, entries: list[_Entry]) -> None:
        self._entries = entries
        self._by_iri = {entry.iri: entry for entry in entries}

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def build(cls, store: GraphStore) -> "SearchIndex":
        """Read every searchable text in one query."""
        fields: dict[str, dict[str, list[Term]]] = {}
        for row in select(store, "search_index"):
            iri = term_value(row["entity"])
            ref = parse_entity_iri(iri)
            if ref is None or ref.kind in _UNSEARCHED_KINDS:
                continue
            fields.setdefault(iri, {}).setdefault(term_value(row["field"]), []).append(row["text"])
        named = sorted((i, f) for i, f in fields.items() if "label" in f or "alt" in f)
        return cls([_entry(iri, found) for iri, found in named])

    def labels(self, iris: list[str]) -> dict[str, str]:
        """The labels of those IRIs that name an indexed entity."""
        return {iri: self._by_iri[iri].label for iri in iris if iri in self._by_iri}

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> list[Hit]:
        """The best ``limit`` matches for ``text``, best first; empty text finds nothing."""
        query = _Query(text)
        if not query.text:
            return []
        scored = []
        for entry in self._entries:
            hit = _match(entry, query)
            if hit is not None:
                scored.append(((hit.tier, len(hit.label), hit.label.casefold(), hit.iri), hit))
        scored.sort(key=lambda pair: pair[0])
        return [hit for _, hit in scored[: max(0, limit)]]


def _entry(iri: str, found: dict[str, list[Term]]) -> _Entry:
    ref = parse_entity_iri(iri)
    label = label_or_name(iri, found.get("label", []))
    alts = sorted({term_value(t) for t in found.get("alt", [])} - {label})
    return _Entry(
        iri=iri,
        label=label,
        kind=ref.kind if ref else "",
        types=tuple(sorted({term_value(t) for t in found.get("type", [])})),
        names=tuple((normalize(n), n) for n in (label, *alts)),
        descriptions=tuple(normalize(term_value(t)) for t in found.get("description", [])),
    )


def _match(entry: _Entry, query: _Query) -> Hit | None:
    best: tuple[Tier, str] | None = None
    for normalized, original in entry.names:
        tier = query.name_tier(normalized)
        if tier is not None and (best is None or tier < best[0]):
            best = (tier, original)
    if best is None:
        tiers = [t for t in map(query.description_tier, entry.descriptions) if t is not None]
        if tiers:
            best = (min(tiers), "")
    if best is None:
        return None
    return Hit(entry.iri, entry.label, entry.kind, entry.types, best[1], best[0])


class Searcher:
    """Keeps one index per store, rebuilt when the dataset version changes."""

    def __init__(self, store: GraphStore) -> None:
        self._index = PerVersion(store, SearchIndex.build)

    def index(self) -> SearchIndex:
        """The index of the data as loaded now."""
        return self._index.get()

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> list[Hit]:
        """Search the current data."""
        return self.index().search(text, limit)
