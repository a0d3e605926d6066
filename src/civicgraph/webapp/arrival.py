"""Whether a request has arrived whole, read from the bytes a socket holds unread.

A serving process answers one request at a time, so one that waited on a client that
connected and sent nothing, or half a request, would stop serving until gunicorn's
timeout: a few idle connections would stall the server. So a serving process reads a
request only once it has arrived (``Arrival.arrived``). A request that has not waits
in the master's keeper (``webapp/keeper.py``), which reads what arrives
(``webapp/incoming.py``): the head, ``Head`` telling when it has ended (a head
longer than ``WINDOW`` is refused), then the body, ``Body`` telling when it is
whole, up to ``Arrival.cap``, the largest body a route open to everyone takes. A
body announced over that is refused from its head (or is a token holder's upload), so it
goes on at once, and the rest of a body past it is read by the serving process as it
arrives.

The reading here only decides when to start: gunicorn stays the parser of record,
and anything these checks cannot read counts as arrived, for the parser to refuse.
It is linear in the bytes however they are split: a serving process looks at a
socket's unread bytes a bounded number of times (following at most a ``SLICE`` of a
chunked body each time), the keeper reads what arrives and looks at each byte once
(``Head``, ``Body``), and a head's lines are read once.
"""

import re
import select
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from civicgraph.webapp.auth import bears_token

#: The most unread bytes looked at in place: a head longer than this is refused (431).
WINDOW: Final = 32 * 1024
#: The longest request line the parser reads (method, target and version); past it, 414.
REQUEST_LINE: Final = 8190
_END: Final = b"\r\n\r\n"
_LINE: Final = b"\r\n"
#: A line of the head ended by a bare LF, not CRLF: gunicorn's parser, which reads
#: CRLF lines, refuses such a head, or waits past its end for ever.
_BARE_LF: Final = re.compile(rb"(?<!\r)\n")
#: The most significant digits of a length read as a number (leading zeros aside).
_SIZE_DIGITS: Final = 16
_HEX_DIGITS: Final = b"0123456789abcdefABCDEF"
#: The most chunks of a body the keeper gathers; past them it is refused. gunicorn's
#: parser follows a chunk in several microseconds of Python (a million one-byte
#: chunks, a 1 MiB query's, held a serving process for 8 s): this many take it a
#: tenth of a second, and come to 64 bytes a chunk at the largest body gathered.
MOST_CHUNKS: Final = 16_384
#: The longest chunk size or trailer line followed; a longer one is malformed.
LONGEST_LINE: Final = 8192
#: Read without taking, and without waiting (one number: combining the flags costs
#: more than the read itself on a cheap request).
_PEEK: Final = int(socket.MSG_PEEK | socket.MSG_DONTWAIT)
#: The most header fields a head may have (gunicorn's ``limit_request_fields``): one
#: with more is answered 431 by the keeper, its lines unread. Both the framing read
#: here and gunicorn's parser go through a head a line at a time in Python: a 32 KiB
#: head of tiny lines cost each 4-5 ms, every time a connection sent one.
FIELDS: Final = 100
#: Heads up to this size have their framing kept (``_framing``).
_KEPT_HEAD: Final = 8192
#: The most bytes of a chunked body followed at once, by a serving process or the
#: keeper: each chunk costs a microsecond or so to follow, and one-byte chunks of this
#: many bytes take under a millisecond. A body not whole within them is gathered by
#: the keeper a slice at a time, in turn with the other requests it gathers
#: (``webapp/incoming.py``).
SLICE: Final = 2 * 1024


def unread(sock: socket.socket, window: int = WINDOW) -> bytes | None:
    """The bytes the client sent that nobody has read yet (up to ``window``, left
    unread); ``b""`` when the client closed its side; None when nothing is there yet."""
    try:
        return sock.recv(window, _PEEK)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


class Head:
    """A request's first bytes as they arrive, each looked at once for the head's end."""

    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        #: The bytes so far (the head, and whatever came after it in the same reads).
        self.data = bytearray()
        #: Whether the head is longer than the window (the keeper answers 431).
        self.too_long = False
        #: Whether a line of the head ended in a bare LF (the keeper answers 400).
        self.bare = False
        #: Whether the head has more than ``FIELDS`` fields (the keeper answers 431).
        self.crowded = False

    def feed(self, data: bytes) -> bool:
        """Take the next bytes; whether the head has ended, or is too long to, or has a
        line ended by a bare LF (refused at once: it need not be waited for)."""
        before = len(self.data)
        self.data += data
        end = self.data.find(_END, max(0, before - len(_END) + 1))  # an end split across reads
        # Each byte looked at once (the pattern looks behind at the byte before).
        bare = _BARE_LF.search(self.data, before, end if end >= 0 else len(self.data))
        if bare is not None:
            self.bare = True
            return True
        if end >= 0:
            self.too_long = end + len(_END) > self._window
            self.crowded = _crowded(self.data, end)
            return True
        self.too_long = len(self.data) >= self._window
        return self.too_long


