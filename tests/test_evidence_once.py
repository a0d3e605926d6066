"""A place in a source is cited once: a membership's several statements (member,
organization, role, as of) usually cite the same paragraph, and pages, the explorer and
its paths showed it once per statement."""

import requests

from civicgraph.readmodels.evidence import CitedSource, Confidence, Evidence, once_per_source
from tests.live import LiveServer

SOURCE = CitedSource("https://w3id.org/civicgraph/id/document/d", "A document")


def _evidence(statement: str, confidence: Confidence | None, location: str = "") -> Evidence:
    return Evidence(statement, (SOURCE,), location, confidence)


def test_one_record_per_place_the_surest_kept() -> None:
    found = (
        _evidence("s1", Confidence.MEDIUM),
        _evidence("s2", Confidence.HIGH),
        _evidence("s3", None),
        _evidence("s4", Confidence.LOW, "paragraph 2"),
    )
    assert [e.statement for e in once_per_source(found)] == ["s2", "s4"]


def test_a_path_through_a_membership_cites_each_place_once(live_server: LiveServer) -> None:
    path = requests.get(
        live_server.url + "/api/path",
        params={"from": "Jennifer Pahlka", "to": "Amanda Renteria"},
        timeout=30,
    ).json()
    membership = next(e for e in path["edges"] if e["label"] == "member of")
    places = [
        (tuple(s["iri"] for s in e["sources"]), e.get("location"), e.get("date"))
        for e in membership["evidence"]
    ]
    assert places
    assert len(places) == len(set(places))
