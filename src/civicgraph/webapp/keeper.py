"""Idle keep-alive connections, held by the gunicorn master between requests.

A client that keeps its connection open saves a TCP handshake and a teardown per
request on both sides, which for a cheap query costs more than the query. A serving
process cannot hold an idle connection itself: it answers one request at a time, so
the client's next request would wait behind whatever the process evaluates next, and
when the watchdog kills the process at a time limit every connection it held would
die with it. So after an answer the serving process passes the connection to the
master (a descriptor over a Unix socket, ``SCM_RIGHTS``) and forgets it, as soon as
other work comes or a second passes (``worker.KEPT_SECONDS``); the master's
``Keeper`` thread waits until the client sends again and passes the connection to
whichever serving process is free, through a socket every serving process reads
from, as they all accept from the listening socket. A connection idle for
``IDLE_SECONDS`` is closed, as any server closes idle connections.

New connections whose request has not arrived whole come here too
(``webapp/arrival.py``), and a connection goes on only once its request has: a
serving process never waits on a client. A request that is not whole when its
first bytes arrive is read by the keeper as the rest arrives, each byte looked at
once (``webapp/incoming.py``); its client is woken only when more arrives (an
edge-triggered ``epoll``), so a half-sent request costs nothing while it waits. A
head must arrive whole within ``IDLE_SECONDS`` of its first byte, and a body may not
pause for as long; otherwise the request is answered 408 and closed. The keeper
also finishes sending the answers that clients read slowly (``webapp/outgoing.py``).
"""

import contextlib
import logging
import os
import select
import socket
import threading
import time
from collections import deque
from typing import Final

from civicgraph.webapp.arrival import Arrival, unread
from civicgraph.webapp.incoming import Incoming
from civicgraph.webapp.outgoing import Outgoing
from civicgraph.webapp.refusal import refuse

#: How long an idle kept-alive connection, or a new one whose request has not arrived
#: whole, stays open, seconds.
IDLE_SECONDS: Final = 5.0
#: How often idle connections are swept, seconds.
SWEEP_SECONDS: Final = 1.0
#: How soon connections waiting for room in the channel are offered again, seconds.
RETRY_SECONDS: Final = 0.005
#: Most connections held at once, idle, arriving or waiting for a serving process;
#: past it the longest idle one is closed (when none is idle, the request begun
#: longest ago is answered 408; when every one waits for a serving process, the one
#: arriving is closed), so that clients opening connections and leaving them idle, or
#: sending slowly, cannot use up descriptors.
MOST_KEPT: Final = 512
_TAG: Final = b"c"
#: A new connection whose request has begun to arrive but is not whole.
_ARRIVING_TAG: Final = b"r"
#: A connection with the rest of its answer (``webapp/outgoing.py``).
_ANSWER_TAG: Final = b"a"
#: A client is woken when bytes arrive or it closes, once per arrival (edge-triggered).
_CLIENT_EVENTS: Final = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLET
_CLOSED: Final = select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR
#: The connection is gone both ways (a reset): no answer can reach the client.
_RESET: Final = select.EPOLLHUP | select.EPOLLERR

_log = logging.getLogger(__name__)


