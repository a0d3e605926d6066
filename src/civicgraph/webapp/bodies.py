"""Protocol bodies: bounded reads, whole bodies only, strict UTF-8, parameters decoded once.

Every SPARQL and Graph Store request goes through here, so that a body over the
limit is refused before it is read (413), a body cut short by the client is a 400
and never applied, text that is not UTF-8 is a 400 and never a 500, and a form
value is percent-decoded exactly once.
"""

import json
import socket
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl

from flask import Response, request
from gunicorn.http.errors import ChunkMissingTerminator, ParseException
from pyoxigraph import NamedNode
from werkzeug.exceptions import ClientDisconnected

from civicgraph.errors import (
    IncompleteBodyError,
    LengthRequiredError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    UnsupportedTransferCodingError,
    UserInputError,
)
from civicgraph.webapp.state import current_state

_CHUNK = 64 * 1024
#: The body limit of the JSON APIs, and of any route that sets none of its own: the
#: largest JSON request the app sends (1,000 IRIs for labels) is well under it, and
#: parsing this much JSON costs a few MiB, where the 64 MiB upload limit cost 1.6 GB.
JSON_LIMIT = 256 * 1024
#: The media type of HTML forms, which both SPARQL operations accept.
FORM = "application/x-www-form-urlencoded"


#: The charsets a body may declare: UTF-8, and ASCII, which is part of it.
_UTF8_NAMES = (None, "utf-8", "utf8", "us-ascii")


def bare_type(content_type: str) -> str:
    """The media type of a Content-Type value, lower-cased, without its parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def media_type() -> str:
    """The bare media type of the request's Content-Type."""
    return bare_type(request.headers.get("Content-Type", ""))


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def declares_utf8(content_type: str) -> bool:
    """Whether a Content-Type value declares no charset, or one that UTF-8 reads."""
    return _charset(content_type) in _UTF8_NAMES


def read_body(limit: int, what: str) -> bytes:
    """The whole request body: 413 when over ``limit`` bytes, 400 when cut short.

    A declared Content-Length over the limit is refused before reading; a chunked
    body is read only up to one byte past the limit. The server's stream simply
    ends when a client stops sending early, so the bytes read are compared with
    the Content-Length; a chunked body that stops before its last chunk makes the
    stream raise (RFC 9112 §6.3, §7.1).
    """
    declared = request.content_length
    _require_framing(declared)
    if declared is not None and declared > limit:
        raise PayloadTooLargeError(limit, what)
    _bound_silence()
    # werkzeug bounds the stream by this request's own limit, not the app-wide
    # default; one byte more, so that a body of exactly ``limit`` bytes passes.
    request.max_content_length = limit + 1
    body = _read_up_to(request.stream, limit, what)
    if declared is not None and len(body) < declared:
        raise IncompleteBodyError(
            what, f"{len(body):,} of the {declared:,} bytes its Content-Length announced arrived"
        )
    return body


def _require_framing(declared: int | None) -> None:
    """A body needs a Content-Length or chunked framing; no other transfer coding is read.

    Without either, HTTP says the body is empty (RFC 9112 §6.3), and an HTTP/1.0
    client's PUT would empty the graph: 411. gunicorn hands over ``gzip, chunked``
    decoded of its chunks only, so a coding it does not undo is refused (§6.1: 501).
    """
    codings = request.headers.get("Transfer-Encoding", "").strip().lower()
    if codings and codings != "chunked":
        raise UnsupportedTransferCodingError(codings)
    if declared is None and not codings:
        raise LengthRequiredError()


def _bound_silence() -> None:
    """Bound how long the body may pause, so a client that stops sending frees the thread.

    gunicorn blocks on the socket without a limit while a body arrives; a pause
    longer than ``body_timeout`` makes the read fail, which counts as cut short.
    gunicorn sets its own blocking mode again when the request is done.
    """
    sock = request.environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        sock.settimeout(current_state().settings.body_timeout)


