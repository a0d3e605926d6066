"""A write has a time limit and a memory budget, as a query has.

An update whose WHERE pairs every triple with every other inserts millions of
triples in one transaction: without limits it held the writer for as long as it ran
and grew it by about 50 MB a second until the machine ran out, while every write
after it waited. The master stops the writer at either limit: the client is told
which, none of the write is applied, and the writes after it go to the next writer.
"""

import threading
import time
from collections.abc import Callable

import pytest
import requests

from tests.live import LiveServer, writer_process
from tests.security.bulk import EX, ntriples
from tests.security.conftest import AUTH

SOURCE = f"{EX}graph/source"
TARGET = f"{EX}graph/pairs"
TOKEN = AUTH["Authorization"].removeprefix("Bearer ")
COUNTS = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
#: Every subject of the source with every object: four million triples from 2,000.
PAIRS = (
    f"INSERT {{ GRAPH <{TARGET}> {{ ?s <{EX}pair> ?o2 }} }} "
    f"WHERE {{ GRAPH <{SOURCE}> {{ ?s ?p ?o . ?s2 ?p2 ?o2 }} }}"
)


def _counts(server: LiveServer) -> dict[str, int]:
    response = requests.get(f"{server.url}/sparql", params={"query": COUNTS}, timeout=30)
    rows = response.json()["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


def _put(server: LiveServer, graph: str, body: bytes) -> requests.Response:
    headers = {**AUTH, "Content-Type": "application/n-triples"}
    return requests.put(
        f"{server.url}/store", params={"graph": graph}, data=body, headers=headers, timeout=60
    )


def _pairs(server: LiveServer) -> tuple[requests.Response, float]:
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    began = time.monotonic()
    response = requests.post(f"{server.url}/update", data=PAIRS, headers=headers, timeout=120)
    return response, time.monotonic() - began


def _server(start_server: Callable[..., LiveServer], **limits: str) -> LiveServer:
    server = start_server(env={"CIVICGRAPH_WRITE_TOKEN": TOKEN, **limits})
    assert _put(server, SOURCE, ntriples(2_000, "source")).status_code == 201
    return server


@pytest.mark.timed
def test_a_write_past_the_time_limit_is_stopped_and_none_of_it_is_applied(
    start_server: Callable[..., LiveServer],
) -> None:
    server = _server(start_server, CIVICGRAPH_WRITE_TIMEOUT="2")
    before, writer = _counts(server), writer_process(server)

    response, seconds = _pairs(server)

    assert response.status_code == 503
    assert response.json()["error"] == "Write limit"
    assert "2 s limit for writes" in response.json()["detail"]
    assert seconds < 2 + 3
    assert _put(server, f"{EX}graph/after", ntriples(10, "after")).status_code == 201
    assert writer_process(server) != writer
    assert _counts(server) == {**before, f"{EX}graph/after": 10}


@pytest.mark.timed
def test_a_write_past_the_memory_budget_is_stopped_and_none_of_it_is_applied(
    start_server: Callable[..., LiveServer],
) -> None:
    budget = 150 * 1024 * 1024
    server = _server(start_server, CIVICGRAPH_WRITE_MEMORY_BUDGET=str(budget))
    before = _counts(server)

    response, seconds = _pairs(server)

    assert response.status_code == 503
    assert "150 MiB memory budget for writes" in response.json()["detail"]
    assert seconds < 60  # the time limit (120 s) was not what stopped it
    assert _counts(server) == before


def test_a_write_waiting_behind_a_stopped_one_is_applied_by_the_next_writer(
    start_server: Callable[..., LiveServer],
) -> None:
    """It never began: it is neither lost nor reported as the one that ran too long."""
    server = _server(start_server, CIVICGRAPH_WRITE_TIMEOUT="2")
    stopped: list[requests.Response] = []
    pairs = threading.Thread(target=lambda: stopped.append(_pairs(server)[0]))
    pairs.start()
    time.sleep(0.5)  # the update holds the writer; the next write waits behind it

    waiting = _put(server, f"{EX}graph/waiting", ntriples(10, "waiting"))
    pairs.join(timeout=60)

    assert stopped[0].status_code == 503
    assert waiting.status_code == 201, waiting.text
    assert _counts(server)[f"{EX}graph/waiting"] == 10
    assert TARGET not in _counts(server)
