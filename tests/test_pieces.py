"""Big N-Triples and N-Quads files load in pieces (``store/pieces.py``) and mean the same."""

from pathlib import Path

import pytest

from civicgraph.dataset import loader
from civicgraph.errors import RdfSyntaxError
from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore
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


def test_a_graph_named_by_a_blank_node_in_lines_far_apart_is_one_graph(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    data = tmp_path / "blank.nq"
    quad = '<https://example.org/a> <https://example.org/p> "{}" _:g .\n'
    data.write_text(quad.format("first") + "".join(_rows()) + quad.format("last"), "utf-8")
    store.load(data, by_name("nquads"), GRAPH)
    assert len([name for name in store.graph_names() if name != GRAPH]) == 1
    assert _ask_count(store, "GRAPH ?g { <https://example.org/a> ?p ?o }") == 2


def test_a_row_repeated_in_two_pieces_counts_once(store: EmbeddedStore, tmp_path: Path) -> None:
    rows = _rows()
    data = tmp_path / "repeated.nt"
    data.write_text("".join([*rows, rows[0]]), encoding="utf-8")
    assert loader.load_file(store, data, graph=GRAPH).triples == ROWS


def test_windows_line_ends_load_whole(store: EmbeddedStore, tmp_path: Path) -> None:
    data = tmp_path / "crlf.nt"
    data.write_bytes("".join(_rows()).replace("\n", "\r\n").encode())
    assert loader.load_file(store, data, graph=GRAPH).triples == ROWS


@pytest.mark.parametrize("filled", [False, True], ids=["empty graph", "graph with content"])
def test_a_syntax_error_in_a_late_piece_names_its_line_in_the_file_and_changes_nothing(
    store: EmbeddedStore, tmp_path: Path, *, filled: bool
) -> None:
    """The failing piece's own line would be a few thousand, not the file's."""
    if filled:
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