class Body:
    """How much of a request's body is still to come, told from its bytes as they arrive.

    A ``Content-Length`` is counted down; a chunked body is walked chunk by chunk, its
    data skipped by size, so each byte is looked at once however it is split. Its
    lines end where gunicorn's end them, at a CRLF only: a bare LF is part of the line
    (which the parser then refuses), so a body counts as whole only where the parser
    will read it to its end without waiting.
    """

    def __init__(self, length: int | None) -> None:
        #: Bytes still to come of a ``Content-Length`` body; None for a chunked one.
        self._left = length
        self._line = bytearray()  # a chunk size or trailer line, begun in earlier bytes
        self._skip = 0  # chunk data and its CRLF still to skip
        self._trailers = False
        self.done = length == 0
        #: The body's own bytes arrived so far: a chunked body's framing left out.
        self.received = 0
        #: The chunks begun so far (``MOST_CHUNKS``).
        self.chunks = 0
        #: A chunk size or trailer line ran past ``LONGEST_LINE`` without ending: the
        #: parser would wait for its end (gunicorn takes trailers of 256 KiB), so such
        #: a request is refused rather than passed on.
        self.too_long = False

    def feed(self, data: bytes) -> bool:
        """Take the next bytes of the body; whether it is now whole (or too malformed to
        follow: the parser refuses it)."""
        if self._left is not None:
            self._left -= len(data)
            self.received += len(data)
            self.done = self._left <= 0
        else:
            self.done = self.done or self._walk(data)
        return self.done

    def _walk(self, data: bytes) -> bool:
        at = 0
        while at < len(data):
            if self._skip:
                step = min(self._skip, len(data) - at)
                self.received += min(step, max(0, self._skip - len(_LINE)))
                self._skip, at = self._skip - step, at + step
                continue
            stop = self._line_end(data, at)
            self._line += data[at:stop] if stop >= 0 else data[at:]
            if stop < 0:
                self.too_long = len(self._line) > LONGEST_LINE
                return self.too_long
            line, self._line, at = bytes(self._line[: -len(_LINE)]), bytearray(), stop
            if self._trailers:
                if not line:
                    return True  # the empty line after the last chunk's trailers
                continue
            size = _chunk_size(line)
            if size is None:
                return True
            self.chunks += size > 0  # the last chunk, of size 0, carries nothing
            self._trailers, self._skip = size == 0, size + len(_LINE) if size else 0
        return False

    def _line_end(self, data: bytes, at: int) -> int:
        """Where in ``data`` the line begun in ``_line`` and ``data[at:]`` ends, just past
        its CRLF (which may be split between the two); -1 if not in ``data``."""
        if self._line.endswith(b"\r") and data.startswith(b"\n", at):
            return at + 1
        end = data.find(_LINE, at)
        return end + len(_LINE) if end >= 0 else -1


def _crowded(data: bytes | bytearray, end: int) -> bool:
    """Whether the head ending at ``end`` has more than ``FIELDS`` fields (each line
    after the request line is one: gunicorn refuses obsolete line folding)."""
    return data.count(_LINE, 0, end) > FIELDS


def _chunk_size(line: bytes) -> int | None:
    """A chunk size line's size, None if malformed. Leading zeros count for nothing, as
    in any parser; a size of more digits than any body takes reads as too large."""
    text = line.split(b";", 1)[0].strip()
    if not text or text.strip(_HEX_DIGITS):
        return None
    return _bounded(int(text[-_SIZE_DIGITS:], 16), text)


def _bounded(value: int, digits: bytes) -> int:
    """``value`` (of the last ``_SIZE_DIGITS`` of ``digits``), or more than any body
    takes when the digits before them are not all zeros."""
    if digits[:-_SIZE_DIGITS].strip(b"0"):
        return 1 << 64
    return value


@dataclass(frozen=True)
class Gather:
    """A request whose head is whole and whose body is still arriving."""

    head: int  # the head's length, blank line included
    body: Body  # what is still to come of the body
    #: The client waits for ``100 Continue`` before it sends the body.
    continues: bool = False


