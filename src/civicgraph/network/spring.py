"""Force-directed positions for a drawn view: the Fruchterman-Reingold layout, vectorised.

networkx's ``spring_layout`` computes the same forces, but it builds an array of
every pair's difference in both coordinates each step and, from 500 nodes, minimises
an energy with scipy instead: a hub's view of 200 nodes took about 110 ms and one of
500 nodes about 1.9 s, most of a view's time. Here the repulsion between every pair
is summed from blocks of rows of the difference matrices, at most ``_BLOCK`` cells at
once whatever the node cap, and the attraction is summed over the edges alone (it is
zero elsewhere): 18 ms and 95 ms. The arithmetic is networkx's below 500 nodes (the
same random start for a seed, the same cooling and stopping rule), so positions
differ from its by rounding only.
"""

from typing import Final

import numpy as np
from numpy.typing import NDArray

Positions = NDArray[np.float64]

#: Cells of a difference matrix summed at once: 4 MiB for each array a step holds.
_BLOCK: Final = 1 << 19
#: Closest two nodes are taken to be, so that the repulsion stays finite.
_NEAREST: Final = 0.01


def positions(count: int, pairs: NDArray[np.int64], seed: int, iterations: int = 40) -> Positions:
    """Positions of ``count`` nodes joined by ``pairs`` (node numbers, no self-pairs),
    centred on the origin and scaled to fit in [-1, 1]."""
    rng = np.random.RandomState(seed)
    place = rng.rand(count, 2)
    if count < 2:
        return place * 0
    heat = float(np.ptp(place, axis=0).max()) * 0.1
    cooling = heat / (iterations + 1)
    repulsion = _Repulsion(count)
    for _ in range(iterations):
        force = repulsion(place) - _attraction(place, pairs, count)
        length = np.maximum(np.hypot(force[:, 0], force[:, 1]), _NEAREST)
        step = force * (heat / length)[:, None]
        place += step
        heat -= cooling
        if np.linalg.norm(step) / count < 1e-4:
            break
    place -= place.mean(axis=0)
    reach = float(np.abs(place).max())
    centred: Positions = place / reach if reach > 0 else place
    return centred


class _Repulsion:
    """Each node's push from every other: k² / d along their difference, k² = 1 / n.

    The blocks are summed in four arrays made once: made anew each step, arrays of a
    few hundred KiB are fresh pages from the system every time, and took three times
    as long as the arithmetic.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self.rows = max(1, min(count, _BLOCK // count))
        self.work = np.empty((4, self.rows, count))

    def __call__(self, place: Positions) -> Positions:
        x, y = place[:, 0], place[:, 1]
        force = np.empty_like(place)
        for start in range(0, self.count, self.rows):
            stop = min(start + self.rows, self.count)
            dx, dy, scale, square = self.work[:, : stop - start]
            np.subtract(x[start:stop, None], x[None, :], out=dx)
            np.subtract(y[start:stop, None], y[None, :], out=dy)
            np.multiply(dx, dx, out=scale)
            scale += np.multiply(dy, dy, out=square)
            np.maximum(scale, _NEAREST * _NEAREST, out=scale)
            np.divide(1.0 / self.count, scale, out=scale)
            force[start:stop, 0] = np.einsum("ij,ij->i", dx, scale)
            force[start:stop, 1] = np.einsum("ij,ij->i", dy, scale)
        return force


def _attraction(place: Positions, pairs: NDArray[np.int64], count: int) -> Positions:
    """Each node's pull towards its neighbours: d² / k along each edge, both ways."""
    if not len(pairs):
        return np.zeros_like(place)
    u, v = pairs[:, 0], pairs[:, 1]
    difference = place[u] - place[v]
    distance = np.maximum(np.hypot(difference[:, 0], difference[:, 1]), _NEAREST)
    difference *= (distance * np.sqrt(count))[:, None]
    pull = np.empty_like(place)
    for axis in (0, 1):
        along = difference[:, axis]
        pull[:, axis] = np.bincount(u, along, count) - np.bincount(v, along, count)
    return pull
