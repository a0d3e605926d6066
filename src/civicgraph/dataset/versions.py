"""Dataset versions: every write is recorded with what it changed, so any version returns.

A version is one write (a load, a SPARQL Update, a Graph Store write): its number, time,
who made it, the content hash of every graph, and the triples it added and removed per
graph. The change itself is kept as an RDF Patch (``A``/``D`` rows between ``TX`` and
``TC``, the format of Jena's RDF Delta), which other tools read and which can be applied
backwards: the log keeps the current state as one sorted N-Triples file per graph, and an
older version is that state with the later patches undone. A graph that a version gave
all its rows (it had none before) keeps them in the patch as that version's state file
under a second name: a first load's patch is as large as its data.

Computing a change needs the state before the write. The write paths differ (a bulk
load, an update, a Graph Store PUT), so rather than instrument each of them the log
compares canonical snapshots after the write: one dump per graph per write, about a
second per million triples. Writes are rare on a curated dataset and queries never pay.
The log lives in a folder beside the store (``<store>-versions``), so a backup of the
store and of that folder together restore the history too.
"""

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Final, NamedTuple

from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, parse, serialize

from civicgraph.config import Settings
from civicgraph.dataset.blanks import canonical_blank_rows
from civicgraph.dataset.delta import Delta
from civicgraph.dataset.export import data_graphs
from civicgraph.dataset.loader import load_records, revision
from civicgraph.errors import NotFoundError
from civicgraph.formats import by_name
from civicgraph.store import MEMORY, EmbeddedStore, GraphStore
from civicgraph.store.results import SelectResult, term_value

_NT = by_name("ntriples")
#: The graph key of the default graph in the log (named graphs use their IRI).
DEFAULT = ""
_EMPTY_HASH = hashlib.sha256(b"").hexdigest()
#: The key of the revision among a store's ``_marks`` (no graph IRI has a space).
_REVISION: Final = " revision"
#: The action of a version recorded when a server starts: what changed while it was down.
START = "changes found at start (loads since the last recorded version)"
#: Who made a version written through the web app (holders of the write token).
WRITE_TOKEN = "write token"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Version:
    """One recorded write: what it was, who made it, and how many triples it moved."""

    number: int
    id: str
    time: str
    who: str
    action: str
    graphs: dict[str, str] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """One hash of the whole dataset at this version (``content_hash``)."""
        return content_hash(self.graphs)

    @property
    def total_added(self) -> int:
        """Triples added across graphs."""
        return sum(self.added.values())

    @property
    def total_removed(self) -> int:
        """Triples removed across graphs."""
        return sum(self.removed.values())


@dataclass(frozen=True)
class Change:
    """What changed between two versions: quads added and removed, as N-Triples rows."""

    older: int
    newer: int
    added: dict[str, list[bytes]]
    removed: dict[str, list[bytes]]

    @property
    def is_empty(self) -> bool:
        """True when the two versions hold the same triples."""
        return not any(self.added.values()) and not any(self.removed.values())

    def as_patch(self) -> str:
        """The change as one RDF Patch: removals, then additions, in one transaction."""
        rows = [
            _patch_rows(sign, found, graph)
            for sign, part in (("D", self.removed), ("A", self.added))
            for graph, found in sorted(part.items())
        ]
        return graph_scoped("TX .\n" + b"".join(rows).decode() + "TC .\n")


