"""What reads or rewrites query text (``sparql/``) goes through the lexer, never a regex.

Braces, keywords and ``$name`` inside strings, IRIs and comments are text, not syntax.
"""

import pyoxigraph
import pytest
from pyoxigraph import Literal, NamedNode

from civicgraph.errors import UserInputError
from civicgraph.readmodels import gallery
from civicgraph.sparql.binding import bind
from civicgraph.sparql.forms import query_form
from civicgraph.sparql.lexer import (
    TokenKind,
    ambiguous,
    has_dataset_clause,
    lexemes,
    operation_separator,
    tokens,
)
from civicgraph.store import EmbeddedStore, GraphStore
from civicgraph.store.results import SelectResult
from tests.conftest import load_workbench

ID = "https://w3id.org/civicgraph/id/"


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("prefix ex: <http://e/select#>\n# CONSTRUCT\nask { ?s ?p ?o }", "ASK"),
        ("BASE <http://b/> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("PREFIX describe: <http://d/>\nDESCRIBE describe:x", "DESCRIBE"),
        ("# SELECT\nINSERT DATA { <a> <b> 'SELECT' }", None),
    ],
)
def test_query_form_is_read_from_tokens(text: str, form: str | None) -> None:
    assert query_form(text) == form


def test_values_go_into_the_where_group_not_a_brace_in_a_string() -> None:
    text = 'SELECT ?x WHERE { # {\n ?x <http://p> "{" }'
    bound = bind(text, {"x": NamedNode("http://x")})
    assert bound.index("VALUES") > bound.index("WHERE {")
    assert bound.endswith('?x <http://p> "{" }')


def _canned(text: str) -> gallery.CannedQuery:
    return gallery.CannedQuery("t", "t", "", (gallery.Param("org", "string", "Org"),), text)


def test_gallery_parameter_in_a_string_stays_text() -> None:
    query = _canned('SELECT ?s WHERE { ?s <http://p> $org . FILTER(?s != "$org") }')
    rendered = gallery.render(query, {"org": "x"})
    assert '"$org"' in rendered
    assert '"x"' in rendered


def test_gallery_value_cannot_change_the_query() -> None:
    query = _canned("SELECT ?s WHERE { ?s <http://p> $org }")
    rendered = gallery.render(query, {"org": '" } ; DROP ALL #'})
    assert query_form(rendered) == "SELECT"
    assert '("\\" } ; DROP ALL #")' in rendered
    assert isinstance(EmbeddedStore().query(rendered), SelectResult)


@pytest.fixture(scope="module")
def filled() -> GraphStore:
    return load_workbench(EmbeddedStore())


def _written_in(text: str, terms: dict[str, NamedNode | Literal]) -> str:
    """The parameters written into the text in place of their variables (token by token)."""
    out, end = [], 0
    for token in tokens(text):
        if token.kind is TokenKind.VAR and token.text[1:] in terms:
            out += [text[end : token.start], str(terms[token.text[1:]])]
            end = token.start + len(token.text)
    return "".join([*out, text[end:]])


def _answers(store: GraphStore, text: str) -> object:
    result = store.query(text)
    if isinstance(result, SelectResult):
        return sorted(map(str, result.rows))
    return sorted(map(str, getattr(result, "triples", [getattr(result, "value", None)])))


@pytest.mark.parametrize("query", [q for q in gallery.gallery() if q.params], ids=lambda q: q.name)
def test_rendered_gallery_query_answers_like_bound_parameters(
    filled: GraphStore, query: gallery.CannedQuery
) -> None:
    values = {
        p.name: (gallery.options(filled, p)[0][0] if p.class_iri else p.default)
        for p in query.params
    }
    terms = {p.name: gallery.parse_value(p, values[p.name]) for p in query.params}
    rendered = gallery.render(query, values)
    assert _answers(filled, rendered) == _answers(filled, _written_in(query.text, terms))


def test_gallery_value_that_is_missing_is_asked_for() -> None:
    with pytest.raises(UserInputError, match="Choose a value"):
        gallery.render(_canned("SELECT ?s WHERE { ?s <http://p> $org }"), {})


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("", "\n"),
        ("INSERT DATA { <urn:a> <urn:b> 1 }", "\n;\n"),
        ("INSERT DATA { <urn:a> <urn:b> 1 } ; # done\n", "\n"),
        ("prefix ex: <urn:x> BASE <urn:y>", "\n"),
        ("CLEAR ALL ; PREFIX ex: <urn:x>", "\n"),
        ("PREFIX ex: <urn:x> CLEAR ALL", "\n;\n"),
        ("INSERT { ?s ?p ?o } WHERE { { } ; }", "\n;\n"),  # a ';' in braces ends nothing
        ("PREFIX-BASE <urn:x>", "\n;\n"),  # a name run, not two keywords
        ("PREFIX ex: <urn:x> 'never closed", "\n;\n"),
        ("PREFIX é: <urn:x>", "\n"),
        ("PREFIX ex: <urn:x> é.", "\n;\n"),  # the lexer stops at a run it cannot split
    ],
)
def test_an_operation_is_appended_after_a_semicolon_unless_one_may_start(
    text: str, separator: str
) -> None:
    assert operation_separator(text) == separator


@pytest.mark.parametrize(
    ("text", "two"),
    [
        ("SELECT * { FILTER(?a<?b&&'x>'!='y') }", True),
        ("SELECT * { FILTER((?a)<?b#>) }", True),
        ("SELECT * { FILTER(NOT EXISTS { }<?b#>) }", True),
        ("SELECT * { { SELECT ?x (?a<?b&&'x>' AS ?z) WHERE { } } }", True),
        ("SELECT * { VALUES (?a ?b) { (<http://x#A> <http://x#b>) } }", False),
        (
            "SELECT * { ?u <http://www.w3.org/2002/07/owl#unionOf> (<http://x#A> <http://x#B>) }",
            False,
        ),
        ("SELECT * { FILTER(?a < ?b) FILTER(?a<?b) FILTER(<http://f#x>(?a)) }", False),
        ("SELECT * { ?s <http://e/p#x> ?o . ?o ?p <http://e/Foo_(bar)> }", False),
        ("SELECT * { ?s ?p (<http://e/a#1> ?o) }", False),  # a collection's first term
    ],
)
def test_a_less_than_that_a_lexer_may_read_as_an_iri_gives_two_readings(
    text: str, two: bool
) -> None:
    assert ambiguous(text) is two
    assert (list(lexemes(text)) != list(lexemes(text, less_than=True))) is two


def test_the_other_reading_reads_less_than_and_lexes_on_from_there() -> None:
    text = "FILTER(?a<?b&&'x>'!='y')"
    read = [text[start:end] for kind, start, end in lexemes(text, less_than=True)]
    assert read == ["FILTER", "(", "?a", "<", "?b", "&&", "'x>'", "!=", "'y'", ")"]


def test_a_dataset_clause_hidden_in_one_reading_is_found() -> None:
    text = (
        "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o<?b&&'x>'!='y') } ;\n"
        "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER('z'!='w') }"
    )
    pyoxigraph.Store().update(text)  # pyoxigraph reads it, WITH and all
    assert has_dataset_clause(text)
