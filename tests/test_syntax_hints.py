"""Syntax errors name the unknown prefix or keyword, over HTTP and in the CLI."""

import pytest
import requests
from click.testing import CliRunner

from civicgraph.cli import main
from civicgraph.errors import QuerySyntaxError
from civicgraph.store import EmbeddedStore
from tests.live import LiveServer


@pytest.mark.parametrize(
    ("query", "hint"),
    [
        ("SELEKT * WHERE { ?s ?p ?o }", "unknown keyword SELEKT; did you mean SELECT?"),
        ("SELECT * WHER { ?s ?p ?o }", "unknown keyword WHER; did you mean WHERE?"),
        ("SELECT ?s WHERE { ?s ?p ?o } LIMT 5", "unknown keyword LIMT; did you mean LIMIT?"),
        (
            "SELECT * WHERE { ?s rdfs:label ?o }",
            "unknown prefix rdfs: in rdfs:label; "
            "add PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
        ),
        ("SELECT * WHERE {\n  ?s a ex:Thing }", "unknown prefix ex:"),
    ],
)
def test_embedded_store_names_the_mistake(query: str, hint: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        EmbeddedStore().query(query)
    assert hint in str(caught.value)
    assert "\\u{" not in str(caught.value)
    assert caught.value.line is not None


def test_a_keyword_inside_a_string_is_not_blamed() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        EmbeddedStore().query('SELECT ?s WHERE { ?s ?p "SELEKT" } LIMT 5')
    assert "unknown keyword LIMT" in str(caught.value)


def test_endpoint_answers_the_hint_with_its_position(live_server: LiveServer) -> None:
    answer = requests.get(
        f"{live_server.url}/sparql",
        params={"query": "SELECT * WHERE { ?s rdfs:label ?o }"},
        timeout=30,
    )
    assert answer.status_code == 400
    body = answer.json()
    assert "unknown prefix rdfs:" in body["detail"]
    assert (body["line"], body["column"]) == (1, 21)  # rdfs:label, which the detail names


def test_cli_over_a_server_prints_the_hint_once(live_server: LiveServer) -> None:
    result = CliRunner().invoke(
        main, ["query", "SELEKT ?x WHERE { ?x ?p ?o }", "--store", f"{live_server.url}/sparql"]
    )
    assert result.exit_code == 1
    assert result.output.count("unknown keyword SELEKT") == 1
