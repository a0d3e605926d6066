"""The SERVICE/LOAD check agrees with real parsers on generated hostile texts.

Queries and updates are built from pieces chosen to fool a lexer: prefixed names whose
local part uses every ``PN_LOCAL_ESC`` and ``%hh``, strings in all four forms holding
quotes, escapes, ``#`` and whole ``SERVICE`` clauses, comments holding quotes and
clauses, IRIs and variables named like the keywords. Two parsers judge each text:

- pyoxigraph itself, in a child process without network (``store/isolation.py``):
  a ``SERVICE`` or ``LOAD`` it evaluates fails with "Network is unreachable";
- rdflib's grammar-based parser (``parseQuery``/``parseUpdate``), whose parse tree
  names ``ServiceGraphPattern`` and ``Load``.

Wherever a parser accepts the text, the check must agree with it on whether the text
fetches. (rdflib rejects some valid texts, such as ``ex:a\\#`` followed by more on
the same line; pyoxigraph judges those.)
"""

import multiprocessing
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyoxigraph import Store
from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from civicgraph.errors import ForbiddenOperationError
from civicgraph.sparql.fetching import fetching_keyword, refuse_fetching
from civicgraph.store.isolation import is_isolated, isolate_network

TARGET = "<http://127.0.0.1:48000/sparql>"
CLAUSE = f"SERVICE {TARGET} {{ ?s ?p ?o }}"
PREFIX = "PREFIX ex: <http://example.org/>\n"
GRAMMAR = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)

# --- pieces -------------------------------------------------------------------------

#: Every PN_LOCAL_ESC; the two that open a comment or a string drawn more often.
_escape = st.one_of(st.sampled_from("#'"), st.sampled_from("_~.-!$&'()*+,;=/?#@%")).map(
    lambda c: "\\" + c
)
_percent = st.sampled_from(["%23", "%27", "%5C", "%aF"])
_words = st.sampled_from(["SERVICE", "service", "LOAD", "Load"])
_local = st.builds(
    lambda first, middle, last: first + "".join(middle) + last,
    st.one_of(st.sampled_from(list("aZ_0:")), _escape, _percent),
    st.lists(st.one_of(st.sampled_from(list("a-.:·")), _escape, _percent, _words), max_size=6),
    st.one_of(_escape, st.sampled_from(list("z9-:")), _percent),
)
_pname = _local.map(lambda local: "ex:" + local)

_ANY_STRING = ["a", " ", "#", "<", ">", "{", "}", CLAUSE, "\\'", '\\"', "\\\\", "\\n", "\\t"]


def _string(quote: str, long: bool) -> st.SearchStrategy[str]:
    """A valid string literal of one of the four forms, with hostile content."""
    other = '"' if quote == "'" else "'"
    parts = [*_ANY_STRING, other, other * 3]
    if long:
        parts += ["\n", quote + "a", quote * 2 + "a"]
    fence = quote * 3 if long else quote
    body = st.lists(st.sampled_from(parts), max_size=8).map("".join)
    return body.map(lambda text: fence + text + fence)


_strings = st.one_of(*(_string(q, long) for q in "'\"" for long in (False, True)))
_others = st.sampled_from(
    ["<http://127.0.0.1:48000/SERVICE#LOAD>", "42", "4.2e1", "UNDEF", "true", "_:service"]
)
_objects = st.one_of(_pname, _strings, _strings.map(lambda s: s + "@service"), _others)
_comment = st.lists(
    st.sampled_from(["a", "'", '"', "'''", "<", "\\", CLAUSE, "ex:a\\"]), max_size=5
).map(lambda parts: "#" + "".join(parts) + "\n")
_space = st.one_of(st.sampled_from([" ", " ", "\t", "\n"]), _comment.map(lambda c: " " + c))
_service = st.sampled_from(["SERVICE", "service", "SeRvIcE"]).map(
    lambda word: f"{word} {TARGET} {{ ?s ?p ?o }}"
)


#: A comparison written without spaces: its ``<`` begins an IRI to a lexer reading
#: terminals alone, and what follows up to a ``>`` (strings, ``#``) reads otherwise.
#: It holds, so that a SERVICE beside it is evaluated.
_comparison = st.builds(
    lambda left, middle, right: f"FILTER({left}<2&&({middle}!={right}||true))",
    st.sampled_from(["1", "(1)", "-1", "1.5"]),
    st.sampled_from(["'x>'", "'>'", '"x>"', "'#>'"]),
    st.one_of(st.sampled_from(["'y'", '"y"', "'#'"]), _strings),
)


