"""The one place that maps errors to HTTP statuses and renders them.

Clients that want JSON get ``{"error", "status", "detail"}``; browsers get a page.
"""

from dataclasses import asdict
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from civicgraph import errors
from civicgraph.formats import Kind, by_name, wants_html
from civicgraph.sparql.messages import explain

_SPARQL_BODIES = frozenset({"application/sparql-query", "application/sparql-update"})

STATUS: dict[type[errors.CivicgraphError], int] = {
    errors.UserInputError: 400,
    errors.AuthenticationError: 401,
    errors.WritesDisabledError: 403,
    errors.NotFoundError: 404,
    errors.AmbiguousNameError: 409,
    errors.NotAcceptableError: 406,
    errors.CannotExpressError: 406,
    errors.LengthRequiredError: 411,
    errors.PayloadTooLargeError: 413,
    errors.UnsupportedMediaTypeError: 415,
    errors.UnsupportedTransferCodingError: 501,
    errors.PreparingError: 503,
    errors.QueryTimeoutError: 503,
    errors.ResourceLimitError: 503,
    errors.ServerBusyError: 503,
    errors.StoreError: 503,
    errors.WriteLimitError: 503,
}


def status_of(error: errors.CivicgraphError) -> int:
    """The HTTP status of an error: its most specific class in the table wins."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def wants_json() -> bool:
    """True unless the client prefers HTML (browsers do; curl and libraries do not), or
    asked for JSON by the address (``/api/``, ``.json``, ``?format=json``)."""
    html = wants_html(request.headers.get("Accept"), (by_name("json", Kind.RESULTS),), page=False)
    named = request.path.startswith("/api/") or request.path.endswith(".json")
    return not html or named or request.args.get("format") == "json"


def error_response(status: int, title: str, detail: str, **extra: Any) -> Response:
    """Render an error as JSON or as a page, whichever the client wants."""
    if wants_json():
        response = jsonify({"error": title, "status": status, "detail": detail, **extra})
    else:
        page = render_template("errors/error.html", status=status, title=title, detail=detail)
        response = Response(page, mimetype="text/html")
    response.status_code = status
    response.vary.add("Accept")  # JSON or a page, by the client's Accept
    return response


def _sparql_text() -> str:
    """The SPARQL text of the request being answered, however it was sent (§2.1)."""
    text = request.values.get("query") or request.values.get("update")
    if text is None and request.mimetype in _SPARQL_BODIES:
        text = request.get_data(cache=True, as_text=True)
    return text or ""


def _syntax_detail(error: errors.QuerySyntaxError, extra: dict[str, Any]) -> str:
    """The parser's message in the reader's words, with what the editor can offer.

    The embedded store explains its errors itself (it has the text); an error from a
    remote server is explained here, from the request's text.
    """
    if error.fix is not None:
        extra.update(error.fix)
        return error.detail
    found = explain(error.message, _sparql_text(), error.line, error.column)
    extra.update(found.fix)
    return found.detail


def _civicgraph_error(error: errors.CivicgraphError) -> Response:
    status = status_of(error)
    extra: dict[str, Any] = {}
    for name in ("line", "column", "limit", "iri", "stage", "percent", "retry_after"):
        value = getattr(error, name, None)
        if value is not None:
            extra[name] = value
    if isinstance(error, errors.UnknownNameError | errors.AmbiguousNameError):
        extra["name"], extra["candidates"] = error.name, [asdict(c) for c in error.candidates]
    detail = error.detail
    if isinstance(error, errors.QuerySyntaxError):
        detail = _syntax_detail(error, extra)
    response = error_response(status, error.title, detail, **extra)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="civicgraph"'
    if isinstance(error, errors.PreparingError):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _http_error(error: HTTPException) -> Response:
    detail = error.description or ""
    if error.code == 404:  # the framework's words ask the reader to check their spelling
        detail = f"There is no page at {request.path}; search for what you were after."
    response = error_response(error.code or 500, error.name, detail)
    for name, value in error.get_headers():
        if name.lower() == "allow":
            response.headers["Allow"] = value
    return response


def _unexpected(error: Exception) -> Response:
    if isinstance(error, UnicodeError) and not _readable_host():
        detail = "The Host header names no host that can be read (an empty or overlong label)"
        return error_response(400, "Bad Request", detail)
    current_app.logger.exception("Unhandled error", exc_info=error)
    return error_response(
        500, "Internal error", "Something went wrong on the server; it was logged."
    )


def _readable_host() -> bool:
    """Whether the request's address can be built from its Host header: a label that is
    no punycode (``xn--``) fails wherever a page names its own address."""
    try:
        _ = request.host_url
    except UnicodeError:
        return False
    return True


def register(app: Flask) -> None:
    """Install the handlers on an application."""
    app.register_error_handler(errors.CivicgraphError, _civicgraph_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
