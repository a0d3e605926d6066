"""A network builder that waits at a gate the test opens, to catch requests mid-build."""

import threading

import networkx as nx

from civicgraph.network.background import Report
from civicgraph.network.projection import ProjectionOptions, project
from civicgraph.store import GraphStore

#: Seconds a gated build waits at most, so that a test that never opens the gate
#: cannot hang the run (each test's fixture opens it as the test ends). Long enough
#: that a busy machine does not open it before the test has seen what it waits for.
GATE_LIMIT = 120.0


class Gate:
    """Builds the real projection, but only after ``release`` (or ``GATE_LIMIT``)."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.rebuilt = threading.Event()
        #: Set once a build has reported its stage and waits at the gate.
        self.reached = threading.Event()
        self.builds = 0

    def release(self) -> None:
        """Let the waiting and any later builds finish."""
        self.opened.set()

    def build(
        self, store: GraphStore, options: ProjectionOptions, report: Report
    ) -> nx.MultiDiGraph:
        """Report a stage half-way, wait at the gate, then project the store."""
        self.builds += 1
        if self.builds > 1:
            self.rebuilt.set()
        report("reading entities", 0.5)
        self.reached.set()
        self.opened.wait(GATE_LIMIT)
        return project(store, options)
