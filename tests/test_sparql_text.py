"""What reads or rewrites query text (``sparql/``) goes through the lexer, never a regex.

Braces, keywords and ``$name`` inside strings, IRIs and comments are text, not syntax.
"""

import pyoxigraph
import pytest
from pyoxigraph import Literal, NamedNode

from civicgraph.errors import UserInputError
from civicgraph.readmodels import gallery
from civicgraph.sparql import star
from civicgraph.sparql.binding import bind
from civicgraph.sparql.forms import query_form
from civicgraph.sparql.lexer import (
    TokenKind,
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
    ("text", "stops"),
    [
        ("SELECT * { FILTER(?a<?b&&'x>'!='y') }", "<?b&&"),
        ("SELECT * { FILTER((?a)<?b#>) }", "<?b#>"),
        ("SELECT * { FILTER(NOT EXISTS { }<?b#>) }", "<?b#>"),
        ("SELECT * { { SELECT ?x (?a<?b&&'x>' AS ?z) WHERE { } } }", "<?b&&"),
        ("SELECT * { FILTER(trueFILTER<?b#>) }", "<?b#>"),
        # After a term in a collection too: a parser's place is not followed that far
        # (keywords glue to words), so the rest is judged as unread.
        ("SELECT * { ?s ?p (<http://x#A> <http://x#b>) }", "<http://x#b>"),
        ("SELECT * { VALUES (?a ?b) { (<http://x#A> <http://x#b>) } }", None),  # only terms
        ("SELECT * { VALUES ?a { <http://x#A> } FILTER(?a<?b#>) }", "<?b#>"),
        ("SELECT * { FILTER(?a < ?b) FILTER(?a<?b) FILTER(<http://f#x>(?a)) }", None),
        ("SELECT * { ?s <http://e/p#x> ?o . ?o ?p <http://e/Foo_(bar)> }", None),
        ("SELECT * { ?s ?p (<http://e/a#1> ?o) }", None),  # a collection's first term
        ("SELECT * { FILTER(?a<?b&&?c>?d) }", None),  # hides nothing: the same tokens
    ],
)
def test_lexing_stops_at_a_less_than_that_a_parser_may_read_otherwise(
    text: str, stops: str | None
) -> None:
    errors = [start for kind, start, _end in lexemes(text) if kind == "error"]
    assert errors == ([] if stops is None else [text.index(stops)])


def test_a_dataset_clause_past_where_the_lexer_stops_counts() -> None:
    text = (
        "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o<?b&&'x>'!='y') } ;\n"
        "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER('z'!='w') }"
    )
    pyoxigraph.Store().update(text)  # pyoxigraph reads it, WITH and all
    assert has_dataset_clause(text)


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", ("s", "p", "o")),
        ("select distinct * { ?zed ?name ?a . BIND(1 AS ?b) }", ("zed", "name", "a", "b")),
        # A subquery's own star, or a name in a comment or a string, decides nothing
        ("SELECT * { # ?r first\n ?s ?p ?o { SELECT * { ?r ?q ?o } } }", ("s", "p", "o", "r", "q")),
        ('SELECT * { ?y ?x "?o" . ?o ?x ?y }', ("y", "x", "o")),
    ],
)
def test_select_star_answers_its_columns_in_the_order_the_text_names_them(
    text: str, columns: tuple[str, ...]
) -> None:
    store = EmbeddedStore()
    store.update("INSERT DATA { <http://e/s> <http://e/p> <http://e/s> }")
    result = store.query(text)
    assert isinstance(result, SelectResult)
    assert result.variables == columns


def test_named_columns_keep_the_order_written() -> None:
    result = EmbeddedStore().query("SELECT ?o ?s WHERE { ?s ?p ?o }")
    assert isinstance(result, SelectResult)
    assert result.variables == ("o", "s")


def test_a_select_star_asked_again_is_answered_in_order_at_once() -> None:
    store = EmbeddedStore()
    text = "SELECT * WHERE { ?z ?y ?x }"
    first = store.query(text)
    assert star.known_order(text) == "SELECT ?z ?y ?x WHERE { ?z ?y ?x }"
    again = store.query(text)
    assert isinstance(first, SelectResult)
    assert isinstance(again, SelectResult)
    assert first.variables == again.variables == ("z", "y", "x")
