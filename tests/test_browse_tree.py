"""The class tables' tree holds whatever shape the ontology's sub-classes take: a chain
deeper than the interpreter's recursion limit, a cycle with no top class."""

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore
from civicgraph.webapp import readmodels
from tests.conftest import client_over

PREFIXES = """
@prefix civ: <https://w3id.org/civicgraph/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
ENTITY = '<https://w3id.org/civicgraph/id/person/someone> a civ:{cls} ; rdfs:label "Someone" .\n'
DEPTH = 3000


def _client(turtle: str) -> Iterator[FlaskClient]:
    store = EmbeddedStore()
    store.load((PREFIXES + turtle).encode(), by_name("turtle"), "https://example.org/ontology")
    yield client_over(store)
    store.close()


@pytest.fixture(scope="module")
def chain() -> Iterator[FlaskClient]:
    classes = "".join(
        f'civ:Deep{n} a owl:Class ; rdfs:label "Deep {n}" ; rdfs:subClassOf civ:Deep{n + 1} .\n'
        for n in range(DEPTH)
    )
    top = f'civ:Deep{DEPTH} a owl:Class ; rdfs:label "Deep {DEPTH}" .\n'
    yield from _client(classes + top + ENTITY.format(cls="Deep0"))


def test_a_chain_deeper_than_the_recursion_limit_is_listed_whole(chain: FlaskClient) -> None:
    classes = chain.get("/browse.json").get_json()["classes"]
    assert [c["depth"] for c in classes] == list(range(DEPTH + 1))
    assert {c["count"] for c in classes} == {1}
    assert chain.get("/").status_code == 200


def test_a_cycle_of_sub_classes_leaves_no_class_out() -> None:
    turtle = (
        'civ:Agent a owl:Class ; rdfs:label "Agent" ; rdfs:subClassOf civ:Loop .\n'
        'civ:Loop a owl:Class ; rdfs:label "Loop" ; rdfs:subClassOf civ:Agent .\n'
        'civ:Person a owl:Class ; rdfs:label "Person" ; rdfs:subClassOf civ:Agent .\n'
        + ENTITY.format(cls="Person")
    )
    for client in _client(turtle):
        classes = client.get("/browse.json").get_json()["classes"]
        assert {c["name"] for c in classes} == {"Agent", "Loop", "Person"}
        assert all(c["count"] == 1 for c in classes)


def test_the_rows_are_worked_out_once_per_version_not_per_page(chain: FlaskClient) -> None:
    with chain.application.app_context():
        first = readmodels.browse().class_rows(readmodels.ontology())
        again = readmodels.browse().class_rows(readmodels.ontology())
    assert again is first


def test_the_ontology_page_draws_a_deep_chain_and_a_lattice_once_each(chain: FlaskClient) -> None:
    page = chain.get("/ontology").get_data(as_text=True)
    tree = page.split('class="tree">', 1)[1].split("</nav>", 1)[0]
    assert tree.count("<li") == DEPTH + 1
    assert f'padding-left: calc({DEPTH} * 1.1rem)"><a href="#Deep0">' in tree


def test_a_lattice_of_classes_is_drawn_once_per_class() -> None:
    width = 60  # each class under every class before it: drawn under each, past any bound
    turtle = "".join(
        f'civ:L{n} a owl:Class ; rdfs:label "L {n:02}"'
        + "".join(f" ; rdfs:subClassOf civ:L{m}" for m in range(n))
        + " .\n"
        for n in range(width)
    )
    for client in _client(turtle + ENTITY.format(cls=f"L{width - 1}")):
        page = client.get("/ontology").get_data(as_text=True)
        tree = page.split('class="tree">', 1)[1].split("</nav>", 1)[0]
        assert tree.count("<li") == width
