"""A bounded load test on loopback: mixed clients and one slow query, zero errors.

Six clients send a fixed mix of requests (queries, pages, graph reads and writes)
while one query runs into the time limit. Nothing may fail, and the other clients
must get answers while the slow query still runs: it holds one query worker, not
the server. Latencies are printed (``pytest -s``), never asserted.
"""

import statistics
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests

from tests.live import LiveServer
from tests.security.conftest import AUTH

pytestmark = pytest.mark.timed

CLIENTS = 6
ROUNDS = 4
SLOW = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
GRAPH = "https://w3id.org/civicgraph/graph/people"


@dataclass
class Record:
    """What every request of the run did: (start, end, status) and any failures."""

    answers: list[tuple[float, float, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _mix(url: str, client: int) -> list[tuple[str, str, dict[str, object]]]:
    own = f"{url}/store?graph=http://example.org/load/{client}"
    turtle = f"<http://example.org/s{client}> <http://example.org/p> {client} ."
    return [
        ("GET", f"{url}/sparql", {"params": {"query": "SELECT ?s { ?s a ?t } LIMIT 20"}}),
        ("GET", f"{url}/", {"headers": {"Accept": "text/html"}}),
        ("GET", f"{url}/index.json", {}),
        ("GET", f"{url}/store", {"params": {"graph": GRAPH}, "headers": {"Accept": "text/turtle"}}),
        ("PUT", own, {"data": turtle, "headers": {**AUTH, "Content-Type": "text/turtle"}}),
        ("GET", f"{url}/sparql", {"params": {"query": "ASK { ?s ?p ?o }"}}),
    ]


def _client(url: str, client: int, record: Record) -> None:
    with requests.Session() as session:
        for _ in range(ROUNDS):
            for method, target, options in _mix(url, client):
                started = time.monotonic()
                try:
                    response = session.request(method, target, timeout=30, **options)
                except requests.RequestException as exc:
                    status, detail = 0, str(exc)
                else:
                    status = response.status_code
                    detail = f"{method} {target}: {status} {response.text[:200]}"
                with record.lock:
                    record.answers.append((started, time.monotonic(), status))
                    if not 200 <= status < 300:
                        record.failures.append(detail)


def test_mixed_load_with_a_slow_query(busy_server: LiveServer) -> None:
    url, record = busy_server.url, Record()
    slow: dict[str, float] = {"start": time.monotonic()}

    def run_slow() -> None:
        response = requests.get(f"{url}/sparql", params={"query": SLOW}, timeout=60)
        slow["end"], slow["status"] = time.monotonic(), response.status_code

    threads = [threading.Thread(target=run_slow)]
    threads += [threading.Thread(target=_client, args=(url, n, record)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    latencies = sorted(end - start for start, end, _ in record.answers)
    during = [a for a in record.answers if a[1] < slow["end"]]
    print(
        f"\n{len(latencies)} requests, p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms; slow query "
        f"{slow['status']} after {slow['end'] - slow['start']:.1f} s, "
        f"{len(during)} answers meanwhile"
    )
    assert record.failures == []
    assert len(record.answers) == CLIENTS * ROUNDS * 6
    assert slow["status"] == 503  # stopped at the time limit, with a clear error
    assert len(during) >= CLIENTS
