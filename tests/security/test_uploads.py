"""Hostile graph uploads over HTTP: refused with 400 before parsing, store unchanged."""

import io

import pytest
from flask.testing import FlaskClient

from tests.security.conftest import AUTH
from tests.security.hostile import billion_laughs, deep_json_ld
from tests.security.snapshots import snapshot

GRAPH = "/store?graph=http://example.org/upload"


@pytest.mark.parametrize(
    ("body", "media_type"),
    [
        (billion_laughs(), "application/rdf+xml"),
        (deep_json_ld(5000), "application/ld+json"),
    ],
    ids=["billion-laughs", "deep-json-ld"],
)
def test_hostile_upload_is_400_and_changes_nothing(
    secure_client: FlaskClient, body: bytes, media_type: str
) -> None:
    before = snapshot(secure_client)
    response = secure_client.put(GRAPH, data=body, headers={**AUTH, "Content-Type": media_type})
    assert response.status_code == 400
    assert response.get_json()["error"] == "Unsafe document"
    assert snapshot(secure_client) == before


def test_hostile_part_of_a_multipart_upload_is_refused(secure_client: FlaskClient) -> None:
    before = snapshot(secure_client)
    files = {
        "good": (io.BytesIO(b"<http://example.org/a> <http://example.org/b> 1 ."), "a.ttl"),
        "bad": (io.BytesIO(deep_json_ld(5000)), "b.jsonld"),
    }
    response = secure_client.post(GRAPH, data=files, headers=AUTH)
    assert response.status_code == 400
    assert snapshot(secure_client) == before


def test_parts_sharing_a_field_name_are_each_read(secure_client: FlaskClient) -> None:
    """``curl -F file=@a.ttl -F file=@b.ttl``: a broken second part refuses the whole."""
    before = snapshot(secure_client)
    good = (io.BytesIO(b"<http://example.org/a> <http://example.org/b> 1 ."), "a.ttl")
    broken = (io.BytesIO(b"<http://example.org/a> <http://example.org/b> oops"), "b.ttl")
    response = secure_client.post(GRAPH, data={"file": [good, broken]}, headers=AUTH)
    assert response.status_code == 400
    assert snapshot(secure_client) == before
    first = (io.BytesIO(b"<http://example.org/a> <http://example.org/b> 1 ."), "a.ttl")
    second = (io.BytesIO(b"<http://example.org/a> <http://example.org/b> 2 ."), "b.ttl")
    assert secure_client.post(GRAPH, data={"file": [first, second]}, headers=AUTH).status_code in (
        200,
        201,
        204,
    )
    stored = secure_client.get(GRAPH, headers={"Accept": "application/n-triples"}).get_data()
    assert stored.count(b"<http://example.org/b>") == 2


@pytest.mark.parametrize("method", ["put", "post", "delete"])
def test_a_staging_graph_is_refused_by_name(secure_client: FlaskClient, method: str) -> None:
    """The server's own graphs of uploads on their way into place, and of its writes'
    records: written by name, an upload vanished at the next start (answered 201)."""
    before = snapshot(secure_client)
    response = getattr(secure_client, method)(
        "/store?graph=urn:civicgraph:staging:written",
        data=b"<http://example.org/a> <http://example.org/b> 1 .",
        headers={**AUTH, "Content-Type": "text/turtle"},
    )
    assert response.status_code == 400
    assert "the server's own" in response.get_json()["detail"]
    assert snapshot(secure_client) == before
