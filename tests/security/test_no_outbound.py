"""No route makes the server connect anywhere, whatever the SPARQL text says.

A real listener on 127.0.0.1 records every connection it receives, and a real
``civicgraph serve`` gets queries and updates that name it through ``SERVICE`` or
``LOAD``, spelled so that a lexer which ends a prefixed name at a ``PN_LOCAL_ESC``
backslash (``ex:a\\#``, ``ex:a\\'``) would read the rest as a comment or a string.
pyoxigraph would run every one of them. Each attempt must be refused (400/403), and
the listener must see nothing.
"""

import time
from collections.abc import Callable, Iterator

import pytest
import requests
from pyoxigraph import Store

from tests.live import LiveServer
from tests.security.conftest import AUTH, TOKEN
from tests.security.listener import Listener

pytestmark = pytest.mark.server

PREFIX = "PREFIX ex: <http://example.org/> "
#: Prefixed names ending in a ``PN_LOCAL_ESC`` that opens a comment or a string in a
#: lexer that stops the name at the backslash, each with the name (or nothing) that
#: closes what it opened, so that the text stays valid SPARQL for the real grammar.
HIDING = [
    ("ex:a\\#", ""),
    ("ex:a\\'", "ex:b\\'"),
    ("ex:a\\~\\'", "ex:b\\'"),
    ("ex:a\\/\\#", ""),
    ("ex:a\\-\\#", ""),
    ("ex:a\\.\\#", ""),
    ("ex:a%23\\#", ""),
    ("ex:\\#", ""),
    ("ex:a\\'\\'\\'", "ex:b\\'\\'\\'"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A writable server over an on-disk store with a little data."""
    env = {"CIVICGRAPH_WRITE_TOKEN": TOKEN, "CIVICGRAPH_LOAD_BUNDLED": "false"}
    started = LiveServer(tmp_path_factory.mktemp("outbound") / "store", env).start()
    data = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> ."
    requests.put(
        f"{started.url}/store?default",
        data=data,
        headers={**AUTH, "Content-Type": "application/n-triples"},
        timeout=10,
    ).raise_for_status()
    yield started
    started.stop()


def hidden_service(port: int, opener: str, closer: str, form: str = "SELECT *") -> str:
    """A query whose ``SERVICE`` sits behind ``opener`` on the same line.

    ``VALUES`` gives one row, so the ``SERVICE`` that follows is really evaluated.
    """
    target = f"SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }}"
    closing = f" VALUES ?closed {{ {closer} }}" if closer else ""
    return f"{PREFIX}{form} {{ VALUES ?hidden {{ {opener} }} {target}{closing} }}"


def hidden_load(port: int, opener: str, closer: str) -> str:
    """An update whose ``LOAD`` sits behind ``opener`` on the same line."""
    first = f"INSERT DATA {{ ex:s ex:p {opener} }}"
    closing = f" ; INSERT DATA {{ ex:s ex:p {closer} }}" if closer else ""
    return f"{PREFIX}{first} ; LOAD <http://127.0.0.1:{port}/data.ttl>{closing}"


Send = Callable[[LiveServer, str], requests.Response]


def _get(server: LiveServer, text: str) -> requests.Response:
    return requests.get(f"{server.url}/sparql", params={"query": text}, timeout=30)


def _form(server: LiveServer, text: str) -> requests.Response:
    return requests.post(f"{server.url}/sparql", data={"query": text}, timeout=30)


def _direct(server: LiveServer, text: str) -> requests.Response:
    headers = {"Content-Type": "application/sparql-query"}
    return requests.post(f"{server.url}/sparql", data=text.encode(), headers=headers, timeout=30)


def _graph(server: LiveServer, text: str) -> requests.Response:
    return requests.get(f"{server.url}/api/graph", params={"query": text}, timeout=30)


QUERY_ROUTES: dict[str, Send] = {"get": _get, "form": _form, "direct": _direct}


def _assert_refused(response: requests.Response, listener: Listener) -> None:
    assert response.status_code in (400, 403), response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    time.sleep(0.05)
    assert listener.seen == []


@pytest.mark.parametrize(("opener", "closer"), HIDING)
@pytest.mark.parametrize("route", QUERY_ROUTES)
def test_a_hidden_service_is_refused_on_sparql(
    server: LiveServer, listener: Listener, route: str, opener: str, closer: str
) -> None:
    response = QUERY_ROUTES[route](server, hidden_service(listener.port, opener, closer))
    _assert_refused(response, listener)


@pytest.mark.parametrize(("opener", "closer"), HIDING)
def test_a_hidden_service_is_refused_on_the_network_api(
    server: LiveServer, listener: Listener, opener: str, closer: str
) -> None:
    text = hidden_service(listener.port, opener, closer, form="CONSTRUCT { ?s ?p ?o } WHERE")
    _assert_refused(_graph(server, text), listener)


@pytest.mark.parametrize(("opener", "closer"), HIDING)
@pytest.mark.parametrize("how", ["form", "direct"])
def test_a_hidden_load_is_refused_on_update(
    server: LiveServer, listener: Listener, how: str, opener: str, closer: str
) -> None:
    text = hidden_load(listener.port, opener, closer)
    before = _count(server)
    if how == "form":
        response = requests.post(
            f"{server.url}/update", data={"update": text}, headers=AUTH, timeout=30
        )
    else:
        headers = {**AUTH, "Content-Type": "application/sparql-update"}
        response = requests.post(
            f"{server.url}/update", data=text.encode(), headers=headers, timeout=30
        )
    _assert_refused(response, listener)
    assert _count(server) == before


def _count(server: LiveServer) -> str:
    answer = _get(server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }").json()
    return str(answer["results"]["bindings"][0]["n"]["value"])


def test_the_hiding_texts_are_valid_sparql_for_the_real_grammar() -> None:
    """pyoxigraph parses every attack text: a refusal is not a syntax error's luck."""
    store = Store()
    for opener, closer in HIDING:
        store.query(hidden_service(9, opener, closer).replace("SERVICE", "GRAPH"))
        store.update(hidden_load(9, opener, closer).replace("LOAD", "CREATE SILENT GRAPH"))


def test_a_refusal_names_the_operation(server: LiveServer, listener: Listener) -> None:
    response = _get(server, hidden_service(listener.port, *HIDING[0]))
    assert "SERVICE" in response.json()["detail"]
