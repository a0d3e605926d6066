"""The benchmark's latencies: every peer is timed as often, in orders that change."""

from functools import partial
from itertools import pairwise

from bench.measure import MAX_CALLS, latencies


def test_no_peer_always_comes_right_after_another() -> None:
    calls: list[str] = []
    timed = latencies({name: partial(calls.append, name) for name in "abcd"})
    measured = calls[4:]  # after the warm-ups
    rounds = [measured[at : at + 4] for at in range(0, len(measured), 4)]
    after_d = {following for ahead, following in pairwise(measured) if ahead == "d"}
    assert [len(found.samples) for found in timed.values()] == [MAX_CALLS] * 4
    assert all(sorted(round_) == ["a", "b", "c", "d"] for round_ in rounds)
    assert after_d >= {"a", "b", "c"}
    assert latencies({name: partial(calls.append, name) for name in "abcd"}).keys() == set("abcd")
    assert calls[-len(measured) :] == measured  # the same orders in every run
