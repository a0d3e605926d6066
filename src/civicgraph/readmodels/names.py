"""Entities named the way people name them: a label, another name, ``kind/slug`` or an IRI.

One resolver serves every place an entity is asked for (the explorer's boxes, the
path finder, URL parameters, the API and the CLI), so a name that works in one works
in all. Case and accents never matter. A name several entities share is not guessed
at, except that an actor or effort wins over the documents and records that carry its
name (the organization "18F" over the reports titled "18F"); otherwise the caller gets
the candidates to choose from. A name nobody has gets the names it looks like.
"""

from typing import Final

from civicgraph.errors import AmbiguousNameError, Candidate, UnknownNameError, UserInputError
from civicgraph.readmodels.search import RECORD_KINDS, Entry, SearchIndex
from civicgraph.vocab import ENTITY_BASE, ENTITY_KINDS, entity_iri

#: Most look-alike names offered when a name is unknown.
SUGGESTIONS: Final = 5


def candidate(entry: Entry) -> Candidate:
    """How one indexed entity is offered as a choice."""
    kind = ", ".join(entry.types) or entry.kind
    return Candidate(entry.label, entry.iri, kind)


def syntactic(text: str) -> str | None:
    """The IRI an IRI, ``kind/slug`` or ``/id/kind/slug`` names, without any lookup."""
    if text.startswith(("http://", "https://", "urn:")):
        return text
    path = text.removeprefix("/").removeprefix("id/")
    kind, slash, slug = path.partition("/")
    if slash and kind in ENTITY_KINDS:
        try:
            return entity_iri(kind, slug)
        except ValueError as exc:
            raise UserInputError(f"Cannot read entity {text!r}: {exc}") from exc
    return None


def _chosen(text: str, matches: list[Entry]) -> str:
    """The one entity a shared name means, or the choice handed back."""
    actors = [m for m in matches if m.kind not in RECORD_KINDS]
    if len(actors) == 1:
        return actors[0].iri
    if len(matches) == 1:
        return matches[0].iri
    ordered = sorted(actors or matches, key=lambda m: (m.label, m.iri))
    raise AmbiguousNameError(text, [candidate(m) for m in ordered])


def resolve(index: SearchIndex, text: str) -> str:
    """The IRI of the entity ``text`` names; raise with choices when that is unclear."""
    text = text.strip()
    if not text:
        raise UserInputError("Name an entity: a label, another name, kind/slug or an IRI")
    found = syntactic(text)
    if found is not None:
        return found
    matches = index.named(text)
    if matches:
        return _chosen(text, matches)
    hits = index.find(text, 1, SUGGESTIONS).hits
    looks_like = [index.entry(hit.iri) for hit in hits]
    raise UnknownNameError(text, [candidate(e) for e in looks_like if e is not None])


def display_name(index: SearchIndex, text: str) -> str:
    """What a box shows for an entity given as ``text``: its label when the label
    resolves back to it, else its ``kind/slug``; text that names no entity stays as typed."""
    try:
        iri = resolve(index, text)
    except UserInputError:
        return text
    entry = index.entry(iri)
    if entry is not None and _names_alone(index, entry.label, iri):
        return entry.label
    return iri.removeprefix(ENTITY_BASE)


def _names_alone(index: SearchIndex, label: str, iri: str) -> bool:
    try:
        return resolve(index, label) == iri
    except UserInputError:
        return False