class Handoff:
    """The two channels between the serving processes and the master.

    Made in the master before it forks, so that every serving process inherits its
    ends. Each message carries a connection, and with it perhaps an in-memory file
    (what was read of its request, or the rest of its answer), and is read whole by
    one reader (sequenced packets: unlike datagrams, their queue is bounded by bytes,
    not by a length of ten).
    """

    def __init__(self, arrival: Arrival | None = None) -> None:
        #: When a request counts as arrived whole.
        self.arrival = arrival or Arrival()
        self.to_master, self.from_workers = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.to_workers, self.from_master = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.from_master.setblocking(False)
        self.from_workers.setblocking(False)  # the master takes all that wait, then goes on
        self.to_workers.setblocking(False)  # a full channel must not stall the master
        self.to_master.settimeout(1.0)

    def give(self, client: socket.socket, *, arriving: bool = False) -> bool:
        """In a serving process: pass an idle connection to the master, or a new one
        whose request is ``arriving`` (judged not whole: the master need not again)."""
        try:
            tag = _ARRIVING_TAG if arriving else _TAG
            socket.send_fds(self.to_master, [tag], [client.fileno()])
        except OSError:
            return False
        return True

    def give_answer(self, client: socket.socket, rest: int | None) -> bool:
        """In a serving process: pass a connection and its answer's rest (None: nothing
        left to send) to the master, which ends the connection."""
        fds = [client.fileno(), *([] if rest is None else [rest])]
        try:
            socket.send_fds(self.to_master, [_ANSWER_TAG], fds)
        except OSError:
            return False
        return True

    def take(self) -> tuple[socket.socket, bytes] | None:
        """In a serving process: a connection whose client sent again, if one waits, and
        the bytes the master read of its request (``webapp/incoming.py``)."""
        try:
            _data, fds, _flags, _address = socket.recv_fds(self.from_master, 1, 2)
        except (BlockingIOError, InterruptedError):
            return None
        if not fds:
            return None
        client = socket.socket(fileno=fds[0])
        client.setblocking(True)
        return client, b"".join(_read_and_close(fd) for fd in fds[1:])


