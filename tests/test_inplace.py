"""The serving process's limit over a real slot table: what it marks, nested or not."""

from pathlib import Path

from flask import Flask

from civicgraph.config import Settings
from civicgraph.errors import HistoryTimeoutError
from civicgraph.webapp.inplace import InPlaceLimit
from civicgraph.webapp.slots import Slots, Stop


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
            assert b"dataset's history" in slots.response(outer.index, Stop.TIME)
        assert list(slots.evaluations()) == []
        with limit():
            (again,) = slots.evaluations()
            assert again.sequence == outer.sequence + 1
            assert b"The query took longer" in slots.response(again.index, Stop.TIME)
            assert b"Server busy" in slots.response(again.index, Stop.BUSY)
            assert b"memory budget" in slots.response(again.index, Stop.MEMORY)


def test_a_head_request_past_its_limit_gets_the_503_without_a_body(tmp_path: Path) -> None:
    """HTTP allows no body after the head of an answer to HEAD."""
    slots = Slots(tmp_path / "slots", 2)
    slots.claim(1 << 40)
    limit = InPlaceLimit(Settings(store="memory", query_timeout=30.0), slots)
    limit.client = 7
    app = Flask(__name__)
    for method, ends_with_body in (("HEAD", False), ("GET", True)):
        with app.test_request_context("/versions/0/diff/1", method=method), limit():
            (running,) = slots.evaluations()
            for stop in Stop:
                answer = slots.response(running.index, stop)
                head, _, body = answer.partition(b"\r\n\r\n")
                assert b"503" in head.split(b"\r\n")[0]
                assert b"Content-Length: " in head
                assert bool(body) is ends_with_body, method
