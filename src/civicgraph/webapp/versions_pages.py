"""Dataset versions: the list, a change between two versions, and a feed of changes.

``/versions`` lists every recorded write (HTML; JSON at ``/versions.json`` or by
``Accept``); ``/versions/{a}/diff/{b}`` shows what changed, grouped by entity, and
answers the same change as an RDF Patch or as SPARQL Update text that applies it;
``/versions.atom`` is a feed for anyone who follows the dataset.
"""

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, replace

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

from civicgraph.dataset.pinned import PinnedQuery, answer_at
from civicgraph.dataset.versions import Change, Version, VersionLog
from civicgraph.errors import HistoryTimeoutError, NotFoundError, UserInputError
from civicgraph.readmodels.changes import EntityPage, entity_page, update_text
from civicgraph.readmodels.labels import curie
from civicgraph.sparql.fetching import refuse_fetching
from civicgraph.store.results import SerializedResult
from civicgraph.webapp import readmodels
from civicgraph.webapp.paged import asked_page
from civicgraph.webapp.state import current_state
from civicgraph.webapp.twins import asks_json
from civicgraph.webapp.urls import external_url

bp = Blueprint("versions", __name__)
#: The shapes a diff is answered in.
_DIFF_SHAPES = frozenset({"html", "json", "patch", "update"})
#: Pages that really answer from an older version, so they need no notice.
_PINNABLE = frozenset({"export.page"})
_NO_LOG = (
    "This server keeps no version log: versions are kept beside an on-disk store, or in "
    "the folder CIVICGRAPH_VERSIONS names."
)


def current_log() -> VersionLog:
    """The application's version log; a clear 404 when it keeps none."""
    log = current_state().versions
    if log is None:
        raise NotFoundError(_NO_LOG, "versions")
    return log


def latest_number() -> int | None:
    """The number of the newest version in the log, which citations and permalinks pin
    (``?version=N``); None without a log or before its first record."""
    log = current_state().versions
    latest = log.latest() if log else None
    return latest.number if latest else None


def rebuilding() -> AbstractContextManager[None]:
    """The serving process's time limit and memory budget, for comparing versions or
    rebuilding one: work a request does beside the store, as long as a query can be."""
    return current_state().store.limited(HistoryTimeoutError)


def _as_json(version: Version) -> dict[str, object]:
    """A version as the listing's JSON gives it: each graph's digest, which the log keeps
    for every graph in every version, is summed up by the content hash."""
    found: dict[str, object] = asdict(version)
    del found["graphs"]
    found["content_hash"] = version.content_hash
    found["patch"] = external_url(url_for("versions.patch", number=version.number))
    return found


#: The most digits a version number is read with: more than any log will hold.
_VERSION_DIGITS = 9


def version_number(raw: str) -> int | None:
    """The number a ``version`` parameter gives, or None when it is not one: ASCII digits
    only (``"²".isdigit()`` is true, and ``int`` refuses it), and no more than nine."""
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > _VERSION_DIGITS:
        return None
    return int(text)


def pinned_version(raw: str | None) -> int | None:
    """The version a permalink pins (``version=N``); None when it pins none or the newest.

    The newest version is the live store, so it is answered the ordinary, fast way.
    """
    if raw is None or not raw.strip():
        return None
    number = version_number(raw)
    if number is None:
        raise UserInputError(f"A dataset version is a number from /versions, not {raw!r}")
    log = current_log()
    latest = log.latest()
    if latest is not None and number == latest.number:
        return None
    if latest is None or not 1 <= number <= latest.number:
        newest = f"the current one is version {latest.number}" if latest else "none is recorded yet"
        raise NotFoundError(
            f"Dataset version {number} is not available here ({newest}); leave out "
            "'version=' to answer from the current data, or see /versions.",
            str(number),
        )
    return number


def answer_pinned(
    sparql: str,
    number: int,
    accept: str | None,
    dataset: tuple[Sequence[str | None] | None, Sequence[str] | None] = (None, None),
) -> SerializedResult:
    """A query answered from the data as it was at version ``number``, in the format
    ``accept`` prefers, over the protocol's ``dataset`` (default and named graphs)."""
    state = current_state()
    refuse_fetching(sparql)
    default_graphs, named_graphs = dataset
    query = PinnedQuery(
        folder=str(current_log().folder),
        number=number,
        sparql=sparql,
        accept=accept,
        max_rows=state.settings.row_cap,
        base_iri=request.base_url,
        max_bytes=state.settings.answer_byte_cap,
        default_graphs=None if default_graphs is None else list(default_graphs),
        named_graphs=None if named_graphs is None else list(named_graphs),
    )
    settings = state.settings
    with state.store.limited():  # rebuilding the version counts in the query's time
        return answer_at(
            current_log(),
            query,
            timeout=settings.query_timeout,
            memory_budget=settings.memory_budget,
        )