def content_hash(digests: dict[str, str]) -> str:
    """One hash of a whole dataset from its graphs' hashes, in graph order."""
    joined = "".join(f"{g}\n{h}\n" for g, h in sorted(digests.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


def fingerprint(store: GraphStore) -> str:
    """The content hash of what a store holds now, comparable with ``Version.content_hash``.

    Equal for two stores loaded from the same files, whatever labels their blank
    nodes got: that is what lets a result be checked against "the same data".
    """
    return content_hash(
        {g or DEFAULT: _digest(_graph_rows(store, g or DEFAULT)) for g in data_graphs(store)}
    )


def _graph_rows(store: GraphStore, graph: str) -> list[bytes]:
    """A graph's triples as the log keeps them (see ``canonical_rows``)."""
    out = BytesIO()
    store.dump(out, _NT, [graph or None])
    return canonical_rows(out.getvalue())


def canonical_rows(ntriples: bytes, *, unique: bool = False) -> list[bytes]:
    """A graph's N-Triples, as a store's writer spells them, as sorted unique rows.

    This is the graph's canonical form in the log. Any store's dump will do (on disk
    or in memory: both spell a term the same way), so the rows of a graph just loaded
    can come from an in-memory copy instead of being read back from the disk. The rows
    with blank nodes get canonical names for them (``blanks.py``), a distinct name for
    each blank node. ``unique`` says the text is pyoxigraph's dump of one graph, which
    repeats no row and has no empty one, so the rows are not searched for repeats
    (0.28 s a million rows).
    """
    rows = ntriples.splitlines()
    if b"_:" in ntriples:
        named: list[bytes] = []
        blank: list[bytes] = []
        for row in rows:  # one pass: two filters took 0.75 s a million rows, this 0.45 s
            (blank if b"_:" in row else named).append(row)
        rows = named + canonical_blank_rows(blank)
    # A dump comes out nearly sorted: sorting the list first is several times faster
    # than sorting a set, and duplicates are then neighbours.
    rows.sort()
    if unique:
        return rows
    return [row for i, row in enumerate(rows) if row.strip() and (i == 0 or row != rows[i - 1])]


class Known(NamedTuple):
    """A graph's ``canonical_rows`` that a caller already has, written as a state file
    (``stage``) in a folder on the log's file system, with their count and digest."""

    staged: Path
    triples: int
    #: The SHA-256 of the state file.
    digest: str


def stage(folder: Path, rows: list[bytes]) -> Known:
    """Write a graph's rows as a state file in ``folder``, to be renamed into a log.

    A load's second process does this while the load runs, so that the record after
    it renames a file rather than writing a million rows. The file is written and
    hashed a part at a time (``_state_parts``): whole, a million rows were joined
    into one string and copied into another for the last newline, 0.6-1.2 s of that
    process's time with the digest and the write; in parts, 0.2-0.5 s.
    """
    digest = hashlib.sha256()

    def hashed() -> Iterator[bytes]:
        for part in _state_parts(rows):
            digest.update(part)
            yield part

    staged = _staged(folder / "state.nt", hashed())
    return Known(staged, len(rows), digest.hexdigest())


#: How many rows of a state file ``_state_parts`` joins at a time.
_PART_ROWS: Final = 8192


def _state_parts(rows: list[bytes]) -> Iterator[bytes]:
    """A graph's state file in parts: its rows, one per line."""
    for start in range(0, len(rows), _PART_ROWS):
        yield b"\n".join(rows[start : start + _PART_ROWS]) + b"\n"


def _state_bytes(rows: list[bytes]) -> bytes:
    """A graph's state file, whole (``_state_parts``)."""
    return b"".join(_state_parts(rows))


def _digest(rows: list[bytes]) -> str:
    """A graph's content hash: the SHA-256 of its state file."""
    return hashlib.sha256(_state_bytes(rows)).hexdigest()


#: Rows added to a graph and rows removed from it.
_Diff = tuple[list[bytes], list[bytes]]


def _count(store: GraphStore, graph: str | None) -> int:
    """How many triples a graph holds."""
    found = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graphs=[graph])
    return int(term_value(found.rows[0][0])) if isinstance(found, SelectResult) else -1


def _compare(old: list[bytes], new: list[bytes]) -> _Diff:
    """Rows only in ``new`` and rows only in ``old``; both inputs sorted, linear time."""
    added: list[bytes] = []
    removed: list[bytes] = []
    i = j = 0
    while i < len(old) and j < len(new):
        if old[i] == new[j]:
            i, j = i + 1, j + 1
        elif old[i] < new[j]:
            removed.append(old[i])
            i += 1
        else:
            added.append(new[j])
            j += 1
    removed.extend(old[i:])
    added.extend(new[j:])
    return added, removed


def _patch_rows(sign: str, rows: list[bytes], graph: str) -> bytes:
    """RDF Patch rows: each triple, then the graph unless it is the default graph."""
    head = sign.encode() + b" "
    end = f" <{graph}> .\n".encode() if graph else b" .\n"
    return b"".join([head + row.rstrip().removesuffix(b".").rstrip() + end for row in rows])


def graph_scoped(patch: str) -> str:
    """An RDF Patch as it is published: each blank node's label unique to its graph.

    The log names blank nodes canonically within each graph (``canonical_rows``), so
    the first blank node of two graphs is ``_:c14n0`` in both; a patch that kept the
    labels would make them one node for whoever applies it. Each label gets a short
    hash of its graph in front (the default graph's is ``d``), the same in every patch.
    """
    lines = _lines(patch)
    marked = [i for i, line in enumerate(lines) if "_:" in line and line[:2] in ("A ", "D ")]
    if not marked:
        return patch
    quads = list(parse("".join(lines[i][2:] for i in marked).encode(), format=RdfFormat.N_QUADS))
    renamed = serialize(map(_scoped, quads), format=RdfFormat.N_QUADS) or b""
    for i, row in zip(marked, _lines(renamed.decode()), strict=True):
        lines[i] = lines[i][:2] + row
    return "".join(lines)


def _scoped(quad: Quad) -> Quad:
    """The quad with its blank nodes' labels prefixed by its graph's (``graph_scoped``)."""
    graph = quad.graph_name
    name = graph.value if isinstance(graph, NamedNode) else ""
    prefix = "g" + hashlib.sha256(name.encode()).hexdigest()[:8] if name else "d"
    subject, value = quad.subject, quad.object
    if isinstance(subject, BlankNode):
        subject = BlankNode(prefix + subject.value)
    if isinstance(value, BlankNode):
        value = BlankNode(prefix + value.value)
    return Quad(subject, quad.predicate, value, graph)


def _rows_of_quads(lines: list[str]) -> list[tuple[bytes, str]]:
    """N-Quads lines as (N-Triples row, graph) pairs, in pyoxigraph's own spelling.

    Parsing and re-serializing with the same writer that made the state files keeps
    every row byte-identical to its twin there, escapes and all.
    """
    if not lines:
        return []
    quads = list(parse("".join(lines).encode(), format=RdfFormat.N_QUADS))
    rows = serialize((q.triple for q in quads), format=RdfFormat.N_TRIPLES) or b""
    graphs = [q.graph_name.value if isinstance(q.graph_name, NamedNode) else DEFAULT for q in quads]
    return list(zip(rows.splitlines(), graphs, strict=True))


class VersionLog:
    """The versions of one dataset, kept in a folder: a log, patches, and the current state."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._log = folder / "log.jsonl"
        #: The log as last read, and the file's identity, size and time when read.
        self._read: tuple[tuple[int, int, int], list[Version]] | None = None
        self._patches = folder / "patches"
        self._state = folder / "state"
        #: The store's ``_marks`` at the last record.
        self._marks = folder / "marks.json"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time, across processes (several servers may share a store)."""
        self._patches.mkdir(parents=True, exist_ok=True)
        self._state.mkdir(parents=True, exist_ok=True)
        with (self.folder / "lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def versions(self) -> list[Version]:
        """Every recorded version, oldest first.

        The log only grows (a line per version, naming every graph's digest), and a
        diff or a listing asks for it several times: it is read again only once the
        file has changed. Callers get their own list; the versions are frozen.
        """
        try:
            found = self._log.stat()
        except FileNotFoundError:
            return []
        key = (found.st_ino, found.st_size, found.st_mtime_ns)
        if self._read is None or self._read[0] != key:
            lines = self._log.read_text(encoding="utf-8").splitlines()
            self._read = key, [Version(**json.loads(line)) for line in lines if line.strip()]
        return list(self._read[1])

    def latest(self) -> Version | None:
        """The newest version, or None before the first write was recorded."""
        found = self.versions()
        return found[-1] if found else None

    def get(self, number: int) -> Version:
        """One version by number; unknown numbers are a clear 404."""
        for version in self.versions():
            if version.number == number:
                return version
        raise NotFoundError(f"No dataset version {number}; /versions lists them", str(number))

    def record(
        self,
        store: GraphStore,
        *,
        who: str,
        action: str,
        known_rows: Mapping[str, Known] | None = None,
        touched: Collection[str | None] | None = None,
        changed: Delta | None = None,
    ) -> Version | None:
        """Compare the store with the last recorded state; log a version if it changed.

        ``known_rows`` holds graphs' rows that the caller already has (a load's
        in-memory copy of its files). Of the other graphs, only those a write
        through civicgraph may have changed since the last record are read back
        (``_untouched``): reading a graph takes seconds per million triples.
        ``touched``, when the caller knows it (the writer process, of the uploads and
        drops it applied since the last record), names every graph that may have
        changed. ``changed``, when the caller knows it, is every quad those writes
        added and removed: the graphs it changes get their rows from the recorded ones
        (``_rows_now``).
        """
        given = known_rows or {}
        with self._locked():
            known, marks = self._known_hashes(), _marks(store)
            untouched = self._untouched(marks, touched)
            current = {g or DEFAULT: g for g in data_graphs(store)}
            change = _Change()
            now = self._rows_now(store, changed, current)
            try:
                for key in sorted(set(known) | set(current)):
                    if key in known and key in current and key not in given and untouched(key):
                        change.graphs[key] = known[key]
                        continue
                    found = given.get(key) if key in current else None
                    rows, diff = ([], None) if found or key not in current else now(key)
                    state = b"" if found else _state_bytes(rows)
                    digest = found.digest if found else hashlib.sha256(state).hexdigest()
                    if digest != known.get(key, _EMPTY_HASH):
                        self._compare_graph(change, key, found, (rows, state), diff)
                    if found.triples if found else rows:
                        change.graphs[key] = digest
                version = None
                if change.patch or change.wholes:
                    version = self._append(change, who=who, action=action)
            except BaseException:  # the log stays as it was: the next record finds the change
                for staged in change.states.values():
                    staged.unlink(missing_ok=True)
                raise
            # Only now: a state or marks written before a failed append would hide the
            # change from every later record.
            for path, staged in change.states.items():
                os.replace(staged, path)
            _atomic_write(self._marks, json.dumps(marks, sort_keys=True))
            return version

    def _rows_now(
        self, store: GraphStore, changed: Delta | None, current: Mapping[str, str | None]
    ) -> Callable[[str], tuple[list[bytes], _Diff | None]]:
        """How a record gets a graph's rows (by its key), and what changed in them when
        that is known: those recorded with ``changed`` applied if it changes the graph,
        the graph had rows, and the store holds as many triples there; else the rows
        read back from the store."""

        def rows(key: str) -> tuple[list[bytes], _Diff | None]:
            graph = current[key]
            if changed is not None and graph in changed.graphs():
                old = self._state_rows(key)
                applied, plus, minus = changed.applied(old, graph)
                if old and _count(store, graph) == len(applied):
                    return applied, (plus, minus)
            return _graph_rows(store, key), None

        return rows

    def _compare_graph(
        self,
        change: "_Change",
        key: str,
        found: Known | None,
        read: tuple[list[bytes], bytes],
        diff: "_Diff | None" = None,
    ) -> None:
        """Add what one graph changed since its recorded state to ``change``: its new
        state file, and its rows added and removed (``diff`` when known; a graph that
        had none keeps its state file as the patch's additions: ``_wholes``). Its rows
        are ``found``, or else ``read`` (with their state file's bytes)."""
        path, (rows, state) = self._state_path(key), read
        staged = _moved_beside(found.staged, path) if found else _staged(path, state)
        change.states[path] = staged
        if diff is None:
            old = self._state_rows(key)
            if not old:
                change.wholes[key] = staged
                change.added[key] = found.triples if found else len(rows)
                return
            diff = _compare(old, staged.read_bytes().splitlines() if found else rows)
        plus, minus = diff
        change.patch += [_patch_rows("D", minus, key), _patch_rows("A", plus, key)]
        change.added[key], change.removed[key] = len(plus), len(minus)

    def _untouched(
        self, marks: dict[str, str], touched: Collection[str | None] | None = None
    ) -> Callable[[str], bool]:
        """Which graphs no write through civicgraph touched since the last record.

        Every such write but a load changes the revision; a load changes its graph's
        mark. With the revision as it was, a graph whose mark is as it was holds what
        was recorded. A change made with another tool leaves the marks as they were;
        it is found when a write through civicgraph makes the graph be read. A caller
        that knows the graphs its writes ``touched`` names them: the others hold what
        was recorded, whatever the revision says.
        """
        then = self._marks_at_last_record()
        if then is None:
            return lambda _key: False
        if touched is not None:
            keys = {graph or DEFAULT for graph in touched}
            return lambda key: key not in keys and then.get(key) == marks.get(key)
        if then.get(_REVISION) != marks[_REVISION]:
            return lambda _key: False
        return lambda key: then.get(key) == marks.get(key)

    def _marks_at_last_record(self) -> dict[str, str] | None:
        try:
            found = json.loads(self._marks.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def is_current(self, store: GraphStore) -> bool:
        """Whether nothing was loaded or written through civicgraph since the last record.

        A server's start asks this before it records what changed while it was down.
        """
        return self.latest() is not None and self._marks_at_last_record() == _marks(store)

    def _append(self, change: "_Change", *, who: str, action: str) -> Version:
        previous = self.latest()
        version = Version(
            number=(previous.number + 1) if previous else 1,
            id=f"urn:uuid:{uuid.uuid4()}",
            time=datetime.now(UTC).isoformat(timespec="seconds"),
            who=who,
            action=action,
            graphs=change.graphs,
            added={k: v for k, v in change.added.items() if v},
            removed={k: v for k, v in change.removed.items() if v},
        )
        header = f"H id <{version.id}> .\n"
        if previous:
            header += f"H prev <{previous.id}> .\n"
        # A failed record may have left the files of a version of this number.
        for left in self._patches.glob(f"{version.number:06d}-*.nt"):
            left.unlink()
        for key, staged in change.wholes.items():
            _linked(staged, self._whole_path(version.number, key))
        parts = [header.encode(), b"TX .\n", *change.patch, b"TC .\n"]
        _atomic_write(self._patch_path(version.number), parts)
        with self._log.open("a", encoding="utf-8") as log:
            log.write(json.dumps(asdict(version), sort_keys=True) + "\n")
        return version

    def _known_hashes(self) -> dict[str, str]:
        latest = self.latest()
        return dict(latest.graphs) if latest else {}

    def _state_path(self, graph: str) -> Path:
        return self._state / _file_name(graph)

    def _patch_path(self, number: int) -> Path:
        return self._patches / f"{number:06d}.rdfp"

    def _whole_path(self, number: int, graph: str) -> Path:
        """Where version ``number`` keeps the rows of a graph it added whole."""
        return self._patches / f"{number:06d}-{_file_name(graph)}"

    def _wholes(self, version: Version) -> list[tuple[str, Path]]:
        """The graphs ``version`` added whole, and the files with their rows.

        A graph with no recorded rows gets all its rows from the write: the patch
        keeps its state file under a second name (``_linked``) instead of writing each
        row again with its sign and graph, which took as long as the load's own record
        at a million rows. The patch's text adds them when it is read.
        """
        found = [(key, self._whole_path(version.number, key)) for key in sorted(version.added)]
        return [(key, path) for key, path in found if path.exists()]

    def _state_rows(self, graph: str) -> list[bytes]:
        path = self._state_path(graph)
        return path.read_bytes().splitlines() if path.exists() else []

    def patch_text(self, number: int) -> str:
        """The RDF Patch that version ``number`` applied to the one before it, as
        published (``graph_scoped``)."""
        return graph_scoped(self._patch_kept(number))

    def _patch_kept(self, number: int) -> str:
        """The patch as the log keeps it: blank nodes named within each graph."""
        version = self.get(number)
        text = self._patch_path(number).read_text(encoding="utf-8")
        wholes = self._wholes(version)
        if not wholes:
            return text
        added = [_patch_rows("A", path.read_bytes().splitlines(), key) for key, path in wholes]
        return text.removesuffix("TC .\n") + b"".join(added).decode() + "TC .\n"

    def _rows_of_patch(self, number: int) -> Iterator[tuple[str, bytes, str]]:
        """The patch's removals, then its additions, as (sign, row, graph)."""
        version = self.get(number)
        lines = _lines(self._patch_path(number).read_text(encoding="utf-8"))
        for sign in ("D", "A"):
            picked = [line[2:] for line in lines if line.startswith(sign + " ")]
            for row, graph in _rows_of_quads(picked):
                yield sign, row, graph
        for key, path in self._wholes(version):
            for row in path.read_bytes().splitlines():
                yield "A", row, key

    def change(self, older: int, newer: int) -> Change:
        """The net change from version ``older`` to version ``newer`` (either order)."""
        low, high = sorted((older, newer))
        self.get(high)
        if low:
            self.get(low)
        # A row's first and last sign: added first and last, it was absent before and
        # is there after, whatever came between (and removed alike); otherwise it was
        # as it is (added, removed and added again is added).
        signs: dict[tuple[str, bytes], tuple[str, str]] = {}
        for number in range(low + 1, high + 1):
            for sign, row, graph in self._rows_of_patch(number):
                key = (graph, row)
                signs[key] = (signs.get(key, (sign, sign))[0], sign)
        added: dict[str, list[bytes]] = {}
        removed: dict[str, list[bytes]] = {}
        for (graph, row), (first, last) in sorted(signs.items()):
            if first == last:
                (added if last == "A" else removed).setdefault(graph, []).append(row)
        if older > newer:
            added, removed = removed, added
        return Change(older, newer, added, removed)

    def state_at(self, number: int) -> dict[str, list[bytes]]:
        """Every graph's rows as they were at version ``number``: now, with later patches undone."""
        latest = self.latest()
        if latest is None:
            raise NotFoundError("No dataset versions are recorded yet", str(number))
        self.get(number)
        state = {key: set(self._state_rows(key)) for key in latest.graphs}
        for newer in range(latest.number, number, -1):
            for sign, row, graph in self._rows_of_patch(newer):
                rows = state.setdefault(graph, set())
                if sign == "A":
                    rows.discard(row)
                else:
                    rows.add(row)
        return {g: sorted(rows) for g, rows in sorted(state.items()) if rows}


def _marks(store: GraphStore) -> dict[str, str]:
    """What civicgraph's bookkeeping says of the store's last writes.

    Each loaded graph's load (a reload of the same file after an update is another
    load), and the revision of the last write that was not a load.
    """
    found = {g: f"{r.sha256} {r.loaded_at} {r.load}" for g, r in load_records(store).items()}
    return found | {_REVISION: revision(store)}


@dataclass
class _Change:
    """What one record found changed: each graph's digest, the rows added and removed,
    the patch's rows, the graphs added whole (``VersionLog._wholes``), new state files."""

    graphs: dict[str, str] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    patch: list[bytes] = field(default_factory=list)
    wholes: dict[str, Path] = field(default_factory=dict)
    #: Each state file to be, and the staged file that becomes it.
    states: dict[Path, Path] = field(default_factory=dict)


def _lines(text: str) -> list[str]:
    """``text``'s lines, each with its newline. Cut at newlines only: N-Triples writes
    U+2028, U+0085 and the like raw in literals, where ``str.splitlines`` would cut."""
    lines = text.split("\n")
    kept = [line + "\n" for line in lines[:-1]]
    return [*kept, lines[-1]] if lines[-1] else kept


def _file_name(graph: str) -> str:
    """A graph's file name in the log (graph IRIs can hold any character)."""
    return hashlib.sha256(graph.encode()).hexdigest()[:32] + ".nt"


def _moved_beside(source: Path, path: Path) -> Path:
    """``source`` moved to a temporary file beside ``path``, to be renamed onto it once
    the version is logged: a rename then cannot fail for crossing file systems (the
    caller's folder may be on another one: it is copied)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    os.close(fd)
    try:
        os.replace(source, temporary)
    except OSError:
        try:
            shutil.copyfile(source, temporary)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return Path(temporary)


def _linked(source: Path, target: Path) -> None:
    """Give ``source``'s content the name ``target`` too: a second name for the same
    file where the file system allows it, else a copy. Files of the log are replaced,
    never written again, so the two names keep the same rows."""
    temporary = target.with_name(".tmp-" + target.name)
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError:
        shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def _atomic_write(path: Path, data: str | bytes | list[bytes]) -> None:
    """Write a file whole or not at all: a temporary file renamed into place."""
    os.replace(_staged(path, data), path)


def _staged(path: Path, data: str | bytes | Iterable[bytes]) -> Path:
    """``data`` (or its parts, in order) written whole to a temporary file beside
    ``path``, to be renamed onto it."""
    if isinstance(data, str):
        data = data.encode()
    parts = [data] if isinstance(data, bytes) else data
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines(parts)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp)


def log_for(settings: Settings) -> VersionLog | None:
    """The version log the settings name: a folder, beside an on-disk store, or none.

    An in-memory store or a remote server keeps no log unless an operator names a
    folder: the first forgets everything on exit, and the second may be written by
    other programs whose changes no folder here would see.
    """
    if settings.versions.lower() == "off":
        return None
    if settings.versions:
        return VersionLog(Path(settings.versions))
    if settings.is_remote or settings.store == MEMORY:
        return None
    return VersionLog(Path(settings.store.rstrip("/") + "-versions"))


def record_quietly(
    log: VersionLog,
    store: GraphStore,
    *,
    who: str,
    action: str,
    known_rows: Mapping[str, Known] | None = None,
    touched: Collection[str | None] | None = None,
    changed: Delta | None = None,
) -> bool:
    """Record a version after a write that already happened; a failing log only warns
    (False).

    The write itself is whole and done by now: failing it afterwards would tell the
    client it was refused when it was not. The next record catches the change up.
    """
    try:
        log.record(
            store, who=who, action=action, known_rows=known_rows, touched=touched, changed=changed
        )
    except OSError as exc:
        _log.warning("Could not record a dataset version in %s: %s", log.folder, exc)
        return False
    return True


def store_at(log: VersionLog, number: int) -> EmbeddedStore:
    """An in-memory store holding the dataset exactly as it was at version ``number``."""
    store = EmbeddedStore()
    for graph, rows in log.state_at(number).items():
        if rows:
            store.load(b"\n".join(rows), _NT, graph or None, replace=False)
    return store
