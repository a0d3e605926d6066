"""The server's force-directed layout: networkx's arithmetic, in bounded memory."""

import tracemalloc

import networkx as nx
import numpy as np

from civicgraph.network import spring


def _pairs(graph: nx.Graph) -> np.ndarray:
    return np.array(sorted(tuple(sorted(e)) for e in graph.edges()), dtype=np.int64)


def test_positions_are_networkx_spring_layouts() -> None:
    """Below 500 nodes networkx computes the same forces: its positions for a seed."""
    graph = nx.barabasi_albert_graph(40, 2, seed=3)
    theirs = nx.spring_layout(graph, seed=11, iterations=40)
    ours = spring.positions(len(graph), _pairs(graph), 11)
    assert np.allclose(ours, [theirs[n] for n in graph], atol=1e-6)
    assert np.abs(ours).max() == 1.0


def test_a_node_or_none_is_placed_at_the_centre() -> None:
    assert spring.positions(1, np.zeros((0, 2), dtype=np.int64), 1).tolist() == [[0.0, 0.0]]
    assert spring.positions(0, np.zeros((0, 2), dtype=np.int64), 1).shape == (0, 2)


def test_a_large_view_is_laid_out_in_memory_that_does_not_grow_with_its_square() -> None:
    """The repulsion sums blocks of rows: 4,000 nodes would need 128 MB for each
    difference matrix held whole, and a step holds several."""
    count = 4000
    ring = np.array([(n, (n + 1) % count) for n in range(count)], dtype=np.int64)
    tracemalloc.start()
    try:
        placed = spring.positions(count, ring, 5, iterations=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert placed.shape == (count, 2)
    assert np.isfinite(placed).all()
    assert peak < 40 * 2**20
