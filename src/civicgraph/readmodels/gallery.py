"""The example gallery: canned research queries with named parameters.

Each ``queries/gallery/*.rq`` file starts with a header::

    # title: Who is connected to an organization, and how
    # description: Every person, organization … linked to the chosen organization.
    # param: org iri:Organization Organization
    # default: org https://w3id.org/civicgraph/id/org/code-for-america

and writes each parameter as ``$name`` in the body (``$name`` is a SPARQL variable,
so the file runs as it is, and the chosen values are bound to it). Parameter types:
``iri:Class`` (an entity of that ontology class or a sub-class, picked from a list),
``date``, ``integer``, ``string``.
The query opens in the editor with the chosen values in a ``VALUES`` block; every
value is validated and serialized by pyoxigraph first, so no text a visitor types
reaches the query unescaped.
"""

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property

from pyoxigraph import Literal, NamedNode

from civicgraph.errors import NotFoundError, UserInputError
from civicgraph.queries import select
from civicgraph.readmodels.labels import best_label
from civicgraph.resources import queries_dir
from civicgraph.sparql.binding import bind
from civicgraph.sparql.forms import query_form
from civicgraph.store import GraphStore
from civicgraph.store.results import Term, term_value
from civicgraph.vocab import CIV, XSD, parse_entity_iri

_HEADER = re.compile(r"#\s*(title|description|param|default):\s*(.*)")
#: The header lines that describe an example's form, not its query: a rendered query
#: carries the values chosen instead, and a default it was not run with misleads.
_FORM_KEYS = ("param", "default")


@dataclass(frozen=True)
class Param:
    """A named parameter: ``iri:Organization``, ``date``, ``integer`` or ``string``."""

    name: str
    type: str
    label: str
    default: str = ""

    @property
    def class_iri(self) -> str | None:
        """For an ``iri:Class`` parameter, the ontology class its values belong to."""
        if not self.type.startswith("iri:"):
            return None
        return CIV.namespace + self.type.removeprefix("iri:")

    @property
    def input_type(self) -> str:
        """The HTML input type that collects the value."""
        return {"date": "date", "integer": "number"}.get(self.type, "text")


@dataclass(frozen=True)
class CannedQuery:
    """One gallery entry."""

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    text: str

    @cached_property
    def runnable(self) -> str:
        """The text a rendered query starts from: the file without its form's lines."""
        kept = []
        for line in self.text.splitlines():
            match = _HEADER.fullmatch(line.strip())
            if match is None or match[1] not in _FORM_KEYS:
                kept.append(line)
        return "\n".join(kept) + "\n"

    @property
    def form(self) -> str:
        """SELECT, CONSTRUCT, ASK or DESCRIBE: what the query returns."""
        return query_form(self.text) or "SELECT"


def _parse(name: str, text: str) -> CannedQuery:
    header: dict[str, str] = {}
    params: list[tuple[str, str, str]] = []
    defaults: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.fullmatch(line.strip())
        if match is None:
            continue
        key, value = match[1], match[2].strip()
        if key == "param":
            param_name, kind, label = [*value.split(None, 2), "", ""][:3]
            params.append((param_name, kind, label or param_name))
        elif key == "default":
            param_name, _, default = value.partition(" ")
            defaults[param_name] = default.strip()
        else:
            header[key] = value
    if "title" not in header:
        raise ValueError(f"gallery query {name} has no '# title:' line")
    return CannedQuery(
        name=name,
        title=header["title"],
        description=header.get("description", ""),
        params=tuple(Param(n, k, lab, defaults.get(n, "")) for n, k, lab in params),
        text=text,
    )


@cache
def gallery() -> tuple[CannedQuery, ...]:
    """Every canned query, in file-name order."""
    folder = queries_dir() / "gallery"
    return tuple(_parse(p.stem, p.read_text("utf-8")) for p in sorted(folder.glob("*.rq")))


def canned(name: str) -> CannedQuery:
    """One canned query by its file stem."""
    for query in gallery():
        if query.name == name:
            return query
    raise NotFoundError(f"No example query named {name!r}; the gallery lists them all")


def parse_value(param: Param, raw: str) -> NamedNode | Literal:
    """Check a submitted value against the parameter's type and make it an RDF term."""
    value = raw.strip()
    if param.class_iri is not None:
        if parse_entity_iri(value) is None:
            raise UserInputError(f"{param.label}: pick an entity from the list")
        return NamedNode(value)
    try:
        if param.type == "date":
            day = datetime.date.fromisoformat(value).isoformat()
            return Literal(day, datatype=XSD.date)
        if param.type == "integer":
            return Literal(str(int(value)), datatype=XSD.integer)
    except ValueError as exc:
        raise UserInputError(f"{param.label}: {value!r} is not a valid {param.type}") from exc
    return Literal(value)


def render(query: CannedQuery, values: Mapping[str, str]) -> str:
    """The query text with the chosen values bound to its ``$name`` variables.

    The values join as a ``VALUES`` block (``sparql.binding``, the same binding the
    stores use), so the text keeps its variables, a ``$name`` inside a string or a
    comment stays text, and a value can never change the query's structure.
    """
    terms: dict[str, Term] = {}
    for param in query.params:
        raw = values.get(param.name) or param.default
        if not raw:
            raise UserInputError(f"Choose a value for {param.label}")
        terms[param.name] = parse_value(param, raw)
    return bind(query.runnable, terms)


def options(store: GraphStore, param: Param) -> list[tuple[str, str]]:
    """(IRI, label) of every entity an ``iri:Class`` parameter may take, by label."""
    if param.class_iri is None:
        return []
    labels: dict[str, list[Term | None]] = {}
    for row in select(store, "gallery_options", {"class": NamedNode(param.class_iri)}):
        labels.setdefault(term_value(row["entity"]), []).append(row.get("label"))
    found = [(iri, best_label(found) or iri) for iri, found in labels.items()]
    return sorted(found, key=lambda pair: pair[1].casefold())