def _read_up_to(stream: IO[bytes], limit: int, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := stream.read(min(_CHUNK, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise PayloadTooLargeError(limit, what)
    except (ClientDisconnected, ParseException) as exc:
        raise _cut_or_malformed(exc, what) from exc
    return b"".join(chunks)


def _cut_or_malformed(exc: Exception, what: str) -> UserInputError:
    """Why reading a body failed: it stopped early, or its chunks were framed wrong.

    werkzeug turns a read that fails (gunicorn's NoMoreData) into ClientDisconnected,
    and gunicorn reports a body that ended where a chunk's CRLF should be as a missing
    terminator (with what arrived of it); any other error of gunicorn's is malformed
    framing.
    """
    stopped = isinstance(exc, ClientDisconnected) or (
        isinstance(exc, ChunkMissingTerminator) and b"\r\n".startswith(bytes(exc.term))
    )
    if stopped:
        return IncompleteBodyError(
            what, "the connection stopped before its end (a chunked body ends with an empty chunk)"
        )
    return MalformedBodyError(what, str(exc))


def read_json(what: str) -> Any:
    """A JSON body of at most ``JSON_LIMIT`` bytes, size-checked before it is parsed."""
    text = decode_text(read_body(JSON_LIMIT, what), what=what)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UserInputError(f"The {what} is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # arrays in arrays: the parser recurses once a level
        raise UserInputError(f"The {what} nests its arrays or objects too deeply") from exc


def require_utf8(what: str) -> None:
    """Refuse a body whose Content-Type declares a charset other than UTF-8."""
    content_type = request.headers.get("Content-Type", "")
    if not declares_utf8(content_type):
        declared = _charset(content_type)
        raise UserInputError(f"The {what} is declared as {declared}; send it as UTF-8")


def decode_text(body: bytes, what: str = "request body") -> str:
    """Decode a body as UTF-8, the only encoding SPARQL 1.1 Protocol §2.1.3 allows."""
    require_utf8(what)
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserInputError(
            f"The {what} is not valid UTF-8 (byte {exc.start}); send it as UTF-8"
        ) from exc


@dataclass(frozen=True)
class Params:
    """Parameters of a query string or form body, each value decoded once."""

    pairs: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str, what: str) -> "Params":
        """Split ``a=b&c=d`` and percent-decode each value as strict UTF-8."""
        try:
            pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise UserInputError(f"The {what} is not valid UTF-8 once percent-decoded") from exc
        return cls(tuple(pairs))

    def __add__(self, other: "Params") -> "Params":
        return Params(self.pairs + other.pairs)

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self.pairs)

    def all(self, name: str) -> list[str]:
        """Every value of ``name``, in order."""
        return [value for key, value in self.pairs if key == name]

    def one(self, name: str) -> str | None:
        """The value of ``name``; a parameter given twice is an error (Protocol §2.1.4)."""
        values = self.all(name)
        if len(values) > 1:
            raise UserInputError(f"Give the '{name}' parameter once, not {len(values)} times")
        return values[0] if values else None

    def iris(self, name: str) -> list[str]:
        """Every value of ``name``, each checked to be an absolute IRI."""
        return [checked_iri(value, name) for value in self.all(name)]


def checked_iri(value: str, what: str) -> str:
    """``value`` if it is an absolute IRI; a 400 naming the parameter otherwise."""
    try:
        return NamedNode(value).value
    except ValueError as exc:
        raise UserInputError(f"'{what}' must be an absolute IRI, got {value!r}: {exc}") from exc


def url_params() -> Params:
    """The parameters of the request's URL."""
    try:
        text = request.query_string.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserInputError("The URL's query string is not valid UTF-8") from exc
    return Params.parse(text, "URL's query string")


def form_params(limit: int) -> Params:
    """The parameters of an ``application/x-www-form-urlencoded`` body."""
    text = decode_text(read_body(limit, "form body"), what="form body")
    return Params.parse(text, "form body")


def posted_operation(field: str, direct_type: str, limit: int) -> tuple[str, Params]:
    """The text of a SPARQL Protocol POST, and every parameter from the URL and the form.

    The text is the form's ``field``, or the whole body when it is sent as
    ``direct_type`` (Protocol §2.1.2, §2.2.2); any other body type is a 415.
    """
    params = url_params()
    kind = media_type()
    if kind == FORM:
        params = params + form_params(limit)
        text = params.one(field)
    elif kind == direct_type:
        if field in params:
            raise UserInputError(f"The {field} is the body; do not also pass a '{field}' parameter")
        text = decode_text(read_body(limit, field), what=field)
    else:
        raise UnsupportedMediaTypeError(kind or "(none)", [FORM, direct_type])
    if text is None:
        raise UserInputError(f"POST a form with a '{field}' field, or the {field} as the body")
    return text, params


def empty(status: int, location: str | None = None) -> Response:
    """An answer without a body (201, 204), so without a Content-Type either."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    if location is not None:
        response.headers["Location"] = location
    return response
