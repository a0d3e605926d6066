"""The master's keeper of idle connections, driven turn by turn over real sockets."""

import json
import select
import socket
import time
from collections.abc import Iterator

import pytest

from civicgraph.webapp import keeper as keeper_module
from civicgraph.webapp.keeper import MOST_KEPT, Handoff, Keeper


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1024)
    yield server
    server.close()


def _kept(listener: socket.socket, handoff: Handoff) -> socket.socket:
    """A client whose server-side connection was handed to the keeper."""
    client = socket.create_connection(listener.getsockname())
    served, _ = listener.accept()
    assert handoff.give(served)
    served.close()
    return client


@pytest.fixture
def keeper() -> Iterator[Keeper]:
    """A keeper whose turns the test drives itself (``start`` would run them in a thread)."""
    handoff = Handoff()
    held = Keeper(handoff)
    held._poll.register(handoff.from_workers, select.EPOLLIN)
    yield held
    for end in (handoff.to_master, handoff.from_workers, handoff.to_workers, handoff.from_master):
        end.close()


def _fill(handoff: Handoff) -> tuple[socket.socket, int]:
    """Fill the channel to the serving processes; the socket sent, and how many times."""
    filler, queued = socket.socket(), 0
    while True:
        try:
            socket.send_fds(handoff.to_workers, [b"c"], [filler.fileno()])
        except BlockingIOError:
            return filler, queued
        queued += 1


def _close_all(clients: list[socket.socket], keeper: Keeper) -> None:
    """Close the clients and the connections the keeper still holds idle."""
    for client in [*clients, *keeper._idle_since]:
        client.close()


def _closed(client: socket.socket) -> bool:
    """Whether the other end closed (cleanly, or with a reset for unread bytes)."""
    try:
        return client.recv(1) == b""
    except ConnectionResetError:
        return True


def test_at_its_limit_the_keeper_closes_an_idle_connection_not_one_whose_client_sent(
    listener: socket.socket, keeper: Keeper
) -> None:
    handoff = keeper.handoff
    clients = []
    for _ in range(MOST_KEPT):
        clients.append(_kept(listener, handoff))
        keeper._turn()
    # One more arrives while the oldest client sends again, both in one batch: making
    # room for the newcomer comes before the oldest one's wake.
    clients.append(_kept(listener, handoff))
    clients[0].sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    keeper._turn()
    keeper._turn()
    assert len(keeper._idle_since) == MOST_KEPT - 1  # and the oldest one's request
    taken = handoff.take()
    assert taken is not None
    assert taken[1] == b""  # it went on as it was, to be read from the socket
    taken[0].close()
    assert _closed(clients[1])  # the longest idle one
    _close_all(clients, keeper)


def test_requests_wait_for_room_in_the_channel_and_are_never_dropped(
    listener: socket.socket, keeper: Keeper
) -> None:
    handoff = keeper.handoff
    filler, queued = _fill(handoff)
    clients = [_kept(listener, handoff) for _ in range(3)]
    for _ in clients:
        keeper._turn()
    for client in clients:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    keeper._turn()
    assert len(keeper._ready) == 3  # waiting, not closed
    for _ in range(queued):  # the serving processes take what was there
        taken = handoff.take()
        assert taken is not None
        taken[0].close()
    keeper._turn()
    arrived = [handoff.take() for _ in range(3)]
    for connection in arrived:
        assert connection is not None
        assert connection[0].recv(3, socket.MSG_PEEK) == b"GET"
        connection[0].close()
    for client in [*clients, filler]:
        client.close()


def test_the_keeper_holds_at_most_its_limit_even_while_every_connection_waits(
    listener: socket.socket, keeper: Keeper
) -> None:
    handoff = keeper.handoff
    filler, _queued = _fill(handoff)  # no room in the channel: every request waits
    clients = []
    for _ in range(MOST_KEPT):
        clients.append(_kept(listener, handoff))
        keeper._turn()
        clients[-1].sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        keeper._turn()
    assert len(keeper._ready) == MOST_KEPT
    late = _kept(listener, handoff)
    keeper._turn()
    assert len(keeper._ready) + len(keeper._idle_since) == MOST_KEPT
    assert _closed(late)
    for client in [*clients, late, filler, *(held for held, _read in keeper._ready)]:
        client.close()


def test_a_connection_goes_on_only_once_its_request_arrived_whole(
    listener: socket.socket, keeper: Keeper
) -> None:
    handoff = keeper.handoff
    client = _kept(listener, handoff)
    keeper._turn()
    client.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n")
    keeper._turn()
    assert not keeper._ready  # half a head: it waits
    assert handoff.take() is None
    client.sendall(b"\r\nASK {")
    keeper._turn()
    assert not keeper._ready  # half a body: the keeper gathers it
    assert handoff.take() is None
    for piece in (b" ", b"}", b" "):  # a byte at a time: gathered by the keeper
        assert handoff.take() is None
        client.sendall(piece)
        keeper._turn()
    keeper._turn()
    taken = handoff.take()
    assert taken is not None
    served, read = taken
    assert read.startswith(b"POST /sparql HTTP/1.1\r\n")
    assert read.endswith(b"\r\n\r\nASK { } ")  # what was read of it comes with it
    for end in (served, client):
        end.close()


