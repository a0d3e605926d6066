"""Blank nodes that form trees are named by place and content, the same for every
spelling of the graph; anything else goes to the general algorithm."""

import random
import re
import time

import pytest
from pyoxigraph import CanonicalizationAlgorithm, Dataset, RdfFormat, parse, serialize

from civicgraph.dataset.blanktrees import tree_names

_EX = "http://example.org/"
#: Two people with an address each (the same city), a list with an element twice, two
#: lists alike under one subject and predicate, a nested node, a node with no rows of
#: its own, a root that nothing points to, literals that spell blank nodes, and nodes
#: under one subject and predicate that differ in their rows or below them.
TREES = [
    f"<{_EX}a> <{_EX}address> _:x1 .",
    f'_:x1 <{_EX}city> "Oslo" .',
    f"<{_EX}b> <{_EX}address> _:x2 .",
    f'_:x2 <{_EX}city> "Oslo" .',
    f"<{_EX}a> <{_EX}list> _:l1 .",
    f"_:l1 <{_EX}first> <{_EX}t1> .",
    f"_:l1 <{_EX}rest> _:l2 .",
    f"_:l2 <{_EX}first> <{_EX}t1> .",
    f"_:l2 <{_EX}rest> <{_EX}nil> .",
    f"<{_EX}a> <{_EX}other> _:m1 .",
    f"_:m1 <{_EX}first> <{_EX}t2> .",
    f"<{_EX}a> <{_EX}other> _:m2 .",
    f"_:m2 <{_EX}first> <{_EX}t2> .",
    f"<{_EX}a> <{_EX}knows> _:k1 .",
    f"_:k1 <{_EX}knows> _:k2 .",
    f'_:k2 <{_EX}name> "Kim"@en .',
    f"<{_EX}a> <{_EX}empty> _:e .",
    f'_:r <{_EX}note> "see _:x1 and _:m1 ." .',
    f'<{_EX}c> <{_EX}note> "_:l1" .',
    # two nodes under one subject and predicate, told apart by their own rows
    f"<{_EX}b> <{_EX}address> _:x4 .",
    f'_:x4 <{_EX}city> "Bergen" .',
    # and two told apart only by what hangs from them
    f"<{_EX}c> <{_EX}q> _:y1 .",
    f"_:y1 <{_EX}r> _:z1 .",
    f'_:z1 <{_EX}v> "1" .',
    f"<{_EX}c> <{_EX}q> _:y2 .",
    f"_:y2 <{_EX}r> _:z2 .",
    f'_:z2 <{_EX}v> "2" .',
    # and two alike under one subject by two predicates
    f"<{_EX}d> <{_EX}home> _:h1 .",
    f'_:h1 <{_EX}city> "Oslo" .',
    f"<{_EX}d> <{_EX}work> _:h2 .",
    f'_:h2 <{_EX}city> "Oslo" .',
]
_LABEL = re.compile(r"_:[A-Za-z0-9]+")


def _respelled(rows: list[str], seed: int) -> list[bytes]:
    """The same graph with other labels for its blank nodes, its rows in another order
    (a literal that spells a label is left alone)."""
    draw = random.Random(seed)
    labels: dict[str, str] = {}

    def label(found: re.Match[str]) -> str:
        return labels.setdefault(found.group(0), f"_:n{draw.randrange(10**9)}")

    respelled = [re.sub(r"^_:\w+|_:\w+(?= \.$)", label, row) for row in rows]
    draw.shuffle(respelled)
    return [row.encode() for row in respelled]


def _canonical(rows: list[bytes]) -> bytes:
    """RDFC-1.0's rows for the graph: equal for two graphs only if they are isomorphic."""
    found = Dataset(parse(b"\n".join(rows), format=RdfFormat.N_TRIPLES))
    found.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return b"".join(sorted((serialize(found, format=RdfFormat.N_QUADS) or b"").splitlines()))


def _nodes(rows: list[bytes]) -> set[str]:
    """The blank node labels in subject or object place."""
    found = set()
    for row in rows:
        subject, _, rest = row.decode().split(" ", 2)
        found |= {term for term in (subject, rest.removesuffix(" .")) if term.startswith("_:")}
    return found


def test_every_spelling_of_the_graph_gets_the_same_rows() -> None:
    named = tree_names([row.encode() for row in TREES])
    assert named is not None
    for seed in range(20):
        again = tree_names(_respelled(TREES, seed))
        assert again is not None
        assert sorted(again) == sorted(named)


def test_the_named_rows_are_the_same_graph_with_a_name_for_each_node() -> None:
    rows = [row.encode() for row in TREES]
    named = tree_names(rows)
    assert named is not None
    assert _canonical(named) == _canonical(rows)
    assert len(_nodes(named)) == len(_nodes(rows)) == 17
    assert all(re.fullmatch(r"_:t[0-9a-f]{20}", node) for node in _nodes(named))
    assert b'"see _:x1 and _:m1 ." .' in b"\n".join(named)


def test_a_node_added_elsewhere_leaves_the_other_names() -> None:
    before = tree_names([row.encode() for row in TREES])
    more = [f"<{_EX}c> <{_EX}address> _:x3 .", f'_:x3 <{_EX}city> "Oslo" .']
    after = tree_names([row.encode() for row in TREES + more])
    assert before is not None
    assert after is not None
    assert set(before) < set(after)
    assert len(set(after) - set(before)) == 2


@pytest.mark.parametrize(
    "rows",
    [
        # a node that is the object of two rows
        [f"<{_EX}a> <{_EX}p> _:s .", f"<{_EX}b> <{_EX}p> _:s ."],
        # a cycle, and a node pointing to itself
        [f"_:a <{_EX}p> _:b .", f"_:b <{_EX}p> _:a ."],
        [f"_:a <{_EX}p> _:a ."],
        # a triple term
        [f"<{_EX}a> <{_EX}p> <<( _:b <{_EX}p> <{_EX}c> )>> ."],
        # a row not taken apart
        [f"<{_EX}a> <{_EX}p> _:b"],
        # IRIs with a space, ">" or a quote in them, as a store that parsed leniently
        # writes them: split at spaces, the first hid its blank node in the predicate
        [f"<{_EX}a> <{_EX}p q> _:b .", f'_:b <{_EX}v> "1" .'],
        [f"<{_EX}a> <{_EX}p> q> _:b .", f'_:b <{_EX}v> "1" .'],
        [f'<{_EX}a> <{_EX}p> "z> _:b .', f'_:b <{_EX}v> "1" .'],
    ],
)
def test_rows_that_are_not_trees_are_left_to_the_general_algorithm(rows: list[str]) -> None:
    assert tree_names([row.encode() for row in rows]) is None


@pytest.mark.timed
def test_long_lists_and_many_alike_nodes_are_named_within_seconds() -> None:
    """The work is linear: a list of 50,000 elements (each node under the one before)
    and 50,000 nodes alike under one subject."""
    rows = [f"<{_EX}a> <{_EX}list> _:l0 .".encode()]
    for i in range(50_000):
        rows += [f"_:l{i} <{_EX}first> <{_EX}t> .".encode()]
        rows += [f"_:l{i} <{_EX}rest> _:l{i + 1} .".encode()]
        rows += [f"<{_EX}b> <{_EX}p> _:a{i} .".encode(), f'_:a{i} <{_EX}v> "1" .'.encode()]
    started = time.monotonic()
    named = tree_names(rows)
    assert time.monotonic() - started < 5
    assert named is not None
    assert len(_nodes(named)) == 100_001
