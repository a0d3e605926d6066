"""The plain requests most endpoint traffic is, read and answered without gunicorn's parser.

A cheap query costs a serving process less to evaluate than gunicorn's request parser,
WSGI environ and response writer cost in Python around it. ``PlainRequest.read``
accepts only the narrowest well-formed requests of HTTP/1.1 whose bytes were all
received, with nothing behind them: a ``GET`` head, or a ``POST`` head whose one
``Content-Length`` counts exactly the bytes after it (the body, whole). No header
that frames a body otherwise or changes how the connection or the URL is read
(``Transfer-Encoding``, ``Expect``, ``Upgrade``, a forwarded scheme, a name with an
underscore) is taken. Everything else, however valid, is handed to gunicorn with the
bytes unread, so gunicorn stays the HTTP parser of record and this one can only
decline. ``tests/test_plainhttp.py`` checks that the environ built here equals
gunicorn's for what it accepts.

The reading is linear: one ``find`` for the end of the head, one ``split`` per line,
fixed character-class checks; a request longer than ``HEAD_BYTES`` is declined.
"""

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from functools import lru_cache
from io import BytesIO
from typing import Any, Final

from gunicorn import SERVER
from gunicorn.http.message import TOKEN_RE
from gunicorn.http.wsgi import HEADER_VALUE_RE, STATUS_RE
from gunicorn.util import is_hoppish

#: The most bytes a plain request (its head and body) may take; a longer one goes to
#: gunicorn.
HEAD_BYTES: Final = 8192
_END: Final = b"\r\n\r\n"
#: How each method a plain request may have begins its request line.
_PREFIXES: Final = {b"GET /": "GET", b"POST /": "POST"}
_VERSION: Final = b" HTTP/1.1"
#: A request target in origin form: visible ASCII only, no fragment, a path with no
#: escapes (gunicorn decodes them) that does not start with two slashes.
_TARGET: Final = re.compile(
    rb"/(?!/)[\x21-\x22\x24\x26-\x3e\x40-\x7e]*(?:\?[\x21-\x22\x24-\x7e]*)?"
)
#: A header value as this reader takes it: visible ASCII, spaces and tabs.
_VALUE: Final = re.compile(rb"[\x20-\x7e\t]*")
_NAME: Final = re.compile(rb"[!#$%&'*+.^`|~0-9A-Za-z-]+")
#: The headers that describe a body: declined on a ``GET``, once each on a ``POST``.
_BODY_HEADERS: Final = ("CONTENT-LENGTH", "CONTENT-TYPE")
#: Headers that frame a body otherwise, change the connection or the URL's reading:
#: declined.
_DECLINED: Final = frozenset(
    {
        "TRANSFER-ENCODING",
        "EXPECT",
        "UPGRADE",
        "TE",
        "TRAILER",
        "HTTP2-SETTINGS",
        "PROXY-CONNECTION",
    }
)
_MOST_HEADERS: Final = 100
#: What a plain request's ``Connection`` header may say (an HTTP/1.1 connection is
#: kept unless it says ``close``).
_CONNECTION: Final = frozenset({"keep-alive", "close"})


@dataclass(frozen=True, slots=True)
class PlainRequest:
    """A plain request: its method, target, headers (names upper-cased) and body."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    #: Whether the client wants the connection kept after the answer.
    kept: bool = True

    @classmethod
    def read(cls, data: bytes) -> "PlainRequest | None":
        """The request ``data`` holds whole and alone, or None to let gunicorn read it."""
        if len(data) > HEAD_BYTES or not data.startswith(tuple(_PREFIXES)):
            return None
        return _read(data)

    @property
    def http_entries(self) -> dict[str, str]:
        """The headers as the environ's ``HTTP_`` entries (repeated ones joined)."""
        return _http_entries(self.headers)

    def environ(
        self, base: dict[str, Any], sock: Any, client: Any, server: tuple[str, int], root: str
    ) -> dict[str, Any] | None:
        """The WSGI environ gunicorn's ``wsgi.create`` builds for this request.

        None when the path is outside ``root`` (the ``SCRIPT_NAME``), which gunicorn
        reports as an error of its own.
        """
        path, _, query = self.target.partition("?")
        if not path.startswith(root):
            return None
        environ = dict(base)
        environ.update(
            {
                "wsgi.input": BytesIO(self.body),
                "gunicorn.socket": sock,
                "REQUEST_METHOD": self.method,
                "QUERY_STRING": query,
                "RAW_URI": self.target,
                "SERVER_PROTOCOL": "HTTP/1.1",
                "wsgi.url_scheme": "http",
                "REMOTE_ADDR": client[0],
                "REMOTE_PORT": str(client[1]),
                "SERVER_NAME": server[0],
                "SERVER_PORT": str(server[1]),
                "PATH_INFO": path[len(root) :],
                "SCRIPT_NAME": root,
            }
        )
        environ.update(self.http_entries)
        for name, value in self.headers:  # as gunicorn names them: no HTTP_ prefix
            if name in _BODY_HEADERS:
                environ[name.replace("-", "_")] = value
        return environ


@lru_cache(maxsize=256)
def _read(data: bytes) -> PlainRequest | None:
    """``PlainRequest.read`` of a request no longer than ``HEAD_BYTES``.

    Clients send the same few requests again and again (a dashboard's queries, a
    benchmark's), and reading one costs a cheap query's evaluation again; the last
    few are kept (at most ``HEAD_BYTES`` each).
    """
    end = data.find(_END)
    if end < 0:
        return None
    body = data[end + len(_END) :]
    first, _, block = data[:end].partition(b"\r\n")
    method = next(m for prefix, m in _PREFIXES.items() if data.startswith(prefix))
    method_target, version = first[len(method) + 1 :], first[-len(_VERSION) :]
    if version != _VERSION:
        return None
    target = method_target[: -len(_VERSION)]
    found = _headers(block)
    if found is None or not _TARGET.fullmatch(target) or not _framed(method, found, body):
        return None
    kept = all(value.lower() != "close" for name, value in found if name == "CONNECTION")
    return PlainRequest(method, target.decode("ascii"), found, body, kept)


