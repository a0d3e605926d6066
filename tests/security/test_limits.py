"""Limits over real HTTP: bodies over the limit get 413 unread, memory hogs are stopped."""

import socket

import requests

from civicgraph.webapp.bodies import JSON_LIMIT
from tests.live import LiveServer
from tests.security.conftest import AUTH, GUARDED_ENV

UPLOAD_LIMIT = int(GUARDED_ENV["CIVICGRAPH_UPLOAD_LIMIT"])
QUERY_LIMIT = int(GUARDED_ENV["CIVICGRAPH_QUERY_BODY_LIMIT"])
#: Sorting the cross product of all triples needs gigabytes.
MEMORY_HOG = "SELECT ?o ?o2 { ?s ?p ?o . ?s2 ?p2 ?o2 } ORDER BY ?o ?o2 LIMIT 1"


def _raw(server: LiveServer, head: str, body: bytes = b"") -> str:
    """Send a request by hand (headers promising more than is sent); return the status line."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        return conn.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_declared_length_over_the_limit_is_413_before_any_body_is_sent(
    guarded_server: LiveServer,
) -> None:
    head = (
        "PUT /store?default HTTP/1.1\nHost: 127.0.0.1\nContent-Type: text/turtle\n"
        f"Authorization: {AUTH['Authorization']}\nContent-Length: {10**12}\n"
    )
    assert _raw(guarded_server, head) == "HTTP/1.1 413 REQUEST ENTITY TOO LARGE"


def test_chunked_body_is_413_once_past_the_limit_though_never_finished(
    guarded_server: LiveServer,
) -> None:
    head = (
        "POST /update HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/sparql-update\n"
        f"Authorization: {AUTH['Authorization']}\nTransfer-Encoding: chunked\n"
    )
    chunk = b"#" * 4096
    # Past what the master gathers before the request goes on (the largest body an
    # open route takes), so that the serving process reads it as it is.
    gathered = max(QUERY_LIMIT, JSON_LIMIT) + 1
    body = (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") * (gathered // 4096 + 2)
    assert _raw(guarded_server, head, body).startswith("HTTP/1.1 413")


def test_query_body_over_the_limit_is_413_for_readers_too(guarded_server: LiveServer) -> None:
    response = requests.post(
        f"{guarded_server.url}/sparql",
        data=b"ASK {}" + b" " * QUERY_LIMIT,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    assert response.json()["error"] == "Payload too large"


def test_query_over_the_memory_budget_is_stopped_and_the_server_survives(
    guarded_server: LiveServer,
) -> None:
    url = f"{guarded_server.url}/sparql"
    response = requests.get(url, params={"query": MEMORY_HOG}, timeout=30)
    assert response.status_code == 503
    assert "memory budget" in response.json()["detail"]
    after = requests.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    assert after.json()["boolean"] is True
