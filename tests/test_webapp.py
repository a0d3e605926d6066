"""The application through Flask's test client."""

import json

import requests
from flask import Flask
from flask.testing import FlaskClient

from civicgraph.webapp.urls import entity_path
from tests.live import LiveServer


def test_home_answers_html_with_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_home_json_twin(client: FlaskClient) -> None:
    response = client.get("/index.json")
    assert response.status_code == 200
    assert {"version", "triples", "graphs", "classes"} <= set(response.get_json())


def test_sparql_ask_answers_json(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK { }"})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert json.loads(response.data)["boolean"] is True


def test_bad_query_is_400_with_one_error_shape(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": "SELECT"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) >= {"error", "status", "detail"}
    assert body["status"] == 400


def test_unknown_page_is_404_page_for_browsers(client: FlaskClient) -> None:
    response = client.get("/nowhere", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert b"404" in response.data


def test_served_app_answers_ask_over_real_http(live_server: LiveServer) -> None:
    response = requests.get(
        f"{live_server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {"head": {}, "boolean": True}


def test_entity_path_is_built_from_the_iri(app: Flask) -> None:
    with app.test_request_context():
        assert entity_path("https://w3id.org/civicgraph/id/org/18f", ".ttl") == "/id/org/18f.ttl"
        assert entity_path("https://example.org/elsewhere") is None
