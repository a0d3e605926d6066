"""The query editor ``/query`` and the JSON it needs: completions and labels.

Queries run in the browser against ``/sparql`` (the endpoint applies the time limit,
the row cap and the refusal of SERVICE and LOAD); this blueprint serves the page,
the prefixes and ontology terms the editor completes, and labels for result IRIs.
"""

from collections.abc import Sequence
from typing import Final

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from civicgraph.errors import UserInputError
from civicgraph.formats import Kind, formats_for
from civicgraph.readmodels.labels import stored_labels
from civicgraph.spreadsheet import for_download
from civicgraph.vocab import PREFIXES
from civicgraph.webapp import readmodels
from civicgraph.webapp.arrival import REQUEST_LINE
from civicgraph.webapp.bodies import read_json
from civicgraph.webapp.state import current_state
from civicgraph.webapp.urls import term_path, web_iri

bp = Blueprint("query", __name__)
#: Most IRIs one labels request may ask about.
MAX_LABELS = 1000
DEFAULT_QUERY = """PREFIX civ: <https://w3id.org/civicgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

# People and the organizations they founded
SELECT ?organization ?founder
WHERE {
  ?organization civ:founder ?founder .
}
LIMIT 100
"""


#: The parameters besides the text that say what a query runs over: its dataset
#: (SPARQL Protocol section 2.1.4) and the version of the data.
DATASET_PARAMETERS: Final = ("default-graph-uri", "named-graph-uri", "version")
#: The longest address the page links to: a request line holds the method and the
#: version too, and the server may be mounted under a path of its own.
LONGEST_LINK: Final = REQUEST_LINE - 190


@bp.get("/query")
def page() -> ResponseReturnValue:
    """The editor, holding the ``query`` parameter when a permalink gives one, and what
    it runs over (the dataset, the version) when the permalink says."""
    kept = [(name, v) for name in DATASET_PARAMETERS for v in request.args.getlist(name)]
    text = request.args.get("query")
    return editor(text or DEFAULT_QUERY, kept, run=text is not None)


def editor(text: str, kept: Sequence[tuple[str, str]] = (), *, run: bool = True) -> str:
    """The editor page holding ``text``, which its script runs as the page opens (if
    ``run``) over the dataset and version ``kept`` names."""
    return render_template(
        "query/page.html",
        text=text,
        kept=list(kept),
        run=run,
        longest_link=LONGEST_LINK,
        result_formats=formats_for(Kind.RESULTS),
        download_type=for_download,
        graph_formats=formats_for(Kind.GRAPH),
    )


@bp.get("/query/completions.json")
def completions() -> ResponseReturnValue:
    """Prefixes, the ontology's classes and properties and the standard terms it aligns
    them to that the data never states, for editor completion and for the editor's
    notes on the terms a query uses."""
    ontology = readmodels.ontology()
    return jsonify(
        {
            "prefixes": PREFIXES,
            "terms": [
                {
                    "curie": term.curie,
                    "iri": term.iri,
                    "label": term.label,
                    "kind": term.kind,
                    "comment": term.comment,
                    # a class's narrower classes: `a civ:Organization` misses them
                    "narrower": [ontology.label(sub) for sub in term.subs],
                }
                for term in (*ontology.classes, *ontology.properties)
            ],
            # a standard term the data never states (no inference runs): its own below it
            "unstated": {
                iri: [ontology.terms[own].curie for own in below]
                for iri, below in ontology.unstated.items()
            },
        }
    )


@bp.post("/query/labels.json")
def labels() -> ResponseReturnValue:
    """Labels and local links for the IRIs of a result table."""
    body = read_json("labels request")
    iris = body.get("iris") if isinstance(body, dict) else None
    if not isinstance(iris, list) or not all(isinstance(i, str) for i in iris):
        raise UserInputError('Send JSON {"iris": ["https://…", …]}')
    iris = iris[:MAX_LABELS]
    store, ontology = current_state().store, readmodels.ontology()
    known = readmodels.names(iris)
    unknown = [i for i in iris if i not in known and i not in ontology.terms and web_iri(i)]
    known.update(stored_labels(store, unknown))
    answer = {}
    for iri in iris:
        label = known.get(iri) or (ontology.terms[iri].label if iri in ontology.terms else "")
        url = term_path(iri)
        if label or url:
            answer[iri] = {"label": label, "url": url}
    return jsonify(answer)
