"""Requests a client sends slowly, gathered by the master before a serving process
reads them.

A kernel buffer holds only so much of a request before its client must wait for it
to be read, so a body cannot always wait there whole (``webapp/arrival.py``); and
looking again at every unread byte each time a few more arrive would cost the square
of the request's length. So when a request has begun to arrive but is not whole, the
keeper (``webapp/keeper.py``) reads the connection's bytes into an in-memory file (a
``memfd``) as they arrive, looking at each once: for the end of the head
(``arrival.Head``), then for the end of the body (``arrival.Body``). Once the
request is whole it passes the connection and the file to a serving process, which
reads the file first and the socket after (``Handoff.take``). So a client that sends
slowly holds no serving process, only its share of ``GATHERED_BYTES``.

A head longer than ``arrival.WINDOW``, or of more than ``arrival.FIELDS`` fields, is
answered 431. A body is gathered up to
``Arrival.cap`` bytes; past it the request goes on as it is, for its route to refuse
or, for a token holder's upload, to read on. A client that waits for
``100 Continue`` before sending its body gets it from the keeper (the serving process
may send it again; a client reads any number of them, RFC 9110 §15.2), unless its
request is a write without the write token: that one goes on at once, for its route
to refuse from the head, and its client never sends the body. A head must arrive
whole within the keeper's idle time of its first byte, and a body must not pause for
longer; otherwise the request is answered 408, as is, past ``GATHERED_BYTES``, the
one that sent last longest ago, and the one begun longest ago when the keeper needs
room (``drop_oldest``).

Following a body costs the keeper's one thread some work per chunk (a
microsecond or so in Python), so a client sending one-byte chunks costs it far more
than it costs the client. So the keeper reads a request's bytes a small slice at a
time (``SLICE``), the requests with bytes waiting in turn, a slice of each until a
turn's worth is read (``TURN``), then looks at its other connections again: an idle
connection whose client sends again is passed on within a turn's work, and a request
that has arrived waits for at most a slice of each other request's, however many
clients send such bodies. A request whose client closes its side is read on to its
end in the same way (no serving process follows it): it goes on if it is whole, and
is answered 400 if it is not. One whose client resets is closed.
"""

import contextlib
import os
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from civicgraph.webapp.arrival import MOST_CHUNKS, SLICE, Arrival, Gather, Head
from civicgraph.webapp.byconnection import ByConnection
from civicgraph.webapp.refusal import (
    BARE_LINE_END,
    ENDED_EARLY,
    FRAMING_TOO_LONG,
    HEAD_TOO_LONG,
    LINE_TOO_LONG,
    TOO_MANY_CHUNKS,
    TOO_MANY_FIELDS,
    Refusal,
    timed_out,
)

#: The most bytes of requests held at once while they arrive.
GATHERED_BYTES: Final = 64 * 1024 * 1024
_READABLE: Final = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLET
#: The most bytes read in one of the keeper's turns (a ``SLICE`` of each request at
#: most) before it looks at its other connections again.
TURN: Final = 8 * SLICE
#: What tells a client that waits with `Expect: 100-continue` to send its body.
CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
#: How many bytes of a chunked body, framing included, may arrive per byte of the cap
#: (one-byte chunks take six); past it with the body's own bytes under the cap, the
#: request is refused.
FRAMING_FACTOR: Final = 8


@dataclass
class _Request:
    client: socket.socket
    #: The head while it arrives, then the body still to come.
    awaiting: Head | Gather
    file: int = field(default_factory=lambda: os.memfd_create("civicgraph-request", os.MFD_CLOEXEC))
    size: int = 0
    started: float = field(default_factory=time.monotonic)
    #: When the head began to arrive, then when the body last made progress: a head
    #: sent a byte at a time must not keep the request here.
    progress: float = field(default_factory=time.monotonic)
    #: Its client closed its side: what it sent is read on to the end, with no event
    #: to come.
    closed: bool = False


