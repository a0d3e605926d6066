"""The endpoint's fast path answers exactly as the ``sparql`` blueprint does.

Each request goes once through the application (where ``QueryFastPath`` takes the
plain ``GET /sparql?query=…`` and the plain POSTs of a query) and once straight to
Flask's own dispatch, and the two answers must agree: status, body and every header
but the date.
"""

import random
from dataclasses import replace
from io import BytesIO
from typing import Any
from urllib.parse import quote, unquote_plus

import pytest
from flask import Flask
from werkzeug.test import Client, TestResponse

from civicgraph.webapp import fastpath
from civicgraph.webapp.fastpath import QueryFastPath, plain_query

PEOPLE = (
    "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } "
    "ORDER BY ?s ?label LIMIT 20"
)
JSON = "application/sparql-results+json"


def _both(app: Flask, query_string: str, accept: str | None) -> tuple[TestResponse, TestResponse]:
    fast_path = app.wsgi_app
    assert isinstance(fast_path, QueryFastPath)
    headers = {"Accept": accept} if accept is not None else {}
    url = f"/sparql?{query_string}"
    through_app = Client(app).get(url, headers=headers)
    through_flask = Client(fast_path.fallback).get(url, headers=headers)
    return through_app, through_flask


def _both_posted(
    app: Flask, body: bytes, content_type: str, accept: str | None
) -> tuple[TestResponse, TestResponse]:
    fast_path = app.wsgi_app
    assert isinstance(fast_path, QueryFastPath)
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    through_app = Client(app).post("/sparql", data=body, headers=headers)
    through_flask = Client(fast_path.fallback).post("/sparql", data=body, headers=headers)
    return through_app, through_flask


def _same(first: TestResponse, second: TestResponse) -> None:
    assert first.status_code == second.status_code
    assert first.get_data()
    assert first.get_data() == second.get_data()

    def comparable(response: TestResponse) -> list[tuple[str, str]]:
        return sorted((k.lower(), v) for k, v in response.headers.items() if k != "Date")

    assert comparable(first) == comparable(second)


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (PEOPLE, JSON),
        (PEOPLE, "application/sparql-results+xml"),
        (PEOPLE, "text/csv"),
        (PEOPLE, "text/csv; profile=spreadsheet"),
        (PEOPLE, "text/tab-separated-values"),
        (PEOPLE, None),
        (PEOPLE, "*/*"),
        ("ASK { ?s ?p ?o }", JSON),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5", "text/turtle"),
        ("DESCRIBE <https://w3id.org/civicgraph/id/person/aaron-snow>", "application/n-triples"),
        ("SELECT (<relative> AS ?iri) WHERE {}", JSON),
        ("SELECT ?x WHERE { ?x ?y }", JSON),  # a syntax error: 400
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", JSON),  # refused
        (PEOPLE, "image/png"),  # nothing acceptable: 406
        ("", JSON),
    ],
)
def test_the_fast_path_answers_as_the_blueprint(
    read_app: Flask, query: str, accept: str | None
) -> None:
    _same(*_both(read_app, f"query={quote(query)}", accept))
    posted = f"query={quote(query)}".encode()
    _same(*_both_posted(read_app, posted, "application/x-www-form-urlencoded", accept))
    _same(*_both_posted(read_app, query.encode(), "application/sparql-query", accept))


@pytest.mark.parametrize(
    "more",
    [
        "&format=json&output=json&results=json",
        "&format=csv",
        "&format=xml",
        "&format=turtle",
        "&format=nothing",
        "&format=",
        "&format=json&format=csv",
        "&output=tsv",
        "&query=ASK",
        "&default-graph-uri=urn%3Anothing",
    ],
)
@pytest.mark.parametrize("accept", [JSON, "text/html", None])
def test_a_named_format_gets_the_blueprints_answer(
    read_app: Flask, more: str, accept: str | None
) -> None:
    _same(*_both(read_app, f"query={quote(PEOPLE)}{more}", accept))
    posted = f"query={quote(PEOPLE)}{more}".encode()
    _same(*_both_posted(read_app, posted, "application/x-www-form-urlencoded", accept))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"query=ASK+%7B%7D", "application/x-www-form-urlencoded; charset=UTF-8"),
        (b"\xef\xbb\xbfASK {}", "application/sparql-query; charset=utf-8"),
        (b"ASK \xff", "application/sparql-query"),
        (b"ASK {}", "application/sparql-query; charset=latin-1"),
        (b"ASK {}", "text/plain"),
        (b"query=ASK+%7B%7D&query=ASK", "application/x-www-form-urlencoded"),
        (b"update=CLEAR+ALL", "application/x-www-form-urlencoded"),
    ],
)
def test_a_posted_query_gets_the_blueprints_answer(
    read_app: Flask, body: bytes, content_type: str
) -> None:
    _same(*_both_posted(read_app, body, content_type, JSON))


def test_a_posted_query_over_the_body_limit_is_refused_alike(app: Flask) -> None:
    state = app.extensions["civicgraph"]
    state.settings = replace(state.settings, query_body_limit=10)
    through_app, through_flask = _both_posted(
        app, b"ASK { ?s ?p ?o }", "application/sparql-query", JSON
    )
    assert through_app.status_code == 413
    _same(through_app, through_flask)


def test_a_capped_answer_is_announced_alike(app: Flask) -> None:
    state = app.extensions["civicgraph"]
    state.settings = replace(state.settings, row_cap=2)
    through_app, through_flask = _both(app, f"query={quote(PEOPLE)}", JSON)
    assert through_app.headers["X-Civicgraph-Truncated"] == "2"
    assert len(through_app.get_json()["results"]["bindings"]) == 2
    _same(through_app, through_flask)


