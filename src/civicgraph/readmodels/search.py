"""Search over labels, alternative names and descriptions, ranked the way people expect.

The index is built in this process from one query and rebuilt only when the dataset
version changes, so a keystroke in the typeahead costs a scan of a few thousand short
strings rather than a SPARQL round trip. Matching ignores case and accents
("jose nunez" finds "José Núñez"). Ranking: a name equal to the query, then a name
starting with it, then a name with a word starting with it, then a name containing it,
then a name holding every word of the query; descriptions come after all names, and
names that are only similar (trigrams, see ``readmodels.trigrams``) come last. The
actors and efforts found by name or description rank above the records (documents,
amounts, memberships) found so, so "18F" finds the organization and the people whose
descriptions name it before the reports titled "18F".
"""

import re
from dataclasses import dataclass
from enum import IntEnum

from civicgraph.dataset.versioned import PerVersion
from civicgraph.queries import select
from civicgraph.readmodels.labels import label_or_name
from civicgraph.readmodels.paging import page_count
from civicgraph.readmodels.trigrams import TrigramIndex
from civicgraph.readmodels.words import normalize
from civicgraph.store import GraphStore
from civicgraph.store.results import Term, term_value
from civicgraph.vocab import parse_entity_iri

#: Results a search answers with unless asked for fewer.
DEFAULT_LIMIT = 20
#: The most characters of a search's text that are read: every name is compared with
#: the text, at a cost that grows with both, and no name is this long. Entity names in
#: URLs (``/api/path?from=…``) are looked up here too.
MOST_SEARCH_CHARS = 200
#: The most words a text may have for each to be left out in turn when nothing matches
#: them all: each costs a search of its own (at 4,400 entities, a text of four words
#: that matches nothing takes 0.16 s so).
MOST_WORDS_LEFT_OUT = 4
#: Entities never offered by search: evidence records have no name of their own.
_UNSEARCHED_KINDS = frozenset({"statement"})
#: Kinds that record where a claim came from or how it was held, ranked after the
#: actors and efforts they name (a document titled "18F" comes after 18F itself).
RECORD_KINDS = frozenset({"document", "membership", "amount"})

__all__ = ["DEFAULT_LIMIT", "Hit", "Page", "SearchIndex", "Searcher", "Tier", "normalize"]


class Tier(IntEnum):
    """How well a text matches; lower is better."""

    EXACT = 0
    PREFIX = 1
    WORD = 2
    SUBSTRING = 3
    ALL_WORDS = 4
    DESCRIPTION_WORD = 5
    DESCRIPTION_SUBSTRING = 6
    SIMILAR = 7

    @property
    def group(self) -> int:
        """0 for names, 1 for descriptions, 2 for similar names: kinds rank inside each."""
        return 0 if self <= Tier.ALL_WORDS else 1 if self < Tier.SIMILAR else 2


@dataclass(frozen=True)
class Hit:
    """One search result."""

    iri: str
    label: str
    kind: str
    types: tuple[str, ...]
    matched: str
    tier: Tier
    similarity: float = 1.0

    def sort_key(self) -> tuple[bool, bool, int, int, float, int, str, str]:
        """Entities whose name or description matches, then records (documents, amounts
        named after them) that match so, then look-alikes: within each, names before
        descriptions. "18F" lists its founders, whose descriptions name it, before the
        reports and sums whose titles do."""
        is_record = self.kind in RECORD_KINDS
        return (
            self.tier.group == Tier.SIMILAR.group,
            is_record,
            self.tier.group,
            self.tier,
            -self.similarity,
            len(self.label),
            self.label.casefold(),
            self.iri,
        )


@dataclass(frozen=True)
class Page:
    """One page of results, with the total so nothing is cut off silently."""

    query: str
    total: int
    page: int
    per_page: int
    hits: tuple[Hit, ...]
    suggestion: str = ""
    #: The words the hits leave out, where nothing matched them all ('' if none is).
    without: str = ""

    @property
    def pages(self) -> int:
        """How many pages the total fills (at least one)."""
        return page_count(self.total, self.per_page)


