"""Protocol bodies: bounded reads, strict UTF-8, parameters decoded once, empty answers.

Every SPARQL and Graph Store request goes through here, so that a body over the
limit is refused before it is read (413), text that is not UTF-8 is a 400 and
never a 500, and a form value is percent-decoded exactly once.
"""

from dataclasses import dataclass
from urllib.parse import parse_qsl

from flask import Response, request
from pyoxigraph import NamedNode

from civicgraph.errors import PayloadTooLargeError, UnsupportedMediaTypeError, UserInputError

_CHUNK = 64 * 1024
#: The media type of HTML forms, which both SPARQL operations accept.
FORM = "application/x-www-form-urlencoded"


def media_type() -> str:
    """The bare media type of the request's Content-Type, lower-cased."""
    return request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def read_body(limit: int, what: str) -> bytes:
    """The request body, refused with 413 when over ``limit`` bytes.

    A declared Content-Length over the limit is refused before reading; a chunked
    body is read only up to one byte past the limit.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise PayloadTooLargeError(limit, what)
    stream = request.stream
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(min(_CHUNK, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(limit, what)
    return b"".join(chunks)


def require_utf8(what: str) -> None:
    """Refuse a body whose Content-Type declares a charset other than UTF-8."""
    declared = _charset(request.headers.get("Content-Type", ""))
    if declared not in (None, "utf-8", "utf8", "us-ascii"):
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
