"""A version after an update of given triples applies them to the recorded rows.

Reading a graph back costs about ten seconds per million triples; ``INSERT DATA`` and
``DELETE DATA`` say what they change. Each test checks the log against the store read
whole (``fingerprint``): what the shortcut records must be what reading would have.
"""

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from civicgraph.dataset import versions
from civicgraph.dataset.delta import Delta
from civicgraph.dataset.versions import VersionLog, fingerprint
from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore
from civicgraph.store.views import Generation
from civicgraph.store.writer import _Owner

G = "http://e.org/big"
INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def _quad(value: Literal | NamedNode, graph: str | None = G) -> Quad:
    name = NamedNode(graph) if graph else None
    subject, predicate = NamedNode("http://e.org/s"), NamedNode("http://e.org/p")
    return Quad(subject, predicate, value, name) if name else Quad(subject, predicate, value)


def test_an_update_of_given_triples_says_them_as_a_store_spells_them() -> None:
    delta = Delta.of_update(
        f"PREFIX e: <http://e.org/> INSERT DATA {{ GRAPH <{G}> {{ e:s e:p 01, 2 }} }} ;"
        f"DELETE DATA {{ GRAPH <{G}> {{ e:s e:p 2 }} e:s e:p 3 }}"
    )
    assert delta is not None
    assert delta.added == {_quad(Literal("1", datatype=INTEGER))}
    two, three = Literal("2", datatype=INTEGER), Literal("3", datatype=INTEGER)
    assert delta.removed == {_quad(two), _quad(three, None)}
    assert delta.graphs() == {G, None}


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { _:b <http://e.org/p> 1 }",
        "INSERT DATA { <http://e.org/s> <http://e.org/p> [ <http://e.org/p> 1 ] }",
        "INSERT DATA { <http://e.org/s> <http://e.org/p> ( 1 2 ) }",
        f"INSERT {{ GRAPH <{G}> {{ <http://e.org/s> <http://e.org/p> 1 }} }} WHERE {{}}",
        f"INSERT DATA {{ <http://e.org/s> <http://e.org/p> 1 }} ; CLEAR GRAPH <{G}>",
        "INSERT DATA { <http://e.org/s> <http://e.org/p> 1 . }  INSERT DATA { }",
    ],
)
def test_any_other_update_says_nothing(update: str) -> None:
    assert Delta.of_update(update) is None


def _owner(tmp_path: Path) -> tuple[_Owner, VersionLog]:
    store, log = EmbeddedStore(tmp_path / "store"), VersionLog(tmp_path / "log")
    rows = "".join(f"<http://e.org/s{i}> <http://e.org/p> {i} .\n" for i in range(300))
    rows += "_:b <http://e.org/p> _:c .\n_:c <http://e.org/p> 1 .\n"
    store.load(rows.encode(), by_name("turtle"), G)
    owner = _Owner(tmp_path / "store", store, Generation(tmp_path / "generation"), log)
    owner.record_start()
    _write(
        owner, 100, f"INSERT DATA {{ GRAPH <{G}> {{ <http://e.org/first> <http://e.org/p> 1 }} }}"
    )
    assert owner.answer(("record", {"who": "test", "action": "update"}, 101)) == ("ok", None)
    assert owner.confirmed == {G, None}  # read back: its recorded rows are the store's
    return owner, log


def _write(owner: _Owner, number: int, sparql: str) -> None:
    assert owner.answer(("update", {"sparql": sparql, "base_iri": None}, number))[0] == "ok"


def _recorded(owner: _Owner, log: VersionLog, number: int) -> tuple[dict[str, int], ...]:
    """Record as a serving process asks after a write; the version's rows added and
    removed (``_latest``)."""
    assert owner.answer(("record", {"who": "test", "action": "update"}, number)) == ("ok", None)
    return _latest(owner, log)


def _latest(owner: _Owner, log: VersionLog) -> tuple[dict[str, int], ...]:
    """The last version's rows added and removed, once its hash is checked against the
    store read whole."""
    latest = log.latest()
    assert latest is not None
    assert latest.content_hash == fingerprint(owner.store)
    return latest.added, latest.removed