@dataclass(frozen=True)
class Entry:
    """One named entity as the index holds it."""

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

    def __init__(self, entries: list[Entry]) -> None:
        self._entries = entries
        self._by_iri = {entry.iri: entry for entry in entries}
        self._by_name: dict[str, list[Entry]] = {}
        names: list[tuple[str, int]] = []
        for number, entry in enumerate(entries):
            keys = {name for name, _ in entry.names} | {normalize(entry.iri.rsplit("/", 1)[-1])}
            for key in keys:
                self._by_name.setdefault(key, []).append(entry)
            names.extend((name, number) for name, _ in entry.names)
        self._similar = TrigramIndex(names)

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

    def entry(self, iri: str) -> Entry | None:
        """The indexed entity with this IRI, if any."""
        return self._by_iri.get(iri)

    def named(self, text: str) -> list[Entry]:
        """Entities whose label, alternative name or slug is ``text`` (case, accents ignored)."""
        key = normalize(text)
        return list(self._by_name.get(key, ())) or list(
            self._by_name.get(key.replace(" ", "-"), ())
        )

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> list[Hit]:
        """The best ``limit`` matches for ``text``, best first; empty text finds nothing."""
        return list(self.find(text, 1, max(1, limit)).hits) if limit > 0 else []

    def find(self, text: str, page: int = 1, per_page: int = DEFAULT_LIMIT) -> Page:
        """One page of matches with their total, and a suggestion when only look-alikes
        match; of ``text``, the first ``MOST_SEARCH_CHARS`` are read."""
        text = text[:MOST_SEARCH_CHARS]
        hits = self._ranked(_Query(text))
        without = ""
        if not hits:  # not even a look-alike: a "did you mean" is a better answer
            without, hits = self._with_a_word_less(text)
        start = (max(1, page) - 1) * per_page
        suggestion = hits[0].matched if hits and not _close(hits) else ""
        return Page(
            text,
            len(hits),
            max(1, page),
            per_page,
            tuple(hits[start : start + per_page]),
            suggestion,
            without,
        )

    def _with_a_word_less(self, text: str) -> tuple[str, list[Hit]]:
        """Where nothing matches the words, what matches all but one (the word left out,
        and the hits): "Code for America founder" finds Code for America, which no text
        calls a founder. The best first hit wins; look-alikes do not count."""
        words = text.split()
        best: tuple[str, list[Hit]] = ("", [])
        if not 1 < len(words) <= MOST_WORDS_LEFT_OUT:
            return best
        for index, word in enumerate(words):
            found = self._ranked(_Query(" ".join(words[:index] + words[index + 1 :])))
            if _close(found) and (not best[1] or found[0].sort_key() < best[1][0].sort_key()):
                best = (word, found)
        return best

    def _ranked(self, query: _Query) -> list[Hit]:
        if not query.text:
            return []
        hits: dict[str, Hit] = {}
        for entry in self._entries:
            hit = _match(entry, query)
            if hit is not None:
                hits[entry.iri] = hit
        for number, (score, name) in self._similar.similar(query.text).items():
            entry = self._entries[number]
            if entry.iri not in hits:
                original = dict(entry.names).get(name, entry.label)
                hits[entry.iri] = _hit(entry, Tier.SIMILAR, original, score)
        return sorted(hits.values(), key=Hit.sort_key)


def _close(hits: list[Hit]) -> bool:
    """Whether any hit matches the text itself, not only a look-alike of it."""
    return any(hit.tier is not Tier.SIMILAR for hit in hits)


def _entry(iri: str, found: dict[str, list[Term]]) -> Entry:
    ref = parse_entity_iri(iri)
    label = label_or_name(iri, found.get("label", []))
    alts = sorted({term_value(t) for t in found.get("alt", [])} - {label})
    return Entry(
        iri=iri,
        label=label,
        kind=ref.kind if ref else "",
        types=tuple(sorted({term_value(t) for t in found.get("type", [])})),
        names=tuple((normalize(n), n) for n in (label, *alts)),
        descriptions=tuple(normalize(term_value(t)) for t in found.get("description", [])),
    )


def _hit(entry: Entry, tier: Tier, matched: str, similarity: float = 1.0) -> Hit:
    return Hit(entry.iri, entry.label, entry.kind, entry.types, matched, tier, similarity)


def _match(entry: Entry, query: _Query) -> Hit | None:
    best: tuple[Tier, str] | None = None
    for normalized, original in entry.names:
        tier = query.name_tier(normalized)
        if tier is not None and (best is None or tier < best[0]):
            best = (tier, original)
    if best is None:
        tiers = [t for t in map(query.description_tier, entry.descriptions) if t is not None]
        if tiers:
            best = (min(tiers), "")
    return None if best is None else _hit(entry, best[0], best[1])


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

    def find(self, text: str, page: int = 1, per_page: int = DEFAULT_LIMIT) -> Page:
        """One page of results over the current data."""
        return self.index().find(text, page, per_page)
