"""How users name things in URLs and on the command line, read into IRIs.

Entities may be given by label or other name ("Code for America"), as ``kind/slug``
(``person/patrick-atwater``) or as full IRIs, resolved by ``readmodels.names``;
classes and relations as IRIs, ``civ:`` names or bare ontology names (``Person``,
``memberOf``). One reader serves the web API and the CLI, so both accept the same.
"""

from collections.abc import Callable, Iterable

from civicgraph.errors import UserInputError
from civicgraph.readmodels import names
from civicgraph.readmodels.evidence import Confidence
from civicgraph.readmodels.search import SearchIndex
from civicgraph.vocab import CIV

_ONTOLOGY = CIV.namespace


def entity(text: str, index: Callable[[], SearchIndex] | None = None) -> str:
    """An entity IRI from ``kind/slug``, an IRI, or a name (looked up in ``index()``).

    The index is asked for only when the text is a name: building it reads every
    entity's labels, which an IRI or ``kind/slug`` never needs.
    """
    found = names.syntactic(text.strip())
    if found is not None:
        return found
    if index is None:
        raise UserInputError(f"Cannot read entity {text!r}: give kind/slug or an IRI")
    return names.resolve(index(), text)


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
