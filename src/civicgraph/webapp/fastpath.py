"""The endpoint's most common requests, answered before Flask dispatches them.

``GET /sparql?query=…`` with no other parameter is most of what an endpoint serves,
and clients that send long queries POST them instead, as a form with only the
``query`` field or as the body itself (``application/sparql-query``). For a cheap
query Flask's request machinery (the request context, routing, the hooks, the
response object) costs several times what evaluating the query does.
``QueryFastPath`` answers exactly these requests with the blueprint's own store call,
headers and limits. Anything else (another parameter, a browser that prefers HTML, a
body the server still has to read from the socket, a query string or form that is
not plain ASCII, a charset other than UTF-8) goes to Flask, and so does every error,
so ``webapp/sparql.py`` stays the one description of the endpoint;
``tests/test_fastpath.py`` checks that both answer alike.
"""

from collections.abc import Callable
from functools import lru_cache
from io import BytesIO
from typing import Any, Final
from urllib.parse import parse_qsl, unquote_plus

from flask import Flask
from werkzeug.wsgi import get_current_url

from civicgraph.errors import UnknownFormatError
from civicgraph.formats import FORMATS, by_name, wants_html
from civicgraph.webapp.bodies import FORM, bare_type, declares_utf8
from civicgraph.webapp.cors import read_headers
from civicgraph.webapp.query_pages import DATASET_PARAMETERS
from civicgraph.webapp.security import SECURITY_HEADERS
from civicgraph.webapp.sparql import QUERY_TYPE
from civicgraph.webapp.state import AppState

PATH: Final = "/sparql"
_QUERY_NAME: Final = "query"
_QUERY: Final = _QUERY_NAME + "="
_FORMAT: Final = "format"
#: The parameters the endpoint reads besides the query and the format: a request
#: with any of them goes to Flask.
_READ_ELSEWHERE: Final = frozenset({"update", *DATASET_PARAMETERS})


@lru_cache(maxsize=256)
def _machine_reader(accept: str | None) -> bool:
    """Whether a client with this Accept header gets results, not the workbench page."""
    return not wants_html(accept, FORMATS, page=False)


@lru_cache(maxsize=64)
def _base_url(scheme: str, host: str | None, server: str, port: str, root: str) -> str:
    """The request's URL without its query, as Flask's ``request.base_url`` gives it.

    ``host`` is the Host header, None when the request had none (an empty header is
    kept empty, as Flask keeps it).
    """
    environ = {
        "wsgi.url_scheme": scheme,
        "SERVER_NAME": server,
        "SERVER_PORT": port,
        "SCRIPT_NAME": root,
        "PATH_INFO": PATH,
    }
    if host is not None:
        environ["HTTP_HOST"] = host
    return get_current_url(environ, strip_querystring=True)


def plain_query(
    environ: dict[str, Any], body_limit: int | None = None
) -> tuple[str, str | None] | None:
    """The query of a plain request for results from ``/sparql``, and the Accept
    header it is answered by; or None.

    A ``GET`` whose query string holds the query and nothing else the endpoint
    reads but a format's name, or a ``POST`` without a query string whose body holds
    the query (``_posted_query``) and is no longer than ``body_limit``. A named format
    stands for the Accept header, as the blueprint reads it.
    """
    if environ.get("PATH_INFO") != PATH:
        return None
    method = environ.get("REQUEST_METHOD")
    if method == "GET":
        found = _query_params(environ.get("QUERY_STRING", ""))
    elif method == "POST" and not environ.get("QUERY_STRING"):
        found = _posted_query(environ, body_limit)
    else:
        return None
    if found is None or found[1] is not None:
        return found
    accept = environ.get("HTTP_ACCEPT")
    return (found[0], accept) if _machine_reader(accept) else None


def _posted_query(environ: dict[str, Any], body_limit: int | None) -> tuple[str, str | None] | None:
    """The query a ``POST`` carries, and the media type its form names, when its body
    is in memory whole; or None."""
    body = _held_body(environ, body_limit)
    if body is None:
        return None
    content_type = environ.get("CONTENT_TYPE", "")
    if not declares_utf8(content_type):
        return None
    kind = bare_type(content_type)
    if kind == FORM and body.isascii():
        return _query_params(body.decode("ascii"))
    text = _utf8(body) if kind == QUERY_TYPE else None
    return None if text is None else (text, None)


