"""Cross-origin reads: any origin may read without credentials; nobody may write.

The SPARQL and Graph Store routes call ``allow_reads`` on their responses (errors
included, so that a script can show the error), and answer the preflights of their
reads. Every other GET or HEAD that answers data rather than a page (the JSON twins,
``/api/*``, entity exports, downloads) gets the same headers from ``install``; those
reads need no preflight. Write routes never get them, so a browser refuses a
cross-origin write before it is sent (its preflight gets no CORS headers).
"""

from flask import Flask, Response, request

from civicgraph.webapp.state import current_state

#: Headers a cross-origin script may read besides the simple ones.
EXPOSED = "X-Civicgraph-Truncated, Content-Disposition"
#: How long a browser may cache a preflight answer, seconds.
PREFLIGHT_MAX_AGE = "86400"


def is_read(reads: frozenset[str]) -> bool:
    """Whether this request is a read of ``reads``, or the preflight of one.

    A preflight (OPTIONS with ``Access-Control-Request-Method``) is judged by the
    method it asks about: the preflight of a PUT is a write and gets no CORS.
    """
    if request.method == "OPTIONS":
        asked = request.headers.get("Access-Control-Request-Method", "GET")
        return asked.strip().upper() in reads
    return request.method in reads


def read_headers(origin: str) -> list[tuple[str, str]]:
    """The CORS headers of a read's answer (Fetch standard §3.2), preflights aside."""
    headers = [("Access-Control-Allow-Origin", origin), ("Access-Control-Expose-Headers", EXPOSED)]
    return headers if origin == "*" else [*headers, ("Vary", "Origin")]


def allow_reads(response: Response, methods: str) -> Response:
    """Add CORS headers for a read; answer preflights for ``methods``."""
    _add_read_headers(response)
    headers = response.headers
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        headers["Access-Control-Allow-Methods"] = methods
        headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def install(app: Flask) -> None:
    """Let any origin read the app's data answers, as it reads ``/sparql``'s."""
    app.after_request(_data_reads)


def _data_reads(response: Response) -> Response:
    """A page (HTML) is for people and stays same-origin; data is for scripts too."""
    data = response.mimetype != "text/html"
    if data and request.method in ("GET", "HEAD") and not _has_cors(response):
        _add_read_headers(response)
    return response


def _add_read_headers(response: Response) -> None:
    headers = response.headers
    for name, value in read_headers(current_state().settings.cors_origin):
        if name == "Vary":
            headers.add(name, value)
        else:
            headers[name] = value


def _has_cors(response: Response) -> bool:
    return "Access-Control-Allow-Origin" in response.headers
