"""Request bodies gathered by the keeper while they arrive, over real sockets."""

import os
import select
import socket
import struct
import time
from collections.abc import Iterator

import pytest

from civicgraph.webapp import incoming
from civicgraph.webapp.arrival import FIELDS, MOST_CHUNKS, SLICE, WINDOW, Arrival, unread
from civicgraph.webapp.incoming import TURN, Incoming
from civicgraph.webapp.refusal import Refusal

RULE = Arrival(cap=1000)
HEAD = b"PUT /store HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\n"


class _Outcomes:
    """What ``Incoming`` handed back: requests to go on (with their bytes), refusals."""

    def __init__(self) -> None:
        self.ready: list[tuple[socket.socket, bytes]] = []
        self.refused: list[tuple[socket.socket, int]] = []

    def go_on(self, client: socket.socket, file: int) -> None:
        self.ready.append((client, os.pread(file, 1 << 20, 0)))
        os.close(file)

    def refuse(self, client: socket.socket, refusal: Refusal) -> None:
        self.refused.append((client, refusal.status))
        client.close()


@pytest.fixture
def gathering() -> Iterator[tuple[Incoming, select.epoll, _Outcomes]]:
    with select.epoll() as poll:
        outcomes = _Outcomes()
        yield Incoming(poll, RULE, 0.2, outcomes.go_on, outcomes.refuse), poll, outcomes
        for client, _read in outcomes.ready:
            client.close()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


@pytest.fixture
def pair(listener: socket.socket) -> Iterator[tuple[socket.socket, socket.socket]]:
    served, client = _connected(listener)
    yield served, client
    client.close()


def _connected(listener: socket.socket) -> tuple[socket.socket, socket.socket]:
    client = socket.create_connection(listener.getsockname())
    served, _ = listener.accept()
    return served, client


def _turn(held: Incoming, poll: select.epoll) -> None:
    """Note the connections woken, then read what waits, as the keeper's turns do."""
    for fd, events in poll.poll(0.05):
        held.readable(fd, closed=bool(events & select.EPOLLRDHUP))
    _catch_up(held)


def _catch_up(held: Incoming) -> None:
    while held.behind:
        held.catch_up()


def _start(held: Incoming, pair: tuple[socket.socket, socket.socket], sent: bytes) -> None:
    """Send ``sent`` and hand the connection to ``held``, as the keeper does once it
    sees the first bytes of a request that is not whole."""
    served, client = pair
    client.sendall(sent)
    time.sleep(0.05)
    assert RULE.judge(sent) is not True
    held.take(served)
    _catch_up(held)


def _send_on(
    gathering: tuple[Incoming, select.epoll, _Outcomes], client: socket.socket, data: bytes
) -> None:
    """Send more of the request, and let the gathering read it."""
    held, poll, _outcomes = gathering
    client.sendall(data)
    _turn(held, poll)


