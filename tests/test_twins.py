"""A page's address answers its JSON twin to a client that asks for JSON."""

import pytest
import requests

from tests.live import LiveServer

PAGES = [
    "/",
    "/search?q=code",
    "/browse/Person",
    "/gallery",
    "/gallery/07-roles-in-an-organization",
    "/versions",
    "/ontology",
    "/export",
    "/graph?focus=Code%20for%20America",
]
JSON = {"Accept": "application/json"}
SD = "http://www.w3.org/ns/sparql-service-description#"


@pytest.mark.server
@pytest.mark.parametrize("path", PAGES)
def test_a_page_answers_json_when_asked_and_html_otherwise(
    live_server: LiveServer, path: str
) -> None:
    asked = requests.get(live_server.url + path, headers=JSON, timeout=30)
    assert asked.headers["Content-Type"].startswith("application/json")
    assert asked.json()
    assert "Accept" in asked.headers["Vary"]
    joiner = "&" if "?" in path else "?"
    named = requests.get(f"{live_server.url}{path}{joiner}format=json", timeout=30)
    assert named.json() == asked.json()
    page = requests.get(live_server.url + path, timeout=30)  # */*: the page
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Accept" in page.headers["Vary"]


@pytest.mark.server
@pytest.mark.parametrize(
    ("suffix", "headers"),
    [(".json", {}), ("", JSON), ("?format=json", {})],
    ids=["suffix", "accept", "format"],
)
def test_an_entity_asked_for_json_answers_its_json_ld(
    live_server: LiveServer, suffix: str, headers: dict[str, str]
) -> None:
    answer = requests.get(
        f"{live_server.url}/id/org/code-for-america{suffix}", headers=headers, timeout=30
    )
    assert answer.headers["Content-Type"].startswith("application/ld+json")
    assert "Code for America" in answer.text


@pytest.mark.server
@pytest.mark.parametrize("path", ["/browse/Nope", "/id/person/nobody-xyz", "/id/nokind/x"])
def test_an_error_at_an_address_asked_for_json_is_json(live_server: LiveServer, path: str) -> None:
    answer = requests.get(f"{live_server.url}{path}?format=json", timeout=30)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/json")
    page = requests.get(live_server.url + path, headers={"Accept": "text/html"}, timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Accept" in page.headers["Vary"]


@pytest.mark.server
def test_the_twins_of_the_ontology_and_export_pages_say_what_the_pages_show(
    live_server: LiveServer,
) -> None:
    ontology = requests.get(f"{live_server.url}/ontology.json", timeout=30).json()
    person = next(c for c in ontology["classes"] if c["curie"] == "civ:Person")
    assert person["page"].endswith("/ontology#Person")
    assert [c["label"] for c in ontology["concepts"]] == [
        "High confidence",
        "Medium confidence",
        "Low confidence",
    ]
    assert any(p["triples"] > 0 for p in ontology["properties"])
    export = requests.get(f"{live_server.url}/export.json", timeout=30).json()
    graph = export["graphs"][0]
    download = requests.get(graph["downloads"]["ntriples"], timeout=30)
    assert len(download.text.splitlines()) == graph["triples"]


@pytest.mark.server
def test_the_network_explorer_s_twin_is_the_view_it_draws(live_server: LiveServer) -> None:
    params = {"focus": "Code for America", "depth": "1"}
    twin = requests.get(f"{live_server.url}/graph", params=params, headers=JSON, timeout=30)
    api = requests.get(f"{live_server.url}/api/graph", params=params, timeout=30)
    assert twin.json()["nodes"] == api.json()["nodes"]
    page = requests.get(f"{live_server.url}/graph", params=params, timeout=30).text
    assert 'type="application/json" href="/api/graph?focus=Code+for+America&amp;depth=1"' in page


@pytest.mark.server
@pytest.mark.parametrize("headers", [JSON, {}], ids=["accept", "format"])
def test_a_citation_and_the_service_description_answer_json(
    live_server: LiveServer, headers: dict[str, str]
) -> None:
    args = {} if headers else {"format": "json"}
    cited = requests.get(
        f"{live_server.url}/cite",
        params={"url": "/id/org/code-for-america", **args},
        headers=headers,
        timeout=30,
    )
    assert cited.json()[0]["title"] == "Code for America"
    described = requests.get(f"{live_server.url}/sparql", params=args, headers=headers, timeout=30)
    assert described.headers["Content-Type"].startswith("application/ld+json")
    service = next(n for n in described.json()["@graph"] if n["@type"].endswith("#Service"))
    assert service[f"{SD}endpoint"]["@id"] == f"{live_server.url}/sparql"


@pytest.mark.server
def test_the_query_editor_s_twin_is_its_query_s_answer(live_server: LiveServer) -> None:
    url = f"{live_server.url}/query"
    asked = requests.get(url, params={"query": "ASK {}"}, headers=JSON, timeout=30)
    assert asked.json() == {"head": {}, "boolean": True}
    named = requests.get(url, params={"query": "SELECT (1 AS ?n) {}", "format": "json"}, timeout=30)
    assert named.json()["results"]["bindings"] == [
        {
            "n": {
                "type": "literal",
                "datatype": "http://www.w3.org/2001/XMLSchema#integer",
                "value": "1",
            }
        }
    ]
    assert "Accept" in named.headers["Vary"]
    page = requests.get(url, params={"query": "ASK {}"}, timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")


@pytest.mark.server
@pytest.mark.parametrize(
    ("path", "accept", "answered"),
    [
        ("/ontology", "text/turtle, application/json;q=0.9", "text/turtle"),
        ("/ontology", "application/ld+json, application/json;q=0.5", "application/ld+json"),
        ("/sparql", "text/turtle, application/json;q=0.9", "text/turtle"),
        ("/sparql", "text/html", "text/html"),
        ("/cite?url=/id/org/code-for-america", "text/html", "text/html"),
        (
            "/cite?url=/id/org/code-for-america",
            "application/json",
            "application/vnd.citationstyles",
        ),
    ],
)
def test_a_twin_yields_to_what_the_client_ranks_higher_and_says_it_varies(
    live_server: LiveServer, path: str, accept: str, answered: str
) -> None:
    answer = requests.get(live_server.url + path, headers={"Accept": accept}, timeout=30)
    assert answer.headers["Content-Type"].startswith(answered)
    assert "Accept" in answer.headers["Vary"]


@pytest.mark.server
@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/search.json?q=code", {}),
        ("/search?q=code", JSON),
        ("/api/graph?focus=Code%20for%20America", {}),
        ("/id/org/code-for-america.json", {}),
        ("/id/org/code-for-america.ttl", {}),
        ("/context.jsonld", {}),
        ("/browse/Nope.json", {}),
    ],
)
def test_a_script_on_another_origin_may_read_the_data(
    live_server: LiveServer, path: str, headers: dict[str, str]
) -> None:
    origin = {"Origin": "https://notebook.example"}
    answer = requests.get(live_server.url + path, headers={**headers, **origin}, timeout=30)
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers


@pytest.mark.server
@pytest.mark.parametrize("path", ["/", "/search?q=code", "/ontology"])
def test_a_page_is_read_by_people_not_by_scripts_on_another_origin(
    live_server: LiveServer, path: str
) -> None:
    origin = {"Origin": "https://notebook.example"}
    answer = requests.get(live_server.url + path, headers=origin, timeout=30)
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Access-Control-Allow-Origin" not in answer.headers
