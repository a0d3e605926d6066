"""The benchmark's latencies: every peer is timed as often, and none always goes first."""

from functools import partial

from bench.measure import MAX_CALLS, latencies


def test_the_peers_take_turns_at_going_first() -> None:
    calls: list[str] = []
    timed = latencies({name: partial(calls.append, name) for name in "abc"})
    rounds = [calls[at : at + 3] for at in range(3, len(calls), 3)]  # after the warm-ups
    assert [len(found.samples) for found in timed.values()] == [MAX_CALLS] * 3
    assert [round_[0] for round_ in rounds[:6]] == ["a", "b", "c", "a", "b", "c"]
    assert all(sorted(round_) == ["a", "b", "c"] for round_ in rounds)
