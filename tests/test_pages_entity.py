"""Entity pages: HTML with evidence, RDF twins by suffix and by negotiation, 404s."""

import time
from collections.abc import Iterator

import pytest
import requests
from flask.testing import FlaskClient
from pyoxigraph import NamedNode, RdfFormat, Triple, parse

from civicgraph.formats import by_name
from tests.conftest import APP_BACKENDS, WORKBENCH_FILES, app_over
from tests.live import NETWORK_WAIT, LiveServer

CFE = "https://w3id.org/civicgraph/id/org/code-for-example"
FOUNDED_BY_ADA = Triple(
    NamedNode(CFE),
    NamedNode("https://w3id.org/civicgraph/ontology#founder"),
    NamedNode("https://w3id.org/civicgraph/id/person/ada-lovelace"),
)
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module", params=APP_BACKENDS)
def workbench_client(request: pytest.FixtureRequest) -> Iterator[FlaskClient]:
    """The workbench fixtures in memory and on each SPARQL server the suite runs."""
    with app_over(request, request.param, WORKBENCH_FILES) as app:
        yield app.test_client()


def test_a_statement_is_named_by_what_it_claims(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/id/statement/cfe-founder", headers=HTML).get_data(as_text=True)
    assert "<h1>Code for Example · founder: Ada Lovelace</h1>" in html
    assert "<title>Code for Example · founder: Ada Lovelace · civicgraph</title>" in html
    assert "One claim and the evidence for it" in html
    parts = [
        html.index(f'#{part}">{part}</span></dt>') for part in ("subject", "predicate", "object")
    ]
    assert parts == sorted(parts)  # in the order the claim reads, not alphabetically


def test_evidence_links_to_the_claim_that_records_it(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/id/org/code-for-example", headers=HTML).get_data(as_text=True)
    assert '<a class="claim" href="/id/statement/cfe-founder"' in html


def test_page_shows_label_type_evidence_and_links(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/id/org/code-for-example", headers=HTML).get_data(as_text=True)
    assert "<h1>Code for Example</h1>" in html
    assert 'href="/ontology#Nonprofit"' in html
    ada = "https://w3id.org/civicgraph/id/person/ada-lovelace"
    assert f'href="/id/person/ada-lovelace" title="{ada}">Ada Lovelace</a>' in html
    assert "paragraph 2" in html
    assert (
        'href="/graph?focus=https%3A%2F%2Fw3id.org%2Fcivicgraph%2Fid%2Forg%2Fcode-for-example"'
        in html
    )


def test_page_advertises_its_rdf_twins(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/id/org/code-for-example").get_data(as_text=True)
    assert '<link rel="alternate" type="text/turtle" href="/id/org/code-for-example.ttl"' in html
    assert 'type="application/ld+json" href="/id/org/code-for-example.jsonld"' in html


@pytest.mark.parametrize(
    ("path", "accept", "fmt"),
    [
        ("/id/org/code-for-example.ttl", "*/*", "turtle"),
        ("/id/org/code-for-example.jsonld", "*/*", "jsonld"),
        ("/id/org/code-for-example.nt", "*/*", "ntriples"),
        ("/id/org/code-for-example", "text/turtle", "turtle"),
        ("/id/org/code-for-example", "application/ld+json", "jsonld"),
    ],
)
def test_rdf_twin_by_suffix_or_accept(
    workbench_client: FlaskClient, path: str, accept: str, fmt: str
) -> None:
    response = workbench_client.get(path, headers={"Accept": accept})
    assert (response.status_code, response.mimetype) == (200, by_name(fmt).media_type)
    triples = [q.triple for q in parse(response.data, by_name(fmt).rdf_format)]
    assert FOUNDED_BY_ADA in triples


def test_the_rdf_twin_writes_each_subject_once_the_entity_first(
    workbench_client: FlaskClient,
) -> None:
    """In the order the query found them, Turtle wrote the entity's subject five times."""
    triples = [
        q.triple
        for q in parse(workbench_client.get("/id/person/jose-nunez.nt").data, RdfFormat.N_TRIPLES)
    ]
    runs = [
        t.subject for i, t in enumerate(triples) if i == 0 or t.subject != triples[i - 1].subject
    ]
    assert runs[0] == NamedNode("https://w3id.org/civicgraph/id/person/jose-nunez")
    assert len(runs) == len(set(runs)) > 3


def test_the_rdf_twin_holds_what_the_page_shows_of_a_role(workbench_client: FlaskClient) -> None:
    """A person's roles (the organization, the role, the dates), the claims that back
    them and their sources' titles: the export held the role's IRI and label only."""
    response = workbench_client.get("/id/person/jose-nunez.nt")
    triples = {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in parse(response.data, by_name("ntriples").rdf_format)
    }
    role = "<https://w3id.org/civicgraph/id/membership/nunez-at-cfe>"
    civ = "https://w3id.org/civicgraph/ontology#"
    assert (role, f"<{civ}organization>", f"<{CFE}>") in triples
    assert (role, f"<{civ}role>", '"Director"') in triples
    claim = "<https://w3id.org/civicgraph/id/statement/nunez-from>"
    assert (claim, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#subject>", role) in triples
    title = '"Field notes on civic technology"@en'
    assert any(o == title for _, _, o in triples)


def test_browser_accept_header_gets_html(workbench_client: FlaskClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = workbench_client.get("/id/org/code-for-example", headers={"Accept": accept})
    assert response.mimetype == "text/html"
    assert response.headers["Vary"] == "Accept"


def test_unknown_entity_is_a_404_page_offering_search(workbench_client: FlaskClient) -> None:
    response = workbench_client.get("/id/person/no-such-person", headers=HTML)
    assert response.status_code == 404
    assert 'action="/search"' in response.get_data(as_text=True)
    assert 'value="no such person"' in response.get_data(as_text=True)
    assert 'the <a href="/">home page</a>' in response.get_data(as_text=True)


def test_unknown_entity_rdf_is_a_404(workbench_client: FlaskClient) -> None:
    response = workbench_client.get("/id/person/no-such-person.ttl", headers=HTML)
    assert response.status_code == 404


def test_unknown_kind_or_format_is_a_404(workbench_client: FlaskClient) -> None:
    assert workbench_client.get("/id/planet/earth").status_code == 404
    assert workbench_client.get("/id/org/code-for-example.exe").status_code == 404


def test_memberships_show_role_and_dates(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/id/person/jose-nunez", headers=HTML).get_data(as_text=True)
    assert '<td data-label="Role">Director</td>' in html
    assert '<td data-label="From">2015-01-01</td>' in html


def test_a_membership_s_claim_is_the_membership_not_its_dates(
    workbench_client: FlaskClient,
) -> None:
    """Its statements cite one paragraph, which is shown once: by the statement that
    records the membership (it showed the start date's, first by name)."""
    html = workbench_client.get("/id/person/jose-nunez", headers=HTML).get_data(as_text=True)
    assert '<a class="claim" href="/id/statement/nunez-membership"' in html
    assert "/id/statement/nunez-from" not in html


def test_a_value_shows_the_evidence_for_it(workbench_client: FlaskClient) -> None:
    """A date is a claim as a relation is (it showed no source)."""
    html = workbench_client.get("/id/org/code-for-example", headers=HTML).get_data(as_text=True)
    founded = html[html.index('title="http://www.w3.org/2001/XMLSchema#gYear"') :]
    assert founded.index('href="/id/statement/cfe-founding-date"') < founded.index("</li>")
    assert "paragraph 1" in founded[: founded.index("</li>")]


def test_an_entity_the_network_folds_into_an_edge_offers_no_network(
    workbench_client: FlaskClient,
) -> None:
    membership = workbench_client.get("/id/membership/nunez-at-cfe", headers=HTML)
    html = membership.get_data(as_text=True)
    assert membership.status_code == 200
    assert "Explore its network" not in html
    assert 'id="ego-network"' not in html
    assert 'href="/id/person/jose-nunez"' in html  # its member and organization are listed
    assert 'href="/id/org/code-for-example"' in html
    statement = workbench_client.get("/id/statement/cfe-founder", headers=HTML)
    assert 'href="/id/org/code-for-example"' in statement.get_data(as_text=True)  # its subject
    assert 'href="/id/person/ada-lovelace"' in statement.get_data(as_text=True)  # its object
    person = workbench_client.get("/id/person/jose-nunez", headers=HTML).get_data(as_text=True)
    assert "Explore its network" in person
    assert 'id="ego-network"' in person


def test_a_document_page_links_its_address_and_says_in_words_it_has_no_title(
    live_server: LiveServer,
) -> None:
    page = requests.get(f"{live_server.url}/id/document/bloomberg-2011-pahlka", timeout=30).text
    address = "https://www.bloomberg.com/news/articles/2011-04-07/innovator-jennifer-pahlka"
    assert f'<a class="literal" href="{address}"' in page
    assert 'rel="noopener noreferrer"' in page
    assert "The source gives no title" in page
    assert "label is descriptive" not in page


def test_an_unknown_address_is_a_404_page_in_our_words_offering_search(
    workbench_client: FlaskClient,
) -> None:
    page = workbench_client.get("/nonexistent-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert b"There is no page at /nonexistent-page" in page.data
    assert b'role="search"' in page.data
    answer = workbench_client.get("/nonexistent-page", headers={"Accept": "application/json"})
    assert answer.get_json()["detail"].startswith("There is no page at /nonexistent-page")


def test_evidence_says_what_its_pill_measures(live_server: LiveServer) -> None:
    page = requests.get(f"{live_server.url}/id/org/code-for-america", timeout=30).text
    assert ">high confidence</span>" in page
    assert 'title="How sure this source is of the claim"' in page


def test_an_entity_of_a_kind_the_network_draws_but_not_drawn_offers_no_network(
    live_server: LiveServer,
) -> None:
    """An information system is filed among the initiatives, but the network leaves
    it out: its page offered a drawing that stayed blank and a link to an error."""
    html = {"Accept": "text/html"}
    url = f"{live_server.url}/id/initiative/cws-cms"
    # While a serving process has yet to read the network, the page goes by the kind.
    deadline = time.monotonic() + NETWORK_WAIT
    while "Explore its network" in (system := requests.get(url, headers=html, timeout=30)).text:
        assert time.monotonic() < deadline, "the page never read the network"
        time.sleep(0.2)
    assert system.status_code == 200
    assert 'id="ego-network"' not in system.text
    assert "The network explorer leaves this out" in system.text
    drawn = requests.get(f"{live_server.url}/id/org/code-for-america", headers=html, timeout=30)
    assert 'id="ego-network"' in drawn.text


def test_a_view_of_a_day_before_its_focus_began_names_it(live_server: LiveServer) -> None:
    params = {"focus": "Code for America", "as_of": "2007-01-01"}
    answer = requests.get(f"{live_server.url}/api/graph", params=params, timeout=30)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "Code for America has no relation on record on that day"
