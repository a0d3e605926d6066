"""Cross-origin reads: any origin may read without credentials; nobody may write.

Read routes call ``allow_reads`` on their responses (errors included, so that a
script can show the error). Write routes never do, so a browser refuses a
cross-origin write before it is sent (its preflight gets no CORS headers).
"""

from flask import Response, request

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
    headers = response.headers
    for name, value in read_headers(current_state().settings.cors_origin):
        if name == "Vary":
            headers.add(name, value)
        else:
            headers[name] = value
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        headers["Access-Control-Allow-Methods"] = methods
        headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response
