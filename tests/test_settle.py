"""A serving process gives back what heavy requests left: its view reopens, unchanged."""

from pathlib import Path

from civicgraph.store import EmbeddedStore
from civicgraph.store.results import SelectResult
from civicgraph.store.views import Generation, ReadView
from civicgraph.webapp.settle import HEAVY_SECONDS, Settler, private_resident

COUNT = "SELECT (COUNT(*) AS ?n) { GRAPH <http://g> { ?s ?p ?o } }"


def _insert(store: EmbeddedStore, n: int) -> None:
    store.update(f"INSERT DATA {{ GRAPH <http://g> {{ <http://a> <http://b> {n} }} }}")
    store.flush()


def _count(view: ReadView) -> str:
    found = view.read("query", sparql=COUNT)
    assert isinstance(found, SelectResult)
    return str(found.dicts()[0]["n"].value)


def test_a_settled_view_answers_as_before_and_still_sees_later_writes(tmp_path: Path) -> None:
    writer = EmbeddedStore(tmp_path / "store")
    _insert(writer, 1)
    generation = Generation(tmp_path / "generation")
    view = ReadView(tmp_path / "store", generation)
    settler = Settler(view, growth=0)
    settler.after(HEAVY_SECONDS / 2)
    assert settler.settled == 0  # a cheap request is not even checked
    settler.after(HEAVY_SECONDS)
    assert settler.settled == 1
    assert _count(view) == "1"
    _insert(writer, 2)
    generation.bump()
    assert _count(view) == "2"
    view.close()
    writer.close()


def test_a_heavy_request_without_much_growth_does_not_reopen_the_view(tmp_path: Path) -> None:
    writer = EmbeddedStore(tmp_path / "store")
    _insert(writer, 1)
    view = ReadView(tmp_path / "store", Generation(tmp_path / "generation"))
    settler = Settler(view)
    settler.after(10.0)
    assert settler.settled == 0
    assert 0 < private_resident() < settler.baseline + settler.growth
    view.close()
    writer.close()
