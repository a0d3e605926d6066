"""Cross-site writes are impossible, and the write token is compared in constant time.

The web UI has no form that writes; writes need the bearer token in a header, which a
page on another origin can send only after a CORS preflight, and no preflight of a
write is ever allowed.
"""

import hmac
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.security.conftest import AUTH, TOKEN
from tests.security.snapshots import snapshot

EVIL = "https://evil.example"
WRITES = [("/update", "POST"), ("/store?default", "PUT"), ("/store?default", "POST")]
WRITES += [("/store?graph=http://example.org/g", "DELETE"), ("/store/some/graph", "PUT")]
_FORM = re.compile(r"<form\b[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize(("path", "method"), WRITES)
def test_no_preflight_of_a_write_is_allowed(
    secure_client: FlaskClient, path: str, method: str
) -> None:
    response = secure_client.options(
        path,
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    allowed = response.headers.get("Access-Control-Allow-Methods", "")
    assert method not in allowed
    assert "authorization" not in response.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("path", ["/store?default", "/store/some/graph", "/sparql"])
def test_a_preflight_of_a_read_is_allowed(secure_client: FlaskClient, path: str) -> None:
    response = secure_client.options(
        path, headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    ("path", "method", "content_type", "body"),
    [
        ("/update", "POST", "application/x-www-form-urlencoded", b"update=CLEAR+ALL"),
        ("/store?default", "POST", "text/plain", b"<http://a.example/> <http://b.example/> 1 ."),
        ("/store?default", "PUT", "multipart/form-data; boundary=x", b"--x--"),
    ],
    ids=["form-update", "text-upload", "multipart-upload"],
)
def test_what_a_cross_site_form_can_send_is_401_and_writes_nothing(
    secure_client: FlaskClient, path: str, method: str, content_type: str, body: bytes
) -> None:
    before = snapshot(secure_client)
    secure_client.set_cookie("session", "stolen", domain="localhost")
    response = secure_client.open(
        path,
        method=method,
        data=body,
        headers={"Origin": EVIL, "Content-Type": content_type, "Accept": "application/json"},
    )
    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response.headers
    assert snapshot(secure_client) == before


def test_no_page_has_a_form_that_writes(secure_app: Flask, secure_client: FlaskClient) -> None:
    forms = []
    for rule in secure_app.url_map.iter_rules():
        if "GET" in (rule.methods or set()) and not rule.arguments:
            with secure_client.get(rule.rule, headers={"Accept": "text/html"}) as response:
                if response.mimetype == "text/html":
                    forms += _FORM.findall(response.get_data(as_text=True))
    posting = [f for f in forms if re.search(r"method=.?post", f, re.IGNORECASE)]
    assert [f for f in posting if re.search(r"/(update|store)\b", f)] == []


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every call of ``hmac.compare_digest`` during the test, still answered by the real one."""
    calls: list[tuple[bytes, bytes]] = []
    real: Callable[[bytes, bytes], bool] = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    return calls


def test_token_is_compared_in_constant_time(
    secure_client: FlaskClient, comparisons: list[tuple[bytes, bytes]]
) -> None:
    guesses = [TOKEN[:-1], TOKEN + "x", TOKEN.upper(), "x" + TOKEN[1:], TOKEN[:1], "é" * 8]
    answers = set()
    for guess in guesses:
        response = secure_client.post(
            "/update",
            data="CLEAR ALL",
            headers={
                "Authorization": f"Bearer {guess}",
                "Content-Type": "application/sparql-update",
            },
        )
        answers.add((response.status_code, response.get_data()))
    assert len(answers) == 1
    assert next(iter(answers))[0] == 401
    assert [a for a, _ in comparisons] == [g.encode() for g in guesses]
    assert {b for _, b in comparisons} == {TOKEN.encode()}


def test_the_right_token_writes(secure_client: FlaskClient) -> None:
    response = secure_client.post(
        "/update",
        data="INSERT DATA { <http://example.org/t> <http://example.org/ok> 1 }",
        headers={**AUTH, "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 204