def test_a_body_sent_in_pieces_goes_on_whole_with_what_was_read(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    held, _poll, outcomes = gathering
    _start(held, pair, HEAD + b"a" * 100)
    for piece in (b"b" * 250, b"c" * 250):
        assert not outcomes.ready
        _send_on(gathering, pair[1], piece)
    assert not len(held)
    ((_client, read),) = outcomes.ready
    assert read == HEAD + b"a" * 100 + b"b" * 250 + b"c" * 250


def test_past_the_cap_a_body_goes_on_as_it_is(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    chunked = b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    _start(gathering[0], pair, chunked)
    # Never ends: past the cap it goes on, and its route refuses it.
    _send_on(gathering, pair[1], b"800\r\n" + b"#" * 2048)
    ((_client, read),) = gathering[2].ready
    assert len(read) > len(chunked) + RULE.cap


def test_a_body_that_stops_arriving_is_refused_after_the_idle_time(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    held, _poll, outcomes = gathering
    served, _client = pair
    _start(held, pair, HEAD + b"a" * 100)
    time.sleep(0.3)
    held.sweep()
    assert outcomes.refused == [(served, 408)]
    assert not len(held)


def test_past_the_budget_the_request_that_sent_last_longest_ago_is_refused(
    gathering: tuple[Incoming, select.epoll, _Outcomes],
    listener: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(incoming, "GATHERED_BYTES", 2 * len(HEAD) + 250)
    held, _poll, outcomes = gathering
    (older, older_client), (newer, newer_client) = _connected(listener), _connected(listener)
    for pair in ((older, older_client), (newer, newer_client)):
        _start(held, pair, HEAD + b"a" * 100)
    _send_on(gathering, newer_client, b"b" * 100)  # over the budget: the older one goes
    assert outcomes.refused == [(older, 408)]
    assert len(held) == 1
    _send_on(gathering, newer_client, b"c" * 400)
    assert [client for client, _read in outcomes.ready] == [newer]
    for client in (older_client, newer_client):
        client.close()


@pytest.mark.parametrize(
    "head",
    [
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n",  # open to everyone
        HEAD[:-2] + b"Authorization: Bearer sesame\r\n",  # a write, with the token
    ],
    ids=["query", "write-with-token"],
)
def test_a_client_waiting_for_100_continue_gets_it_from_the_keeper(
    pair: tuple[socket.socket, socket.socket], head: bytes
) -> None:
    with select.epoll() as poll:
        outcomes = _Outcomes()
        rule = Arrival(cap=1000, write_token="sesame")
        held = Incoming(poll, rule, 0.2, outcomes.go_on, outcomes.refuse)
        _served, client = pair
        _start(held, pair, head + b"Expect: 100-continue\r\n\r\n")
        client.settimeout(5)
        assert client.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        _send_on((held, poll, outcomes), client, b"a" * 600)
        assert len(outcomes.ready) == 1
        for served, _read in outcomes.ready:
            served.close()


@pytest.mark.parametrize("token", ["", "Authorization: Bearer wrong\r\n"], ids=["none", "wrong"])
def test_a_write_without_the_token_goes_on_at_once_untold_to_continue(
    gathering: tuple[Incoming, select.epoll, _Outcomes],
    pair: tuple[socket.socket, socket.socket],
    token: str,
) -> None:
    held, _poll, outcomes = gathering
    _served, client = pair
    _start(held, pair, HEAD[:-2] + token.encode() + b"Expect: 100-continue\r\n\r\n")
    assert len(outcomes.ready) == 1  # for the route to answer 401 from the head
    client.setblocking(False)
    with pytest.raises(BlockingIOError):
        client.recv(100)  # no 100 Continue


def test_a_head_sent_a_byte_at_a_time_is_read_as_it_comes_and_goes_on_whole(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    held, _poll, outcomes = gathering
    served, client = pair
    request = HEAD + b"a" * 600
    _start(held, pair, request[:1])
    for at in range(1, len(request)):
        assert unread(served) is None  # read, not looked at again on every arrival
        assert not outcomes.ready
        _send_on(gathering, client, request[at : at + 1])
    ((_client, read),) = outcomes.ready
    assert read == request


def test_a_head_longer_than_the_window_is_refused_431(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    held, _poll, outcomes = gathering
    served, client = pair
    _start(held, pair, b"GET /" + b"a" * 1000)
    _send_on(gathering, client, b"a" * WINDOW)
    assert outcomes.refused == [(served, 431)]
    assert not len(held)


def test_a_head_of_more_fields_than_the_parser_takes_is_refused_431(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    held, _poll, outcomes = gathering
    served, _client = pair
    fields = b"".join(b"A%d: b\r\n" % n for n in range(FIELDS))  # and Host: one too many
    _start(held, pair, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert outcomes.refused == [(served, 431)]


def test_a_head_ended_by_a_bare_lf_is_refused_400_at_once(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    held, _poll, outcomes = gathering
    served, client = pair
    _start(held, pair, b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x")
    assert not outcomes.refused
    _send_on(gathering, client, b"\n")  # a parser of CRLF lines would wait for ever
    assert outcomes.refused == [(served, 400)]
    assert not len(held)


def _begun(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> tuple[Incoming, _Outcomes, socket.socket, socket.socket]:
    """A request of which one byte was sent, taken by the gathering."""
    _start(gathering[0], pair, b"G")
    return gathering[0], gathering[2], *pair


def test_the_largest_head_a_byte_at_a_time_costs_the_keeper_under_seconds(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    held, outcomes, served, client = _begun(gathering, pair)
    started = time.thread_time()
    for _ in range(WINDOW - 2):
        client.send(b"\r")
        held.readable(served.fileno(), closed=False)  # woken for each byte, as a trickle would
        held.catch_up()
    assert time.thread_time() - started < 5.0
    assert not outcomes.refused
    _send_on(gathering, client, b"\r")
    assert outcomes.refused == [(served, 431)]


@pytest.mark.timed
def test_a_head_still_arriving_after_the_idle_time_is_refused_however_it_trickles(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    held, outcomes, served, client = _begun(gathering, pair)
    started = time.monotonic()
    while not outcomes.refused and time.monotonic() - started < 1:
        time.sleep(0.05)  # a byte every 0.05 s: never a pause of the idle time (0.2 s)
        _send_on(gathering, client, b"E")
        held.sweep()
    assert outcomes.refused == [(served, 408)]
    assert 0.2 <= time.monotonic() - started < 0.9  # the idle time, not the loop's second


def test_the_request_begun_longest_ago_makes_room(
    gathering: tuple[Incoming, select.epoll, _Outcomes], listener: socket.socket
) -> None:
    held, _poll, outcomes = gathering
    (older, older_client), (newer, newer_client) = _connected(listener), _connected(listener)
    for pair in ((older, older_client), (newer, newer_client)):
        _start(held, pair, b"GET / HTTP/1.1\r\n")
    _send_on(gathering, older_client, b"Host: x\r\n")  # sent last, but begun first
    assert held.drop_oldest()
    assert outcomes.refused == [(older, 408)]
    assert held.drop_oldest()
    assert not held.drop_oldest()
    for client in (older_client, newer_client):
        client.close()


#: Three slices of one-byte chunks after a chunked head, under ``WIDE``'s cap.
SLICES = b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + (
    b"1\r\n \r\n" * (SLICE // 2)
)
WIDE = Arrival(cap=10 * SLICE)
#: Requests that send slices: one more than a turn reads a slice of.
SENDERS = TURN // SLICE + 1


def _waiting(served: socket.socket) -> int:
    """How many bytes the client sent that nobody has read yet."""
    return len(served.recv(1 << 20, socket.MSG_PEEK))


def test_requests_with_bytes_waiting_are_read_a_slice_each_in_turn(
    listener: socket.socket,
) -> None:
    """One client sending one-byte chunks costs the keeper work per byte; others wait
    for at most a slice of it, not for all it sent; and a turn reads a turn's worth
    before the keeper looks at its other connections again."""
    with select.epoll() as poll:
        outcomes = _Outcomes()
        held = Incoming(poll, WIDE, 5, outcomes.go_on, outcomes.refuse)
        pairs = [_connected(listener) for _ in range(SENDERS)]
        for _served, client in pairs:
            client.sendall(SLICES)
        time.sleep(0.05)
        for served, _client in pairs:
            held.take(served)
        served = [end for end, _client in pairs]
        whole, one, two = len(SLICES), len(SLICES) - SLICE, len(SLICES) - 2 * SLICE
        held.catch_up()
        assert [_waiting(end) for end in served] == [one] * (SENDERS - 1) + [whole]
        held.catch_up()  # the last first, then the others in the order they were read
        assert [_waiting(end) for end in served] == [two] * (SENDERS - 2) + [one, one]
        assert not outcomes.ready
        assert not outcomes.refused
        for pair in pairs:
            for end in pair:
                end.close()


def test_a_request_whose_client_closed_its_side_is_read_to_its_end(
    listener: socket.socket,
) -> None:
    """No serving process follows a request that may never be whole: the keeper reads
    on with no event to come, passes it on if it is whole, and answers 400 if not."""
    with select.epoll() as poll:
        outcomes = _Outcomes()
        held = Incoming(poll, WIDE, 5, outcomes.go_on, outcomes.refuse)
        (cut, cut_client), (whole, whole_client) = _connected(listener), _connected(listener)
        cut_client.sendall(SLICES)
        whole_client.sendall(SLICES + b"0\r\n\r\n")
        for client in (cut_client, whole_client):
            client.shutdown(socket.SHUT_WR)
        time.sleep(0.05)
        for served in (cut, whole):
            held.take(served, closed=True)
        _catch_up(held)
        assert [(ready, len(read)) for ready, read in outcomes.ready] == [(whole, len(SLICES) + 5)]
        assert outcomes.refused == [(cut, 400)]
        for end in (whole, cut_client, whole_client):
            end.close()


@pytest.mark.parametrize("told", [True, False], ids=["by-its-event", "found-reading"])
def test_a_request_whose_client_reset_is_closed_unanswered(
    pair: tuple[socket.socket, socket.socket],
    gathering: tuple[Incoming, select.epoll, _Outcomes],
    told: bool,
) -> None:
    """Nobody is there to read an answer, and no serving process need look at it; told
    by its event, the keeper does not read what it sent either."""
    held, _poll, outcomes = gathering
    served, client = pair
    client.sendall(HEAD)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # a reset
    time.sleep(0.05)
    held.take(served, closed=True)
    if told:
        held.readable(served.fileno(), closed=True, reset=True)
    else:
        _catch_up(held)
    assert (outcomes.ready, outcomes.refused, len(held)) == ([], [], 0)
    assert served.fileno() == -1


@pytest.mark.parametrize("extra", [0, 1], ids=["at-the-limit", "past-it"])
def test_a_body_of_more_chunks_than_the_parser_should_follow_is_refused(
    listener: socket.socket, extra: int
) -> None:
    """gunicorn follows each chunk in microseconds of Python: a million one-byte chunks
    held a serving process for seconds."""
    with select.epoll() as poll:
        outcomes = _Outcomes()
        held = Incoming(poll, WIDE, 5, outcomes.go_on, outcomes.refuse)
        served, client = _connected(listener)
        client.sendall(SLICES[: SLICES.index(b"\r\n\r\n") + 4])
        client.sendall(b"1\r\n \r\n" * (MOST_CHUNKS + extra) + b"0\r\n\r\n")
        time.sleep(0.05)
        held.take(served)
        _catch_up(held)
        if extra:
            assert (outcomes.ready, outcomes.refused) == ([], [(served, 400)])
        else:
            assert [ready for ready, _read in outcomes.ready] == [served]
            served.close()
        client.close()


def test_bytes_waiting_to_be_read_are_no_pause_of_the_client(
    gathering: tuple[Incoming, select.epoll, _Outcomes], pair: tuple[socket.socket, socket.socket]
) -> None:
    """Should the keeper fall behind by the idle time, it is not the client's doing."""
    held, _poll, outcomes = gathering
    served, client = pair
    client.sendall(HEAD + b"a" * 100)
    time.sleep(0.05)
    held.take(served)
    time.sleep(0.3)
    held.sweep()
    assert not outcomes.refused
    held.catch_up()
    time.sleep(0.3)
    held.sweep()
    assert outcomes.refused == [(served, 408)]
