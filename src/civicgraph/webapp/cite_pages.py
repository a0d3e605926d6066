"""``/cite``: a citation of any page of this server, pinned to the dataset version it showed.

``/cite?url=PERMALINK`` shows the citation in every format; ``&format=bibtex|csl|ris|
text`` answers one of them as a file (a client asking for JSON gets CSL-JSON). The
permalink gains ``version=N`` (the newest recorded version) unless it already names
one, so the citation keeps pointing at the data the researcher saw. Only pages of
this server are cited: the URL is read, never fetched.
"""

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from pyoxigraph import NamedNode

from civicgraph.dataset.loader import dataset_version
from civicgraph.errors import NotFoundError, UserInputError
from civicgraph.readmodels import citation
from civicgraph.readmodels.citation import Citation
from civicgraph.store.results import AskResult
from civicgraph.vocab import BASE
from civicgraph.webapp import readmodels
from civicgraph.webapp.state import current_state
from civicgraph.webapp.twins import asks_json
from civicgraph.webapp.urls import external_url
from civicgraph.webapp.versions_pages import version_number

bp = Blueprint("cite", __name__)


def _local_url(raw: str) -> tuple[str, str, dict[str, str]]:
    """The permalink as (absolute URL without query, path, parameters); foreign hosts
    refused. The URL is the server's public one when that is configured, whichever of
    its addresses the permalink gave."""
    try:
        parts = urlsplit(raw.strip())
    except ValueError as exc:  # e.g. an unclosed "[" in the host: no address at all
        raise UserInputError(f"Cannot read {raw!r} as a page's address: {exc}") from exc
    own = {urlsplit(url)[:2] for url in (request.host_url, external_url("/"))}
    if parts.netloc and (parts.scheme, parts.netloc) not in own:
        raise UserInputError(f"Only pages of this server can be cited here, not {raw!r}")
    path = parts.path or "/"
    if not path.startswith("/"):
        raise UserInputError(f"Give the page's address, e.g. /id/person/…, not {raw!r}")
    return external_url(path), path, dict(parse_qsl(parts.query))


def _entity_label(path: str) -> str | None:
    iri = _entity_iri(path)
    return readmodels.searcher().index().labels([iri]).get(iri)


def _entity_iri(path: str) -> str:
    return BASE + path.removeprefix(request.script_root + "/").removesuffix(".html")


def _existing(path: str) -> str:
    """The path of an entity the store knows; a citation of any other is refused, as
    its page is (404): a citation titled by an address would cite nothing."""
    iri = _entity_iri(path)
    try:
        known = current_state().store.query("ASK { ?e ?p ?o }", bindings={"e": NamedNode(iri)})
    except ValueError:  # no IRI at all
        known = None
    if not (isinstance(known, AskResult) and known.value):
        raise NotFoundError(f"Nothing is known about <{iri}>, so there is nothing to cite", iri)
    return path


def title_of(path: str, params: dict[str, str]) -> str:
    """What the cited page shows, in words."""
    local = path.removeprefix(request.script_root)
    if local.startswith("/id/"):
        return _entity_label(local) or _existing(local)
    if local.startswith("/graph"):
        focus = params.get("focus", "")
        named = _entity_label("/" + focus.removeprefix(BASE)) if focus else None
        return f"Network around {named or focus}" if focus else "Network of civic technology"
    if local.startswith(("/query", "/sparql")):
        return "SPARQL query result"
    if local.startswith("/gallery/"):
        return "Example query: " + local.removeprefix("/gallery/").replace("-", " ")
    return "civicgraph knowledge graph of the public-technology landscape"


def _pinned(params: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """The version label, its date, and the parameters with ``version`` added when known."""
    log = current_state().versions
    latest = log.latest() if log else None
    if latest is None:
        label = dataset_version(current_state().store)
        return f"version {label}", label[:10], params
    number = version_number(params.get("version", "")) or latest.number
    pinned = log.get(number) if log else latest
    return f"version {number}", pinned.time[:10], {**params, "version": str(number)}


def citation_for(raw: str) -> Citation:
    """The citation of one permalink of this server."""
    base, path, params = _local_url(raw)
    version, date, params = _pinned(params)
    url = base + ("?" + urlencode(params) if params else "")
    today = datetime.now(UTC).date().isoformat()
    return Citation(title_of(path, params), url, version, date or today, today)


@bp.get("/cite")
def cite() -> ResponseReturnValue:
    """The citation of ``url`` in every format, or in the one ``format`` names."""
    found = citation_for(request.args.get("url") or request.referrer or "/")
    name = request.args.get("format")
    if name == "json" or (name is None and asks_json()):  # CSL-JSON is its JSON twin
        name = "csl"
    if name is None:
        writers = {n: writer(found) for n, (_, writer) in citation.FORMATS.items()}
        page = render_template("cite/page.html", citation=found, writers=writers)
        return Response(page, mimetype="text/html", headers={"Vary": "Accept"})
    if name not in citation.FORMATS:
        raise UserInputError(f"Unknown citation format {name!r}: use {', '.join(citation.FORMATS)}")
    media_type, writer = citation.FORMATS[name]
    content_type = f"{media_type}; charset=utf-8"
    return Response(writer(found), content_type=content_type, headers={"Vary": "Accept"})
