"""Syntax errors in the reader's words: the wrong prefix or keyword, no Unicode ranges."""

from collections.abc import Iterator

import pyoxigraph
import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from civicgraph.errors import SyntaxPosition
from civicgraph.readmodels import gallery
from civicgraph.sparql import messages
from civicgraph.sparql.lexer import Token, tokens
from civicgraph.sparql.messages import Explanation, explain
from civicgraph.store import EmbeddedStore
from tests.conftest import load_workbench

FOAF = "http://xmlns.com/foaf/0.1/"


def _explained(text: str) -> Explanation:
    try:
        pyoxigraph.Store().query(text)
    except SyntaxError as exc:
        line, column = SyntaxPosition.from_message(str(exc))
        return explain(str(exc), text, line, column)
    raise AssertionError("the query parsed")


def test_an_error_early_in_a_long_text_is_explained_from_what_comes_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Explaining lexed the whole text, twice, into lists: a query followed by a
    megabyte of ``;`` took 6 s and 130 MB of a serving process, anyone's query."""
    lexed: list[Token] = []

    def counted(text: str) -> Iterator[Token]:
        for token in tokens(text):
            lexed.append(token)
            yield token

    monkeypatch.setattr(messages, "tokens", counted)
    found = _explained("SELECT * WHERE { ?s ?p ex:o }" + " ?s" * 100_000)
    assert found.prefix == "ex"
    assert len(lexed) < 20


def test_a_prefix_declared_only_after_its_use_is_named() -> None:
    text = "INSERT DATA { ex:a ex:b ex:c } ; PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b 1 }"
    with pytest.raises(SyntaxError) as caught:
        pyoxigraph.Store().update(text)
    found = explain(str(caught.value), text, *SyntaxPosition.from_message(str(caught.value)))
    assert found.prefix == "ex"
    assert found.detail.startswith("Line 1, column 15: unknown prefix ex:")


def test_an_undeclared_known_prefix_is_named_with_its_namespace() -> None:
    found = _explained("SELECT * WHERE {\n  ?s foaf:name ?o }")
    assert (found.prefix, found.namespace) == ("foaf", FOAF)
    assert found.detail.startswith("Line 2, column 6: unknown prefix foaf:")
    assert "\\u{" not in found.detail


def test_an_unknown_prefix_is_named_without_a_namespace() -> None:
    found = _explained("SELECT * WHERE { ?s zz:x ?o }")
    assert (found.prefix, found.namespace) == ("zz", None)


def test_a_misspelt_keyword_is_named() -> None:
    found = _explained("SELEKT * WHERE { ?s ?p ?o }")
    assert found.keyword == "SELEKT"
    assert found.detail == "Line 1, column 1: unknown keyword SELEKT; did you mean SELECT?"


def test_other_errors_list_what_a_person_types_once() -> None:
    found = _explained("SELECT * WHERE { ?s ?p ?o")
    assert "\\u{" not in found.detail
    assert found.detail.count("column") == 1
    assert '"}"' in found.detail


@pytest.mark.parametrize(
    ("query", "field", "value", "column"),
    [
        ("SELECT * { ?s foaf:name ?o }", "prefix", "foaf", 15),
        ("SELEKT * { ?s ?p ?o }", "keyword", "SELEKT", 1),
    ],
)
def test_the_endpoint_answers_the_readable_message(
    workbench_client: FlaskClient, query: str, field: str, value: str, column: int
) -> None:
    """The position is the word the message names, which the editor marks: not where
    the parser stopped, past it (the editor underlined WHERE after SELEKT)."""
    response = workbench_client.get("/sparql", query_string={"query": query})
    body = response.get_json()
    assert response.status_code == 400
    assert body[field] == value
    assert "does not parse" not in body["detail"]
    assert (body["line"], body["column"]) == (1, column)
    assert body["detail"].startswith(f"Line 1, column {column}:")


def test_network_example_also_links_the_neighbours_to_each_other() -> None:
    store = EmbeddedStore()
    load_workbench(store)
    store.update(
        "PREFIX civ: <https://w3id.org/civicgraph/ontology#>\n"
        "PREFIX org: <https://w3id.org/civicgraph/id/org/>\n"
        "PREFIX person: <https://w3id.org/civicgraph/id/person/>\n"
        "INSERT DATA { org:hub civ:founder person:one , person:two ."
        " person:one civ:knows person:two . person:two civ:knows person:far }"
    )
    query = gallery.canned("16-network-around-an-entity")
    text = gallery.render(query, MultiDict({"entity": "https://w3id.org/civicgraph/id/org/hub"}))
    triples = {(str(t.subject), str(t.object)) for t in store.query(text).triples}
    one, two = (
        "<https://w3id.org/civicgraph/id/person/one>",
        "<https://w3id.org/civicgraph/id/person/two>",
    )
    assert (one, two) in triples
    assert ("<https://w3id.org/civicgraph/id/org/hub>", one) in triples
    assert not any("person/far" in o for _, o in triples)
