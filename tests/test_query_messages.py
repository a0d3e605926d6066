"""Syntax errors in the reader's words: the wrong prefix or keyword, no Unicode ranges."""

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from civicgraph.errors import SyntaxPosition
from civicgraph.readmodels import gallery
from civicgraph.sparql import messages, reading
from civicgraph.sparql.lexer import Token, tokens
from civicgraph.sparql.messages import Explanation, explain
from civicgraph.store import EmbeddedStore
from tests.conftest import load_workbench

FOAF = "http://xmlns.com/foaf/0.1/"
QUERIES = Path(messages.__file__).resolve().parent.parent / "queries"


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

    monkeypatch.setattr(reading, "tokens", counted)
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
    found = _explained("SELECT * WHERE { ?s ?p ?o FILTER }")
    assert "\\u{" not in found.detail
    assert found.detail.count("column") == 1
    assert "OPTIONAL" in found.detail


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


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("SELECT * WHERE { ?s ?p }", "Line 1, column 18: the triple pattern ?s ?p has no object"),
        (
            "SELECT * { ?s ?p ?o . ?s a . }",
            "Line 1, column 23: the triple pattern ?s a has no object",
        ),
        ("SELECT * { ?s ?p ?o ; ?q }", "Line 1, column 23: the triple pattern ?q has no object"),
        ("SELECT * { ?s ?p ?o ?x }", "Line 1, column 21: ?x follows the whole pattern ?s ?p ?o"),
        ("SELECT * WHERE {\n  ?s ?p ?o ", "Line 1, column 16: this { is never closed"),
        ("SELECT * { FILTER(?o > 3 }", "Line 1, column 26: } closes the ( of line 1, column 18"),
        ("SELECT * { ?s ?p ?o ) }", "Line 1, column 21: this ) closes no bracket"),
        ("SELECT * { ?s ?p ?o }}", "Line 1, column 22: this } closes no bracket"),
        ('SELECT * { ?s ?p "open }', "Line 1, column 18: the string that starts here is never"),
        ("SELECT WHERE { ?s ?p ?o }", "Line 1, column 1: SELECT names what to return"),
        ("SELECT ?x { VALUES ?x { 1 2 } ?x ?p }", "Line 1, column 31: the triple pattern ?x ?p"),
        ("SELECT * {\u00a0?s ?p ?o }", "Line 1, column 11: (U+00A0 no-break space) is not SPARQL"),
        ("SELECT * { ?s ?p \u201cx\u201d }", "Line 1, column 18: \u201c (U+201C left double"),
        ('SELECT * { ?s ?p "one\ntwo" }', "Line 1, column 18: this string runs past the end of"),
        ("SELECT * { ?s ?p ?o \n# to do", "Line 1, column 10: this { is never closed"),
        ("SELECT * { ?s <http://e/p ?o . ?s ?q ?r }", "Line 1, column 15: this IRI is never"),
        ("SELECT * { ?s ?p 'it's' }", "Line 1, column 18: a quote inside this string ends it"),
        ("SELECT * { ?s ?p ?o } LIMIT ten", "Line 1, column 29: LIMIT takes a whole number"),
        ("SELECT * { ?s ?p ?o BIND(1 AS x) }", "Line 1, column 31: AS names a variable: ?x"),
        ("PREFIX ex <urn:e> SELECT * {}", "Line 1, column 8: a prefix is declared with a colon"),
        ('SELECT * { ?s ?p "x"@ }', "Line 1, column 21: a language tag has letters after @"),
        ('SELECT * { ?s ?p "x"@fr--ltr . ?s ?q }', "Line 1, column 32: the triple pattern ?s ?q"),
        ('SELECT * { FILTER(regex(?o, "\\d+")) }', "Line 1, column 30: \\d is no escape"),
        ("SELECT * { ?s ?p 'a\\\\b\\.c' }", "Line 1, column 23: \\. is no escape"),
        ('SELECT * { ?s ?p "\\u12" }', "Line 1, column 19: \\u takes 4 hexadecimal digits"),
        (
            "SELECT * { ?s ?p ?o FILTER(lang(?o) = en) }",
            'Line 1, column 39: a bare word is no value: write a string in quotes ("en")',
        ),
        ("SELECT * { ?s ?p ?o FILTER(?o IN (fr, de)) }", "Line 1, column 39: a bare word is no"),
        ("SELECT * { FILTER(EXIST { ?s ?p ?o }) }", "Line 1, column 19: unknown keyword EXIST;"),
        ("SELECT * { ?s ?p ?o } ORDER BY name", "Line 1, column 32: BY takes a variable or an"),
        (
            'SELECT * { ?s ?p ?o FILTER(contians(?o, "x")) }',
            "Line 1, column 28: unknown keyword contians; did you mean CONTAINS?",
        ),
    ],
)
def test_a_broken_structure_is_named_where_it_begins(query: str, detail: str) -> None:
    """The parser listed what it expected where it stopped ("expected LATERAL, SERVICE
    or a name" after ``?s ?p }``), which says nothing of what is missing, or where."""
    found = _explained(query)
    assert found.detail.startswith(detail), found.detail
    assert found.at == tuple(
        int(n) for n in detail.split(":", maxsplit=1)[0][5:].split(", column ")
    )


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { VALUES ?x { 1 2 } }",
        "SELECT * { { ?s ?p ?o } ?s ?p ?o . ?s ?p ?o ; ?q ?r , ?t }",
        "SELECT ?a ?b ?c ?d { ?a ?b ?c . ?c ?b ?d } GROUP BY ?a ?b ?c ?d",
        'SELECT * { ?s ?p "x"@en ; ?q "y"^^<urn:t> ; ?r ( 1 2 ) ; ?t [ ?u ?v ] }',
        # where the lexer stops though the parser reads on: a less-than, a reifier
        "SELECT * { ?s ?p (<http://x#A> <http://x#b>) }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o<?p&&(?a>?b)) }",
        "SELECT * WHERE { ?s ?p ?o ~ ?r }",
    ],
)
def test_a_query_that_parses_has_no_broken_structure(query: str) -> None:
    """Every shape above is valid: none may be taken for a pattern without its object."""
    pyoxigraph.Store().query(query)
    assert messages._structure(query, reading.read(query, len(query))) is None