def test_the_record_after_updates_of_given_triples_reads_no_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, log = _owner(tmp_path)
    read: list[str] = []
    graph_rows = versions._graph_rows
    monkeypatch.setattr(versions, "_graph_rows", lambda s, g: read.append(g) or graph_rows(s, g))
    _write(owner, 1, f"INSERT DATA {{ GRAPH <{G}> {{ <http://e.org/s1> <http://e.org/p> 01 }} }}")
    _write(owner, 2, f"DELETE DATA {{ GRAPH <{G}> {{ <http://e.org/s2> <http://e.org/p> 2 }} }}")
    _write(owner, 3, f"INSERT DATA {{ GRAPH <{G}> {{ <http://e.org/new> <http://e.org/p> 'é' }} }}")
    assert owner.answer(("record", {"who": "test", "action": "update"}, 4)) == ("ok", None)
    assert read == []
    assert _latest(owner, log) == ({G: 1}, {G: 1})  # 01 was there as 1
    owner.store.close()


def test_a_change_the_store_does_not_show_is_read_back(tmp_path: Path) -> None:
    """The count is the second check: recorded rows that were not the store's (a change
    made with another tool) have the graph read whole, and the log follows the store."""
    owner, log = _owner(tmp_path)
    seven = Literal("7", datatype=INTEGER)
    owner.store._store.remove(
        Quad(NamedNode("http://e.org/s7"), NamedNode("http://e.org/p"), seven, NamedNode(G))
    )
    _write(owner, 1, f"INSERT DATA {{ GRAPH <{G}> {{ <http://e.org/x> <http://e.org/p> 1 }} }}")
    assert _recorded(owner, log, 2) == ({G: 1}, {G: 1})
    owner.store.close()


def test_after_a_write_of_other_triples_the_graphs_are_read_back(tmp_path: Path) -> None:
    owner, log = _owner(tmp_path)
    _write(owner, 1, f"INSERT DATA {{ GRAPH <{G}> {{ <http://e.org/x> <http://e.org/p> 1 }} }}")
    _write(
        owner, 2, f"DELETE {{ GRAPH <{G}> {{ ?s ?p 5 }} }} WHERE {{ GRAPH <{G}> {{ ?s ?p 5 }} }}"
    )
    assert owner.changed is None
    assert _recorded(owner, log, 3) == ({G: 1}, {G: 1})
    assert owner.changed == Delta()
    owner.store.close()


def test_a_change_made_while_no_server_ran_is_found_by_the_next_write(tmp_path: Path) -> None:
    """Another tool may change a graph while no server runs, keeping its count: the
    first record after a start reads each graph a write touches, whatever the write."""
    owner, log = _owner(tmp_path)
    owner.store.close()
    raw = Store(str(tmp_path / "store"))
    s7, p = NamedNode("http://e.org/s7"), NamedNode("http://e.org/p")
    raw.remove(Quad(s7, p, Literal("7", datatype=INTEGER), NamedNode(G)))
    raw.add(Quad(s7, p, Literal("seven"), NamedNode(G)))
    raw.flush()
    del raw
    store = EmbeddedStore(tmp_path / "store")
    again = _Owner(tmp_path / "store", store, Generation(tmp_path / "generation"), log)
    again.record_start()  # nothing written through civicgraph since the last record
    _write(again, 1, f"INSERT DATA {{ GRAPH <{G}> {{ <http://e.org/x> <http://e.org/p> 1 }} }}")
    assert _recorded(again, log, 2) == ({G: 2}, {G: 1})
    again.store.close()


def test_without_a_log_no_change_is_kept(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    owner = _Owner(tmp_path / "store", store, Generation(tmp_path / "generation"), None)
    owner.record_start()
    _write(owner, 1, "INSERT DATA { <http://e.org/x> <http://e.org/p> 1 }")
    assert owner.changed is None
    store.close()