class Incoming(ByConnection[_Request]):
    """The requests the keeper gathers, on its ``epoll``.

    ``ready`` is called with a connection and its file once it is to go on; ``refuse``
    with a connection to be answered and closed: a head too long, or a client that
    sent nothing for ``idle`` seconds.
    """

    def __init__(
        self,
        poll: select.epoll,
        arrival: Arrival,
        idle: float,
        ready: Callable[[socket.socket, int], None],
        refuse: Callable[[socket.socket, Refusal], None],
    ) -> None:
        super().__init__(poll)
        self._arrival, self._idle = arrival, idle
        self._ready, self._refuse = ready, refuse
        #: The requests with bytes not read yet, in the order they are to be read.
        self._waiting: dict[int, None] = {}

    @property
    def behind(self) -> bool:
        """Whether bytes that arrived wait to be read (``catch_up``)."""
        return bool(self._waiting)

    def take(self, client: socket.socket, *, closed: bool = False) -> None:
        """Take a connection whose request has begun to arrive (``client`` no longer
        registered, nothing of it read yet; ``closed``: its client closed its side)."""
        request = _Request(client, Head(self._arrival.window))
        self._by_fd[client.fileno()] = request
        client.setblocking(False)
        self._poll.register(client, _READABLE)
        self.readable(client.fileno(), closed=closed)

    def readable(self, fd: int, *, closed: bool, reset: bool = False) -> None:
        """Bytes arrived, or the client closed its side: the request is read in turn.
        One whose client ``reset`` is closed at once, what it sent unread: nobody is
        there to answer."""
        request = self._by_fd[fd]
        if reset:
            self._discard(request)
            return
        request.closed = request.closed or closed
        self._waiting[fd] = None

    def catch_up(self) -> None:
        """Read a slice of each request with bytes waiting, in turn, until a turn's worth
        of bytes is read; pass each on once it is to go on (whole, or past the cap), or
        refuse it."""
        read = 0
        for fd in list(self._waiting):  # one slice each at most: those read on go last
            if read >= TURN:
                return
            if fd in self._waiting:  # not refused for room earlier in this turn
                read += self._read_slice(self._by_fd[fd])

    def _read_slice(self, request: _Request) -> int:
        """Read a slice of ``request`` and act on it; how many bytes were read."""
        fd = request.client.fileno()
        del self._waiting[fd]
        try:
            data = request.client.recv(SLICE)
        except (BlockingIOError, InterruptedError):
            return 0  # woken again when more arrives
        except OSError:  # reset: nobody is there to answer
            self._discard(request)
            return 0
        # Its end, before the request is whole: nothing more is coming.
        outcome = self._add(request, data) if data else ENDED_EARLY
        if outcome is False and (len(data) == SLICE or request.closed):
            self._waiting[fd] = None  # more may wait: read on in its next turn
        if isinstance(outcome, Refusal):
            self._drop(request, outcome)
        elif outcome:
            self._forget(request)
            self._ready(request.client, request.file)
        self._within_budget()
        return len(data)

    def drop_oldest(self) -> bool:
        """Answer 408 to the request begun longest ago (the keeper needs room); whether
        there was one."""
        if not self._by_fd:
            return False
        self._drop(min(self._by_fd.values(), key=lambda held: held.started), timed_out(self._idle))
        return True

    def sweep(self) -> None:
        """Answer 408 to requests whose head did not arrive in time, or whose body paused
        for longer than the idle time."""
        cutoff = time.monotonic() - self._idle
        late = [fd for fd, held in self._by_fd.items() if held.progress < cutoff]
        for fd in late:
            if fd not in self._waiting:  # bytes waiting are no pause, only the keeper's
                self._drop(self._by_fd[fd], timed_out(self._idle))

    def _add(self, request: _Request, data: bytes) -> bool | Refusal:
        """Keep ``data``; whether the request is now to go on (whole, past the cap), or
        why it is refused."""
        view = memoryview(data)
        while view:
            view = view[os.write(request.file, view) :]
        request.size += len(data)
        self._held += len(data)
        if isinstance(request.awaiting, Head):
            return self._head_fed(request, request.awaiting, data)
        request.progress = time.monotonic()
        return self._fed(request, request.awaiting, data)

    def _head_fed(self, request: _Request, head: Head, data: bytes) -> bool | Refusal:
        """Follow the head; once it has ended, judge the request, and gather its body if
        it is still to come."""
        if not head.feed(data):
            return False
        refused = _refusal_of(head)
        if refused is not None:
            return refused
        judged = self._arrival.judge(bytes(head.data))
        if not isinstance(judged, Gather):
            return True  # whole, or for the parser or the route to refuse
        if judged.continues and self._arrival.answered_from_head(bytes(head.data[: judged.head])):
            return True  # refused from its head: the client is not told to send the body
        request.awaiting, request.progress = judged, time.monotonic()
        if judged.continues:  # the client waits for this before it sends the body
            with contextlib.suppress(OSError):
                request.client.send(CONTINUE)
        return self._fed(request, judged, b"")

    def _fed(self, request: _Request, gather: Gather, data: bytes) -> bool | Refusal:
        """Follow the body with ``data``: whether the request is to go on, or why not."""
        whole = gather.body.feed(data) if data else gather.body.done
        if gather.body.too_long:
            return LINE_TOO_LONG
        if gather.body.chunks > MOST_CHUNKS:
            return TOO_MANY_CHUNKS
        return whole or self._past_cap(request, gather)

    def _past_cap(self, request: _Request, gather: Gather) -> bool | Refusal:
        """Whether the body has passed the cap in its own bytes, so that its route,
        reading what is gathered, refuses it (or, for a token holder, reads on) without
        waiting on the client; or its refusal when chunk framing is most of it.

        Counting the framing too would pass on a body of one-byte chunks at a sixth of
        the cap, and its client could then hold a serving process by sending the rest
        a byte at a time.
        """
        if gather.body.received > self._arrival.cap:
            return True
        if request.size - gather.head > FRAMING_FACTOR * self._arrival.cap:
            return FRAMING_TOO_LONG
        return False

    def _within_budget(self) -> None:
        """Past ``GATHERED_BYTES``, answer 408 to those that sent last longest ago."""
        while self._held > GATHERED_BYTES and self._by_fd:
            oldest = min(self._by_fd.values(), key=lambda held: held.progress)
            self._drop(oldest, timed_out(self._idle))

    def _drop(self, request: _Request, refusal: Refusal) -> None:
        self._release(request)
        self._refuse(request.client, refusal)

    def _discard(self, request: _Request) -> None:
        self._release(request)
        request.client.close()

    def _release(self, request: _Request) -> None:
        """Stop gathering ``request`` and let its file go (its connection is not passed on)."""
        self._forget(request)
        os.close(request.file)

    def _forget(self, request: _Request) -> None:
        self._poll.unregister(request.client)
        del self._by_fd[request.client.fileno()]
        self._waiting.pop(request.client.fileno(), None)
        self._held -= request.size
        with contextlib.suppress(OSError):
            request.client.setblocking(True)


def _refusal_of(head: Head) -> Refusal | None:
    """Why a head that has ended (or cannot, within the window) is refused, if it is."""
    if head.too_long:
        return HEAD_TOO_LONG
    if head.crowded:
        return TOO_MANY_FIELDS
    if head.bare:
        return BARE_LINE_END
    return None
