"""One exception hierarchy for everything a user can get wrong or run into.

Each error carries structured fields (line and column, IRI, limit) and a message
that says what to change. ``webapp.errors`` is the one place that maps these classes
to HTTP statuses; the CLI prints ``str(error)`` and exits 1 without a traceback.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from civicgraph.vocab import ENTITY_BASE


class CivicgraphError(Exception):
    """Base class: ``title`` names the kind of problem, ``detail`` explains it."""

    title = "Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with every field, so an error raised in a query worker arrives whole."""
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(
    cls: type[CivicgraphError], args: tuple[object, ...], state: dict[str, object]
) -> CivicgraphError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class UserInputError(CivicgraphError):
    """The request or command is wrong in a way the user can fix."""

    title = "Bad request"


class QueryTooDeepError(UserInputError):
    """A query or update the engine could not parse or plan without crashing."""

    title = "Query too deeply structured"


class QueryTooWideError(QueryTooDeepError):
    """A query or update naming more variables than the engine reads in linear time."""

    title = "Query names too many variables"


class SyntaxPosition:
    """A line and column (1-based) inside a query, update or RDF document."""

    _POSITION = re.compile(r"(?:error at |line )(\d+)(?::| column )(\d+)")
    #: Virtuoso's compiler gives the line only: ``SPARQL compiler, line 2: syntax error``.
    _LINE = re.compile(r"\bline (\d+):")

    @staticmethod
    def at(text: str, offset: int) -> tuple[int, int]:
        """The line and column of ``offset`` in ``text``."""
        return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)

    @classmethod
    def from_message(cls, message: str) -> tuple[int | None, int | None]:
        """Read ``line:column`` (or the line alone) out of a parser's message."""
        if match := cls._POSITION.search(message):
            return int(match[1]), int(match[2])
        if match := cls._LINE.search(message):
            return int(match[1]), None
        return None, None


class QuerySyntaxError(UserInputError):
    """A SPARQL query or update that does not parse."""

    title = "SPARQL syntax error"

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        if line is None:
            line, column = SyntaxPosition.from_message(message)
        where = f" at line {line}" if line else ""
        where += f", column {column}" if line and column else ""
        super().__init__(f"The SPARQL text does not parse{where}: {message}")
        self.message, self.line, self.column = message, line, column
        #: What an editor can offer to fix (prefix, namespace, keyword), once explained.
        self.fix: dict[str, str] | None = None


