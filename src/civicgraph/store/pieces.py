"""N-Triples loaded in pieces, two at a time.

pyoxigraph's bulk loader splits a file among parsing threads only with four cores or
more; with two it parses the whole file on one thread and builds its index files after,
so one core waits while the other works. Two loads of two pieces side by side keep both
busy, each parsing while the other builds: a million triples into a named graph took
7.9 s of ``civicgraph load`` (no checks, no version log) instead of 18.3 s, 100k 1.3 s
instead of 2.1 s, on two cores. A store in memory gains nothing by it (the same time,
the same result).

Only N-Triples is loaded so: each piece commits as it ends, and every triple of such a
file goes into the one graph the caller undoes whole on a failure. An N-Quads line may
name any graph, which a failure would leave half loaded.

A piece ends at the end of a line (``\\n`` or ``\\r``), where N-Triples ends a
statement, and each is read by a load of its own. A load names the blank nodes it reads
afresh, so a blank node written in two pieces would become two: every line with ``_:``
in it (a false match in an IRI or a literal costs nothing) goes to one last piece,
written aside to a temporary file and read by one load, so that each blank node is read
once. Any line may go to that last load too, so a part of the file dense with ``_:``
goes there whole (its lines are not set aside one by one), and so does a line longer
than a piece, with the rest of the file after it. A file of blank nodes alone is thus
copied before it is loaded, a sixth slower than a load of the whole.

A piece's syntax error gives a line of the piece, not of the file, and the lines with
blank nodes are out of their order: on an error the whole file is parsed again,
storing nothing, for the error with the file's own position.
"""

import os
import re
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Final

from pyoxigraph import RdfFormat, parse

#: How many loads run at once: one per core of the machine measured. More pieces at
#: once than cores parse no faster and hold more memory.
LOADS: Final = 2
#: The largest piece. At a million triples (155 MB) four pieces of 39 MB took 8.3 s,
#: two of 78 MB 9.5 s (the first piece's index files are built while nothing else is
#: parsed) and eight of 19 MB 11.4 s (each piece writes the terms it shares with the
#: others again).
MOST_BYTES: Final = 40 * 1024 * 1024
_BLANK: Final = b"_:"
#: A region with more than one ``_:`` in this many bytes goes whole to the last load:
#: setting its lines aside one by one costs about 3 µs a line in Python, 15 s for a
#: piece of 20 MB of short lines, where the loader reads it in a tenth of that. Data
#: with blank nodes is seldom that dense (one in 627 bytes in the benchmark's FOAF).
DENSE: Final = 256
#: Either line end: one character, so a search for it is linear.
_LINE_END: Final = re.compile(rb"[\r\n]")

#: Loads one piece (bytes, or a binary stream) into wherever the caller loads.
Load = Callable[[bytes | IO[bytes]], None]