class Keeper:
    """The master's thread that holds idle connections until their clients send again.

    A connection whose client sent a request is queued (``_ready``) until the channel
    to the serving processes has room, never closed with its request unread: while
    every serving process is busy, requests wait here as they would in the listening
    socket's backlog.
    """

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff
        self._poll = select.epoll()
        self._idle_since: dict[socket.socket, float] = {}
        self._by_fd: dict[int, socket.socket] = {}
        #: Connections whose request arrived, with the file of what was read of it.
        self._ready: deque[tuple[socket.socket, int | None]] = deque()
        self._outgoing = Outgoing(self._poll)
        self._incoming = Incoming(self._poll, handoff.arrival, IDLE_SECONDS, self._arrived, refuse)
        self._thread = threading.Thread(target=self._run, name="keep-alive", daemon=True)

    def start(self) -> None:
        """Start holding connections (in the master, once it is ready)."""
        self._poll.register(self.handoff.from_workers, select.EPOLLIN)
        self._thread.start()

    def _run(self) -> None:
        swept = time.monotonic()
        while True:
            try:
                self._turn()
                if time.monotonic() - swept >= SWEEP_SECONDS:
                    self._sweep()
                    swept = time.monotonic()
            except Exception:  # a defect must not end keep-alive for the server's life
                _log.exception("The keep-alive keeper failed; it carries on")

    def _turn(self) -> None:
        """Wait for events (briefly, while connections queue for the channel) and act."""
        wait = 0 if self._incoming.behind else RETRY_SECONDS if self._ready else SWEEP_SECONDS
        for fd, events in self._poll.poll(wait):
            if fd == self.handoff.from_workers.fileno():
                self._receive()
            elif fd in self._by_fd:  # not closed earlier in this batch
                self._wake(self._by_fd[fd], closed=bool(events & _CLOSED))
            elif self._outgoing.owns(fd):
                self._outgoing.event(fd)
            elif self._incoming.owns(fd):
                closed, reset = bool(events & _CLOSED), bool(events & _RESET)
                self._incoming.readable(fd, closed=closed, reset=reset)
        self._incoming.catch_up()
        self._pass_on()

    def _receive(self) -> None:
        """Take every connection the serving processes passed (one waiting for a channel
        would hold its serving process)."""
        while True:
            try:
                tag, fds, _flags, _address = socket.recv_fds(self.handoff.from_workers, 1, 2)
            except OSError:  # none left
                return
            if fds:
                self._take(tag, fds)

    def _take(self, tag: bytes, fds: list[int]) -> None:
        """Send the rest of an answer; gather a request that has begun to arrive; or
        wait for an idle connection's client."""
        if tag == _ANSWER_TAG:
            self._outgoing.hold(socket.socket(fileno=fds[0]), fds[1] if len(fds) > 1 else None)
            return
        for fd in fds:
            client = socket.socket(fileno=fd)
            if not self._make_room():
                client.close()
            elif tag == _ARRIVING_TAG and unread(client, 1):
                self._incoming.take(client)
            else:
                self._idle_since[client] = time.monotonic()
                self._by_fd[client.fileno()] = client
                self._poll.register(client, _CLIENT_EVENTS)  # wakes at once if bytes wait

    def _make_room(self) -> bool:
        """Make room for one more connection if ``MOST_KEPT`` are held: close the longest
        idle one, or else answer 408 to the request begun longest ago; False when every
        one held waits for a serving process.

        A connection counts as idle until its wake is handled, which may come after
        this in the same turn: one whose client has sent bytes is woken here instead
        of closed (closing it would reset the client, its request unanswered).
        """
        while len(self._idle_since) + len(self._ready) + len(self._incoming) >= MOST_KEPT:
            if self._idle_since:
                longest = next(iter(self._idle_since))  # insertion order
                if unread(longest, 1) is None:  # only whether a byte waits
                    self._close(longest)
                else:
                    self._wake(longest, closed=False)
            elif not self._incoming.drop_oldest():
                return False
        return True

    def _wake(self, client: socket.socket, *, closed: bool) -> None:
        """Bytes arrived: pass the connection on if its request is whole, or gather the
        rest of it (``webapp/incoming.py``: also when its client closed its side, as no
        serving process is to follow a request that may never be whole); close it if
        the client closed before sending anything. The unread bytes are looked at once
        here, and at most a slice of a chunked body (``Arrival.ready``)."""
        sent = unread(client, self.handoff.arrival.window)
        if sent is None:
            return  # woken again when bytes arrive
        self._forget(client)
        if not sent:
            client.close()
        elif self.handoff.arrival.ready(sent):
            self._arrived(client, None)
        else:
            self._incoming.take(client, closed=closed)

    def _arrived(self, client: socket.socket, read: int | None) -> None:
        """Queue a connection whose request arrived (with the file of what was read)."""
        self._ready.append((client, read))

    def _pass_on(self) -> None:
        """Pass queued connections to the serving processes while the channel has room."""
        while self._ready:
            client, read = self._ready[0]
            fds = [client.fileno(), *([] if read is None else [read])]
            try:
                socket.send_fds(self.handoff.to_workers, [_TAG], fds)
            except BlockingIOError:
                return  # no room now: the next turn tries again
            except OSError:
                pass  # the connection is gone
            self._ready.popleft()
            client.close()
            if read is not None:
                os.close(read)

    def _sweep(self) -> None:
        """Close connections idle for longer than ``IDLE_SECONDS``, and drop answers
        nobody reads. One whose client has sent bytes is not idle, only not woken yet
        (its wake comes in a later turn when a turn runs long): it is woken here, as
        when making room; its request, if not whole, then has its own time limits."""
        self._outgoing.sweep()
        self._incoming.sweep()
        cutoff = time.monotonic() - IDLE_SECONDS
        for client, since in list(self._idle_since.items()):
            if since >= cutoff:
                continue
            if unread(client, 1):
                self._wake(client, closed=False)
            else:
                self._close(client)

    def _close(self, client: socket.socket) -> None:
        self._forget(client)
        with contextlib.suppress(OSError):
            client.close()

    def _forget(self, client: socket.socket) -> None:
        self._poll.unregister(client)
        del self._by_fd[client.fileno()]
        del self._idle_since[client]


def _read_and_close(fd: int) -> bytes:
    """The whole of an in-memory file passed with a connection, which is then closed."""
    try:
        return os.pread(fd, os.fstat(fd).st_size, 0)
    finally:
        os.close(fd)


def drop_inherited_connections() -> None:
    """In a newly forked serving process: close the client connections it inherited.

    gunicorn forks a replacement serving process from the master, and with it a copy
    of every idle connection the keeper holds at that moment. A copy nobody reads
    would keep such a connection open after the keeper closes it: its client would
    send its next request into a connection that never answers. A new serving
    process has no client connection of its own yet, so every connected TCP socket
    it holds is such a copy.
    """
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            probe = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue  # not a socket, or already gone
        with probe:
            if probe.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            try:
                probe.getpeername()
            except OSError:
                continue  # a listening socket: no peer
        os.close(fd)
