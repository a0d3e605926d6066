"""Big N-Triples and N-Quads files load in pieces (``store/pieces.py``) and mean the same."""

import io
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from civicgraph.dataset import loader
from civicgraph.errors import RdfSyntaxError
from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore, pieces, replacement
from civicgraph.store.pieces import LOADS

GRAPH = "https://example.org/graph"
#: Rows enough for a file over the bulk loader's megabyte, so that it goes in pieces.
ROWS = 30_000


def _rows(count: int = ROWS) -> list[str]:
    return [
        f'<https://example.org/s{i}> <https://example.org/p> "value {i}" .\n' for i in range(count)
    ]


@pytest.fixture(params=["disk", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore(tmp_path / "store" if request.param == "disk" else None)


def _ask_count(store: EmbeddedStore, pattern: str) -> int:
    result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    return int(result.rows[0][0].value)  # type: ignore[union-attr]


def test_a_blank_node_in_the_first_and_last_lines_stays_one_node(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    """Each piece is read by a load of its own, which names blank nodes afresh: the
    lines with blank nodes are read together, or this file would hold two."""
    data = tmp_path / "blank.nt"
    first = '_:shared <https://example.org/p> "first" .\n'
    last = '_:shared <https://example.org/p> "last" .\n'
    data.write_text(first + "".join(_rows()) + last, encoding="utf-8")
    assert data.stat().st_size > 1024 * 1024
    assert loader.load_file(store, data, graph=GRAPH).triples == ROWS + 2
    pattern = "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o FILTER isBlank(?s) } }"
    assert _ask_count(store, f"{{ {pattern} }}") == 1


def test_an_n_quads_file_that_fails_leaves_the_graphs_it_names_as_they_were(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    """An N-Quads line may name any graph, which no loading marker covers: loaded in
    pieces, a failure would leave that graph half written. It is loaded whole."""
    other = "https://example.org/other"
    store.update(f"INSERT DATA {{ GRAPH <{other}> {{ <urn:a> <urn:p> <urn:o> }} }}")
    rows = [row.replace(" .\n", f" <{other}> .\n") for row in _rows()]
    rows[-5] = "<https://example.org/s> <https://example.org/p> broken .\n"
    data = tmp_path / "other.nq"
    data.write_text("".join(rows), encoding="utf-8")
    with pytest.raises(RdfSyntaxError):
        store.load(data, by_name("nquads"), GRAPH)
    assert _ask_count(store, f"GRAPH <{other}> {{ ?s ?p ?o }}") == 1


def test_a_row_repeated_in_two_pieces_counts_once(store: EmbeddedStore, tmp_path: Path) -> None:
    rows = _rows()
    data = tmp_path / "repeated.nt"
    data.write_text("".join([*rows, rows[0]]), encoding="utf-8")
    assert loader.load_file(store, data, graph=GRAPH).triples == ROWS


@pytest.mark.parametrize("end", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_lines_ended_otherwise_load_whole_in_pieces(
    store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, end: str
) -> None:
    """A piece ends at either line end: with ``\\r`` alone, one ending at ``\\n`` would
    be the rest of the file, in memory at once."""
    sizes: list[int] = []
    monkeypatch.setattr(pieces, "_load_all", _counting(pieces._load_all, sizes))
    rows = _rows()
    rows[7] = '_:b <https://example.org/p> "blank" .\n'
    data = tmp_path / "ends.nt"
    data.write_bytes("".join(rows).replace("\n", end).encode())
    assert loader.load_file(store, data, graph=GRAPH).triples == ROWS
    assert len(sizes) >= LOADS
    assert max(sizes) <= data.stat().st_size // LOADS + len(rows[0]) + 2


@pytest.mark.parametrize("filled", [False, True], ids=["empty graph", "graph with content"])
def test_a_syntax_error_in_a_late_piece_names_its_line_in_the_file_and_changes_nothing(
    store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, filled: bool
) -> None:
    """The failing piece's own line would be a few thousand, not the file's."""
    if filled:  # replaced through a staging graph, not in memory
        monkeypatch.setattr(replacement, "MOST_BYTES", 0)
        small = tmp_path / "small.nt"
        small.write_text("".join(_rows(3)), encoding="utf-8")
        loader.load_file(store, small, graph=GRAPH)
    rows = _rows()
    bad_line = ROWS - 100
    rows[bad_line - 1] = "<https://example.org/s> <https://example.org/p> broken .\n"
    data = tmp_path / "broken.nt"
    data.write_text("".join(rows), encoding="utf-8")
    with pytest.raises(RdfSyntaxError) as raised:
        loader.load_file(store, data, graph=GRAPH)
    assert raised.value.line == bad_line
    assert _ask_count(store, f"GRAPH <{GRAPH}> {{ ?s ?p ?o }}") == (3 if filled else 0)


@pytest.mark.parametrize("change", ["removed", "replaced"])
def test_the_error_is_found_in_the_bytes_loaded_when_the_file_changes_meanwhile(
    store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """Parsed again by its path, a removed file hid the error behind a traceback and a
    file replaced by a valid one gave a line of the piece."""
    rows = _rows()
    bad_line = ROWS - 100
    rows[bad_line - 1] = "<https://example.org/s> <https://example.org/p> broken .\n"
    data = tmp_path / "broken.nt"
    data.write_text("".join(rows), encoding="utf-8")
    load_all = pieces._load_all

    def changing(given: Iterator[bytes], *rest: Any) -> None:
        if change == "removed":
            data.unlink()
        else:
            valid = tmp_path / "valid.nt"
            valid.write_text("".join(_rows()), encoding="utf-8")
            valid.replace(data)
        load_all(given, *rest)

    monkeypatch.setattr(pieces, "_load_all", changing)
    with pytest.raises(RdfSyntaxError) as raised:
        store.load(data, by_name("ntriples"), GRAPH)
    assert raised.value.line == bad_line
    assert _ask_count(store, f"GRAPH <{GRAPH}> {{ ?s ?p ?o }}") == 0


def test_progress_is_told_as_pieces_end_up_to_the_whole_file(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    data = tmp_path / "progress.nt"
    data.write_text("".join(_rows()), encoding="utf-8")
    told: list[int] = []
    loader.load_file(store, data, graph=GRAPH, on_progress=told.append)
    assert len(told) >= LOADS
    assert told == sorted(told)
    assert told[-1] == data.stat().st_size


# An interrupt that arrives while the interpreter runs a weak reference's callback (the
# thread pool's bookkeeping) is reported as raised where nothing could catch it, and the
# interpreter goes on: that is its own behaviour, not the loader's, and the load is
# still interrupted and undone whole.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_second_interrupt_waits_for_the_pieces_still_loading(
    store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loads cannot be stopped part-way: were the caller to empty the graph while
    one still ran, that load would commit after it, and the graph stay half loaded
    with no marker to undo it at the next open."""
    loading, released = threading.Event(), threading.Event()
    main = threading.main_thread().ident
    assert main is not None
    original = store._bulk_load
    running: list[int] = []  # one entry per load begun and not ended

    def slow(piece: bytes | IO[bytes], *rest: Any) -> None:
        running.append(1)
        loading.set()
        released.wait(10)  # the GIL is free: each interrupt is met as it is sent
        original(piece, *rest)
        running.pop()

    def interrupt_twice() -> None:
        loading.wait()
        for _ in range(2):
            signal.pthread_kill(main, signal.SIGINT)  # to the thread that waits
            time.sleep(0.2)
        released.set()

    monkeypatch.setattr(store, "_bulk_load", slow)
    data = tmp_path / "interrupted.nt"
    data.write_text("".join(_rows()), encoding="utf-8")
    interrupter = threading.Thread(target=interrupt_twice)
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        loader.load_file(store, data, graph=GRAPH)
    interrupter.join()
    assert not running  # the loads begun had ended when the interrupt came through
    # A thread the interrupt hid from the pool's shutdown (it came inside ``submit``)
    # has no load left and ends by itself.
    for thread in [t for t in threading.enumerate() if t.name.startswith("civicgraph-load")]:
        thread.join(10)
        assert not thread.is_alive()
    assert _ask_count(store, f"GRAPH <{GRAPH}> {{ ?s ?p ?o }}") == 0
    assert len(store.query("SELECT * { GRAPH ?g { ?s ?p ?o } }").rows) == 0  # type: ignore[union-attr]


def _counting(load_all: Callable[..., None], sizes: list[int]) -> Callable[..., None]:
    """``_load_all`` that notes the size of each piece it is given."""

    def counted(given: Iterator[bytes], *rest: Any) -> None:
        def noted() -> Iterator[bytes]:
            for piece in given:
                sizes.append(len(piece))
                yield piece

        load_all(noted(), *rest)

    return counted


@pytest.mark.timed
@pytest.mark.parametrize("end", [b"\n", b"\r"], ids=["LF", "CR"])
def test_the_largest_piece_of_blank_nodes_is_set_aside_within_seconds(end: bytes) -> None:
    """Each line set aside costs its own length: a search to the piece's end for a
    line end the file never uses took minutes for 7 MB."""
    row = b'_:b <https://example.org/p> "value" .' + end
    region = row * (pieces.MOST_BYTES // len(row))
    aside = io.BytesIO()
    started = time.monotonic()
    kept = pieces._set_aside(region, aside)
    assert time.monotonic() - started < 10
    assert aside.getvalue() == region
    assert kept == b""


def test_the_lines_with_blank_nodes_are_set_aside_whole_and_the_rest_kept() -> None:
    plain = [b"<urn:a> <urn:p> <urn:b> .\n", b"<urn:c> <urn:p> <urn:d> .\r\n", b"\n"]
    blank = [b"_:x <urn:p> <urn:b> .\r", b'<urn:a> <urn:p> "_:" .\n', b"_:y <urn:p> _:x ."]
    region = b"".join([blank[0], plain[0], blank[1], plain[1], plain[2], blank[2]])
    aside = io.BytesIO()
    assert pieces._set_aside(region, aside) == b"".join(plain)
    assert aside.getvalue() == b"".join(blank)


@pytest.mark.timed
def test_a_line_longer_than_a_piece_goes_to_the_last_load_with_the_rest_of_the_file() -> None:
    """Gathered in memory, a line as long as the file was held twice before anything
    parsed it (and, searched again at every read, took minutes)."""
    short = b"<urn:a> <urn:p> <urn:b> .\n"
    line = b'<urn:s> <urn:p> "' + b"x" * (32 * 1024 * 1024) + b'" .'
    tail = io.BytesIO()
    started = time.monotonic()
    regions = list(pieces._regions(io.BytesIO(short * 200 + line + b"\r" + short), 4096, tail))
    assert time.monotonic() - started < 10
    assert b"".join(regions) == short * 200
    assert tail.getvalue() == line + b"\r" + short


def test_regions_end_at_line_ends_and_hold_the_whole_file_in_order() -> None:
    ends = [b"\n", b"\r\n", b"\r"]
    text = b"".join(b"<urn:s%d> <urn:p> <urn:o> ." % i + ends[i % 3] for i in range(500))
    text += b"<urn:s> <urn:p> <urn:last> ."
    tail = io.BytesIO()
    regions = list(pieces._regions(io.BytesIO(text), 1000, tail))
    assert all(len(region) <= 2000 for region in regions)
    assert all(region.endswith((b"\n", b"\r")) for region in regions[:-1])
    assert b"".join(regions) + tail.getvalue() == text


def test_a_file_of_nul_bytes_fails_at_its_first_line_without_being_held(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    source = tmp_path / "zeros.nt"
    with source.open("wb") as handle:
        handle.truncate(3 * pieces.MOST_BYTES)
    with pytest.raises(RdfSyntaxError) as raised:
        store.load(source, by_name("ntriples"), GRAPH)
    assert raised.value.line == 1
    assert _ask_count(store, "GRAPH ?g { ?s ?p ?o }") == 0


def test_a_line_longer_than_the_parser_reads_is_a_clear_error_that_changes_nothing(
    tmp_path: Path, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyoxigraph reads at most 16 MiB of a line from a stream, which is how a line
    longer than a piece reaches it: its memory error was a traceback."""
    monkeypatch.setattr(pieces, "MOST_BYTES", 4 * 1024 * 1024)
    source = tmp_path / "long.nt"
    literal = b'<urn:s> <urn:p> "' + b"x" * (17 * 1024 * 1024) + b'" .\n'
    source.write_bytes("".join(_rows()).encode() + literal + "".join(_rows(10)).encode())
    with pytest.raises(RdfSyntaxError, match="longer than the 16 MiB"):
        store.load(source, by_name("ntriples"), GRAPH)
    assert _ask_count(store, "GRAPH ?g { ?s ?p ?o }") == 0


@pytest.mark.timed
@pytest.mark.parametrize("row", [b"#_:\n", b"_:a <urn:p> _:b .\n"], ids=["comments", "triples"])
def test_a_file_dense_with_blank_nodes_loads_within_seconds(
    tmp_path: Path, row: bytes, store: EmbeddedStore
) -> None:
    """Set aside one by one, the short lines of one piece took 15 s."""
    source = tmp_path / "dense.nt"
    source.write_bytes(row * (2 * pieces.MOST_BYTES // len(row)))
    started = time.monotonic()
    store.load(source, by_name("ntriples"), GRAPH)
    assert time.monotonic() - started < 30
    expected = 0 if row.startswith(b"#") else 1
    assert _ask_count(store, f"GRAPH <{GRAPH}> {{ ?s ?p ?o }}") == expected
