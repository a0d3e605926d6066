"""The plain ``GET`` most endpoint traffic is, read and answered without gunicorn's parser.

A cheap query costs a serving process less to evaluate than gunicorn's request parser,
WSGI environ and response writer cost in Python around it. ``PlainGet.read`` accepts
only the narrowest well-formed request: one whole ``GET`` head of HTTP/1.1 in the
bytes already received, nothing behind it, no header that frames a body or changes
how the connection or the URL is read (``Content-Length``, ``Transfer-Encoding``,
``Expect``, ``Upgrade``, a forwarded scheme, a name with an underscore). Everything
else, however valid, is handed to gunicorn with the bytes unread, so gunicorn stays
the HTTP parser of record and this one can only decline. ``tests/test_plainhttp.py``
checks that the environ built here equals gunicorn's for what it accepts.

The reading is linear: one ``find`` for the end of the head, one ``split`` per line,
fixed character-class checks; a head longer than ``HEAD_BYTES`` is declined.
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

#: The most bytes a plain request's head may take; a longer one goes to gunicorn.
HEAD_BYTES: Final = 8192
_END: Final = b"\r\n\r\n"
_PREFIX: Final = b"GET /"
_VERSION: Final = b" HTTP/1.1"
#: A request target in origin form: visible ASCII only, no fragment, a path with no
#: escapes (gunicorn decodes them) that does not start with two slashes.
_TARGET: Final = re.compile(
    rb"/(?!/)[\x21-\x22\x24\x26-\x3e\x40-\x7e]*(?:\?[\x21-\x22\x24-\x7e]*)?"
)
#: A header value as this reader takes it: visible ASCII, spaces and tabs.
_VALUE: Final = re.compile(rb"[\x20-\x7e\t]*")
_NAME: Final = re.compile(rb"[!#$%&'*+.^`|~0-9A-Za-z-]+")
#: Headers that frame a body, change the connection or the URL's reading: declined.
_DECLINED: Final = frozenset(
    {
        "CONTENT-LENGTH",
        "CONTENT-TYPE",
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


@dataclass(frozen=True, slots=True)
class PlainGet:
    """A plain ``GET`` request: its target and its headers, names upper-cased."""

    target: str
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def read(cls, data: bytes) -> "PlainGet | None":
        """The request ``data`` holds whole and alone, or None to let gunicorn read it."""
        if len(data) > HEAD_BYTES or not data.startswith(_PREFIX) or not data.endswith(_END):
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
                "wsgi.input": BytesIO(),
                "gunicorn.socket": sock,
                "REQUEST_METHOD": "GET",
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
        return environ


@lru_cache(maxsize=256)
def _read(data: bytes) -> PlainGet | None:
    """``PlainGet.read`` of a head no longer than ``HEAD_BYTES``.

    Clients send the same few heads again and again (a dashboard's queries, a
    benchmark's), and reading one costs a cheap query's evaluation again; the last
    few are kept (at most ``HEAD_BYTES`` each).
    """
    lines = data[: -len(_END)].split(b"\r\n")
    method_target, version = lines[0][4:], lines[0][-len(_VERSION) :]
    if version != _VERSION or len(lines) > _MOST_HEADERS + 1:
        return None
    target = method_target[: -len(_VERSION)]
    if not _TARGET.fullmatch(target):
        return None
    headers = [_header(line) for line in lines[1:]]
    if any(h is None for h in headers):
        return None
    found = tuple(h for h in headers if h is not None)
    if not _acceptable(found):
        return None
    return PlainGet(target.decode("ascii"), found)


@lru_cache(maxsize=256)
def _http_entries(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The environ's ``HTTP_`` entries for ``headers``, repeated ones joined as gunicorn
    joins them; kept beside the heads they come from (callers copy, never change it)."""
    joined: dict[str, list[str]] = {}
    for name, value in headers:
        joined.setdefault("HTTP_" + name.replace("-", "_"), []).append(value)
    return {key: ",".join(values) for key, values in joined.items()}


def _header(line: bytes) -> tuple[str, str] | None:
    """One header line as (NAME, value), or None if it is not plainly well formed."""
    name, colon, value = line.partition(b":")
    if not colon or not _NAME.fullmatch(name) or not _VALUE.fullmatch(value):
        return None
    return name.decode("ascii").upper(), value.strip(b" \t").decode("ascii")


def _acceptable(headers: tuple[tuple[str, str], ...]) -> bool:
    """Whether no header asks for anything beyond a plain kept-alive ``GET``."""
    hosts = 0
    for name, value in headers:
        if name in _DECLINED or "FORWARDED" in name:
            return False
        if name == "CONNECTION" and value.lower() != "keep-alive":
            return False
        hosts += name == "HOST"
    return hosts == 1


class PlainResponse:
    """A WSGI response collected whole, then written as gunicorn writes a kept one."""

    def __init__(self) -> None:
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
        """Head and body in one piece, with the body's length and a kept connection."""
        content = b"".join(body)
        if self.length is None:
            self.lines.append(f"Content-Length: {len(content)}\r\n")
        elif int(self.length) != len(content):
            raise ValueError("Content-Length does not match the body")
        head = (
            f"HTTP/1.1 {self.status}\r\nServer: {SERVER}\r\n"
            f"Date: {_http_date(int(time.time()))}\r\nConnection: keep-alive\r\n"
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