def _got(query_string: str, **more: str) -> dict[str, str]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/sparql", "QUERY_STRING": query_string, **more}


JSON_NAMED = ("ASK", JSON)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (_got("query=ASK+%7B%7D"), ("ASK {}", None)),
        (_got("query=ASK", HTTP_ACCEPT="text/csv"), ("ASK", "text/csv")),
        ({"REQUEST_METHOD": "POST", "PATH_INFO": "/sparql", "QUERY_STRING": "query=ASK"}, None),
        ({"REQUEST_METHOD": "GET", "PATH_INFO": "/query", "QUERY_STRING": "query=ASK"}, None),
        (_got("query=A&format=csv"), ("A", "text/csv")),
        (_got("query=ASK&format=json&output=json&results=json"), JSON_NAMED),
        (_got("format=json&query=ASK", HTTP_ACCEPT="text/html"), JSON_NAMED),
        (_got("query=ASK&output=xml"), ("ASK", None)),
        (_got("query=ASK&format=nothing"), None),
        (_got("query=ASK&format=json&format=csv"), None),
        (_got("query=ASK&query=ASK"), None),
        (_got("format=json"), None),
        (_got("query=ASK&default-graph-uri=urn:x"), None),
        (_got("query=ASK&named-graph-uri=urn:x"), None),
        (_got("query=ASK&version=1"), None),
        (_got("query=ASK&update=CLEAR+ALL"), None),
        (_got("query=ASK&x=%FF"), None),
        (_got(""), None),
        (_got("query=%FF"), None),
        (_got("query=\u00e9"), None),
        (_got("query=ASK", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8"), None),
    ],
)
def test_only_a_plain_query_takes_the_fast_path(
    environ: dict[str, str], expected: tuple[str, str | None] | None
) -> None:
    assert plain_query(environ) == expected


def _posted(body: bytes, content_type: str, **changes: Any) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/sparql",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": BytesIO(body),
    }
    return {**environ, **changes}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (_posted(b"ASK {}", "application/sparql-query"), ("ASK {}", None)),
        (_posted(b"query=ASK+%7B%7D", "application/x-www-form-urlencoded"), ("ASK {}", None)),
        (_posted(b"query=ASK&format=json", "application/x-www-form-urlencoded"), JSON_NAMED),
        (_posted(b"ASK {}", "application/sparql-query", QUERY_STRING="x=1"), None),
        (_posted(b"ASK {}", "application/sparql-query", CONTENT_LENGTH="5"), None),
        (_posted(b"ASK {}", "application/sparql-query", CONTENT_LENGTH=None), None),
        (_posted(b"ASK {}", "application/sparql-query", PATH_INFO="/update"), None),
        (_posted(b"ASK {}", "application/sparql-query", HTTP_ACCEPT="text/html"), None),
        (_posted(b"query=\xc3\xa9", "application/x-www-form-urlencoded"), None),
        (_posted(b"ASK {}", "application/json"), None),
    ],
)
def test_only_a_plain_posted_query_takes_the_fast_path(
    environ: dict[str, Any], expected: tuple[str, str | None] | None
) -> None:
    assert plain_query(environ) == expected


def test_a_body_still_to_be_read_from_the_socket_is_left_to_flask() -> None:
    """gunicorn's body stream is read by the blueprint; the fast path never takes it."""

    class Streamed:
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("the fast path read a streamed body")

    environ = _posted(b"ASK {}", "application/sparql-query")
    assert plain_query({**environ, "wsgi.input": Streamed()}) is None
    read = environ["wsgi.input"]
    read.read(1)
    assert plain_query(environ) is None


@pytest.mark.parametrize("host", ["", "example.org:8080", "[::1]"])
def test_the_base_iri_follows_the_host_header_as_flask_reads_it(read_app: Flask, host: str) -> None:
    url = "/sparql?query=" + quote('SELECT (IRI("x") AS ?i) {}')
    fast_path = read_app.wsgi_app
    assert isinstance(fast_path, QueryFastPath)
    environ = {"HTTP_HOST": host, "HTTP_ACCEPT": JSON}
    through_app = Client(read_app).get(url, environ_overrides=environ)
    through_flask = Client(fast_path.fallback).get(url, environ_overrides=environ)
    _same(through_app, through_flask)


def test_a_browser_is_still_sent_to_the_workbench(read_app: Flask) -> None:
    response = Client(read_app).get(
        f"/sparql?query={quote(PEOPLE)}", headers={"Accept": "text/html"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/query?query=")


def test_a_query_parameter_is_decoded_as_unquote_plus_decodes_it() -> None:
    """Escapes whole, cut short or not hex, backslashes, plus signs and bytes that
    are not UTF-8 decode as ``unquote_plus`` decodes them, or are refused alike."""
    pieces = ["%41", "%c3%a9", "%E2%82%AC", "%", "%4", "%zz", "%%", "+", "\\", "\\x41", "a", "%5C"]
    pieces += ["%ff", "%C3", "\\u00e9", "%0A", "=3D"]
    chosen = random.Random(7)
    for _ in range(3000):
        escaped = "".join(chosen.choice(pieces) for _ in range(chosen.randrange(1, 8)))
        try:
            expected: str | None = unquote_plus(escaped, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            expected = None
        assert fastpath._decoded(escaped) == expected, escaped
