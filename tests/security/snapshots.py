"""What the store holds, read through the application, to show a refused write changed nothing."""

import hashlib

from flask.testing import FlaskClient

from civicgraph.store import GraphStore


def store_of(client: FlaskClient) -> GraphStore:
    """The store behind a test client's application."""
    store: GraphStore = client.application.extensions["civicgraph"].store
    return store


def snapshot(client: FlaskClient) -> tuple[str, tuple[tuple[str | None, int], ...]]:
    """A digest of every quad (N-Quads, in the store's order) and the graph counts."""
    response = client.get("/store", headers={"Accept": "application/n-quads"})
    assert response.status_code == 200
    graphs = tuple((g.iri, g.triples) for g in store_of(client).graphs())
    return hashlib.sha256(response.data).hexdigest(), graphs
