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


def allow_reads(response: Response, methods: str) -> Response:
    """Add CORS headers for a read (Fetch standard §3.2); answer preflights for ``methods``."""
    origin = current_state().settings.cors_origin
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = origin
    headers["Access-Control-Expose-Headers"] = EXPOSED
    if origin != "*":
        headers.add("Vary", "Origin")
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        headers["Access-Control-Allow-Methods"] = methods
        headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response
