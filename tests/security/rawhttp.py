"""Requests written by hand on a socket, for what ``requests`` will not send.

A client that promises a body and sends less, a chunked body without its last
chunk, headers that contradict each other: only a raw socket can say these.
"""

import json
import select
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RawAnswer:
    """The server's answer: status code and body (empty when the connection just closed)."""

    status: int | None
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def head(method: str, target: str, *headers: str) -> bytes:
    """A request line and headers, each header given as ``"Name: value"``."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(*pieces: bytes, last: bool = True) -> bytes:
    """A chunked body of ``pieces``; without ``last`` its final (empty) chunk is missing."""
    body = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces)
    return body + (b"0\r\n\r\n" if last else b"")


def _parse(data: bytes) -> RawAnswer:
    status_line, _, rest = data.partition(b"\r\n")
    parts = status_line.split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    return RawAnswer(status, rest.partition(b"\r\n\r\n")[2])


def send(port: int, data: bytes, *, close_writing: bool = True, timeout: float = 20) -> RawAnswer:
    """Send ``data``, then (by default) shut down writing, as a client that gives up does.

    The answer is read until the server closes the connection.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(data)
        if close_writing:
            conn.shutdown(socket.SHUT_WR)
        return _parse(_read_all(conn))


def _read_all(conn: socket.socket) -> bytes:
    received = bytearray()
    try:
        while chunk := conn.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return bytes(received)


def send_until_answered(
    port: int, request_head: bytes, pieces: Iterable[bytes], timeout: float = 60
) -> tuple[RawAnswer, int]:
    """Send the head, then body pieces only while the server has not answered yet.

    A server that refuses a body early (413) answers and closes while the client is
    still sending; a client that writes on regardless gets a reset and may lose the
    answer. This one stops sending as soon as there is something to read. Returns the
    answer and how many body bytes were sent.
    """
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(request_head)
        for piece in pieces:
            readable, _, _ = select.select([conn], [], [], 0)
            if readable:
                break
            try:
                conn.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        else:
            conn.shutdown(socket.SHUT_WR)
        return _parse(_read_all(conn)), sent
