"""Timing: latency samples per query, and throughput under concurrent clients.

Latency: one warm-up call, then calls until ``max_calls`` or the time budget is
spent (at least ``min_calls``; a single call longer than the budget counts alone).
Throughput: separate client processes, each with one keep-alive connection, so the
clients are not serialized by one interpreter lock; bounded by count and time.
"""

import http.client
import math
import multiprocessing
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

BUDGET_S: Final = 2.0
MAX_CALLS: Final = 30
MIN_CALLS: Final = 3


@dataclass(frozen=True)
class Latency:
    """Samples of one query on one peer, in seconds."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median sample."""
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        """The 95th percentile (nearest rank)."""
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def latency(call: Callable[[], object]) -> Latency:
    """Time ``call`` after one warm-up."""
    started = time.perf_counter()
    call()
    if time.perf_counter() - started > BUDGET_S:
        return Latency((time.perf_counter() - started,))
    samples: list[float] = []
    budget_start = time.perf_counter()
    while len(samples) < MAX_CALLS and (
        len(samples) < MIN_CALLS or time.perf_counter() - budget_start < BUDGET_S
    ):
        begin = time.perf_counter()
        call()
        samples.append(time.perf_counter() - begin)
    return Latency(tuple(samples))


def geomean(values: list[float]) -> float:
    """The geometric mean, the fair average of ratios."""
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _client(port: int, target: str, count: int, deadline: float) -> int:
    """One client process: sequential GETs on one connection; returns answers that were 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done = 0
    for _ in range(count):
        if time.time() > deadline:
            break
        connection.request("GET", target, headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        response.read()
        done += response.status == 200
    connection.close()
    return done


@dataclass(frozen=True)
class Throughput:
    """Requests answered with 200 per second by ``clients`` concurrent clients."""

    clients: int
    answered: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Answered requests per second of wall time."""
        return self.answered / self.seconds


def throughput(
    port: int, path: str, sparql: str, *, clients: int = 8, count: int = 1500, seconds: float = 8.0
) -> Throughput:
    """Run ``clients`` processes, each sending up to ``count`` requests for up to ``seconds``."""
    target = f"{path}?{urlencode({'query': sparql})}"
    context = multiprocessing.get_context("fork")
    with context.Pool(clients) as pool:
        started = time.perf_counter()
        deadline = time.time() + seconds
        args = [(port, target, count, deadline)] * clients
        answered = sum(pool.starmap(_client, args))
        elapsed = time.perf_counter() - started
    return Throughput(clients, answered, elapsed)
