"""Answers a client reads slowly, finished by the master instead of a serving process.

A serving process answers one request at a time, so one that waited for a client to
read a large answer would stop serving: a client that asked for one and never read
it held the process until gunicorn's timeout. So when the socket's buffers are full
and the client does not read within ``SEND_LINGER_SECONDS``, the serving process
writes the rest of the answer to an in-memory file (``Spool``, a ``memfd``) instead,
and at the end passes the connection and the file to the master's keeper
(``webapp/keeper.py``). There ``Outgoing`` sends the rest as the client reads it
(``sendfile``, woken by an edge-triggered ``epoll``) and closes the connection at the
end. An answer whose client reads nothing for ``STALLED_SECONDS`` is dropped, and at
most ``HELD_BYTES`` in ``MOST_HELD`` answers are held at once: past either, the
answer whose client read last longest ago is dropped.

The end is graceful (RFC 9112 §9.6): the keeper half-closes the connection and reads
and discards what the client still sends (the rest of a body its route refused
unread) until the client closes too, ``LINGER_SECONDS`` pass or ``LINGER_BYTES``
were discarded; closing with bytes unread would reset the connection, and the
client could lose the answer. A serving process passes such a connection here with
nothing left to send, instead of lingering itself.
"""

import contextlib
import os
import select
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Final

from civicgraph.webapp.byconnection import ByConnection

#: How long a serving process waits for a client to read before it spools, seconds.
SEND_LINGER_SECONDS: Final = 0.05
#: How long the keeper holds an answer whose client reads nothing, seconds.
STALLED_SECONDS: Final = 30.0
#: The most bytes of answers the keeper holds at once.
HELD_BYTES: Final = 256 * 1024 * 1024
#: The most answers the keeper holds at once (each holds two descriptors).
MOST_HELD: Final = 256
#: How long the end of a connection waits for its client to close too, seconds.
LINGER_SECONDS: Final = 2.0
#: The most bytes read and discarded at the end of a connection.
LINGER_BYTES: Final = 64 * 1024
_WRITABLE: Final = select.EPOLLOUT | select.EPOLLET
_READABLE: Final = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLET
#: ``SO_LINGER`` on, for no time: closing resets the connection.
_RESET: Final = struct.pack("ii", 1, 0)


class Spool:
    """The rest of an answer its client is not reading yet, in a serving process."""

    def __init__(self) -> None:
        self.fd = os.memfd_create("civicgraph-answer", os.MFD_CLOEXEC)

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data`` (``os.write`` may take part of it at a time)."""
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def close(self) -> None:
        """Close this process's copy (the keeper holds its own once passed)."""
        os.close(self.fd)


def send_or_spool(sock: socket.socket, data: bytes, spool: Spool | None) -> Spool | None:
    """Send ``data`` on ``sock``, or append it to the spool once the client stopped reading.

    Returns the spool the rest of the answer goes to: None while the client reads.
    """
    if spool is not None:
        spool.write(data)
        return spool
    view = memoryview(data)
    previous = sock.gettimeout()  # a body's pause limit, say: restored after
    sock.setblocking(False)
    try:
        while view:
            try:
                view = view[sock.send(view) :]
            except BlockingIOError:
                if select.select([], [sock], [], SEND_LINGER_SECONDS)[1]:
                    continue
                spool = Spool()
                spool.write(view)
                return spool
    finally:
        sock.settimeout(previous)
    return None


@dataclass
class _Answer:
    client: socket.socket
    rest: int | None
    size: int
    sent: int = 0
    progress: float = field(default_factory=time.monotonic)
    #: Once sent whole: when the client must have closed too, and what it sent since.
    linger_until: float | None = None
    discarded: int = 0


class Outgoing(ByConnection[_Answer]):
    """The answers the keeper finishes sending, on its ``epoll``."""

    def hold(self, client: socket.socket, rest: int | None) -> None:
        """Take a connection and its answer's rest (None: nothing is left to send);
        send it as the client reads, then end the connection gracefully."""
        answer = _Answer(client, rest, 0 if rest is None else os.fstat(rest).st_size)
        while self._by_fd and (
            self._held + answer.size > HELD_BYTES or len(self._by_fd) >= MOST_HELD
        ):
            self._drop(min(self._by_fd.values(), key=lambda held: held.progress))
        client.setblocking(False)
        self._by_fd[client.fileno()] = answer
        self._held += answer.size
        self._poll.register(client, _WRITABLE)
        self.event(client.fileno())

    def event(self, fd: int) -> None:
        """The client read some (send what fits), or sent or closed at the end."""
        answer = self._by_fd[fd]
        if answer.linger_until is not None:
            self._discard(answer)
            return
        try:
            while answer.sent < answer.size and answer.rest is not None:
                count = answer.size - answer.sent
                answer.sent += os.sendfile(fd, answer.rest, answer.sent, count)
                answer.progress = time.monotonic()
        except BlockingIOError:
            return  # woken again when the client reads
        except OSError:
            self._drop(answer, reset=True)  # the client is gone
            return
        self._linger(answer)

    def sweep(self) -> None:
        """Drop answers whose client read nothing for ``STALLED_SECONDS`` (a reset),
        and end the connections whose client did not close within the linger."""
        now = time.monotonic()
        for answer in list(self._by_fd.values()):
            if answer.linger_until is not None and answer.linger_until < now:
                self._drop(answer)
            elif answer.linger_until is None and answer.progress < now - STALLED_SECONDS:
                self._drop(answer, reset=True)

    def _linger(self, answer: _Answer) -> None:
        """Sent whole: half-close, and wait for the client to close too."""
        with contextlib.suppress(OSError):
            answer.client.shutdown(socket.SHUT_WR)
        answer.linger_until = time.monotonic() + LINGER_SECONDS
        self._poll.modify(answer.client, _READABLE)
        self._discard(answer)

    def _discard(self, answer: _Answer) -> None:
        """Read and drop what the client sends; end once it closes, or past the cap."""
        try:
            while data := answer.client.recv(LINGER_BYTES):
                answer.discarded += len(data)
                if answer.discarded >= LINGER_BYTES:
                    break
        except (BlockingIOError, InterruptedError):
            return  # woken again when more arrives
        except OSError:
            pass
        self._drop(answer)

    def _drop(self, answer: _Answer, *, reset: bool = False) -> None:
        self._poll.unregister(answer.client)
        del self._by_fd[answer.client.fileno()]
        self._held -= answer.size
        if answer.rest is not None:
            os.close(answer.rest)
        with contextlib.suppress(OSError):
            if reset:  # the client sees the answer was cut; its buffers go at once
                answer.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
            answer.client.close()