@dataclass(frozen=True)
class Arrival:
    """When a request counts as arrived: ``window`` bytes at most looked at in place, and
    bodies of at most ``cap`` bytes gathered whole before a serving process reads them."""

    window: int = WINDOW
    cap: int = WINDOW
    #: The server's write token (None: writes are off), for ``answered_from_head``.
    write_token: str | None = None

    @classmethod
    def for_limits(cls, open_limits: Iterable[int], write_token: str | None = None) -> "Arrival":
        """The rule for a server whose routes open to everyone take bodies up to these
        limits (a body past them is refused, or needs the write token)."""
        return cls(WINDOW, max(open_limits) + 1, write_token)

    def answered_from_head(self, head: bytes) -> bool:
        """Whether the route refuses this request from its head alone: a write (``PUT``,
        ``DELETE``, a ``POST`` to ``/update`` or ``/store``) without the write token.

        Its client, if it waits for ``100 Continue``, is not told to send the body it
        would send only to hear 401 (or 403, writes being off).
        """
        lines = head.split(_LINE)
        method, _, target = lines[0].partition(b" ")
        path = target.split(b"?", 1)[0]
        writes = method in (b"PUT", b"DELETE") or (
            method == b"POST" and (b"/update" in path or b"/store" in path)
        )
        if not writes:
            return False
        found = (
            raw
            for name, _, raw in (line.partition(b":") for line in lines[1:])
            if name.strip().lower() == b"authorization"
        )
        authorization = next(found, b"").strip().decode("latin-1")
        return not bears_token(authorization, self.write_token)

    def arrived(self, sock: socket.socket, wait: float = 0.0) -> bool:
        """Whether a request is waiting on ``sock`` whole (within ``wait`` seconds), or
        its client closed its side (reading then ends at once)."""
        found = unread(sock, self.window)
        if found is None and wait and select.select([sock], [], [], wait)[0]:
            found = unread(sock, self.window)
        return found is not None and (not found or self.ready(found))

    def ready(self, data: bytes) -> bool:
        """Whether the request whose first bytes are ``data`` is to be read now
        (``judge``), following at most a ``SLICE`` of a chunked body: a flood of
        connections sending one-byte chunks then costs whoever looks at them (a serving
        process as it accepts, the keeper as it wakes) under a millisecond each."""
        return self._judged(data, SLICE) is True

    def judge(self, data: bytes) -> bool | Gather:
        """What to do with a request whose first bytes are ``data``: True to read it now
        (it is whole, or goes on as it is for the parser or the route to refuse), False
        to wait for its head, or the body to gather first (having taken the bytes of it
        that ``data`` holds)."""
        return self._judged(data, None)

    def _judged(self, data: bytes, most: int | None) -> bool | Gather:
        """``judge``, following at most ``most`` bytes of a chunked body (then a Gather
        need not have taken all of ``data``: only ``ready`` asks, for True alone)."""
        end = data.find(_END)
        if end < 0 or _crowded(data, end):
            return False  # the keeper refuses it (``Head.too_long``, ``Head.crowded``)
        framing = _framing(data[:end])
        if framing.ambiguous or (framing.length is None and not framing.chunked):
            return True  # no body, or one the parser refuses from the head
        if framing.length is not None and framing.length > self.cap:
            return True  # refused from its head, or a token holder's upload read as it comes
        length = None if framing.chunked else framing.length
        head, body = end + len(_END), Body(length)
        rest = data[head:] if length is not None or most is None else data[head : head + most]
        whole = body.feed(rest) and not body.too_long  # the keeper refuses that
        return whole or Gather(head, body, framing.continues)


@dataclass(frozen=True)
class _Framing:
    """What a head says of its body: its ``Content-Length``, or that it is chunked.

    A malformed length reads as none: the parser refuses the request from its head. So
    does a head whose framing is ambiguous (two lengths, a length beside a transfer
    coding: RFC 9112 §6.3) or that names a coding other than plain ``chunked``, whose
    body need not be waited for.
    """

    length: int | None = None
    chunked: bool = False
    #: The client waits for ``100 Continue`` before it sends the body.
    continues: bool = False
    ambiguous: bool = False

    @classmethod
    def of(cls, head: bytes) -> "_Framing":
        length, chunked, continues, lengths, codings = None, False, False, 0, 0
        lines = head.split(_LINE)
        for line in lines[1:]:
            name, _, raw = line.partition(b":")
            name, value = name.strip().lower(), raw.strip().lower()
            if name == b"content-length":
                lengths += 1
                if value.isdigit():
                    length = _bounded(int(value[-_SIZE_DIGITS:]), value)
            elif name == b"transfer-encoding":
                chunked, codings = value == b"chunked", codings + 1
            elif name == b"expect":
                # HTTP/1.0 has no 100 Continue: a client of it must not be sent one.
                continues = value == b"100-continue" and lines[0].endswith(b"HTTP/1.1")
        # Two lengths, a length beside a coding, or a coding other than plain chunked:
        # the parser refuses it, or the route does, from the head (RFC 9112 section 6.3).
        odd = lengths > 1 or (lengths > 0 and codings > 0) or codings > 1
        return cls(length, chunked, continues, odd or (codings > 0 and not chunked))


_kept_framing: Final = lru_cache(maxsize=256)(_Framing.of)


def _framing(head: bytes) -> _Framing:
    """``_Framing.of``, kept for the last few short heads: a client sends the same head
    request after request, and this runs for each of them before it is read."""
    return _kept_framing(head) if len(head) <= _KEPT_HEAD else _Framing.of(head)
