"""Every response carries the security headers: pages, data, errors, static files."""

import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.live import LiveServer

#: Values for URL parameters, so that parameterized routes answer real pages.
SAMPLE_ARGUMENTS = {
    "kind": "org",
    "slug": "18f",
    "filename": "civicgraph.css",
    "number": "1",
    "older": "0",
    "newer": "1",
}


def _problems(path: str, headers: dict[str, str]) -> list[str]:
    policy = headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    found = []
    if directives.get("frame-ancestors") != ["'none'"]:
        found.append(f"{path}: no frame-ancestors 'none' in {policy!r}")
    if directives.get("script-src") != ["'self'"]:
        found.append(f"{path}: script-src is not exactly 'self' in {policy!r}")
    if directives.get("object-src") != ["'none'"]:
        found.append(f"{path}: object-src is not 'none'")
    if headers.get("X-Content-Type-Options") != "nosniff":
        found.append(f"{path}: no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy") not in {"same-origin", "no-referrer", "strict-origin"}:
        found.append(f"{path}: Referrer-Policy {headers.get('Referrer-Policy')!r}")
    return found


def _paths(app: Flask) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()):
            values = {name: SAMPLE_ARGUMENTS.get(name, "x") for name in rule.arguments}
            paths.append(rule.build(values, append_unknown=False)[1])
    return [*paths, "/no-such-page", "/static/no-such-file.js", "/sparql?query=SELECT"]


def _headers(response: TestResponse) -> dict[str, str]:
    return dict(response.headers)


def test_every_route_and_error_carries_the_security_headers(
    secure_app: Flask, secure_client: FlaskClient
) -> None:
    problems = []
    for path in _paths(secure_app):
        for accept in ("text/html", "application/json"):
            with secure_client.get(path, headers={"Accept": accept}) as response:
                where = f"{path} ({accept}, {response.status_code})"
                problems += _problems(where, _headers(response))
    assert problems == []


def test_the_served_app_sends_them_too(live_server: LiveServer) -> None:
    problems = []
    for path in ("/", "/sparql?query=ASK{}", "/no-such-page"):
        response = requests.get(live_server.url + path, timeout=10)
        problems += _problems(path, dict(response.headers))
    assert problems == []
