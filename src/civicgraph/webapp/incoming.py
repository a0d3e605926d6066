"""Request bodies a client sends slowly, gathered by the master before a serving process
reads them.

A kernel buffer holds only so much of a request before its client must wait for it
to be read, so a body cannot always wait there whole (``webapp/arrival.py``). When a
request's head is whole and its body still to come, the keeper (``webapp/keeper.py``)
reads the connection's bytes into an in-memory file (a ``memfd``) as they arrive, and
once the body is whole passes the connection and the file to a serving process,
which reads the file first and the socket after (``Handoff.take``). So a client that
sends its body slowly holds no serving process, only its share of ``GATHERED_BYTES``.

A body is gathered up to ``Arrival.cap`` bytes; past it the request goes on as it
is, for its route to refuse or, for a token holder's upload, to read on. So does a
request whose client closes its side. A client that waits for ``100 Continue``
before sending its body gets it from the keeper (the serving process may send it
again; a client reads any number of them, RFC 9110 §15.2). One whose client sends nothing for
the keeper's idle time is answered 408, and past ``GATHERED_BYTES`` the one that
sent last longest ago is.
"""

import contextlib
import os
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from civicgraph.webapp.arrival import Gather
from civicgraph.webapp.byconnection import ByConnection

#: The most bytes of requests held at once while their bodies arrive.
GATHERED_BYTES: Final = 64 * 1024 * 1024
_READABLE: Final = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLET
_READ: Final = 64 * 1024
_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"


@dataclass
class _Request:
    client: socket.socket
    gather: Gather
    file: int = field(default_factory=lambda: os.memfd_create("civicgraph-request", os.MFD_CLOEXEC))
    size: int = 0
    progress: float = field(default_factory=time.monotonic)


class Incoming(ByConnection[_Request]):
    """The requests whose bodies the keeper gathers, on its ``epoll``.

    ``ready`` is called with a connection and its file once it is to go on;
    ``timed_out`` with a connection that is to be answered 408 and closed, once its
    client sent nothing for ``idle`` seconds.
    """

    def __init__(
        self,
        poll: select.epoll,
        cap: int,
        idle: float,
        ready: Callable[[socket.socket, int], None],
        timed_out: Callable[[socket.socket], None],
    ) -> None:
        super().__init__(poll)
        self._cap, self._idle = cap, idle
        self._ready, self._timed_out = ready, timed_out

    def gather(self, client: socket.socket, gather: Gather) -> None:
        """Take a connection whose head is whole (``client`` no longer registered)."""
        request = _Request(client, gather)
        self._by_fd[client.fileno()] = request
        client.setblocking(False)
        if gather.continues:  # the client waits for this before it sends the body
            with contextlib.suppress(OSError):
                client.send(_CONTINUE)
        self._poll.register(client, _READABLE)
        self.readable(client.fileno())

    def readable(self, fd: int) -> None:
        """Bytes arrived: read them all; pass the request on once it is to go on (whole,
        past the cap, or its client closed its side or reset)."""
        request = self._by_fd[fd]
        done = False
        try:
            while not done:
                data = request.client.recv(_READ)
                done = not data or self._add(request, data)
        except (BlockingIOError, InterruptedError):
            pass  # woken again when more arrives
        except OSError:
            done = True  # the serving process finds the reset and closes
        if done:
            self._forget(request)
            self._ready(request.client, request.file)
        self._within_budget()

    def sweep(self) -> None:
        """Answer 408 to requests whose clients sent nothing for the idle time."""
        cutoff = time.monotonic() - self._idle
        for request in [held for held in self._by_fd.values() if held.progress < cutoff]:
            self._drop(request)

    def _add(self, request: _Request, data: bytes) -> bool:
        """Keep ``data``; whether the request is now to go on (whole, or past the cap)."""
        view = memoryview(data)
        while view:
            view = view[os.write(request.file, view) :]
        head = max(0, request.gather.head - request.size)
        request.size += len(data)
        self._held += len(data)
        request.progress = time.monotonic()
        whole = request.gather.body.feed(data[head:]) if head < len(data) else False
        return whole or request.size - request.gather.head > self._cap

    def _within_budget(self) -> None:
        """Past ``GATHERED_BYTES``, answer 408 to those that sent last longest ago."""
        while self._held > GATHERED_BYTES and self._by_fd:
            self._drop(min(self._by_fd.values(), key=lambda held: held.progress))

    def _drop(self, request: _Request) -> None:
        self._forget(request)
        os.close(request.file)
        self._timed_out(request.client)

    def _forget(self, request: _Request) -> None:
        self._poll.unregister(request.client)
        del self._by_fd[request.client.fileno()]
        self._held -= request.size
        with contextlib.suppress(OSError):
            request.client.setblocking(True)
