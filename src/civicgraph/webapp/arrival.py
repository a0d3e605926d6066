"""Whether a request has arrived whole, read from the bytes a socket holds unread.

A serving process answers one request at a time, so one that waited on a client that
connected and sent nothing, or half a request, would stop serving until gunicorn's
timeout: a few idle connections would stall the server. So a serving process reads a
request only once it is in the kernel's buffer (``Arrival.arrived``): its whole head,
and its whole body, or as much of the body as fills the window. Until then the
connection waits in the master's keeper (``webapp/keeper.py``), which answers 408 if
it stays incomplete. The window is ``WINDOW``, below what a default kernel buffer
holds before the client must wait for it to be read, or one byte past the smallest
body limit if that is smaller (a serving process refuses such a body, 413, without
waiting for its end). A body over every limit is refused from its head, so it goes on
at once. The rest of a body larger than the window is read as it arrives, under the
body's pause limit (``webapp/bodies.py``).

The reading here only decides when to start: gunicorn stays the parser of record,
and anything these checks cannot read counts as arrived, for the parser to refuse.
It is linear in the bytes peeked: ``find`` for the end of the head, one pass over
its lines, one step per chunk of a chunked body.
"""

import select
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

#: The most unread bytes looked at. Below what a default kernel buffer holds unread
#: (about 110 KiB here), so that a larger request fills it and is then read on.
WINDOW: Final = 32 * 1024


_END: Final = b"\r\n\r\n"
_LINE: Final = b"\r\n"
#: The longest chunk size line read as one (16 hex digits); a longer one is malformed.
_SIZE_DIGITS: Final = 16


def unread(sock: socket.socket, window: int = WINDOW) -> bytes | None:
    """The bytes the client sent that nobody has read yet (up to ``window``, left
    unread); ``b""`` when the client closed its side; None when nothing is there yet."""
    try:
        return sock.recv(window, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


@dataclass(frozen=True)
class Arrival:
    """When a request counts as arrived: ``window`` bytes at most looked at, and the
    largest body any route takes (``largest``; a larger one is refused from its head)."""

    window: int = WINDOW
    largest: int | None = None

    @classmethod
    def for_limits(cls, body_limits: Iterable[int]) -> "Arrival":
        """The rule for a server whose routes take bodies up to these limits."""
        limits = list(body_limits)
        return cls(min(WINDOW, *(limit + 1 for limit in limits)), max(limits))

    def arrived(self, sock: socket.socket, wait: float = 0.0) -> bool:
        """Whether a request is waiting on ``sock`` whole (within ``wait`` seconds), or
        its client closed its side (reading then ends at once)."""
        found = unread(sock, self.window)
        if found is None and wait and select.select([sock], [], [], wait)[0]:
            found = unread(sock, self.window)
        return found is not None and (not found or self.whole(found))

    def whole(self, data: bytes) -> bool:
        """Whether ``data``, a request's first bytes, holds the whole request (or fills
        the window, or is too malformed to read here: the parser refuses it)."""
        if len(data) >= self.window:
            return True
        end = data.find(_END)
        if end < 0:
            return False
        framing = _Framing.of(data[:end])
        body = data[end + len(_END) :]
        if framing.chunked:
            return _last_chunk_in(body)
        if framing.length is None:
            return True
        refused = self.largest is not None and framing.length > self.largest
        return refused or len(body) >= framing.length


@dataclass(frozen=True)
class _Framing:
    """What a head says of its body: its ``Content-Length``, or that it is chunked.

    A malformed length reads as none: the parser refuses the request from its head.
    """

    length: int | None = None
    chunked: bool = False

    @classmethod
    def of(cls, head: bytes) -> "_Framing":
        length, chunked = None, False
        for line in head.split(_LINE)[1:]:
            name, _, raw = line.partition(b":")
            name, value = name.strip().lower(), raw.strip().lower()
            if name == b"content-length" and value.isdigit():
                length = int(value[:_SIZE_DIGITS])
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
        return cls(length, chunked)


def _last_chunk_in(body: bytes) -> bool:
    """Whether a chunked body's last chunk and trailers are all in ``body``."""
    at = 0
    while True:
        line_end = body.find(_LINE, at)
        if line_end < 0:
            return False
        size_text = body[at:line_end].split(b";", 1)[0].strip()
        if not size_text or len(size_text) > _SIZE_DIGITS:
            return True  # malformed: the parser refuses it
        try:
            size = int(size_text, 16)
        except ValueError:
            return True
        if size == 0:
            return body.find(_END, line_end) >= 0
        at = line_end + len(_LINE) + size + len(_LINE)
        if at > len(body):
            return False
