"""A graph's blank nodes get canonical names in the version log, quickly and boundedly."""

import time
from io import BytesIO

import pytest
import requests
from pyoxigraph import CanonicalizationAlgorithm, Dataset, RdfFormat, parse, serialize

from civicgraph.dataset import blanks
from civicgraph.dataset.versions import canonical_rows
from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore
from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer

#: Lists, nested blank nodes, two blank nodes alike but for what points to them, a
#: literal that spells a blank node, and rows with no blank node at all.
TURTLE = """@prefix ex: <http://example.org/> .
ex:a ex:list ( 1 2 2 ex:b ) ; ex:other ( 2 2 ) ; ex:address [ ex:city "Oslo" ] .
ex:b ex:address [ ex:city "Oslo" ] ; ex:note "see _:x and _:y" .
[ ex:knows [ ex:knows ex:a ] ] .
""" + "".join(f"ex:n{i} ex:p ex:n{i + 1} .\n" for i in range(200))


def _dumped(turtle: str) -> bytes:
    """The graph as a fresh store holds it, in N-Triples: its blank nodes named afresh."""
    store = EmbeddedStore()
    store.load(turtle.encode(), by_name("turtle"), "http://example.org/g")
    out = BytesIO()
    store.dump(out, by_name("ntriples"), ["http://example.org/g"])
    return out.getvalue()


def _whole_graph_canonicalised(data: bytes) -> list[bytes]:
    """The rows when every row of the graph goes through the canonicalization."""
    found = Dataset(parse(data, format=RdfFormat.N_QUADS))
    found.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    return sorted(set((serialize(found, format=RdfFormat.N_QUADS) or b"").splitlines()))


def test_only_rows_with_blank_nodes_are_relabelled_into_the_same_graph() -> None:
    data = _dumped(TURTLE)
    rows = canonical_rows(data)
    assert _whole_graph_canonicalised(b"\n".join(rows)) == _whole_graph_canonicalised(data)
    assert {row for row in data.splitlines() if b"_:" not in row} < set(rows)
    assert len(rows) == 221


def test_rows_that_are_not_trees_get_the_general_algorithm_names() -> None:
    data = _dumped(TURTLE + "ex:a ex:shares _:s . ex:b ex:shares _:s . _:s ex:v 1 .\n")
    assert canonical_rows(data) == _whole_graph_canonicalised(data)


@pytest.mark.parametrize("blank", [True, False])
def test_a_dump_of_one_graph_gives_the_same_rows_unsearched_for_repeats(blank: bool) -> None:
    named = "".join(line + "\n" for line in TURTLE.splitlines() if "[" not in line)
    turtle = TURTLE if blank else named
    data = _dumped(turtle)
    assert (b"_:" in data) is blank
    assert canonical_rows(data, unique=True) == canonical_rows(data)
    repeated = b"<http://e/a> <http://e/p> 1 .\n" * 2
    assert canonical_rows(repeated) == [repeated.splitlines()[0]]


def test_a_reload_of_the_same_data_gives_the_same_rows() -> None:
    assert canonical_rows(_dumped(TURTLE)) == canonical_rows(_dumped(TURTLE))


def _clique(size: int) -> list[bytes]:
    """Blank nodes that all point to one another: the canonical naming's factorial case
    (nine of them take about half a minute)."""
    return [
        f"_:b{i} <http://example.org/p> _:b{j} .".encode()
        for i in range(size)
        for j in range(size)
        if i != j
    ]


@pytest.mark.timed
def test_blank_nodes_too_alike_to_name_in_time_keep_the_store_names(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The child stops at its CPU limit; the outcome is remembered, so the same rows
    (a version record reads every graph again) do not cost the limit again."""
    monkeypatch.setattr(blanks, "CANONICAL_SECONDS", 1)
    named = b"<http://example.org/a> <http://example.org/p> <http://example.org/b> ."
    rows = _clique(9)
    for bound in (5.0, 0.5):
        started = time.monotonic()
        kept = canonical_rows(b"\n".join([named, *rows]))
        assert time.monotonic() - started < bound
        assert kept == sorted([named, *rows])
    assert caplog.text.count("store's names are kept") == 1


def test_rows_without_blank_nodes_never_reach_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_data: bytes, _count: int) -> bytes | None:
        raise AssertionError("no row has a blank node")

    monkeypatch.setattr(blanks, "_named", refuse)
    rows = [b'<http://e/a> <http://e/p> "x" .', b"<http://e/_b> <http://e/p> 1 ."]
    assert canonical_rows(b"\n".join(rows)) == sorted(rows)


def test_small_trees_are_named_here_and_larger_ones_in_the_child_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tree of a few rows is named without the child's start; past the bound it goes
    to the child, with its limits, for the same names."""
    rows = [row for row in _dumped(TURTLE).splitlines() if b"_:" in row]
    sent: list[int] = []
    child = blanks._named

    def counted(data: bytes, count: int) -> bytes | None:
        sent.append(count)
        return child(data, count)

    monkeypatch.setattr(blanks, "_named", counted)
    here = blanks.canonical_blank_rows(rows)
    assert sent == []
    monkeypatch.setattr(blanks, "IN_PROCESS_BYTES", 0)
    assert blanks.canonical_blank_rows(rows) == here
    assert sent == [len(rows)]
    assert here != rows


@pytest.mark.timed
def test_a_write_of_blank_nodes_too_alike_is_recorded_within_the_bound(
    writable_server: LiveServer,
) -> None:
    """The version record after a write names its blank nodes in a child process that
    is stopped at the bound: the write is answered, and the writer takes the next."""
    auth = {"Authorization": f"Bearer {WRITE_TOKEN}"}
    started = time.monotonic()
    response = requests.put(
        f"{writable_server.url}/store",
        params={"graph": "http://example.org/alike"},
        data=b"\n".join(_clique(9)),
        headers={**auth, "Content-Type": "application/n-triples"},
        timeout=60,
    )
    assert response.status_code == 201
    assert time.monotonic() - started < blanks.CANONICAL_SECONDS + 15
    # The next record reads that graph again, and knows its outcome.
    started = time.monotonic()
    response = requests.put(
        f"{writable_server.url}/store",
        params={"graph": "http://example.org/after-alike"},
        data=b"<http://example.org/a> <http://example.org/p> <http://example.org/b> .",
        headers={**auth, "Content-Type": "application/n-triples"},
        timeout=60,
    )
    assert response.status_code == 201
    assert time.monotonic() - started < 5
    for graph in ("http://example.org/alike", "http://example.org/after-alike"):
        deleted = requests.delete(
            f"{writable_server.url}/store", params={"graph": graph}, headers=auth, timeout=60
        )
        assert deleted.status_code == 204
