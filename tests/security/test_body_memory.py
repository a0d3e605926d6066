"""Memory per request: bodies sent to the JSON routes cannot make the server grow.

Every route has its own body limit, checked before anything is read: a JSON API
takes a few hundred KiB, a query 1 MiB, only a graph upload the upload limit.
Before, the upload limit (64 MiB) applied to every route and ``get_json()`` parsed
whatever came: one anonymous POST to ``/query/labels.json`` grew the server from
150 MB to 1.76 GB.
"""

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from civicgraph.webapp.bodies import JSON_LIMIT
from tests.live import LiveServer, group_rss
from tests.security.rawhttp import RawAnswer, head, send_until_answered

pytestmark = pytest.mark.server

MIB = 1024 * 1024
#: What the upload limit let through to every route.
BIG = 64 * MIB
#: How much the whole server process tree may grow while the bodies arrive.
GROWTH_BOUND = 200 * MIB
_ITEM = b'"https://example.org/id/thing/x",'
_PIECE = _ITEM * (MIB // len(_ITEM))


def _json_pieces(size: int) -> Iterator[bytes]:
    """A valid JSON ``{"iris": [...]}`` document of exactly ``size`` bytes, a MiB at a time."""
    opening, closing = b'{"iris": [', b'"x"]}'
    yield opening
    left = size - len(opening) - len(closing)
    items = left // len(_ITEM)
    for start in range(0, items, len(_PIECE) // len(_ITEM)):
        yield _ITEM * min(len(_PIECE) // len(_ITEM), items - start)
    yield b" " * (left - items * len(_ITEM)) + closing


def _chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def _requests(size: int) -> dict[str, tuple[bytes, Iterator[bytes]]]:
    """Several maximal bodies, each to a route that takes JSON or ignores its body."""
    json_type = "Content-Type: application/json"
    labels = "/query/labels.json"
    return {
        "labels-length": (
            head("POST", labels, json_type, f"Content-Length: {size}"),
            _json_pieces(size),
        ),
        "labels-chunked": (
            head("POST", labels, json_type, "Transfer-Encoding: chunked"),
            _chunked(_json_pieces(size)),
        ),
        "labels-length-again": (
            head("POST", labels, json_type, f"Content-Length: {size}"),
            _json_pieces(size),
        ),
        "query-chunked": (
            head(
                "POST",
                "/sparql",
                "Content-Type: application/sparql-query",
                "Transfer-Encoding: chunked",
            ),
            _chunked(iter([b"ASK {}", *([b" " * MIB] * (size // MIB))])),
        ),
        "entities-get-with-body": (
            head("GET", "/search.json?q=code", json_type, f"Content-Length: {size}"),
            _json_pieces(size),
        ),
        "query-largest-allowed-chunked": (
            head(
                "POST",
                "/sparql",
                "Content-Type: application/sparql-query",
                "Accept: application/sparql-results+json",
                "Transfer-Encoding: chunked",
            ),
            _chunked(iter([b"ASK {}", *([b" " * (MIB // 4)] * 3), b" " * (MIB // 4 - 6)])),
        ),
        "labels-largest-allowed": (
            head("POST", labels, json_type, f"Content-Length: {JSON_LIMIT}"),
            _json_pieces(JSON_LIMIT),
        ),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with the default limits, warmed up so that caches are already built."""
    live = LiveServer(tmp_path_factory.mktemp("memory") / "store").start()
    deadline = time.monotonic() + 120
    while requests.get(f"{live.url}/api/graph/status", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the network never became ready"
        time.sleep(0.5)
    requests.post(f"{live.url}/query/labels.json", json={"iris": ["x"]}, timeout=30)
    yield live
    live.stop()


class PeakSampler(threading.Thread):
    """Samples the process tree's resident memory until stopped; keeps the peak."""

    def __init__(self, group: int) -> None:
        super().__init__(daemon=True)
        self.group, self.peak, self.done = group, group_rss(group), threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, group_rss(self.group))


def test_maximal_json_bodies_do_not_grow_the_server(server: LiveServer) -> None:
    assert server.process is not None
    baseline = group_rss(server.process.pid)
    sampler = PeakSampler(server.process.pid)
    sampler.start()
    answers: dict[str, RawAnswer] = {}

    def send(name: str, request_head: bytes, pieces: Iterator[bytes]) -> None:
        answers[name] = send_until_answered(server.port, request_head, pieces)[0]

    threads = [
        threading.Thread(target=send, args=(name, *request))
        for name, request in _requests(BIG).items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    time.sleep(0.5)
    sampler.done.set()
    sampler.join()
    statuses = {name: answer.status for name, answer in answers.items()}
    assert statuses == {
        "labels-length": 413,
        "labels-chunked": 413,
        "labels-length-again": 413,
        "query-chunked": 413,
        "entities-get-with-body": 200,
        "query-largest-allowed-chunked": 200,
        "labels-largest-allowed": 200,
    }
    assert answers["labels-length"].json()["error"] == "Payload too large"
    assert answers["query-largest-allowed-chunked"].json()["boolean"] is True
    growth = sampler.peak - baseline
    assert growth < GROWTH_BOUND, f"the server grew by {growth / MIB:.0f} MiB"
