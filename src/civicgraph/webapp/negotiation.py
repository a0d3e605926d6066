"""Whether a request for a page wants the page or its RDF twin (RFC 9110 §12.5.1).

The decision is ``formats.wants_html`` (HTML wins ties, so a browser or a bare ``*/*``
gets the page); a client that ranks an RDF type above HTML gets RDF in the format
``formats.negotiate`` picks.
"""

from collections.abc import Sequence

from flask import request

from civicgraph.errors import NotAcceptableError
from civicgraph.formats import Format, Kind, negotiate, wants_html


def wanted_rdf(offered: Sequence[Format]) -> Format | None:
    """The RDF format the client prefers over HTML, or None to serve the page."""
    accept = request.headers.get("Accept")
    if wants_html(accept, offered, page=True):
        return None
    try:
        return negotiate(accept, Kind.GRAPH, offered)
    except NotAcceptableError:
        return None
