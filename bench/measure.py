"""Timing: latency samples per query, and throughput under concurrent clients.

Latency: one warm-up call per peer, then rounds of one call per peer until
``MAX_CALLS`` rounds or the time budget is spent (at least ``MIN_CALLS`` rounds; a
warm-up longer than the budget counts alone).
Throughput: separate client processes, each with one keep-alive connection, so the
clients are not serialized by one interpreter lock; bounded by count and time. The
clients share the machine's cores with the server they measure, so they do as little
as HTTP allows: one request per text, written once, and of each answer only the status line
and the framing headers are read (``Answers``). ``http.client`` parses every header
with the email parser, about 40 µs per answer here: on two cores that is CPU taken
from the server, and a faster server loses more of it (it capped ``oxigraph serve``
at 9k requests/s, which serves 19k to this client and 23k to ``wrk``).
"""

import math
import multiprocessing
import random
import socket
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
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


def latencies(calls: Mapping[str, Callable[[], object]]) -> dict[str, Latency]:
    """Time each peer's call after a warm-up, interleaving the peers call by call.

    Other work on the machine then falls on every peer alike instead of on whichever
    peer happened to be measured at the time. Each round takes the peers in a new
    order (the same orders in every run): the call right after the in-process rdflib's
    also pays for the client's caches that rdflib's Python left cold, so no peer may
    always be the one after it (by hand, a cheap query measured 1.63-1.69x `oxigraph
    serve` always right after such work, 1.27-1.29x taking turns). A peer whose
    warm-up alone took longer than the budget keeps that one sample.
    """
    samples: dict[str, list[float]] = {}
    for name, call in calls.items():
        samples[name] = [_timed(call)]
    active = {n: c for n, c in calls.items() if samples[n][0] <= BUDGET_S}
    for name in active:
        samples[name] = []
    started, rounds, orders = time.perf_counter(), 0, random.Random(0)
    while active and rounds < MAX_CALLS:
        if rounds >= MIN_CALLS and time.perf_counter() - started > BUDGET_S * len(active):
            break
        names = list(active)
        orders.shuffle(names)
        for name in names:
            samples[name].append(_timed(active[name]))
        rounds += 1
    return {name: Latency(tuple(values)) for name, values in samples.items()}


def latency_of(call: Callable[[], object]) -> Latency:
    """Time one call on its own, as ``latencies`` does for several peers."""
    return latencies({"only": call})["only"]


def _timed(call: Callable[[], object]) -> float:
    begin = time.perf_counter()
    call()
    return time.perf_counter() - begin


def geomean(values: list[float]) -> float:
    """The geometric mean, the fair average of ratios."""
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _client(port: int, targets: list[str], count: int, deadline: float) -> int:
    """One client process: sequential GETs on one connection, for each target in turn;
    returns answers that were 200."""
    requests = [
        (
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Accept: application/sparql-results+json\r\n\r\n"
        ).encode("ascii")
        for target in targets
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        answers, done = Answers(sock), 0
        for sent in range(count):
            if time.time() > deadline:
                break
            sock.sendall(requests[sent % len(requests)])
            done += answers.status() == 200
    return done


class Answers:
    """HTTP/1.1 answers read off one kept-alive connection: status and framing only.

    The body is skipped by its ``Content-Length`` or, for a chunked answer, chunk by
    chunk; nothing else in the head is looked at. The peers measured send one or the
    other (``oxigraph serve`` chunks, the Python servers send a length).
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def status(self) -> int:
        """Read the next answer whole; its status code."""
        head = self._take(self._until(b"\r\n\r\n") + 4).lower()
        length = head.find(b"\r\ncontent-length:")
        if length >= 0:
            self._take(int(head[length + 17 : head.index(b"\r\n", length + 2)]))
        elif b"\r\ntransfer-encoding: chunked" in head:
            while size := int(self._take(self._until(b"\r\n") + 2).split(b";")[0], 16):
                self._take(size + 2)
            self._take(self._until(b"\r\n") + 2)
        return int(head[9:12])

    def _until(self, marker: bytes) -> int:
        """Where ``marker`` starts in the buffer, receiving until it is there."""
        while (found := self.buffer.find(marker)) < 0:
            self._receive()
        return found

    def _take(self, size: int) -> bytes:
        """The buffer's first ``size`` bytes, receiving until there are that many."""
        while len(self.buffer) < size:
            self._receive()
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def _receive(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data


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
    port: int,
    path: str,
    sparql: str | Sequence[str],
    *,
    clients: int = 8,
    count: int = 200_000,
    seconds: float = 8.0,
) -> Throughput:
    """Run ``clients`` processes, each sending up to ``count`` requests for up to ``seconds``.

    Given several texts, the clients share them out and each sends its own in turn: a
    server that keeps anything per text (a parsed request, a checked query) is then
    measured on texts it has not seen, as when each request asks for another entity.
    """
    texts = [sparql] if isinstance(sparql, str) else list(sparql)
    targets = [f"{path}?{urlencode({'query': text})}" for text in texts]
    context = multiprocessing.get_context("fork")
    with context.Pool(clients) as pool:
        started = time.perf_counter()
        deadline = time.time() + seconds
        shares = [targets[k::clients] or targets for k in range(clients)]
        args = [(port, share, count, deadline) for share in shares]
        answered = sum(pool.starmap(_client, args))
        elapsed = time.perf_counter() - started
    return Throughput(clients, answered, elapsed)
