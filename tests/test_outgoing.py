"""Answers a client reads slowly: spooled by the serving process, finished by the keeper."""

import os
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from civicgraph.webapp import outgoing
from civicgraph.webapp.outgoing import Outgoing, Spool, send_or_spool

#: Larger than what a connection's buffers take while its client reads nothing.
ANSWER = bytes(range(256)) * (64 * 1024)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected TCP pair on loopback whose client reads nothing yet."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(server.getsockname())
        served, _ = server.accept()
        yield served, client
        for end in (served, client):
            end.close()


def _read_all(client: socket.socket) -> bytes:
    client.settimeout(10)
    received = bytearray()
    while chunk := client.recv(1 << 20):
        received += chunk
    return bytes(received)


def _spooled(served: socket.socket) -> Spool:
    spool = send_or_spool(served, ANSWER, None)
    assert spool is not None  # the client reads nothing: the rest is spooled
    return spool


def _handed_over(poll: select.epoll, served: socket.socket) -> Outgoing:
    """The keeper's part holding the answer a serving process spooled, then forgot."""
    spool = _spooled(served)
    held = Outgoing(poll)
    held.hold(socket.socket(fileno=os.dup(served.fileno())), os.dup(spool.fd))
    spool.close()
    served.close()
    return held


def _drive(held: Outgoing, poll: select.epoll, seconds: float = 60) -> None:
    """Run the keeper's part: send as the client reads, until every answer is done
    (or ``seconds`` pass: generous, as a busy machine schedules each small read late)."""
    deadline = time.monotonic() + seconds
    while len(held) and time.monotonic() < deadline:
        for fd, _events in poll.poll(0.05):
            held.event(fd)


@pytest.mark.timed
def test_a_client_that_reads_nothing_does_not_hold_the_sender(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    served, _client = pair
    started = time.monotonic()
    spool = _spooled(served)
    assert time.monotonic() - started < 1.0
    assert os.fstat(spool.fd).st_size < len(ANSWER)
    assert send_or_spool(served, b"more", spool) is spool  # the rest follows in order
    spool.close()


def test_the_keeper_sends_the_rest_whole_as_the_client_reads_then_closes(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    served, client = pair
    with select.epoll() as poll:
        held = _handed_over(poll, served)
        reader = _Reader(client)
        _drive(held, poll)
        assert not len(held)
        assert reader.join() == ANSWER  # in order, then the end


def test_past_the_budget_the_longest_stalled_answer_is_dropped(
    pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    served, _client = pair
    spool = _spooled(served)
    size = os.fstat(spool.fd).st_size
    monkeypatch.setattr(outgoing, "HELD_BYTES", size + size // 2)
    with select.epoll() as poll:
        held = Outgoing(poll)
        first = socket.socket(fileno=os.dup(served.fileno()))
        held.hold(first, os.dup(spool.fd))
        held.hold(socket.socket(fileno=os.dup(served.fileno())), os.dup(spool.fd))
        assert len(held) == 1
        assert first.fileno() == -1  # the older one was closed
        monkeypatch.setattr(outgoing, "STALLED_SECONDS", -1.0)
        held.sweep()
        assert not len(held)
    spool.close()


class _Reader:
    """Reads a client socket to its end on a thread, as a slow client would."""

    def __init__(self, client: socket.socket) -> None:
        self._data = b""
        self._thread = threading.Thread(target=self._run, args=(client,))
        self._thread.start()

    def _run(self, client: socket.socket) -> None:
        self._data = _read_all(client)
        client.shutdown(socket.SHUT_WR)  # the end, from this side too

    def join(self) -> bytes:
        self._thread.join(20)
        return self._data


def test_the_end_waits_for_the_client_and_discards_what_it_still_sends(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    served, client = pair
    served.sendall(b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n")
    client.sendall(b"#" * 5000)  # the rest of a body its route refused unread
    with select.epoll() as poll:
        held = Outgoing(poll)
        held.hold(socket.socket(fileno=os.dup(served.fileno())), None)
        served.close()
        assert len(held) == 1  # waiting for the client's end, its bytes read and dropped
        assert client.recv(100).startswith(b"HTTP/1.1 413")  # no reset lost it
        assert client.recv(100) == b""  # half-closed by the keeper
        client.shutdown(socket.SHUT_WR)
        _drive(held, poll)
        assert not len(held)


@pytest.mark.parametrize(
    ("limit", "spooled", "reset"),
    [("STALLED_SECONDS", True, True), ("LINGER_SECONDS", False, False)],
    ids=["an-answer-nobody-reads-is-cut", "a-client-that-never-ends-is-closed"],
)
def test_a_connection_the_client_leaves_is_dropped_after_its_limit(
    pair: tuple[socket.socket, socket.socket],
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    spooled: bool,
    reset: bool,
) -> None:
    """An answer nobody reads is reset (the client sees it was cut); the end of one sent
    whole, whose client never closes, is a clean close."""
    monkeypatch.setattr(outgoing, limit, 0.1)
    served, client = pair
    with select.epoll() as poll:
        if spooled:
            held = _handed_over(poll, served)
        else:
            held = Outgoing(poll)
            held.hold(socket.socket(fileno=os.dup(served.fileno())), None)
            served.close()
        time.sleep(0.2)
        held.sweep()
        assert not len(held)
    if reset:
        with pytest.raises(ConnectionResetError):
            _read_all(client)
    else:
        assert client.recv(100) == b""