def test_no_query_of_the_project_is_taken_for_a_broken_structure() -> None:
    texts = [q.text for q in gallery.gallery()]
    texts += [p.read_text() for p in QUERIES.rglob("*.rq")]
    assert len(texts) > 30
    assert [t for t in texts if messages._structure(t, reading.read(t, len(t))) is not None] == []


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "The query is empty"),
        ("SELECT * { ?s ?p ?o FILTER(?o<STRLEN(?s)&&?o>1) } LIMT 5", "Line 1, column 57: expected"),
    ],
)
def test_what_cannot_be_read_keeps_the_parser_s_words(text: str, detail: str) -> None:
    """Past a place the lexer cannot read (a less-than it takes for an IRI), nothing is
    claimed: a ( named as never closed was closed."""
    assert _explained(text).detail.startswith(detail)


def test_the_parser_s_own_sentence_is_kept() -> None:
    text = "INSERT DATA { ?s <urn:b> <urn:c> }"
    with pytest.raises(SyntaxError) as caught:
        pyoxigraph.Store().update(text)
    found = explain(str(caught.value), text, *SyntaxPosition.from_message(str(caught.value)))
    assert found.detail.endswith(": Variables are not allowed in INSERT DATA")


def test_a_long_word_is_quoted_short_and_offered_no_fix() -> None:
    found = _explained("SELECT * WHERE { ?s ?p ?o } " + "x" * 100_000)
    assert len(found.detail) < 200
    assert found.keyword is None
    found = _explained("SELECT * WHERE { ?s ?p " + "e" * 100 + ":a }")
    assert (len(found.detail) < 200, found.prefix) == (True, None)
