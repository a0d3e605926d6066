"""``/update``: the SPARQL 1.1 Protocol update operation, for holders of the write token.

POST a form with ``update`` or POST ``application/sparql-update`` (Protocol §2.2).
Each request is one transaction: a failing update changes nothing. There is no
CORS here, so a browser never sends a cross-origin write.
"""

from dataclasses import dataclass

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from civicgraph.errors import UserInputError
from civicgraph.sparql.lexer import has_dataset_clause
from civicgraph.sparql.using import with_using
from civicgraph.webapp.auth import require_writer
from civicgraph.webapp.bodies import Params, empty, posted_operation
from civicgraph.webapp.state import current_state

bp = Blueprint("update", __name__)

UPDATE_TYPE = "application/sparql-update"


@dataclass(frozen=True)
class UpdateRequest:
    """An update operation as the protocol delivered it."""

    text: str
    params: Params


def read_update_request() -> UpdateRequest:
    """Read the update from a form or a direct body; parameters come from both places."""
    limit = current_state().settings.query_body_limit
    text, params = posted_operation("update", UPDATE_TYPE, limit)
    if "query" in params:
        raise UserInputError("Queries are not run here; send them to /sparql")
    return UpdateRequest(text, params)


def _apply_dataset(found: UpdateRequest) -> str:
    """Protocol §2.2.3: ``using-graph-uri``/``using-named-graph-uri`` act as USING clauses.

    An update that names its own dataset (USING, USING NAMED or WITH) and also gets
    these parameters is ambiguous, and the protocol calls for a 400. The text they
    make has the body's limit (``with_using``).
    """
    graphs = found.params.iris("using-graph-uri")
    named = found.params.iris("using-named-graph-uri")
    if not graphs and not named:
        return found.text
    if has_dataset_clause(found.text):
        raise UserInputError(
            "The update names its dataset with USING or WITH and the request also has "
            "using-graph-uri/using-named-graph-uri; give the dataset in one place only"
        )
    return with_using(found.text, graphs, named, current_state().settings.query_body_limit)


@bp.post("/update")
def update() -> ResponseReturnValue:
    """Apply an update atomically; 204 when done."""
    require_writer()
    text = _apply_dataset(read_update_request())
    current_state().store.update(text, base_iri=request.base_url)
    return empty(204)
