"""The serving process's limit over a real slot table: what it marks, nested or not."""

from pathlib import Path

from flask import Flask

from civicgraph.config import Settings
from civicgraph.errors import HistoryTimeoutError
from civicgraph.webapp.inplace import InPlaceLimit
from civicgraph.webapp.slots import Slots


def test_a_read_inside_limited_work_keeps_the_outer_watch(tmp_path: Path) -> None:
    """A diff reads labels from the store inside its own limit: the read neither
    restarts the deadline nor ends the watch, and the 503 stays the diff's."""
    slots = Slots(tmp_path / "slots", 2)
    slots.claim(1 << 40)
    limit = InPlaceLimit(Settings(store="memory", query_timeout=30.0), slots)
    limit.client = 7
    with Flask(__name__).test_request_context("/versions/0/diff/1"):
        with limit(HistoryTimeoutError):
            (outer,) = slots.evaluations()
            with limit():
                assert list(slots.evaluations()) == [outer]
            assert list(slots.evaluations()) == [outer]
            assert b"dataset's history" in slots.response(outer.index, overran=True)
        assert list(slots.evaluations()) == []
        with limit():
            (again,) = slots.evaluations()
            assert again.sequence == outer.sequence + 1
            assert b"The query ran longer" in slots.response(again.index, overran=True)
