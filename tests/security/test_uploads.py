"""Hostile graph uploads over HTTP: refused with 400 before parsing, store unchanged."""

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

