"""Data typed only with FOAF, W3C ORG, schema.org or SKOS classes is first-class."""

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from civicgraph.config import Settings
from civicgraph.dataset.loader import load_bundled, load_file
from civicgraph.dataset.stats import class_counts
from civicgraph.queries import named_query
from civicgraph.store import EmbeddedStore
from civicgraph.vocab import ENTITY_BASE, PREFIXES, STANDARD_CLASSES
from civicgraph.webapp import create_app
from tests.conftest import DATA
from tests.live import NETWORK_WAIT

GRACE = ENTITY_BASE + "person/grace-standard"
LAB = ENTITY_BASE + "org/plain-vocab-lab"
FRIENDS = ENTITY_BASE + "org/friends-of-foaf"
MEETUP = ENTITY_BASE + "event/schema-meetup"
GOAL = ENTITY_BASE + "goal/open-vocabularies"


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    store = EmbeddedStore()
    load_bundled(store)
    load_file(store, DATA / "standard.ttl")
    settings = Settings(store="memory", load_bundled=False, network_wait=NETWORK_WAIT)
    app = create_app(settings, store=store)
    yield app.test_client()
    store.close()


@pytest.mark.parametrize("name", ["network_entities", "class_counts", "search_index"])
def test_queries_hold_the_one_alignment_table(name: str) -> None:
    pairs = re.findall(r"\((\w+):(\w+) civ:(\w+)\)", named_query(name))
    table = {PREFIXES[p] + local: PREFIXES["civ"] + civ for p, local, civ in pairs}
    assert table == STANDARD_CLASSES


@pytest.mark.parametrize(
    ("text", "iri", "kind"),
    [
        ("grace standard", GRACE, "Person"),
        ("Plain Vocabulary Lab", LAB, "Organization"),
        ("friends of foaf", FRIENDS, "Organization"),
        ("schema meetup", MEETUP, "Event"),
        ("open vocabularies", GOAL, "Goal"),
    ],
)
def test_search_finds_them_with_their_class(
    client: FlaskClient, text: str, iri: str, kind: str
) -> None:
    (first, *_) = client.get("/search.json", query_string={"q": text}).get_json()["results"]
    assert (first["iri"], first["types"]) == (iri, [kind])


def test_entity_page_shows_the_name_and_links(client: FlaskClient) -> None:
    html = client.get("/id/person/grace-standard").get_data(as_text=True)
    assert "<title>Grace Standard" in html
    assert "Plain Vocabulary Lab" in html


def test_network_has_them_as_nodes_and_edges(client: FlaskClient) -> None:
    body = client.get("/api/graph", query_string={"focus": "Grace Standard"}).get_json()
    nodes = {n["id"]: n for n in body["nodes"]}
    assert {GRACE, LAB, FRIENDS} <= set(nodes)
    assert nodes[GRACE]["label"] == "Grace Standard"
    assert len(body["edges"]) >= 2


def test_class_counts_count_them_under_the_aligned_class() -> None:
    store = EmbeddedStore()
    load_file(store, DATA / "standard.ttl")
    counts = {c.iri: c.count for c in class_counts(store)}
    civ = PREFIXES["civ"]
    assert counts == {civ + "Person": 1, civ + "Organization": 2, civ + "Event": 1, civ + "Goal": 1}


def test_browse_lists_them_under_the_aligned_class(client: FlaskClient) -> None:
    people = client.get("/browse/Person.json").get_json()
    assert GRACE in {item["iri"] for item in people["items"]}
    organizations = client.get("/browse/Organization.json?limit=500").get_json()
    assert {LAB, FRIENDS} <= {item["iri"] for item in organizations["items"]}
