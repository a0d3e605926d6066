"""How users name things in URLs and on the command line, read into IRIs.

Entities may be given as full IRIs or as ``kind/slug`` (``person/patrick-atwater``);
classes and relations as IRIs, ``civ:`` names or bare ontology names (``Person``,
``memberOf``). One reader serves the web API and the CLI, so both accept the same.
"""

from collections.abc import Iterable

from civicgraph.errors import UserInputError
from civicgraph.readmodels.evidence import Confidence
from civicgraph.vocab import CIV, ENTITY_BASE, entity_iri, parse_entity_iri

_ONTOLOGY = CIV.namespace


def entity(text: str) -> str:
    """An entity IRI from an IRI or ``kind/slug``."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        if parse_entity_iri(text) is None:
            raise UserInputError(f"{text} is not an entity IRI (expected {ENTITY_BASE}kind/slug)")
        return text
    kind, _, slug = text.partition("/")
    try:
        return entity_iri(kind, slug)
    except ValueError as exc:
        raise UserInputError(f"Cannot read entity {text!r}: {exc}") from exc


def term(text: str) -> str:
    """An ontology term IRI from an IRI, ``civ:Name`` or ``Name``."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return text
    name = text.removeprefix("civ:")
    if not name.replace("_", "").isalnum():
        raise UserInputError(f"Cannot read {text!r} as a class or relation name")
    return _ONTOLOGY + name


def terms(values: Iterable[str]) -> frozenset[str] | None:
    """Term IRIs from values that may each hold several comma-separated names; None if empty."""
    names = [part for value in values for part in value.split(",") if part.strip()]
    return frozenset(term(name) for name in names) if names else None


def confidence(text: str | None) -> Confidence | None:
    """A confidence level from ``high``, ``medium`` or ``low``; None when not given."""
    if not text:
        return None
    try:
        return Confidence.parse(text)
    except ValueError as exc:
        raise UserInputError(str(exc)) from exc