def test_a_request_that_never_arrives_whole_is_answered_408_after_the_idle_time(
    listener: socket.socket, keeper: Keeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keeper_module, "IDLE_SECONDS", 0.2)
    monkeypatch.setattr(keeper._incoming, "_idle", 0.2)  # it gathers the half-sent head
    client = _kept(listener, keeper.handoff)
    client.settimeout(5)
    keeper._turn()
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    keeper._turn()
    time.sleep(0.3)
    keeper._sweep()
    assert not keeper._idle_since
    head, _, body = client.recv(4096).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert json.loads(body)["status"] == 408
    assert _closed(client)
    client.close()


def test_a_request_cut_short_by_its_client_is_answered_400_by_the_keeper(
    listener: socket.socket, keeper: Keeper
) -> None:
    """No serving process need follow what is left of it."""
    client = _kept(listener, keeper.handoff)
    keeper._turn()
    client.sendall(b"PUT /store HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<a>")
    keeper._turn()
    assert not keeper._ready
    client.shutdown(socket.SHUT_WR)  # gives up
    keeper._turn()
    keeper._turn()
    assert keeper.handoff.take() is None
    assert client.recv(4096).startswith(b"HTTP/1.1 400 ")
    client.close()


def test_at_its_limit_the_keeper_makes_room_from_requests_still_arriving(
    listener: socket.socket, keeper: Keeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keeper_module, "MOST_KEPT", 3)
    slow = [_kept(listener, keeper.handoff) for _ in range(3)]
    for client in slow:
        client.settimeout(5)
        keeper._turn()
        client.sendall(b"GET / HTTP/1.1\r\n")  # a head, a byte now and then
        keeper._turn()
    assert not keeper._idle_since
    newcomer = _kept(listener, keeper.handoff)
    keeper._turn()
    assert len(keeper._idle_since) == 1  # the newcomer, held, not refused
    assert slow[0].recv(4096).startswith(b"HTTP/1.1 408 ")  # the one begun first
    while keeper._incoming.drop_oldest():
        pass
    for client in [*slow, newcomer, *keeper._idle_since]:
        client.close()


def test_at_its_limit_a_connection_not_yet_woken_is_not_closed_unread(
    listener: socket.socket, keeper: Keeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connections handed over with their first bytes are counted as idle until their
    wake is handled: closing one of them then reset its client, request unanswered."""
    monkeypatch.setattr(keeper_module, "MOST_KEPT", 3)
    handoff, clients = keeper.handoff, []
    for _ in range(4):
        client = socket.create_connection(listener.getsockname())
        client.settimeout(5)
        client.sendall(b"GET / HTTP/1.1\r\n")  # half a head, sent before the hand-over
        served, _ = listener.accept()
        time.sleep(0.01)
        assert handoff.give(served)
        served.close()
        keeper._receive()  # no wake handled in between, as when both wait in one batch
        clients.append(client)
    assert clients[0].recv(4096).startswith(b"HTTP/1.1 408 ")  # answered, not reset
    for client in clients[1:]:
        client.sendall(b"Host: x\r\n\r\n")
    keeper._turn()
    keeper._turn()
    taken = [handoff.take() for _ in range(3)]
    assert all(found is not None for found in taken)
    for found in taken:
        assert found is not None
        found[0].close()
    for client in clients:
        client.close()


def test_every_connection_waiting_in_the_channel_is_taken_in_one_turn(
    listener: socket.socket, keeper: Keeper
) -> None:
    """A connection left in the channel would hold the serving process that sends the
    next one (its send waits for room)."""
    clients = [_kept(listener, keeper.handoff) for _ in range(5)]
    keeper._turn()
    assert len(keeper._idle_since) == 5
    _close_all(clients, keeper)


def test_a_new_connection_whose_request_is_arriving_is_gathered_at_once(
    listener: socket.socket, keeper: Keeper
) -> None:
    """Its serving process judged it not whole: the keeper reads it, in its turn."""
    client = socket.create_connection(listener.getsockname())
    client.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nASK")
    served, _ = listener.accept()
    assert keeper.handoff.give(served, arriving=True)
    served.close()
    keeper._turn()
    assert not keeper._idle_since
    assert len(keeper._incoming) == 1
    client.sendall(b" {} ")
    keeper._turn()
    keeper._turn()
    taken = keeper.handoff.take()
    assert taken is not None
    assert taken[1].endswith(b"\r\n\r\nASK {} ")
    for end in (taken[0], client):
        end.close()


def test_a_whole_request_not_yet_woken_at_the_sweep_goes_on_not_408(
    listener: socket.socket, keeper: Keeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a turn runs long, a kept connection's wake may come after the idle time has
    passed: its client sent, so it is not idle, and its request is served."""
    monkeypatch.setattr(keeper_module, "IDLE_SECONDS", 0.2)
    client = _kept(listener, keeper.handoff)
    keeper._turn()
    time.sleep(0.3)
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    keeper._sweep()  # before the turn that would have woken it
    keeper._turn()
    taken = keeper.handoff.take()
    assert taken is not None
    assert taken[0].recv(3, socket.MSG_PEEK) == b"GET"
    for end in (taken[0], client):
        end.close()
