"""Queries and updates that would overflow the engine's stack are refused, not crashed on.

pyoxigraph parses and plans recursively: a few thousand nested groups, or a path or a
group of about a thousand steps, ended the serving process (its client got no answer)
or the writer (every later write failed until a restart).
"""

import hashlib
import time
from pathlib import Path

import pytest
import requests

from civicgraph.errors import QueryTooDeepError, QueryTooWideError
from civicgraph.store.structure import (
    KEYED_BY_TEXT,
    SERVING_STACK,
    _key,
    at_once,
    check_structure,
)
from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer
from tests.stacks import engine_with_stack, needs_stack

#: Each within the test server's 10,000-byte limit on a query.
DEEP_QUERY = "SELECT * " + "{" * 4000 + "}" * 4000
LONG_PATH = "PREFIX : <urn:> SELECT * { ?s " + "/".join([":p"] * 2000) + " ?o }"
#: A collection holds no bracket or operator between its items.
LONG_LIST = "SELECT * { ?s <urn:p> (" + " 1" * 4900 + ") }"
#: A relative IRI: the check must read the text against the same base as the engine.
RELATIVE = "SELECT * WHERE { <rel> <p> ?o . " + "{" * 4000 + "}" * 4000 + " }"
DEEP_UPDATE = "INSERT { <urn:a> <urn:b> <urn:c> } WHERE " + "{" * 5000 + "}" * 5000
AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}
#: Shallow but slow to plan (400 chained patterns, about 2 s), then a chain of VALUES
#: clauses whose overflow comes only after that planning: past a child that gave up
#: at a limit of its own, it crashed the serving process (73 KB, sent by POST).
_CHAIN = " ".join(f"?b{i} <urn:p> ?b{i + 1} ." for i in range(400))
SLOW_THEN_DEEP = (
    "SELECT * WHERE { { "
    + _CHAIN
    + " } { "
    + " ".join(f"VALUES ?v{i} {{ 1 }}" for i in range(3200))
    + " } }"
)


def test_a_deeply_nested_query_is_refused_and_the_server_goes_on(
    guarded_server: LiveServer,
) -> None:
    for text in (DEEP_QUERY, LONG_PATH, LONG_LIST, RELATIVE):
        answer = requests.post(
            f"{guarded_server.url}/sparql",
            data=text,
            headers={"Content-Type": "application/sparql-query"},
            timeout=60,
        )
        # Refused, or stopped at the time limit while the engine plans it in the check's
        # child (some shapes take seconds to plan before they would crash): answered.
        assert answer.status_code in (400, 503), answer.text
        assert answer.json()["error"] in ("Query too deeply structured", "Query time limit")
    cheap = requests.get(f"{guarded_server.url}/sparql", params={"query": "ASK {}"}, timeout=10)
    assert cheap.status_code == 200
    assert "SIGSEGV" not in guarded_server.log.read_text(errors="replace")


def test_a_deeply_nested_update_is_refused_and_the_writer_goes_on(
    writable_server: LiveServer,
) -> None:
    url = f"{writable_server.url}/update"
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    refused = requests.post(url, data=DEEP_UPDATE, headers=headers, timeout=60)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "Query too deeply structured"
    write = "INSERT DATA { GRAPH <https://example.org/deep> { <urn:a> <urn:b> <urn:c> } }"
    assert requests.post(url, data=write, headers=headers, timeout=30).status_code == 204


#: 1.3 GB to aggregate on an empty store (past the check's 1 GiB, within the writer's
#: budget), then the deep chain of ``VALUES`` clauses: the check ran the first
#: operation out of memory and let the update through, and the writer crashed on the
#: second (74 KB, a token holder's).
_HUNGRY = (
    "SELECT (COUNT(DISTINCT ?z) AS ?c) WHERE { VALUES ?x { "
    + " ".join(map(str, range(400)))
    + " } VALUES ?y { "
    + " ".join(map(str, range(400)))
    + ' } BIND(CONCAT(STR(?x), "-", STR(?y), "'
    + "a" * 8000
    + '") AS ?z) }'
)
_WRITER_STOPPED = "The writer process stopped"
HUNGRY_THEN_DEEP = (
    f"INSERT {{ <urn:a> <urn:b> ?c }} WHERE {{ {{ {_HUNGRY} }} }} ;\n"
    "INSERT { <urn:a> <urn:b> <urn:c> } WHERE { "
    + " ".join(f"VALUES ?v{i} {{ 1 }}" for i in range(3200))
    + " }"
)


