"""Every query the app runs, and every gallery query, answers alike on every server.

A server may refuse a query (Virtuoso 7's compiler fails on some filters inside a
UNION) or, worse, run it with a filter silently left out; comparing each answer with
the embedded store's over the same bundled data catches both.
"""

from collections import Counter
from collections.abc import Iterator

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from civicgraph.dataset.loader import load_bundled
from civicgraph.queries import named_query
from civicgraph.readmodels.gallery import gallery, options, render
from civicgraph.resources import queries_dir
from civicgraph.store import GraphStore, RemoteStore
from civicgraph.store.results import AskResult, GraphResult, QueryResult, SelectResult, Term
from tests.conftest import REMOTE_SERVERS, remote_settings

ID = "https://w3id.org/civicgraph/id/"
#: What the app binds in its queries: an organization with many relations, a class.
ENTITY: dict[str, Term] = {"entity": NamedNode(ID + "org/code-for-america")}
CLASS: dict[str, Term] = {"class": NamedNode("https://w3id.org/civicgraph/ontology#Organization")}
APP_QUERIES = sorted(p.stem for p in queries_dir().glob("*.rq"))
GALLERY = {q.name: q for q in gallery()}


@pytest.fixture(scope="module", params=REMOTE_SERVERS)
def server(request: pytest.FixtureRequest) -> Iterator[RemoteStore]:
    """Each SPARQL server the suite runs, holding the bundled data."""
    store = RemoteStore(remote_settings(request, request.param, query_timeout=60))
    load_bundled(store)
    yield store
    store.close()


def _bindings(name: str) -> dict[str, Term]:
    if name.startswith("entity_"):
        return ENTITY
    if name == "aligned_uses":  # unbound, it lists a server's own vocabularies too
        return {"term": NamedNode("http://www.w3.org/2000/01/rdf-schema#label")}
    return CLASS if name == "gallery_options" else {}


def _comparable(result: QueryResult) -> object:
    """The answer as a multiset, blank nodes made anonymous (their labels differ)."""
    if isinstance(result, AskResult):
        return result.value
    if isinstance(result, SelectResult):
        return Counter(tuple(_term(t) for t in row) for row in result.rows)
    assert isinstance(result, GraphResult)
    return Counter((_term(t.subject), _term(t.predicate), _term(t.object)) for t in result.triples)


def _term(term: Term | None) -> object:
    if isinstance(term, BlankNode):
        return "_:"
    if isinstance(term, Triple):
        return (_term(term.subject), _term(term.predicate), _term(term.object))
    return term if isinstance(term, NamedNode | Literal) or term is None else str(term)


def _same_answer(
    server: GraphStore, bundled_store: GraphStore, text: str, bindings: dict[str, Term]
) -> None:
    expected = bundled_store.query(text, bindings=bindings)
    answer = server.query(text, bindings=bindings)
    assert type(answer) is type(expected)
    assert _comparable(answer) == _comparable(expected)


@pytest.mark.parametrize("name", APP_QUERIES)
def test_app_query_answers_as_embedded(
    server: RemoteStore, bundled_store: GraphStore, name: str
) -> None:
    _same_answer(server, bundled_store, named_query(name), _bindings(name))


@pytest.mark.parametrize("name", sorted(GALLERY))
def test_gallery_query_answers_as_embedded(
    server: RemoteStore, bundled_store: GraphStore, name: str
) -> None:
    query = GALLERY[name]
    values = {p.name: options(bundled_store, p)[0][0] for p in query.params if not p.default}
    _same_answer(server, bundled_store, render(query, values), {})
