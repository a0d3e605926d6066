"""Requests a client shapes oddly on purpose: a clear 4xx or the page, never a 500."""

import pytest
from flask.testing import FlaskClient

from tests.live import LiveServer
from tests.security.rawhttp import send


@pytest.mark.parametrize(
    "path",
    [
        "/browse/Person?name=x&endpoint=x&_method=x&_anchor=x&_external=1",
        "/graph?endpoint=x&_method=x&_scheme=x&_anchor=x",
    ],
)
def test_parameters_named_like_url_for_arguments_are_read_as_parameters(
    secure_client: FlaskClient, path: str
) -> None:
    """They reached ``url_for`` as its own arguments: a 500, or links built absolute
    from the client's Host header (``_external``)."""
    answer = secure_client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 200
    assert 'href="http' not in answer.get_data(as_text=True).split("<main", 1)[-1]


@pytest.mark.server
@pytest.mark.parametrize("path", ["/sparql", "/cite", "/.well-known/void", "/store/x"])
def test_a_host_that_is_no_host_name_is_400(live_server: LiveServer, path: str) -> None:
    """Every page that names its own address failed on it with a 500 (werkzeug reads the
    Host header's labels as punycode, and ``xn--`` is an empty one)."""
    lines = [f"GET {path} HTTP/1.1", "Host: xn--", "Accept: application/json", "Connection: close"]
    answer = send(live_server.port, ("\r\n".join(lines) + "\r\n\r\n").encode())
    assert answer.status == 400, answer
    assert "Host header" in answer.json()["detail"]
