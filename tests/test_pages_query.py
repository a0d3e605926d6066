"""The query page and the JSON it needs."""

from urllib.parse import quote

from flask.testing import FlaskClient

from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore
from civicgraph.webapp.bodies import JSON_LIMIT
from tests.conftest import client_over


def test_query_page_holds_the_permalinked_query(workbench_client: FlaskClient) -> None:
    response = workbench_client.get("/query?query=" + quote("ASK { <a:b> ?p ?o }"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ASK { &lt;a:b&gt; ?p ?o }</textarea>" in html
    assert 'data-endpoint="/sparql"' in html


def test_query_page_offers_every_endpoint_format(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/query").get_data(as_text=True)
    for media in (
        "text/csv",
        "text/tab-separated-values",
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
    ):
        assert f'data-media-type="{media}' in html


def test_completions_list_prefixes_and_ontology_terms(workbench_client: FlaskClient) -> None:
    body = workbench_client.get("/query/completions.json").get_json()
    assert body["prefixes"]["civ"] == "https://w3id.org/civicgraph/ontology#"
    curies = {t["curie"]: t["kind"] for t in body["terms"]}
    assert (curies["civ:Person"], curies["civ:founder"]) == ("class", "object property")


def test_completions_name_the_standard_terms_the_data_does_not_state(
    workbench_client: FlaskClient,
) -> None:
    """With the ontology's own terms below each, which a query should ask for instead."""
    unstated = workbench_client.get("/query/completions.json").get_json()["unstated"]
    assert unstated["http://www.w3.org/ns/org#member"] == ["civ:member"]
    assert unstated["http://xmlns.com/foaf/0.1/Person"] == ["civ:Person"]
    assert "http://www.w3.org/ns/org#memberOf" not in unstated  # civ:memberOf is not stated
    assert "http://www.w3.org/2000/01/rdf-schema#label" not in unstated


def test_labels_answer_for_entities_and_terms(workbench_client: FlaskClient) -> None:
    iris = [
        "https://w3id.org/civicgraph/id/person/ada-lovelace",
        "https://w3id.org/civicgraph/ontology#founder",
        "https://example.org/unknown",
        "https://w3id.org/civicgraph/id/statement/cfe-founder",
        "https://w3id.org/civicgraph/id/statement/no-such-claim",
        "https://w3id.org/civicgraph/ontology#HighConfidence",  # an individual, not a term
    ]
    body = workbench_client.post("/query/labels.json", json={"iris": iris}).get_json()
    assert body == {
        iris[0]: {"label": "Ada Lovelace", "url": "/id/person/ada-lovelace"},
        iris[1]: {"label": "founder", "url": "/ontology#founder"},
        iris[3]: {
            "label": "Code for Example · founder: Ada Lovelace",
            "url": "/id/statement/cfe-founder",
        },
        iris[4]: {"label": "", "url": "/id/statement/no-such-claim"},
        iris[5]: {"label": "high", "url": "/ontology#HighConfidence"},
    }


def test_labels_refuse_a_malformed_body(workbench_client: FlaskClient) -> None:
    response = workbench_client.post("/query/labels.json", json={"iris": "x"})
    assert response.status_code == 400
    assert set(response.get_json()) >= {"error", "status", "detail"}


def test_labels_of_the_most_iris_the_page_sends_fit_the_limit(
    workbench_client: FlaskClient,
) -> None:
    iris = [f"https://w3id.org/civicgraph/id/organization/a-long-name-{n:06}" for n in range(1000)]
    assert workbench_client.post("/query/labels.json", json={"iris": iris}).status_code == 200


def test_labels_body_over_the_json_limit_is_413_unparsed(workbench_client: FlaskClient) -> None:
    body = b'{"iris": [' + b'"x",' * (JSON_LIMIT // 4) + b'"x"]}'
    response = workbench_client.post(
        "/query/labels.json", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.get_json()["limit"] == JSON_LIMIT


def test_labels_refuse_text_that_is_not_json(workbench_client: FlaskClient) -> None:
    response = workbench_client.post(
        "/query/labels.json", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["detail"]


def test_labels_refuse_json_nested_too_deeply(workbench_client: FlaskClient) -> None:
    body = b'{"iris": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = workbench_client.post(
        "/query/labels.json", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "too deeply" in response.get_json()["detail"]


def test_labels_name_iris_outside_the_project_that_the_data_labels() -> None:
    store = EmbeddedStore()
    turtle = b'<https://example.org/ada> <http://xmlns.com/foaf/0.1/name> "Ada"@en .'
    store.load(turtle, by_name("turtle"), "https://example.org/people")
    client = client_over(store)
    iris = ["https://example.org/ada", "https://example.org/nobody", "urn:x:ada", "https://a b"]
    body = client.post("/query/labels.json", json={"iris": iris}).get_json()
    assert body == {"https://example.org/ada": {"label": "Ada", "url": None}}
