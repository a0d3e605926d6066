"""Each error status of the endpoints, in one JSON shape, and never a 500."""

import pytest
import requests

from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer

pytestmark = pytest.mark.server
AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}
SPARQL_QUERY = {"Content-Type": "application/sparql-query"}
SPARQL_UPDATE = {**AUTH, "Content-Type": "application/sparql-update"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# name: (method, path, headers, body, status)
CASES: dict[str, tuple[str, str, dict[str, str], bytes | None, int]] = {
    "two queries": ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", {}, None, 400),
    "update by GET": ("GET", "/sparql?update=CLEAR%20ALL", {}, None, 400),
    "update posted to /sparql": ("POST", "/sparql", FORM, b"update=CLEAR+ALL", 400),
    "query is not UTF-8": ("POST", "/sparql", SPARQL_QUERY, "ASK {}".encode("utf-16"), 400),
    "query declared UTF-16": (
        "POST",
        "/sparql",
        {"Content-Type": "application/sparql-query; charset=UTF-16"},
        "ASK {}".encode("utf-16"),
        400,
    ),
    "form value not UTF-8": ("POST", "/sparql", FORM, b"query=ASK%20%7B%FF%7D", 400),
    "URL value not UTF-8": ("GET", "/sparql?query=ASK%20%7B%FF%7D", {}, None, 400),
    "dataset IRI not absolute": (
        "GET",
        "/sparql?query=ASK%7B%7D&default-graph-uri=x",
        {},
        None,
        400,
    ),
    "SERVICE": (
        "GET",
        "/sparql?query=SELECT%20*%20%7B%20SERVICE%20%3Chttp%3A%2F%2Fx%2F%3E%20%7B%7D%20%7D",
        {},
        None,
        400,
    ),
    "LOAD": ("POST", "/update", SPARQL_UPDATE, b"LOAD <http://127.0.0.1:9/x.ttl>", 400),
    "update not UTF-8": ("POST", "/update", SPARQL_UPDATE, "CLEAR ALL".encode("utf-16"), 400),
    "update syntax": ("POST", "/update", SPARQL_UPDATE, b"CLEAR XYZ", 400),
    "unknown path": ("GET", "/nowhere", {}, None, 404),
    "update by GET on /update": ("GET", "/update?update=CLEAR%20ALL", {}, None, 405),
    "PUT on /sparql": ("PUT", "/sparql?query=ASK%7B%7D", {}, None, 405),
    "CONSTRUCT as CSV": (
        "GET",
        "/sparql?query=CONSTRUCT%7B%7D%7B%7D",
        {"Accept": "text/csv"},
        None,
        406,
    ),
    "query over the body limit": ("POST", "/sparql", SPARQL_QUERY, b"#" * (1024 * 1024 + 1), 413),
    "query as text/plain": ("POST", "/sparql", {"Content-Type": "text/plain"}, b"ASK {}", 415),
    "query without a type": ("POST", "/sparql", {}, b"query=ASK%7B%7D", 415),
    "update as text/plain": ("POST", "/update", {**AUTH, "Content-Type": "text/plain"}, b"", 415),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES)
def test_error_status_and_shape(
    writable_server: LiveServer, case: tuple[str, str, dict[str, str], bytes | None, int]
) -> None:
    method, path, headers, body, status = case
    response = requests.request(
        method,
        writable_server.url + path,
        headers={"Accept": "application/json", **headers},
        data=body,
        timeout=10,
    )
    assert response.status_code == status
    assert response.json()["status"] == status
    assert set(response.json()) >= {"error", "status", "detail"}


def test_syntax_errors_carry_line_and_column(writable_server: LiveServer) -> None:
    response = requests.get(
        f"{writable_server.url}/sparql",
        params={"query": "SELECT *\nWHERE { ?s ?p }"},
        timeout=10,
    )
    body = response.json()
    assert response.status_code == 400
    assert (body["line"], body["column"]) == (2, 9)  # the pattern that lacks its object
    assert body["detail"].startswith("Line 2, column 9: the triple pattern ?s ?p has no object")


def test_a_browser_gets_an_error_page(writable_server: LiveServer) -> None:
    response = requests.get(
        f"{writable_server.url}/store",
        params={"graph": "http://example.org/missing"},
        headers={"Accept": "text/html"},
        timeout=10,
    )
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
