"""Settings: one frozen object built from ``CIVICGRAPH_*`` variables and CLI flags.

Each field names its environment variable in its metadata, so the README table, the
CLI and ``from_env`` read the same list and cannot drift apart.
"""

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final

from civicgraph.errors import UserInputError

MIB = 1024 * 1024
#: The graphs a fresh Virtuoso 7 holds for itself (about 2,500 triples): its RDF views
#: schema, the LDP vocabulary and its service description (named after ``[URIQA]
#: DefaultHost``, ``localuriqaserver`` when unset).
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
)
AUTH_SCHEMES = ("basic", "digest")
#: Serving processes over a remote store, plus one, unless set: each mostly waits for
#: the server, so more than cores pay; each holds its own read models (about 60 MB
#: over the bundled data), so not many more.
REMOTE_WORKERS = 3


def _setting(default: Any, env: str, help_text: str) -> Any:
    return field(default=default, metadata={"env": env, "help": help_text})


def _as_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _as_words(value: str) -> tuple[str, ...]:
    return tuple(value.split())


@dataclass(frozen=True)
class Settings:
    """Everything an operator can configure; defaults are the safe ones."""

    store: str = _setting(
        "var/store", "CIVICGRAPH_STORE", "Store: a directory, 'memory', or a SPARQL query URL"
    )
    store_update_url: str | None = _setting(
        None, "CIVICGRAPH_STORE_UPDATE_URL", "Remote store: SPARQL Update URL"
    )
    store_gsp_url: str | None = _setting(
        None, "CIVICGRAPH_STORE_GSP_URL", "Remote store: Graph Store Protocol URL"
    )
    store_user: str | None = _setting(None, "CIVICGRAPH_STORE_USER", "Remote store: user")
    store_password: str | None = _setting(
        None, "CIVICGRAPH_STORE_PASSWORD", "Remote store: password"
    )
    store_auth: str = _setting(
        "basic",
        "CIVICGRAPH_STORE_AUTH",
        "Remote store: how user and password are sent, 'basic' or 'digest' (Virtuoso)",
    )
    store_system_graphs: tuple[str, ...] = _setting(
        VIRTUOSO_SYSTEM_GRAPHS,
        "CIVICGRAPH_STORE_SYSTEM_GRAPHS",
        "Remote store: the server's own graphs, left out of stats and exports",
    )
    store_token: str | None = _setting(None, "CIVICGRAPH_STORE_TOKEN", "Remote store: bearer token")
    write_token: str | None = _setting(
        None, "CIVICGRAPH_WRITE_TOKEN", "Enables writes; clients send it as a bearer token"
    )
    query_timeout: float = _setting(10.0, "CIVICGRAPH_QUERY_TIMEOUT", "Seconds a query may run")
    row_cap: int = _setting(10_000, "CIVICGRAPH_ROW_CAP", "Most rows a SELECT returns")
    answer_byte_cap: int = _setting(
        32 * MIB, "CIVICGRAPH_ANSWER_BYTE_CAP", "Most bytes of terms a query answer holds"
    )
    query_body_limit: int = _setting(
        1 * MIB, "CIVICGRAPH_QUERY_BODY_LIMIT", "Largest query or update body, bytes"
    )
    upload_limit: int = _setting(
        64 * MIB, "CIVICGRAPH_UPLOAD_LIMIT", "Largest graph upload body, bytes"
    )
    body_timeout: float = _setting(
        30.0,
        "CIVICGRAPH_BODY_TIMEOUT",
        "Seconds an upload may pause, past the part the server gathers first, before it "
        "counts as cut short",
    )
    memory_budget: int = _setting(
        2048 * MIB,
        "CIVICGRAPH_MEMORY_BUDGET",
        "Memory a query may use in its worker, beyond the worker's own, bytes",
    )
    write_timeout: float = _setting(
        120.0,
        "CIVICGRAPH_WRITE_TIMEOUT",
        "Seconds one write (an update, an upload, a graph dropped) may run in the writer",
    )
    write_memory_budget: int = _setting(
        2048 * MIB,
        "CIVICGRAPH_WRITE_MEMORY_BUDGET",
        "Memory one write may use in the writer, beyond what the writer held before it, bytes",
    )
    query_workers: int = _setting(
        3, "CIVICGRAPH_QUERY_WORKERS", "Query worker processes of an app run in one process"
    )
    workers: int = _setting(
        0,
        "CIVICGRAPH_WORKERS",
        "Serving processes of `serve`, plus one (0: one per core; over a remote store, 3)",
    )
    short_query_limit: float = _setting(
        1.0,
        "CIVICGRAPH_SHORT_QUERY_LIMIT",
        "Seconds a query may hold the last free serving process (fairness)",
    )
    cors_origin: str = _setting("*", "CIVICGRAPH_CORS_ORIGIN", "Origin allowed to read by CORS")
    node_cap: int = _setting(500, "CIVICGRAPH_NODE_CAP", "Most nodes a network view draws")
    network_wait: float = _setting(
        2.0,
        "CIVICGRAPH_NETWORK_WAIT",
        "Seconds a network request waits for background work before answering 503",
    )
    load_bundled: bool = _setting(
        True, "CIVICGRAPH_LOAD_BUNDLED", "Load or refresh the bundled data on serve"
    )
    versions: str = _setting(
        "",
        "CIVICGRAPH_VERSIONS",
        "Folder of the dataset's version log, or 'off' [default: beside an on-disk store]",
    )
    access_log: bool = _setting(
        False, "CIVICGRAPH_ACCESS_LOG", "Log every request on standard output (costs speed)"
    )
    public_url: str = _setting(
        "",
        "CIVICGRAPH_PUBLIC_URL",
        "Address readers reach the server at (https://graph.example.org), for citations "
        "and the dataset description [default: the address each request came to]",
    )
    host: str = _setting("127.0.0.1", "CIVICGRAPH_HOST", "Address to serve on")
    port: int = _setting(8000, "CIVICGRAPH_PORT", "Port to serve on")

    def __post_init__(self) -> None:
        positive = (
            "query_timeout",
            "write_timeout",
            "write_memory_budget",
            "short_query_limit",
            "answer_byte_cap",
            "row_cap",
            "query_body_limit",
            "upload_limit",
            "node_cap",
        )
        for name in (*positive, "body_timeout"):
            if getattr(self, name) <= 0:
                raise UserInputError(f"Setting {name} must be positive")
        if self.network_wait < 0:
            raise UserInputError("Setting network_wait must not be negative")
        if self.workers < 0:
            raise UserInputError("Setting workers must not be negative")
        if self.query_workers < 1:
            raise UserInputError("Setting query_workers must be at least 1")
        _check_public_url(self.public_url)
        if self.store_auth not in AUTH_SCHEMES:
            raise UserInputError(
                f"Setting store_auth must be one of {', '.join(AUTH_SCHEMES)}, "
                f"not {self.store_auth!r}"
            )

    @property
    def writes_enabled(self) -> bool:
        """Writes are possible only when an operator configured a token."""
        return bool(self.write_token)

    @property
    def serving_processes(self) -> int:
        """How many serving processes ``serve`` runs: one per core (or as set), plus one.

        The extra process is what fairness needs: while long queries hold the others,
        it still takes short ones (``webapp/slots.py``).
        """
        default = REMOTE_WORKERS if self.is_remote else os.cpu_count() or 1
        return (self.workers or default) + 1

    @property
    def is_remote(self) -> bool:
        """True when the store is a SPARQL server reached over HTTP."""
        return self.store.startswith(("http://", "https://"))

    def with_overrides(self, **changes: Any) -> "Settings":
        """Return a copy with the given fields changed, ignoring ``None`` values."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


#: An origin: http or https, a host name or an IP address (IPv6 in brackets), a port.
_ORIGIN: Final = re.compile(
    r"https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?/?",
    re.ASCII | re.IGNORECASE,
)


def _check_public_url(url: str) -> None:
    """Refuse a public address that is not an origin: citations join paths to it, so a
    path, a query, user and password, a space or an ill-formed port would be in every
    one of them."""
    if url and not _ORIGIN.fullmatch(url):
        raise UserInputError(
            "Setting public_url must be the server's origin, http(s)://host[:port] such as "
            f"https://graph.example.org (a host outside ASCII in its xn-- form), not {url!r}"
        )


def _parser_for(kind: Any) -> Callable[[str], Any]:
    text = str(kind)
    if "tuple" in text:
        return _as_words
    if "bool" in text:
        return _as_bool
    if "float" in text:
        return float
    if "int" in text:
        return int
    return str


def setting_docs() -> list[tuple[str, str, str]]:
    """Return (variable, default, meaning) for every setting, for documentation."""
    return [(f.metadata["env"], repr(f.default), f.metadata["help"]) for f in fields(Settings)]


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``CIVICGRAPH_*`` variables; bad values name the variable."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(f.metadata["env"])
        if raw is None or raw == "":
            continue
        try:
            values[f.name] = _parser_for(f.type)(raw)
        except ValueError as exc:
            raise UserInputError(f"{f.metadata['env']}={raw!r} is not valid: {exc}") from exc
    return Settings(**values)
