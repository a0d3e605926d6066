"""Who may write: the matrix of servers, tokens and write operations, over real HTTP."""

import uuid

import pytest
import requests

from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer

pytestmark = pytest.mark.server
TRIPLE = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> ."
WRITES = {
    "update": ("POST", "/update", "application/sparql-update", b"CLEAR SILENT GRAPH <http://x/>"),
    "put": ("PUT", "/store?graph=http://example.org/auth", "text/turtle", TRIPLE),
    "post": ("POST", "/store?graph=http://example.org/auth", "text/turtle", TRIPLE),
    "delete": ("DELETE", "/store?graph=http://example.org/auth", "", b""),
}
DENIED = {
    "no header": {},
    "wrong token": {"Authorization": "Bearer not-the-token"},
    "token as basic": {"Authorization": f"Basic {WRITE_TOKEN}"},
    "empty bearer": {"Authorization": "Bearer "},
}


def write(server: LiveServer, kind: str, headers: dict[str, str]) -> requests.Response:
    method, path, content_type, body = WRITES[kind]
    sent = {**headers, "Content-Type": content_type} if content_type else headers
    return requests.request(method, server.url + path, data=body, headers=sent, timeout=10)


@pytest.mark.parametrize("kind", WRITES)
def test_writes_are_403_when_no_token_is_configured(live_server: LiveServer, kind: str) -> None:
    response = write(live_server, kind, {"Authorization": "Bearer anything"})
    assert response.status_code == 403
    assert "CIVICGRAPH_WRITE_TOKEN" in response.json()["detail"]


@pytest.mark.parametrize("headers", DENIED.values(), ids=DENIED)
@pytest.mark.parametrize("kind", WRITES)
def test_writes_without_the_token_are_401(
    writable_server: LiveServer, kind: str, headers: dict[str, str]
) -> None:
    response = write(writable_server, kind, headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("kind", WRITES)
def test_writes_with_the_token_succeed(writable_server: LiveServer, kind: str) -> None:
    write(writable_server, "put", {"Authorization": f"Bearer {WRITE_TOKEN}"})
    response = write(writable_server, kind, {"Authorization": f"Bearer {WRITE_TOKEN}"})
    assert response.status_code in (201, 204)


def test_reads_need_no_token_on_a_writable_server(writable_server: LiveServer) -> None:
    response = requests.get(f"{writable_server.url}/sparql", params={"query": "ASK {}"}, timeout=10)
    assert response.status_code == 200


def test_an_update_with_the_token_is_visible_to_the_next_query(writable_server: LiveServer) -> None:
    graph = f"http://example.org/{uuid.uuid4().hex}"
    requests.post(
        f"{writable_server.url}/update",
        data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ {TRIPLE.decode()} }} }}"},
        headers={"Authorization": f"Bearer {WRITE_TOKEN}"},
        timeout=10,
    )
    response = requests.get(
        f"{writable_server.url}/sparql",
        params={"query": f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        timeout=10,
    )
    assert response.json()["boolean"] is True


def test_a_failing_update_changes_nothing(writable_server: LiveServer) -> None:
    graph = f"http://example.org/{uuid.uuid4().hex}"
    update = f"INSERT DATA {{ GRAPH <{graph}> {{ {TRIPLE.decode()} }} }} ; CREATE GRAPH <{graph}>"
    failed = requests.post(
        f"{writable_server.url}/update",
        data=update,
        headers={
            "Authorization": f"Bearer {WRITE_TOKEN}",
            "Content-Type": "application/sparql-update",
        },
        timeout=10,
    )
    response = requests.get(
        f"{writable_server.url}/sparql",
        params={"query": f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        timeout=10,
    )
    assert failed.status_code == 400
    assert response.json()["boolean"] is False
