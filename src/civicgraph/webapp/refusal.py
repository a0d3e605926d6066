"""The answers the keeper gives itself, before any serving process sees a request.

The keeper runs in gunicorn's master, with no Flask application around it, so it
writes these few answers itself; their JSON reads as ``webapp/errors.py``'s do.
"""

import contextlib
import json
import socket
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

from gunicorn import util

from civicgraph.errors import IncompleteBodyError
from civicgraph.webapp.arrival import FIELDS, LONGEST_LINE, MOST_CHUNKS, WINDOW
from civicgraph.webapp.security import SECURITY_HEADERS


@dataclass(frozen=True)
class Refusal:
    """A status, its reason phrase, and the error's title and detail."""

    status: int
    reason: str
    title: str
    detail: str


HEAD_TOO_LONG: Final = Refusal(
    431,
    "Request Header Fields Too Large",
    "Request head too long",
    f"The request's head (its line and headers) is longer than {WINDOW:,} bytes.",
)


TOO_MANY_FIELDS: Final = Refusal(
    431,
    "Request Header Fields Too Large",
    "Too many header fields",
    f"The request's head has more than {FIELDS} header fields.",
)


BARE_LINE_END: Final = Refusal(
    400,
    "Bad Request",
    "Malformed head",
    "The request's head ends a line with a bare LF; end each line of the head, and the "
    "blank line after it, with CRLF (RFC 9112, section 2.2).",
)


FRAMING_TOO_LONG: Final = Refusal(
    400,
    "Bad Request",
    "Chunk framing too long",
    "The body's chunk sizes and extensions take far more bytes than its data; send it "
    "in larger chunks, or with a Content-Length.",
)


TOO_MANY_CHUNKS: Final = Refusal(
    400,
    "Bad Request",
    "Too many chunks",
    f"The body comes in more than {MOST_CHUNKS:,} chunks; send it in larger chunks, or "
    "with a Content-Length.",
)


LINE_TOO_LONG: Final = Refusal(
    400,
    "Bad Request",
    "Chunk line too long",
    f"A chunk size or trailer line of the body runs past {LONGEST_LINE:,} bytes.",
)


ENDED_EARLY: Final = Refusal(
    400,
    "Bad Request",
    IncompleteBodyError.title,
    "The request ended early: its client closed its side of the connection before the "
    "whole request arrived. Nothing was changed; send the whole request again.",
)


def timed_out(idle: float) -> Refusal:
    """The refusal of a request that did not arrive whole within ``idle`` seconds."""
    detail = f"The request did not arrive whole within {idle:g} seconds; send it again."
    return Refusal(408, "Request Timeout", "Request timeout", detail)


#: The headers every answer of the server carries, on these too.
_SECURITY: Final = "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS)


def answer(refusal: Refusal) -> bytes:
    """The whole answer of ``refusal``, for a connection that closes after it."""
    error = {"error": refusal.title, "status": refusal.status, "detail": refusal.detail}
    body = json.dumps(error).encode()
    head = (
        f"HTTP/1.1 {refusal.status} {refusal.reason}\r\nContent-Type: application/json\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\n{_SECURITY}\r\n"
    )
    return head.encode("latin-1") + body


def refuse(client: socket.socket, refusal: Refusal) -> None:
    """Send ``refusal`` and close; what the client sent is read first, so that the close
    does not reset the answer away."""
    with contextlib.suppress(OSError):
        client.recv(WINDOW, socket.MSG_DONTWAIT)
    with contextlib.suppress(OSError):
        client.send(answer(refusal), socket.MSG_DONTWAIT)
    with contextlib.suppress(OSError):
        client.close()


def write_parser_error(client: socket.socket, status: int, reason: str, message: str) -> None:
    """gunicorn's answer to a request its parser refused, in JSON as every other error
    (gunicorn writes an HTML page): the status and message are gunicorn's own, the
    reason phrase the status's (gunicorn leaves "Bad Request" beside a 501)."""
    with contextlib.suppress(ValueError):
        reason = HTTPStatus(status).phrase
    util.write_nonblock(client, answer(Refusal(status, reason, reason, message)))
