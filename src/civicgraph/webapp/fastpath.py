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
from urllib.parse import unquote_plus

from flask import Flask
from werkzeug.wsgi import get_current_url

from civicgraph.formats import FORMATS, wants_html
from civicgraph.webapp.bodies import FORM, bare_type, declares_utf8
from civicgraph.webapp.cors import read_headers
from civicgraph.webapp.security import SECURITY_HEADERS
from civicgraph.webapp.sparql import QUERY_TYPE
from civicgraph.webapp.state import AppState

PATH: Final = "/sparql"
_QUERY: Final = "query="


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


def plain_query(environ: dict[str, Any], body_limit: int | None = None) -> str | None:
    """The query of a plain request for results from ``/sparql``, or None.

    A ``GET`` with ``query=`` alone, or a ``POST`` without a query string whose body
    holds the query (``posted_query``) and is no longer than ``body_limit``.
    """
    if environ.get("PATH_INFO") != PATH or not _machine_reader(environ.get("HTTP_ACCEPT")):
        return None
    method = environ.get("REQUEST_METHOD")
    if method == "GET":
        return _only_query(environ.get("QUERY_STRING", ""))
    if method == "POST" and not environ.get("QUERY_STRING"):
        return posted_query(environ, body_limit)
    return None


def posted_query(environ: dict[str, Any], body_limit: int | None) -> str | None:
    """The query a ``POST`` carries, when its body is in memory whole, or None."""
    body = _held_body(environ, body_limit)
    if body is None:
        return None
    content_type = environ.get("CONTENT_TYPE", "")
    if not declares_utf8(content_type):
        return None
    kind = bare_type(content_type)
    if kind == FORM and body.isascii():
        return _only_query(body.decode("ascii"))
    if kind == QUERY_TYPE:
        return _utf8(body)
    return None


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


def _only_query(found: str) -> str | None:
    """The query of a query string or form that has ``query=`` alone, or None."""
    if not found.startswith(_QUERY) or "&" in found or not found.isascii():
        return None
    return _decoded(found[len(_QUERY) :])


@lru_cache(maxsize=256)
def _decoded(escaped: str) -> str | None:
    """A query parameter's text, or None when it is not UTF-8.

    Decoding is pure Python and costs a cheap query's evaluation again, while
    clients send the same few queries over and over: the last few are kept.
    """
    try:
        return unquote_plus(escaped, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None


class QueryFastPath:
    """WSGI layer in front of the Flask application for ``plain_query`` requests."""

    def __init__(self, app: Flask, state: AppState) -> None:
        self.app, self.state, self.fallback = app, state, app.wsgi_app
        cors = read_headers(state.settings.cors_origin)
        self._common = [("Vary", "Accept"), *cors, *SECURITY_HEADERS]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        text = plain_query(environ, self.state.settings.query_body_limit)
        if text is None:
            return self.fallback(environ, start_response)
        base = _base_url(
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME", ""),
            environ.get("SERVER_PORT", ""),
            environ.get("SCRIPT_NAME", ""),
        )
        try:
            accept, cap = environ.get("HTTP_ACCEPT"), self.state.settings.row_cap
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
