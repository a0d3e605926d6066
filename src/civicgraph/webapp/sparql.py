"""The SPARQL endpoint: ``GET /sparql?query=`` answering SPARQL JSON results."""

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from civicgraph.errors import UserInputError
from civicgraph.formats import negotiate
from civicgraph.results import serialize_result
from civicgraph.webapp.state import current_state

bp = Blueprint("sparql", __name__)


@bp.get("/sparql")
def query() -> ResponseReturnValue:
    """Run the ``query`` parameter and answer in the negotiated format."""
    text = request.args.get("query")
    if not text:
        raise UserInputError("Pass a SPARQL query in the 'query' parameter")
    state = current_state()
    result = state.store.query(text, max_rows=state.settings.row_cap)
    fmt = negotiate(request.headers.get("Accept"), result.kind)
    response = Response(serialize_result(result, fmt), content_type=fmt.content_type)
    if result.truncated:
        response.headers["X-Civicgraph-Truncated"] = str(state.settings.row_cap)
    return response