@st.composite
def queries(draw: st.DrawFn, *, compared: bool = False) -> str:
    """``SELECT * { … }`` of one-row VALUES blocks, maybe with a real SERVICE among them.

    Every block has one row, so a SERVICE in the group is really evaluated.
    """
    count = draw(st.integers(1, 4))
    pieces = [
        f"VALUES ?v{i} {{{draw(_space)}{draw(_objects)}{draw(_space)}}}" for i in range(count)
    ]
    if compared or draw(st.booleans()):
        pieces.insert(draw(st.integers(0, count)), draw(_service))
    if compared:  # first, and a string at the end to close one it opened
        pieces.insert(0, draw(_comparison))
        pieces.append(draw(st.sampled_from(["FILTER('z'!='w')", 'FILTER("z"!="w")'])))
    body = "".join(piece + draw(_space) for piece in pieces)
    return f"{PREFIX}SELECT * {{{draw(_space)}{body}}}"


@st.composite
def updates(draw: st.DrawFn) -> str:
    """``INSERT DATA`` operations with hostile objects, maybe with a real LOAD among them."""
    count = draw(st.integers(1, 3))
    pieces = [
        f"INSERT DATA {{ ex:s ex:p{draw(_space)}{draw(_objects)}{draw(_space)}}}"
        for _ in range(count)
    ]
    if draw(st.booleans()):
        word = draw(st.sampled_from(["LOAD", "load", "LoAd"]))
        pieces.insert(draw(st.integers(0, count)), f"{word} <http://127.0.0.1:48000/data.ttl>")
    return PREFIX + f"{draw(_space)};{draw(_space)}".join(pieces)


# --- the two parsers ----------------------------------------------------------------


def _pyoxigraph_child(connection: Connection) -> None:
    """Answer texts with pyoxigraph's verdict, in a process without network."""
    isolate_network()
    connection.send(is_isolated())
    while True:
        try:
            kind, text = connection.recv()
        except EOFError:
            return
        connection.send(_evaluate(kind, text))


def _evaluate(kind: str, text: str) -> str:
    """'syntax', 'fetch' (it tried to connect) or 'none'."""
    store = Store()
    try:
        if kind == "query":
            list(store.query(text))  # type: ignore[arg-type]
        else:
            store.update(text)
    except SyntaxError:
        return "syntax"
    except OSError as exc:
        return "fetch" if "unreachable" in str(exc) else f"error: {exc}"
    return "none"


@pytest.fixture(scope="module")
def pyoxigraph_verdict() -> Iterator[Any]:
    """A function that asks the isolated child about one text."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_pyoxigraph_child, args=(theirs,), daemon=True)
    child.start()
    if not ours.recv():
        child.kill()
        pytest.skip("this system offers no network namespace to evaluate in")

    def verdict(kind: str, text: str) -> str:
        ours.send((kind, text))
        answer: str = ours.recv()
        return answer

    yield verdict
    ours.close()
    child.join(timeout=10)


def _names(tree: Any) -> Iterator[str]:
    """Every rule name in an rdflib parse tree."""
    if isinstance(tree, CompValue):
        yield tree.name
        for value in tree.values():
            yield from _names(value)
    elif isinstance(tree, list | tuple) or hasattr(tree, "as_list"):
        for item in tree:
            yield from _names(item)


def rdflib_verdict(kind: str, text: str) -> str:
    """'syntax', 'fetch' or 'none', as rdflib's grammar reads the text."""
    try:
        tree = parseQuery(text) if kind == "query" else parseUpdate(text)
    except (ParseException, ValueError):  # rdflib raises ValueError on some \\u escapes
        return "syntax"
    return "fetch" if {"ServiceGraphPattern", "Load"} & set(_names(tree)) else "none"


def _check_verdict(text: str) -> str:
    return "none" if fetching_keyword(text) is None else "fetch"


def _agree(kind: str, text: str, pyoxigraph_verdict: Any) -> None:
    ours = _check_verdict(text)
    judged = {"pyoxigraph": pyoxigraph_verdict(kind, text), "rdflib": rdflib_verdict(kind, text)}
    parsed = {name: v for name, v in judged.items() if v != "syntax"}
    assume(parsed)
    for name, verdict in parsed.items():
        assert verdict == ours, f"{name} says {verdict}, the check {ours}: {text!r}"


# --- the properties -----------------------------------------------------------------


@GRAMMAR
@given(text=queries())
def test_the_check_agrees_with_the_parsers_on_queries(text: str, pyoxigraph_verdict: Any) -> None:
    _agree("query", text, pyoxigraph_verdict)


@GRAMMAR
@given(text=updates())
def test_the_check_agrees_with_the_parsers_on_updates(text: str, pyoxigraph_verdict: Any) -> None:
    _agree("update", text, pyoxigraph_verdict)


@GRAMMAR
@given(text=queries(compared=True))
def test_whatever_a_parser_would_fetch_beside_a_comparison_is_refused(
    text: str, pyoxigraph_verdict: Any
) -> None:
    """Past a ``<`` that may be less-than, the check reads conservatively: it may
    refuse more than a parser would fetch, never less."""
    assert pyoxigraph_verdict("query", text) != "fetch" or _check_verdict(text) == "fetch", text