def _held_body(environ: dict[str, Any], body_limit: int | None) -> bytes | None:
    """The whole body of a request that holds it in memory, unread, within the limit.

    The plain request path (``webapp/plainhttp.py``) and a test client hold the body
    in memory, where it is read without being taken; a body gunicorn still reads from
    the socket is left to Flask, which reads it as the blueprint says.
    """
    stream = environ.get("wsgi.input")
    if not isinstance(stream, BytesIO) or stream.tell() != 0:
        return None
    body = stream.getvalue()
    if environ.get("CONTENT_LENGTH") != str(len(body)):
        return None
    return body if body_limit is None or len(body) <= body_limit else None


def _utf8(body: bytes) -> str | None:
    """The body as UTF-8 text, a leading byte-order mark dropped, as Flask reads it."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


@lru_cache(maxsize=256)
def _query_params(found: str) -> tuple[str, str | None] | None:
    """The query of a query string or form, and the media type its ``format`` names;
    None when it is not plain ASCII, or has anything else the endpoint reads.

    Parameters the endpoint does not read are ignored here as there: clients such as
    SPARQLWrapper name the format again as ``output`` and ``results`` for other
    servers. Anything unusual (a parameter twice, a format unknown) is Flask's to
    answer. Splitting and decoding are pure Python and cost as much as a cheap
    query's evaluation, while clients send the same few queries over and over: the
    last few are kept (a query string is at most about 8 KiB, the longest request
    line, and a form here at most ``HEAD_BYTES``).
    """
    if not found.isascii():
        return None
    if found.startswith(_QUERY) and "&" not in found:  # most requests: the query alone
        text = _decoded(found[len(_QUERY) :])
        return None if text is None else (text, None)
    try:
        pairs = parse_qsl(found, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    names = [name for name, _ in pairs]
    if names.count(_QUERY_NAME) != 1 or names.count(_FORMAT) > 1 or _READ_ELSEWHERE & set(names):
        return None
    values = dict(pairs)
    return _named(values[_QUERY_NAME], values.get(_FORMAT))


def _named(text: str, format_name: str | None) -> tuple[str, str | None] | None:
    """The query and the media type ``format_name`` names (None for no name), or None
    for a name no format has."""
    if format_name is None:
        return text, None
    try:
        return text, by_name(format_name).media_type
    except UnknownFormatError:
        return None


def _decoded(escaped: str) -> str | None:
    """A query parameter's text (plain ASCII, as sent), or None when it is not UTF-8.

    ``unquote_plus`` is pure Python, a step for each escape: 0.08 ms for a query with
    the usual block of prefixes, about a tenth of what such a text cost when the
    server had not seen it. Spelled as the escapes the ``unicode_escape`` codec reads
    (each ``%`` as ``\\x``, each backslash doubled), the text is decoded in C in
    0.01 ms; a ``%`` without two hex digits after it, which ``unquote_plus`` keeps as
    it is and the codec refuses, is left to ``unquote_plus``.
    """
    spelled = escaped.encode("ascii").replace(b"+", b" ")
    try:
        try:
            latin = spelled.replace(b"\\", b"\\\\").replace(b"%", b"\\x").decode("unicode_escape")
        except UnicodeDecodeError:
            return unquote_plus(escaped, encoding="utf-8", errors="strict")
        return latin.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return None


class QueryFastPath:
    """WSGI layer in front of the Flask application for ``plain_query`` requests."""

    def __init__(self, app: Flask, state: AppState) -> None:
        self.app, self.state, self.fallback = app, state, app.wsgi_app
        cors = read_headers(state.settings.cors_origin)
        self._common = [("Vary", "Accept"), *cors, *SECURITY_HEADERS]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        found = plain_query(environ, self.state.settings.query_body_limit)
        if found is None:
            return self.fallback(environ, start_response)
        text, accept = found
        base = _base_url(
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME", ""),
            environ.get("SERVER_PORT", ""),
            environ.get("SCRIPT_NAME", ""),
        )
        try:
            cap = self.state.settings.row_cap
            answer = self.state.store.query_serialized(text, accept, max_rows=cap, base_iri=base)
        except Exception as exc:  # Flask's own handlers answer every error
            return self._error(environ, start_response, exc)
        headers = [("Content-Type", answer.content_type), ("Content-Length", str(len(answer.body)))]
        headers += self._common
        if answer.truncated:
            headers.append(("X-Civicgraph-Truncated", str(answer.kept)))
        start_response("200 OK", headers)
        return [answer.body]

    def _error(
        self, environ: dict[str, Any], start_response: Callable[..., Any], exc: Exception
    ) -> Any:
        """Answer an error exactly as the blueprint would: its handlers, its hooks."""
        app = self.app
        with app.request_context(environ):
            try:
                response = app.finalize_request(app.handle_user_exception(exc))
            except Exception as unhandled:  # a defect: Flask logs it and answers 500
                response = app.handle_exception(unhandled)
            return response(environ, start_response)
