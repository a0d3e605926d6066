"""A page's address answers its JSON twin to a client that asks for JSON."""

import pytest
import requests

from tests.live import LiveServer

PAGES = ["/", "/search?q=code", "/browse/Person", "/gallery", "/versions"]
JSON = {"Accept": "application/json"}


@pytest.mark.server
@pytest.mark.parametrize("path", PAGES)
def test_a_page_answers_json_when_asked_and_html_otherwise(
    live_server: LiveServer, path: str
) -> None:
    asked = requests.get(live_server.url + path, headers=JSON, timeout=30)
    assert asked.headers["Content-Type"].startswith("application/json")
    assert asked.json()
    assert "Accept" in asked.headers["Vary"]
    joiner = "&" if "?" in path else "?"
    named = requests.get(f"{live_server.url}{path}{joiner}format=json", timeout=30)
    assert named.json() == asked.json()
    page = requests.get(live_server.url + path, timeout=30)  # */*: the page
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Accept" in page.headers["Vary"]


@pytest.mark.server
@pytest.mark.parametrize(
    ("suffix", "headers"),
    [(".json", {}), ("", JSON), ("?format=json", {})],
    ids=["suffix", "accept", "format"],
)
def test_an_entity_asked_for_json_answers_its_json_ld(
    live_server: LiveServer, suffix: str, headers: dict[str, str]
) -> None:
    answer = requests.get(
        f"{live_server.url}/id/org/code-for-america{suffix}", headers=headers, timeout=30
    )
    assert answer.headers["Content-Type"].startswith("application/ld+json")
    assert "Code for America" in answer.text


@pytest.mark.server
@pytest.mark.parametrize("path", ["/browse/Nope", "/id/person/nobody-xyz", "/id/nokind/x"])
def test_an_error_at_an_address_asked_for_json_is_json(live_server: LiveServer, path: str) -> None:
    answer = requests.get(f"{live_server.url}{path}?format=json", timeout=30)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/json")
    page = requests.get(live_server.url + path, headers={"Accept": "text/html"}, timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Accept" in page.headers["Vary"]