@st.composite
def escaped(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> str:
    """A text with some characters written as ``\\u`` escapes (SPARQL 1.1 Query §19.2)."""
    text = draw(texts)
    chosen = draw(st.sets(st.integers(0, len(text) - 1), max_size=6))
    return "".join(f"\\u{ord(c):04X}" if i in chosen else c for i, c in enumerate(text))


@GRAMMAR
@given(text=escaped(queries()))
def test_whatever_a_parser_would_fetch_with_codepoint_escapes_is_refused(
    text: str, pyoxigraph_verdict: Any
) -> None:
    """Escapes decode differently per parser, so here the check may refuse more."""
    ours = _check_verdict(text)
    for verdict in (pyoxigraph_verdict("query", text), rdflib_verdict("query", text)):
        assert verdict != "fetch" or ours == "fetch", text


#: ``<`` after an operand in an expression: a comparison to pyoxigraph, an IRI to a
#: lexer reading terminals alone, which then read strings and comments apart.
TWO_READINGS = [
    f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<?b&&'x>'!='y') {CLAUSE} FILTER('z'!='w') }}",
    f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<?b#>'''\n) {CLAUSE} FILTER('''a'''!='b') }}",
    f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER((?a)<?b&&'x>'!='y') {CLAUSE} FILTER('z'!='w') }}",
    f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER(NOT EXISTS{{}}<?b&&'x>'!='y') {CLAUSE} "
    "FILTER('z'!='w') }",
    # IRIs in a VALUES row and a collection are IRIs to both, and the comparison after
    # them is still one.
    f"SELECT * WHERE {{ BIND(1 AS ?a) VALUES (?c ?d) {{ (1 <http://e/p#>) }} "
    f"FILTER(?a<?b&&'x>'!='y') {CLAUSE} FILTER('z'!='w') }}",
    f"SELECT * WHERE {{ BIND(1 AS ?a) OPTIONAL {{ (?a <http://e/p'>) ?p ?o }} "
    f"FILTER(?a<?b&&'x>'!='y') {CLAUSE} FILTER('z'!='w') }}",
    # Keywords glued to other words, which a parser reads apart.
    f"PREFIX ex: <http://www.w3.org/2001/XMLSchema#> SELECT * {{ "
    f"FILTERex:boolean(?a<?b&&'x>'!='y') {CLAUSE} #'\n}}",
    f"SELECT * {{ {{SELECTDISTINCT ?x (?a<?b&&'x>'!='y' AS ?z) {{}}}} {CLAUSE} #'\n}}",
    f"SELECT * {{ {{SELECT ?x {{}} GROUPBY ?x (?a<?b&&'x>'!='y')}} {CLAUSE} #'\n}}",
    # A subquery's clause, then a collection whose IRI a lexer might take for less-than.
    f"SELECT * {{ {{ FILTER(?a<?b&&'x>'!='y') {{SELECT * {{}} ORDER BY ?x}} "
    f"?s ?p (1 <http://x#1>) }} UNION {{ {CLAUSE} }} #'\n}}",
]


@pytest.mark.parametrize("text", TWO_READINGS)
def test_a_keyword_hidden_by_reading_less_than_as_an_iri_is_found(
    text: str, pyoxigraph_verdict: Any
) -> None:
    assert pyoxigraph_verdict("query", text) == "fetch"
    assert fetching_keyword(text) == "SERVICE"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { ?s <http://e/p#x> ?o . ?o ?p <http://e/Foo_(service)> FILTER(?s < ?o) }",
        "SELECT * { ?a <http://e/list> (<http://e/o#T> ?x) . ?a ?p 'web services' }",
        "SELECT * { FILTER(?a<?b&&?c>?d) BIND('download' AS ?e) }",
        "SELECT * { VALUES (?a ?b) { (<http://e/a> <http://e/Ender's_Game>) }\n"
        "?a ?p ?b FILTER(CONTAINS(?b, 'download')) }",
    ],
)
def test_iris_where_no_less_than_can_be_read_hide_nothing(
    text: str, pyoxigraph_verdict: Any
) -> None:
    assert pyoxigraph_verdict("query", text) == "none"
    assert fetching_keyword(text) is None


def test_past_an_iri_that_may_be_less_than_the_words_count_anywhere(
    pyoxigraph_verdict: Any,
) -> None:
    """The price of not following a parser's place: after a term in a collection, an IRI
    holding ``'`` stops the lexing, and "download" further on is refused as LOAD."""
    text = (
        "SELECT * { ?x <http://e/books> (<http://e/a> <http://e/Ender's_Game>) .\n"
        "?x ?p ?b FILTER(CONTAINS(?b, 'download')) }"
    )
    assert pyoxigraph_verdict("query", text) == "none"
    assert fetching_keyword(text) == "LOAD"
    with pytest.raises(ForbiddenOperationError, match="line 1, column 46 on") as refused:
        refuse_fetching(text)
    assert "put spaces around comparisons" in str(refused.value)