def test_an_update_that_hides_a_deep_operation_behind_a_hungry_one_is_refused(
    writable_server: LiveServer,
) -> None:
    url = f"{writable_server.url}/update"
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    stops = writable_server.log.read_text(errors="replace").count(_WRITER_STOPPED)
    refused = requests.post(url, data=HUNGRY_THEN_DEEP, headers=headers, timeout=60)
    assert refused.status_code == 503, refused.text
    assert "its check may use" in refused.json()["detail"]
    write = "INSERT DATA { GRAPH <https://example.org/deep> { <urn:a> <urn:b> <urn:d> } }"
    assert requests.post(url, data=write, headers=headers, timeout=30).status_code == 204
    assert writable_server.log.read_text(errors="replace").count(_WRITER_STOPPED) == stops


@pytest.mark.heavy
def test_a_text_slow_to_plan_before_it_overflows_is_refused(tmp_path: Path) -> None:
    """Only a check whose child planned the text to its end lets it through."""
    env = {"CIVICGRAPH_LOAD_BUNDLED": "false", "CIVICGRAPH_QUERY_TIMEOUT": "30"}
    server = LiveServer(tmp_path / "store", env).start()
    try:
        answer = requests.post(
            f"{server.url}/sparql",
            data=SLOW_THEN_DEEP,
            headers={"Content-Type": "application/sparql-query"},
            timeout=60,
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "Query too deeply structured"
        assert "SIGSEGV" not in server.log.read_text(errors="replace")
    finally:
        server.stop()


def test_a_long_deep_text_is_refused_again_from_the_kept_verdict() -> None:
    """Texts past ``KEYED_BY_TEXT`` are kept by digest; the verdict still holds, and a
    text that spells that digest is a key of its own."""
    text = "SELECT * " + "{" * 6000 + "}" * 6000
    assert len(text) > KEYED_BY_TEXT
    for _ in range(2):
        with pytest.raises(QueryTooDeepError):
            check_structure(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert _key(digest, "query", "") != _key(text, "query", "")


#: Each kind of construct as the text before, the unit repeated, the text in the
#: middle, the unit's closing text and the text after: at its deepest in a given length.
_KINDS: dict[str, tuple[str, str, str, str, str]] = {
    "collection": ("SELECT * { ?s ?p (", "1 ", "", "", ") }"),
    "nested collections": ("SELECT * { ?s ?p ", "(", "1", ")", " }"),
    "parentheses": ("SELECT * { FILTER(", "(", "1", ")", ")}"),
    "groups": ("SELECT * ", "{", "", "}", ""),
    "path steps": ("SELECT * { ?s ", "a/", "a", "", " ?o }"),
    "path alternatives": ("SELECT * { ?s ", "a|", "a", "", " ?o }"),
    "path parentheses": ("SELECT * { ?s ", "(", "a", ")", " ?o }"),
    "inverse paths": ("SELECT * { ?s ", "^(", "a", ")", " ?o }"),
    "repeated paths": ("SELECT * { ?s ", "(", "a", ")*", " ?o }"),
    "objects": ("SELECT * { ?s ?p ", "1,", "1", "", " }"),
    "predicates": ("SELECT * { ?s a 1", ";a 1", "", "", " }"),
    "blank nodes": ("SELECT * { ?s a ", "[a ", "1", "]", " }"),
    "language strings": ("SELECT * { ?s ?p ", "'x'@en,", "1", "", " }"),
    "sum": ("SELECT * { BIND(1", "+1", "", "", " AS ?x) }"),
    "difference": ("SELECT * { BIND(1", "-1", "", "", " AS ?x) }"),
    "and": ("SELECT * { FILTER(1", "&&1", "", "", ") }"),
    "or": ("SELECT * { FILTER(1", "||1", "", "", ") }"),
    "not": ("SELECT * { FILTER(", "!(", "1", ")", ") }"),
    "negation": ("SELECT * { FILTER(", "-(", "1", ")", ") }"),
    "in": ("SELECT * { FILTER(1 IN (1", ",1", "", "", ")) }"),
    "arguments": ("SELECT * { BIND(CONCAT(1", ",1", "", "", ") AS ?x) }"),
    "calls": ("SELECT * { BIND(", "STR(", "1", ")", " AS ?x) }"),
    "conditions": ("SELECT * { BIND(", "IF(1,1,", "1", ")", " AS ?x) }"),
    "aggregates": ("SELECT (", "COUNT(", "?x", ")", " AS ?c) {}"),
    "values clauses": ("SELECT * { ", "VALUES ?x{1}", "", "", "}"),
    "values rows": ("SELECT * { VALUES ?x{", "1 ", "", "", "}}"),
    "unions": ("SELECT * { {}", "UNION{}", "", "", "}"),
    "optionals": ("SELECT * { ", "OPTIONAL{}", "", "", "}"),
    "nested optionals": ("SELECT * { ", "OPTIONAL{", "", "}", "}"),
    "minus": ("SELECT * { ", "MINUS{}", "", "", "}"),
    "exists": ("SELECT * { ", "FILTER EXISTS{", "", "}", "}"),
    "not exists": ("SELECT * { ", "FILTER NOT EXISTS{", "", "}", "}"),
    "sub-selects": ("SELECT * { ", "{SELECT * {", "", "}}", "}"),
    "graphs": ("SELECT * { ", "GRAPH ?g{", "", "}", "}"),
    "filters": ("SELECT * { ", "FILTER(1)", "", "", "}"),
    "order": ("SELECT * {} ORDER BY ?a", " ?a", "", "", ""),
    "prefixes": ("", "PREFIX p: <http://e/> ", "SELECT * {}", "", ""),
}
#: Kinds the engine plans in time that grows much faster than the text: as long as a
#: serving process takes them at once, they plan for longer than any time limit, so
#: they are measured an eighth as long, with an eighth of the stack.
_SLOW = {"collection", "nested collections", "path steps", "objects", "predicates"}
_SLOW |= {"blank nodes", "language strings", "values clauses"}


def _deepest(kind: str, size: int) -> str:
    """The text of ``kind`` nested or repeated as often as ``size`` characters allow."""
    before, unit, middle, closing, after = _KINDS[kind]
    times = (size - len(before + middle + after)) // len(unit + closing)
    return before + unit * times + middle + closing * times + after


@needs_stack(SERVING_STACK, "a serving process's")
@pytest.mark.parametrize("kind", sorted(_KINDS))
def test_text_a_serving_process_takes_at_once_leaves_it_half_its_stack(kind: str) -> None:
    """The longest text that goes to the engine without a check in a serving process,
    built as deep as it can be, is parsed and planned with half of its stack (a kind
    slow to plan: an eighth of that text with an eighth of that stack, since the
    stack a text takes grows with its depth, while its planning time grows faster)."""
    share = 8 if kind in _SLOW else 1
    size = at_once(SERVING_STACK) // share
    text = _deepest(kind, size)
    assert size - 20 < len(text) <= size
    taken = engine_with_stack(text, SERVING_STACK // 2 // share)
    assert taken.returncode == 0, taken.stderr[-500:]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT " + " ".join(f"?v{i}" for i in range(40_000)) + " {}",
        "SELECT * { VALUES (" + " ".join(f"?v{i}" for i in range(40_000)) + ") { } }",
        "CONSTRUCT { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(30_000)) + " } {}",
        # a combining mark SPARQL allows in a name, where a word pattern stopped
        "SELECT " + " ".join(f"?x\u0483{i:x}" for i in range(40_000)) + " {}",
        # thirty projections of 4,999 each, the same names: 3.7 s
        "SELECT * { "
        + " ".join(
            "{ SELECT " + " ".join(f"?v{i}" for i in range(4_999)) + " {} }" for _ in range(30)
        )
        + " }",
    ],
    ids=["variables", "values", "template", "combining-mark", "subqueries"],
)
def test_a_text_the_engine_reads_in_quadratic_time_is_refused_at_once(text: str) -> None:
    """The engine reads these in time that grows with the square of their variables
    (40,000, 290 KB: 4.8 s): the check passed them, and the serving process then spent
    as long again, to its time limit. Refused before the engine or its check reads them."""
    started = time.monotonic()
    with pytest.raises(QueryTooWideError, match="more than 5,000 variables, or variables"):
        check_structure(text)
    assert time.monotonic() - started < 0.5


def test_a_megabyte_of_variables_is_counted_in_bounded_time() -> None:
    text = "SELECT " + " ".join(f"?v{i}" for i in range(150_000)) + " {}"
    started = time.monotonic()
    with pytest.raises(QueryTooWideError):
        check_structure(text, "update")
    assert time.monotonic() - started < 0.5


def test_the_largest_query_of_another_shape_passes_the_check() -> None:
    """600 KB of ``VALUES`` rows takes the engine a tenth of a second: let through."""
    rows = " ".join(f'(<http://example.org/{i}> "{i}")' for i in range(20_000))
    check_structure(f"SELECT * {{ VALUES (?x ?y) {{ {rows} }} ?x ?p ?y }}")
