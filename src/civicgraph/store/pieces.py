"""N-Triples and N-Quads loaded in pieces, two at a time.

pyoxigraph's bulk loader splits a file among parsing threads only with four cores or
more; with two it parses the whole file on one thread and builds its index files after,
so one core waits while the other works. Two loads of two pieces side by side keep both
busy, each parsing while the other builds: a million triples into a named graph took
7.9 s of ``civicgraph load`` (no checks, no version log) instead of 18.3 s, 100k 1.3 s
instead of 2.1 s, on two cores. A store in memory takes the pieces one after the other
(no faster than the whole, and the same result).

A piece ends at the end of a line, where these formats end a statement, and each is
read by a load of its own. A load names the blank nodes it reads afresh, so a blank node
written in two pieces would become two: every line with ``_:`` in it (a false match in
an IRI or a literal costs nothing) goes to one last piece, written aside to a temporary
file and read by one load, so that each blank node is read once.

A piece's syntax error gives a line of the piece, not of the file, and the lines with
blank nodes are out of their order: on an error the whole source is parsed again,
storing nothing, for the error with the file's own position.
"""

import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Final

from pyoxigraph import RdfFormat, parse

#: The formats a line ends a statement in.
LINE_BASED: Final = frozenset({RdfFormat.N_TRIPLES, RdfFormat.N_QUADS})
#: How many loads run at once: one per core of the machine measured. More pieces at
#: once than cores parse no faster and hold more memory.
LOADS: Final = 2
#: The largest piece. At a million triples (155 MB) four pieces of 39 MB took 8.3 s,
#: two of 78 MB 9.5 s (the first piece's index files are built while nothing else is
#: parsed) and eight of 19 MB 11.4 s (each piece writes the terms it shares with the
#: others again).
MOST_BYTES: Final = 40 * 1024 * 1024
_BLANK: Final = b"_:"

#: Loads one piece (bytes, or a binary stream) into wherever the caller loads.
Load = Callable[[bytes | IO[bytes]], None]


def load_in_pieces(
    source: Path,
    fmt: RdfFormat,
    load: Load,
    *,
    on_progress: Callable[[int], None] | None = None,
    base_iri: str | None = None,
) -> None:
    """Give ``load`` the pieces of the file ``source``, ``LOADS`` at a time; ``on_progress``
    hears how many bytes are loaded as each piece ends. ``base_iri`` is what ``load``
    parses with, for the error a failing piece is parsed again for."""
    piece = min(MOST_BYTES, source.stat().st_size // LOADS + 1)
    try:
        with source.open("rb") as stream, tempfile.TemporaryFile() as blanks:
            _load_all(_pieces(stream, piece, blanks), blanks, load, on_progress)
    except SyntaxError as exc:
        raise _first_error(source, fmt, base_iri) or exc from None


def _pieces(stream: IO[bytes], piece: int, blanks: IO[bytes]) -> Iterator[bytes]:
    """The pieces of ``stream`` without blank nodes; the lines with them go to ``blanks``."""
    while region := stream.read(piece) + stream.readline():
        if _BLANK not in region:
            yield region
            continue
        plain = []
        for line in region.splitlines(keepends=True):
            if _BLANK in line:
                blanks.write(line)
            else:
                plain.append(line)
        yield b"".join(plain)


def _load_all(
    pieces: Iterator[bytes],
    blanks: IO[bytes],
    load: Load,
    on_progress: Callable[[int], None] | None,
) -> None:
    """Load the pieces ``LOADS`` at a time, then the lines with blank nodes.

    Only ``LOADS`` pieces are read ahead of the loads that end, so memory holds a few
    pieces, never the file. On an error the loads already running end first (a load
    cannot be stopped part-way), and the caller's clean-up then finds them done.
    """
    loaded = 0
    running: deque[tuple[Future[None], int]] = deque()

    def finish_one() -> None:
        nonlocal loaded
        future, size = running.popleft()
        future.result()
        loaded += size
        if on_progress is not None:
            on_progress(loaded)

    with ThreadPoolExecutor(LOADS, thread_name_prefix="civicgraph-load") as pool:
        for piece in pieces:
            if len(running) == LOADS:
                finish_one()
            running.append((pool.submit(load, piece), len(piece)))
        if blanks.tell():
            size = blanks.tell()
            blanks.seek(0)
            running.append((pool.submit(load, blanks), size))
        while running:
            finish_one()


def _first_error(source: Path, fmt: RdfFormat, base_iri: str | None) -> SyntaxError | None:
    """The file's first syntax error, with its line in the whole file (None if the
    file parses whole: the piece's error is then the one to give)."""
    try:
        for _ in parse(path=source, format=fmt, base_iri=base_iri):
            pass
    except SyntaxError as exc:
        return exc
    return None
