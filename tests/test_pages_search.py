"""Search page and its JSON twin share one ranking."""

import pytest
import requests
from flask.testing import FlaskClient

from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer


def test_search_json_ranks_and_links(workbench_client: FlaskClient) -> None:
    body = workbench_client.get("/search.json", query_string={"q": "code"}).get_json()
    assert [(r["label"], r["rank"]) for r in body["results"]] == [
        ("Code for Example", "prefix"),
        ("Example Code Works", "word"),
        ("Open Example", "description_word"),
    ]
    assert body["results"][0]["url"] == "/id/org/code-for-example"
    assert body["results"][0]["types"] == ["Nonprofit"]


def test_search_page_lists_the_same_order(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/search", query_string={"q": "code"}).get_data(as_text=True)
    first, second = html.index("Code for Example</a>"), html.index("Example Code Works</a>")
    assert first < second


def test_search_page_without_results_says_so(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/search", query_string={"q": "zzzz"}).get_data(as_text=True)
    assert "Nothing in the graph is named or described with “zzzz”" in html
    assert "Try part of a name" in html


def test_a_page_past_the_last_says_how_many_there_are(workbench_client: FlaskClient) -> None:
    query = {"q": "code", "page": "99"}
    html = workbench_client.get("/search", query_string=query).get_data(as_text=True)
    assert "Nothing in the graph is named" not in html
    assert "There is no page 99: “code” has 3 results on 1 page." in html
    assert 'href="/search?q=code">See the first page' in html


def test_an_empty_search_says_what_to_type(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/search").get_data(as_text=True)
    assert "Type a name to find a person" in html


def test_search_limit_is_bounded(workbench_client: FlaskClient) -> None:
    body = workbench_client.get("/search.json", query_string={"q": "e", "limit": 1}).get_json()
    assert len(body["results"]) == 1


def test_every_page_has_the_search_box(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/gallery").get_data(as_text=True)
    assert 'name="q" type="search"' in html
    assert 'data-suggest="/search.json"' in html
    assert "site-search.js" in html  # makes the box a combobox with suggestions


def test_search_sees_an_entity_written_by_sparql_update(writable_server: LiveServer) -> None:
    label = "Freshly Written Collective"
    update = (
        "INSERT DATA { GRAPH <urn:test:search-fresh> { "
        "<https://w3id.org/civicgraph/id/org/freshly-written> "
        "a <https://w3id.org/civicgraph/ontology#Organization> ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "{label}" }} }}'
    )
    search = f"{writable_server.url}/search.json"
    assert requests.get(search, params={"q": "freshly"}, timeout=10).json()["results"] == []
    written = requests.post(
        f"{writable_server.url}/update",
        data=update.encode(),
        headers={
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {WRITE_TOKEN}",
        },
        timeout=10,
    )
    assert written.status_code == 204
    found = requests.get(search, params={"q": "freshly"}, timeout=10).json()["results"]
    assert [r["label"] for r in found] == [label]


def test_search_counts_and_pages_instead_of_cutting(live_server: LiveServer) -> None:
    first = requests.get(f"{live_server.url}/search.json", params={"q": "california"}, timeout=30)
    body = first.json()
    assert body["total"] > len(body["results"]) == 20
    assert body["pages"] > 1
    second = requests.get(
        f"{live_server.url}/search.json", params={"q": "california", "page": 2}, timeout=30
    ).json()
    assert {r["iri"] for r in body["results"]}.isdisjoint(r["iri"] for r in second["results"])
    html = requests.get(f"{live_server.url}/search", params={"q": "california"}, timeout=30).text
    assert f"{body['total']} results" in html
    assert 'rel="next" href="/search?page=2&amp;q=california"' in html


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Jennifer Palka", "Jennifer Pahlka"),
        ("code for amerika", "Code for America"),
        ("code for amercia", "Code for America"),  # two letters swapped: it found nothing
    ],
)
def test_typos_find_the_entity_and_say_did_you_mean(
    live_server: LiveServer, typed: str, found: str
) -> None:
    body = requests.get(f"{live_server.url}/search.json", params={"q": typed}, timeout=30).json()
    assert (body["results"][0]["label"], body["did_you_mean"]) == (found, found)
    html = requests.get(f"{live_server.url}/search", params={"q": typed}, timeout=30).text
    assert "Did you mean" in html


def test_a_word_nothing_holds_is_left_out_and_said_to_be(live_server: LiveServer) -> None:
    """No text calls Code for America a founder: the search found nothing at all."""
    params = {"q": "Code for America founder"}
    body = requests.get(f"{live_server.url}/search.json", params=params, timeout=30).json()
    assert (body["results"][0]["label"], body["without"]) == ("Code for America", "founder")
    html = requests.get(f"{live_server.url}/search", params=params, timeout=30).text
    assert "These match it without “founder”" in html
    nothing = requests.get(
        f"{live_server.url}/search.json", params={"q": "xyzzy plugh"}, timeout=30
    )
    assert (nothing.json()["total"], nothing.json()["without"]) == (0, None)


def test_a_typo_finds_every_name_the_right_spelling_finds(live_server: LiveServer) -> None:
    """Every name holding the right spelling, possessives included: "amerika" looked
    like "America" but not like "America's"."""

    def names(typed: str) -> set[str]:
        params = {"q": typed, "limit": 100}
        body = requests.get(f"{live_server.url}/search.json", params=params, timeout=30).json()
        return {r["label"] for r in body["results"] if "code for america" in r["label"].lower()}

    right = names("Code for America")
    assert any("America's" in name for name in right)
    assert names("code for amerika") >= right


def test_a_possessive_finds_the_name_and_letters_alone_find_nothing_alike(
    live_server: LiveServer,
) -> None:
    def found(typed: str) -> list[str]:
        body = requests.get(f"{live_server.url}/search.json", params={"q": typed}, timeout=30)
        return [r["label"] for r in body.json()["results"]]

    assert found("pahlka's")[0] == "Jennifer Pahlka"
    assert found("(a)(b)") == []


@pytest.mark.parametrize(("typed", "kind"), [("18F", "org"), ("newsom", "person")])
def test_the_entity_comes_before_documents_that_share_its_name(
    live_server: LiveServer, typed: str, kind: str
) -> None:
    body = requests.get(f"{live_server.url}/search.json", params={"q": typed}, timeout=30).json()
    assert body["results"][0]["kind"] == kind


def test_actors_named_in_descriptions_come_before_records_named_after_the_text(
    live_server: LiveServer,
) -> None:
    """ "18F": its founders, whose descriptions name it, before the reports and sums
    titled after it (a sum named after an 18F post came third)."""
    body = requests.get(f"{live_server.url}/search.json", params={"q": "18F"}, timeout=30)
    kinds = [r["kind"] for r in body.json()["results"]]
    labels = [r["label"] for r in body.json()["results"]]
    first_record = min(kinds.index(k) for k in ("document", "amount") if k in kinds)
    assert labels.index("Aaron Snow") < first_record
    assert all(k not in ("document", "amount") for k in kinds[:first_record])
