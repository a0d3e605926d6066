"""A query over the time limit while the 8 throughput clients run.

civicgraph evaluates queries in its serving processes, so a query that runs too long
must be stopped there: its client gets 503 within the limit plus a second, and the
other clients keep their rate. This starts ``civicgraph serve`` with a short limit
over the store just served, measures the cheap query's rate with 8 clients, then
measures it again while one endless query runs beside them.
"""

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import requests

from bench.measure import Throughput, throughput
from bench.mix import SPARQL_JSON
from bench.peers import HttpPeer, civicgraph_server

#: The time limit the check serves with (seconds); the default is longer.
LIMIT_S: Final = 5.0
#: A query no engine finishes: three unconstrained triple patterns, counted.
ENDLESS: Final = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: The endless query is sent this long after the clients start.
_DELAY_S: Final = 0.5


@dataclass(frozen=True)
class LimitCheck:
    """How the endless query was answered, and the clients' rate without and beside it."""

    status: int
    seconds: float
    before: Throughput
    during: Throughput

    @property
    def kept(self) -> float:
        """The clients' rate beside the endless query, as a share of their rate without."""
        return self.during.per_second / max(self.before.per_second, 1.0)


def check_limit(store: Path, cheap: str) -> LimitCheck:
    """Serve ``store`` with ``LIMIT_S``; rates of ``cheap`` without and beside ``ENDLESS``.

    The second rate is taken over the limit plus a second, which the endless query
    fills from ``_DELAY_S`` until its answer.
    """
    server = civicgraph_server(store)
    server.env["CIVICGRAPH_QUERY_TIMEOUT"] = str(LIMIT_S)
    server.start(cheap)
    try:
        before = throughput(server.port, server.query_path, cheap, seconds=LIMIT_S)
        answer: list[tuple[int, float]] = []
        sender = threading.Thread(target=_send_endless, args=(server, answer))
        sender.start()
        during = throughput(server.port, server.query_path, cheap, seconds=LIMIT_S + 1)
        sender.join()
    finally:
        server.stop()
    status, seconds = answer[0] if answer else (0, float("inf"))
    return LimitCheck(status, seconds, before, during)


def _send_endless(server: HttpPeer, answer: list[tuple[int, float]]) -> None:
    """Send ``ENDLESS`` after ``_DELAY_S``; its status and seconds go into ``answer``."""
    time.sleep(_DELAY_S)
    started = time.perf_counter()
    response = requests.get(  # a new connection: the probe's has idled past the keeper's
        server.base + server.query_path,  # limit, and may close as the query is sent
        params={"query": ENDLESS},
        headers={"Accept": SPARQL_JSON},
        timeout=LIMIT_S * 10,
    )
    answer.append((response.status_code, time.perf_counter() - started))