@bp.app_context_processor
def pinned_notice() -> dict[str, object]:
    """On any page opened with an older ``version=``: say that it shows the current data.

    Pages are drawn from the live store; only ``/sparql`` and ``/export`` rebuild an
    older version. The notice says so and links to what changed and to that version.
    """
    raw = request.args.get("version", "")
    if request.endpoint in _PINNABLE:
        return {"pinned_notice": None}
    log = current_state().versions
    latest = log.latest() if log else None
    number = version_number(raw)
    if number is None or latest is None or number == latest.number:
        return {"pinned_notice": None}
    if not 0 < number < latest.number:  # a version this log never recorded: nothing to link
        text = (
            f"This link names dataset version {number}, which this server's version log does "
            f"not hold; this page shows the current data (version {latest.number})."
        )
        return {"pinned_notice": {"text": text, "versions": url_for("versions.listing")}}
    text = (
        f"This link was made for dataset version {number}; this page shows the current "
        f"data (version {latest.number})."
    )
    diff = url_for("versions.diff", older=number, newer=latest.number)
    return {
        "pinned_notice": {
            "text": text,
            "number": number,
            "diff": diff,
            "export": url_for("export.page", version=number),
        }
    }


def _newest_first() -> list[Version]:
    """Every version, newest first (none without a log), read under the history's limit:
    the log grows with every write and anyone may ask."""
    log = current_state().versions
    with rebuilding():
        return list(reversed(log.versions())) if log else []


@bp.get("/versions")
def listing() -> ResponseReturnValue:
    """Every version, newest first (JSON for clients that ask for it: ``webapp/twins.py``)."""
    found, kept = _newest_first(), current_state().versions is not None
    return render_template("versions/list.html", versions=found, kept=kept, why=_NO_LOG)


@bp.get("/versions.json")
def listing_json() -> ResponseReturnValue:
    """The JSON twin of ``/versions``."""
    found = _newest_first()
    return jsonify(versions=[_as_json(v) for v in found], kept=current_state().versions is not None)


@bp.get("/versions.atom")
def feed() -> ResponseReturnValue:
    """An Atom feed (RFC 4287) of the latest changes."""
    xml = render_template("versions/feed.xml", versions=_newest_first()[:50])
    return Response(xml, content_type="application/atom+xml; charset=utf-8")


@bp.get("/versions/<int:number>.rdfp")
def patch(number: int) -> ResponseReturnValue:
    """The RDF Patch that one version applied."""
    with rebuilding():
        text = current_log().patch_text(number)
    return Response(text, content_type="application/rdf-patch; charset=utf-8")


def _entity_changes(change: Change) -> EntityPage:
    """The asked-for page (``?page=``) of the change's entities, named by their labels."""
    found = entity_page(change, asked_page())
    labels = readmodels.searcher().index().labels([g.subject for g in found.groups])
    return replace(found, groups=[g.labelled(labels.get(g.subject)) for g in found.groups])


@bp.get("/versions/<int:older>/diff/<int:newer>")
def diff(older: int, newer: int) -> ResponseReturnValue:
    """What changed from one version to another: by entity, as a patch, or as an update.

    The search index names the entities; building it is this process's warm-up, not
    work on the history, so it happens before the history's time limit starts.
    """
    shape = request.args.get("format", "json" if asks_json() else "html")
    if shape not in _DIFF_SHAPES:
        raise UserInputError(f"Unknown diff format {shape!r}: use html, json, patch or update")
    if shape in {"html", "json"}:
        readmodels.searcher().index()
    with rebuilding():
        return _diff(older, newer, shape)


def _diff(older: int, newer: int, shape: str) -> ResponseReturnValue:
    log = current_log()
    change = log.change(older, newer)
    if shape == "update":
        return Response(update_text(change), content_type="application/sparql-update")
    if shape == "patch":
        return Response(change.as_patch(), content_type="application/rdf-patch")
    found = _entity_changes(change)
    added = sum(len(r) for r in change.added.values())
    removed = sum(len(r) for r in change.removed.values())
    if shape == "json":
        return jsonify(
            older=older,
            newer=newer,
            added=added,
            removed=removed,
            entities_total=found.total,
            page=found.page,
            pages=found.pages,
            entities=[g.as_json() for g in found.groups],
        )
    versions = {v.number: v for v in log.versions()}
    values = [v.value for g in found.groups for v in (*g.added, *g.removed) if v.is_iri]
    return render_template(
        "versions/diff.html",
        change=change,
        found=found,
        names=readmodels.searcher().index().labels(values),
        curie=curie,
        added=added,
        removed=removed,
        older=versions.get(older),
        newer=versions.get(newer),
    )