class RdfSyntaxError(UserInputError):
    """An RDF document that does not parse; names the file, line and column."""

    title = "RDF syntax error"

    def __init__(
        self, source: str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        where = f"{source}:{line}:{column}" if line else source
        super().__init__(f"{where}: cannot parse: {message}")
        self.source, self.message, self.line, self.column = source, message, line, column


class UnknownFormatError(UserInputError):
    """A format name no serializer knows."""

    title = "Unknown format"

    def __init__(self, name: str, valid: Sequence[str]) -> None:
        super().__init__(f"Unknown format {name!r}; use one of: {', '.join(valid)}")
        self.name, self.valid = name, list(valid)


class UnsupportedMediaTypeError(UserInputError):
    """A request body in a media type this operation does not read."""

    title = "Unsupported media type"

    def __init__(self, media_type: str, valid: Sequence[str]) -> None:
        super().__init__(
            f"Cannot read a body of type {media_type!r}; send one of: {', '.join(valid)}"
        )
        self.media_type, self.valid = media_type, list(valid)


class NotAcceptableError(UserInputError):
    """No format the client accepts can carry this result."""

    title = "Not acceptable"

    def __init__(self, accept: str, valid: Sequence[str]) -> None:
        super().__init__(
            f"None of the accepted types ({accept}) fits this result; ask for one of: "
            + ", ".join(valid)
        )
        self.accept, self.valid = accept, list(valid)


class CannotExpressError(UserInputError):
    """The negotiated format has no way to write this result (an RDF 1.2 triple term in
    JSON-LD, a character XML 1.0 forbids): the client must ask for another format."""

    title = "Not acceptable"

    def __init__(self, format_label: str, reason: str) -> None:
        super().__init__(
            f"{format_label} cannot express this result: {reason}. Ask for another format "
            "(N-Triples or Turtle for graphs, SPARQL JSON for tables)"
        )


class ForbiddenOperationError(UserInputError):
    """A query asks the server to fetch from elsewhere (SERVICE, LOAD)."""

    title = "Operation not allowed"


class UnsafeDocumentError(UserInputError):
    """An RDF document whose parsing could exhaust the process (entities, nesting)."""

    title = "Unsafe document"

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: refused before parsing: {reason}")
        self.source, self.reason = source, reason


class NotFoundError(UserInputError):
    """An entity, graph or page that does not exist."""

    title = "Not found"

    def __init__(self, detail: str, iri: str | None = None) -> None:
        super().__init__(detail)
        self.iri = iri


@dataclass(frozen=True)
class Candidate:
    """An entity a name may mean: what a person reads and the IRI a program uses."""

    label: str
    iri: str
    kind: str


def _listed(candidates: Sequence[Candidate]) -> str:
    """One candidate a line: the label, then the short ``kind/slug`` form to type."""
    return "".join(
        f"\n  - {c.label} ({c.kind}): {c.iri.removeprefix(ENTITY_BASE)}" for c in candidates
    )


class UnknownNameError(NotFoundError):
    """A name that no entity has; ``candidates`` are the names it looks like."""

    title = "Unknown entity"

    def __init__(self, name: str, candidates: Sequence[Candidate]) -> None:
        hint = f". Did you mean one of these?{_listed(candidates)}" if candidates else ""
        super().__init__(f"No entity is named {name!r}{hint}")
        self.name, self.candidates = name, list(candidates)


class AmbiguousNameError(UserInputError):
    """A name several entities share; ``candidates`` lists them to choose from."""

    title = "Ambiguous name"

    def __init__(self, name: str, candidates: Sequence[Candidate]) -> None:
        super().__init__(
            f"{name!r} names {len(candidates)} entities; give one of them by its kind/slug "
            f"or IRI:{_listed(candidates)}"
        )
        self.name, self.candidates = name, list(candidates)


class PayloadTooLargeError(UserInputError):
    """A request body over the configured limit."""

    title = "Payload too large"

    def __init__(self, limit: int, what: str = "request body") -> None:
        super().__init__(
            f"The {what} is larger than the limit of {limit:,} bytes; send less, "
            "or raise the limit in the server's configuration"
        )
        self.limit = limit


class IncompleteBodyError(UserInputError):
    """A request body that ended before the end its framing announced.

    The client gave up or the connection broke; what did arrive may still parse
    (N-Triples cut at a line end, an update cut after ``DROP …;``), so it is never
    applied.
    """

    title = "Incomplete body"

    def __init__(self, what: str, how: str) -> None:
        super().__init__(
            f"The {what} ended early: {how}. Nothing was changed; send the whole body again"
        )


class MalformedBodyError(UserInputError):
    """A chunked body whose framing the server cannot read (a chunk size that is not
    hexadecimal, a chunk longer than its size said): the client sent it wrong, so
    telling it the connection stopped early would send it looking in the wrong place."""

    title = "Malformed body"

    def __init__(self, what: str, how: str) -> None:
        super().__init__(
            f"The {what} is not valid chunked framing ({how}). Nothing was changed; send "
            "each chunk as its size in hexadecimal, CRLF, that many bytes, CRLF, and end "
            "with a chunk of size 0"
        )


class LengthRequiredError(UserInputError):
    """A body sent without Content-Length or chunked framing (RFC 9112 §6.3).

    Such a body has length zero by HTTP's rules, so a PUT would silently empty the
    graph while the client thought it sent triples.
    """

    title = "Length required"

    def __init__(self) -> None:
        super().__init__(
            "Send the body with a Content-Length header or as Transfer-Encoding: chunked"
        )


class UnsupportedTransferCodingError(UserInputError):
    """A transfer coding other than ``chunked`` (RFC 9112 §6.1: 501)."""

    title = "Not implemented"

    def __init__(self, codings: str) -> None:
        super().__init__(
            f"The transfer coding '{codings}' is not supported; send the body plain or "
            "as Transfer-Encoding: chunked"
        )


class AuthenticationError(CivicgraphError):
    """A write without a valid bearer token."""

    title = "Unauthorized"


class WritesDisabledError(CivicgraphError):
    """Writes are off because no write token is configured."""

    title = "Writes disabled"

    def __init__(self) -> None:
        super().__init__(
            "This server is read-only. Set CIVICGRAPH_WRITE_TOKEN to enable writes, "
            "then send it as 'Authorization: Bearer <token>'."
        )


class QueryTimeoutError(CivicgraphError):
    """A query stopped at the time limit.

    Each overrun says what ran over (``work``), what became of it (``outcome``) and what
    to do instead (``remedy``), in one sentence for the time limit and one for the
    memory budget (``over_memory``): the two stops share all but the limit's words.
    """

    title = "Query time limit"
    work = "The query"
    outcome = "was stopped"
    remedy = (
        "Narrow it: add LIMIT, bind a subject or type early, or avoid unbounded property paths."
    )

    def __init__(self, limit: float) -> None:
        super().__init__(self._said(f"took longer than the {limit:g} s limit"))
        self.limit = limit

    @classmethod
    def over_memory(cls, budget: int) -> "ResourceLimitError":
        """The error for this work stopped at the memory budget, in its own words."""
        return ResourceLimitError(
            budget, cls._said("needed more than the {mib:,} MiB memory budget")
        )

    @classmethod
    def _said(cls, over: str) -> str:
        return f"{cls.work} {over} and {cls.outcome}. {cls.remedy}"


class ExportTimeoutError(QueryTimeoutError):
    """Writing out graphs (an export, a Graph Store read) stopped at the time limit."""

    title = "Time limit"
    work = "Writing out the data"
    remedy = (
        "Ask for one graph at a time (/export lists them with their sizes), or export the "
        "whole store with `civicgraph export` on the server's machine."
    )


class HistoryTimeoutError(QueryTimeoutError):
    """Comparing versions, or rebuilding an earlier one, stopped at the time limit."""

    title = "Time limit"
    work = "Rebuilding this part of the dataset's history"
    remedy = (
        "Versions closer together take less, each version's own change is at "
        "/versions/N.rdfp, and the current data (without version=) answers at once."
    )


class UploadTimeoutError(QueryTimeoutError):
    """Reading an upload before it is written stopped at the time limit."""

    title = "Time limit"
    work = "Reading the upload"
    outcome = "was stopped; nothing of it was written"
    remedy = "Send it in smaller parts, or load it with `civicgraph load` on the server's machine."


class ServerBusyError(CivicgraphError):
    """Other clients' queries held every other query process when this one began, so
    it ran on the last free one, which a query may hold only a short while."""

    title = "Server busy"

    def __init__(self, limit: float) -> None:
        super().__init__(
            "The server is busy: other clients' queries held its other query processes, "
            f"and a query may hold the last free one only {limit:g} s. Try again shortly."
        )
        self.limit = limit


class PreparingError(CivicgraphError):
    """Work the request needs is running in the background; ask again after a while.

    ``retry_after`` (seconds) becomes the ``Retry-After`` header (RFC 9110 section
    10.2.3); ``stage`` and ``percent`` say how far the work has got, when known.
    """

    title = "Preparing"

    def __init__(
        self, what: str, retry_after: int, stage: str = "", percent: int | None = None
    ) -> None:
        progress = f" ({stage}, {percent}%)" if stage and percent is not None else ""
        super().__init__(f"The {what} is being prepared{progress}; try again in {retry_after} s.")
        self.what, self.retry_after, self.stage, self.percent = what, retry_after, stage, percent


class ResourceLimitError(CivicgraphError):
    """A query stopped because its result would exceed the memory budget."""

    title = "Memory limit"

    def __init__(self, limit: int, advice: str) -> None:
        """``advice`` says what outgrew the budget (``{mib}``) and what to do instead:
        each overrun's ``over_memory`` gives its own."""
        super().__init__(advice.format(mib=limit // (1024 * 1024)))
        self.limit = limit


class WriteLimitError(CivicgraphError):
    """A write stopped at the writer's time limit or memory budget: none of it applied."""

    title = "Write limit"

    @classmethod
    def time(cls, limit: float) -> "WriteLimitError":
        """The write ran past ``limit`` seconds."""
        return cls(
            f"The write ran longer than the {limit:g} s limit for writes and was stopped; "
            "none of it was applied. Split it into smaller writes (an update whose WHERE "
            "matches fewer triples, an upload in several requests)."
        )

    @classmethod
    def checked_memory(cls, limit: int) -> "WriteLimitError":
        """The update's check (``store/structure.py``) ran out of its ``limit`` bytes."""
        return cls(
            f"The update needed more than the {limit // (1024 * 1024):,} MiB its check may "
            "use before it runs (on an empty store, from its VALUES, BIND and aggregates "
            "alone), and was refused; none of it was applied. Narrow it, or split it into "
            "smaller updates."
        )

    @classmethod
    def memory(cls, budget: int) -> "WriteLimitError":
        """The write grew past ``budget`` bytes."""
        return cls(
            f"The write needed more than the {budget // (1024 * 1024):,} MiB memory budget "
            "for writes and was stopped; none of it was applied. An update whose WHERE "
            "pairs every triple with every other inserts without end: narrow it. Send a "
            "large upload in several requests."
        )


class StoreError(CivicgraphError):
    """The store cannot be reached or opened."""

    title = "Store unavailable"

    def __init__(self, detail: str, status: int | None = None, excerpt: str = "") -> None:
        super().__init__(detail)
        self.status, self.excerpt = status, excerpt


class StoreLockedError(StoreError):
    """Another process holds the on-disk store open for writing."""

    def __init__(self, path: str, server: str | None = None) -> None:
        instead = (
            f"While it runs, use it through its endpoint: --store {server} "
            "(or CIVICGRAPH_STORE). Or stop it"
            if server
            else "Stop that process"
        )
        super().__init__(
            f"The store at {path} is in use by another process (a running 'civicgraph "
            f"serve'?). {instead}, or point --store at another directory."
        )
        self.path, self.server = path, server


class EmptyStoreError(UserInputError):
    """A command that reads data was pointed at a store that holds none."""

    title = "Empty store"

    def __init__(self, where: str) -> None:
        super().__init__(
            f"The store at {where} is empty: nothing has been loaded into it. Fill it with "
            "'civicgraph load --bundled' (the ontology and the bundled data) or "
            "'civicgraph load FILE.ttl', or point --store at a running server, e.g. "
            "--store http://127.0.0.1:8000/sparql."
        )
        self.where = where


class ValidationFailedError(UserInputError):
    """Data that does not conform to the SHACL shapes."""

    title = "Validation failed"

    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report