@lru_cache(maxsize=256)
def _headers(block: bytes) -> tuple[tuple[str, str], ...] | None:
    """The header lines of a plain request, or None if any is not plainly well formed
    or asks for more than a plain request.

    Kept apart from the request line: a client asking about another entity each time
    sends another target under the same headers, whose reading is then not repeated.
    """
    lines = block.split(b"\r\n") if block else []
    if len(lines) > _MOST_HEADERS:
        return None
    headers = [_header(line) for line in lines]
    if any(h is None for h in headers):
        return None
    found = tuple(h for h in headers if h is not None)
    return found if _acceptable(found) else None


@lru_cache(maxsize=256)
def _http_entries(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The environ's ``HTTP_`` entries for ``headers``, repeated ones joined as gunicorn
    joins them; kept beside the heads they come from (callers copy, never change it).
    The headers that describe a body have entries of their own, as gunicorn gives them."""
    joined: dict[str, list[str]] = {}
    for name, value in headers:
        if name in _BODY_HEADERS:
            continue
        joined.setdefault("HTTP_" + name.replace("-", "_"), []).append(value)
    return {key: ",".join(values) for key, values in joined.items()}


def _header(line: bytes) -> tuple[str, str] | None:
    """One header line as (NAME, value), or None if it is not plainly well formed."""
    name, colon, value = line.partition(b":")
    if not colon or not _NAME.fullmatch(name) or not _VALUE.fullmatch(value):
        return None
    return name.decode("ascii").upper(), value.strip(b" \t").decode("ascii")


def _framed(method: str, headers: tuple[tuple[str, str], ...], body: bytes) -> bool:
    """Whether the body is exactly what the headers frame: none on a ``GET``; on a
    ``POST``, one ``Content-Length`` in plain digits counting every byte after the head
    (at least one), and at most one ``Content-Type``."""
    lengths = [value for name, value in headers if name == "CONTENT-LENGTH"]
    types = sum(name == "CONTENT-TYPE" for name, _ in headers)
    if method == "GET":
        return not lengths and not types and not body
    if len(lengths) != 1 or types > 1:
        return False
    length = lengths[0]
    return length.isascii() and length.isdigit() and length[0] != "0" and int(length) == len(body)


def _acceptable(headers: tuple[tuple[str, str], ...]) -> bool:
    """Whether no header asks for anything beyond a plain request, kept alive or
    closed after its answer (one of the two named, however many times)."""
    hosts = 0
    connection = {value.lower() for name, value in headers if name == "CONNECTION"}
    if not connection <= _CONNECTION or len(connection) > 1:
        return False
    for name, _value in headers:
        if name in _DECLINED or "FORWARDED" in name:
            return False
        hosts += name == "HOST"
    return hosts == 1


class PlainResponse:
    """A WSGI response collected whole, then written as gunicorn writes it: on a
    connection kept (``kept``) or closed after it."""

    def __init__(self, kept: bool = True) -> None:
        self.kept = kept
        self.status = ""
        self.lines: list[str] = []
        self.length: str | None = None

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        """Record the status and the header lines, with gunicorn's checks on both."""
        if not STATUS_RE.fullmatch(status):
            raise ValueError(f"Invalid status {status!r}")
        if status[0] == "1" or status[:3] in ("204", "304"):  # a body would break framing
            raise ValueError(f"A {status[:3]} response cannot go out on the plain path")
        self.status = status
        self.lines = [_header_line(name, value) for name, value in headers]
        self.length = next(
            (v.strip(" \t") for n, v in headers if n.lower() == "content-length"), None
        )
        return self._refuse_write

    @staticmethod
    def _refuse_write(data: bytes) -> None:
        """The legacy ``write`` callable, which no part of this application uses."""
        raise NotImplementedError("write() is not supported on the plain request path")

    def encode(self, body: Iterable[bytes]) -> bytes:
        """Head and body in one piece, with the body's length and the connection's fate."""
        content = b"".join(body)
        if self.length is None:
            self.lines.append(f"Content-Length: {len(content)}\r\n")
        elif int(self.length) != len(content):
            raise ValueError("Content-Length does not match the body")
        head = (
            f"HTTP/1.1 {self.status}\r\nServer: {SERVER}\r\n"
            f"Date: {_http_date(int(time.time()))}\r\n"
            f"Connection: {'keep-alive' if self.kept else 'close'}\r\n"
        )
        return (head + "".join(self.lines) + "\r\n").encode("latin-1") + content


@lru_cache(maxsize=512)
def _header_line(name: str, value: str) -> str:
    """A response header's line ("" for a hop-by-hop one), checked as gunicorn checks it.

    An application sends the same few headers over and over, so lines are kept.
    """
    if not TOKEN_RE.fullmatch(name) or not HEADER_VALUE_RE.fullmatch(value):
        raise ValueError(f"Invalid response header {name!r}")
    return "" if is_hoppish(name) else name + ": " + value.strip(" \t") + "\r\n"


_dates: dict[int, str] = {}


def _http_date(second: int) -> str:
    """An HTTP date for ``second``, formatted once per second."""
    found = _dates.get(second)
    if found is None:
        _dates.clear()
        found = _dates[second] = formatdate(second, localtime=False, usegmt=True)
    return found