def load_in_pieces(
    source: Path,
    load: Load,
    *,
    on_progress: Callable[[int], None] | None = None,
    base_iri: str | None = None,
) -> None:
    """Give ``load`` the pieces of the N-Triples file ``source``, ``LOADS`` at a time;
    ``on_progress`` hears how many bytes are loaded as each piece ends. ``base_iri`` is
    what ``load`` parses with, for the error a failing piece is parsed again for.

    The file is opened once: the parse for the error reads the bytes the pieces came
    from, even if the file is replaced or removed meanwhile."""
    with source.open("rb") as stream:
        piece = min(MOST_BYTES, os.fstat(stream.fileno()).st_size // LOADS + 1)
        failed = _load_from(stream, piece, load, on_progress)
        if failed is not None:
            stream.seek(0)
            raise _first_error(stream, base_iri) or failed


def _load_from(
    stream: IO[bytes], piece: int, load: Load, on_progress: Callable[[int], None] | None
) -> SyntaxError | None:
    """Load ``stream`` in pieces; a piece's syntax error, if one failed.

    The error is kept without its traceback, whose frames hold the pieces being loaded.
    """
    try:
        with tempfile.TemporaryFile() as blanks:
            _load_all(_pieces(stream, piece, blanks), blanks, load, on_progress)
    except SyntaxError as exc:
        return exc.with_traceback(None)
    return None


def _pieces(stream: IO[bytes], piece: int, blanks: IO[bytes]) -> Iterator[bytes]:
    """The pieces of ``stream`` without blank nodes. The lines with them go to
    ``blanks``, and so does a region dense with ``_:`` and a line longer than a piece
    with the rest of the file (``_regions``): whatever goes there is read by the last
    load, which is all the file's blank nodes' one reader."""
    for region in _regions(stream, piece, blanks):
        found = region.count(_BLANK)
        if not found:
            yield region
        elif found > len(region) // DENSE:
            blanks.write(region)
        elif plain := _set_aside(region, blanks):
            yield plain


def _regions(stream: IO[bytes], piece: int, tail: IO[bytes]) -> Iterator[bytes]:
    """``stream`` in regions of at most two ``piece`` bytes, each ending at a line end.

    A read of ``piece`` bytes with no line end in it (a line longer than a piece, or
    a last line without one) ends the regions: that line and the rest of the file are
    copied to ``tail`` as they are, a part at a time. Gathered in memory, a line as
    long as the file (a file of NUL bytes, say, which fails at its first byte) was held
    twice before anything parsed it.
    """
    carried = b""  # the part of the last read past its last line end
    offset = stream.tell()  # where ``carried`` begins in the file
    while read := stream.read(piece):
        end = max(read.rfind(b"\n"), read.rfind(b"\r")) + 1
        if end == 0:
            stream.seek(offset)
            shutil.copyfileobj(stream, tail)
            return
        yield carried + read[:end] if carried else read[:end] if end < len(read) else read
        offset += len(carried) + end
        carried = read[end:]
    if carried:
        yield carried


def _set_aside(region: bytes, blanks: IO[bytes]) -> bytes:
    """``region`` without its lines that hold ``_:``, which are written to ``blanks``.

    The region is searched for ``_:`` and copied around the lines found, not split into
    a list of lines: split, a piece of 40 MB took 120 MB more while it was read."""
    view = memoryview(region)
    kept: list[memoryview] = []
    start = 0  # the first byte not yet kept or set aside
    found = region.find(_BLANK)
    while found != -1:
        # The line begins after the last line end before it, or at ``start`` itself.
        ends = (region.rfind(b"\n", start, found), region.rfind(b"\r", start, found))
        begin = max(start, *(end + 1 for end in ends))
        end = _line_end(region, found)
        if begin > start:  # an empty view for each line next to another costs 184 bytes
            kept.append(view[start:begin])
        # With its line end: only the file's last line has none, and it is written last.
        blanks.write(view[begin : end + 1])
        start = end + 1
        found = region.find(_BLANK, start)
    kept.append(view[start:])
    return b"".join(kept)


def _line_end(region: bytes, at: int) -> int:
    """Where the line holding ``at`` ends: its line end, or the region's end.

    The search stops at the first line end of either kind, so that the lines set aside
    cost their own length: a search for one kind to the region's end, in a file with
    none of it, made a piece with many blank nodes quadratic (minutes for 7 MB)."""
    found = _LINE_END.search(region, at)
    return len(region) if found is None else found.start()


def _load_all(
    pieces: Iterator[bytes],
    blanks: IO[bytes],
    load: Load,
    on_progress: Callable[[int], None] | None,
) -> None:
    """Load the pieces ``LOADS`` at a time, then the lines with blank nodes.

    A piece is read only once fewer than ``LOADS`` loads run, so memory holds that many
    pieces, the one being read and the region and read it came from (about four
    pieces, measured), never the file. On any error or interrupt the loads
    already running end first (a load cannot be stopped part-way), so that the
    caller's clean-up finds them done.
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

    gate = _Gate()
    with ThreadPoolExecutor(LOADS, thread_name_prefix="civicgraph-load") as pool:
        try:
            for piece in pieces:
                running.append((pool.submit(gate.run, load, piece), len(piece)))
                if len(running) == LOADS:
                    finish_one()
            if size := blanks.tell():
                blanks.seek(0)
                running.append((pool.submit(gate.run, load, blanks), size))
            while running:
                finish_one()
        except BaseException:
            gate.shut()
            raise


class _Gate:
    """Lets loads begin until it is shut, and waits for the loads begun to end.

    A load cannot be stopped part-way, and a piece still loading when the caller undoes
    the load would commit after it. The pool's own waiting is not enough: it starts a
    thread inside ``submit`` and notes it only once it runs, so an interrupt in between
    leaves a thread ``shutdown`` does not wait for; and an interrupted ``Thread.join``
    marks a thread that still runs as stopped (CPython 3.11), so a second Ctrl-C ends
    every later join at once.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._running = 0
        self._shut = False

    def run(self, load: Load, piece: bytes | IO[bytes]) -> None:
        """``load(piece)``, unless the gate is shut."""
        with self._changed:
            if self._shut:
                return
            self._running += 1
        try:
            load(piece)
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def shut(self) -> None:
        """Let no load begin, and wait for those begun to end, through any interrupt."""
        while True:
            try:
                with self._changed:
                    self._shut = True
                    while self._running:
                        self._changed.wait()
            except KeyboardInterrupt:
                continue
            return


def _first_error(stream: IO[bytes], base_iri: str | None) -> SyntaxError | None:
    """The first syntax error of the file ``stream`` reads, with its line in the whole
    file (None if the file parses whole: the piece's error is then the one to give)."""
    try:
        for _ in parse(stream, RdfFormat.N_TRIPLES, base_iri=base_iri):
            pass
    except SyntaxError as exc:
        return exc.with_traceback(None)
    return None
