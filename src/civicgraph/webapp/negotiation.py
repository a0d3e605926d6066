"""Whether a request for a page wants the page or its RDF twin (RFC 9110 §12.5.1).

HTML wins ties, so a browser or a bare ``*/*`` gets the page; a client that names
an RDF type above HTML gets RDF in the format ``formats.negotiate`` picks.
"""

from collections.abc import Sequence

from flask import request

from civicgraph.errors import NotAcceptableError
from civicgraph.formats import Format, Kind, negotiate


def wanted_rdf(offered: Sequence[Format]) -> Format | None:
    """The RDF format the client prefers over HTML, or None to serve the page."""
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return None
    try:
        fmt = negotiate(accept, Kind.GRAPH, offered)
    except NotAcceptableError:
        return None
    html = request.accept_mimetypes.quality("text/html")
    return fmt if request.accept_mimetypes.quality(fmt.media_type) > html else None
