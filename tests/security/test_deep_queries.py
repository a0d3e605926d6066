"""Queries and updates that would overflow the engine's stack are refused, not crashed on.

pyoxigraph parses and plans recursively: a few thousand nested groups, or a path or a
group of about a thousand steps, ended the serving process (its client got no answer)
or the writer (every later write failed until a restart).
"""

import hashlib
from pathlib import Path

import pytest
import requests

from civicgraph.errors import QueryTooDeepError
from civicgraph.store.structure import KEYED_BY_TEXT, _key, check_structure
from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer

#: Each within the test server's 10,000-byte limit on a query.
DEEP_QUERY = "SELECT * " + "{" * 4000 + "}" * 4000
LONG_PATH = "PREFIX : <urn:> SELECT * { ?s " + "/".join([":p"] * 2000) + " ?o }"
#: A collection holds no bracket or operator between its items.
LONG_LIST = "SELECT * { ?s <urn:p> (" + " 1" * 4900 + ") }"
#: A relative IRI: the check must read the text against the same base as the engine.
RELATIVE = "SELECT * WHERE { <rel> <p> ?o . " + "{" * 4000 + "}" * 4000 + " }"
DEEP_UPDATE = "INSERT { <urn:a> <urn:b> <urn:c> } WHERE " + "{" * 5000 + "}" * 5000
AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}
#: Shallow but slow to plan (400 chained patterns, about 2 s), then a chain of VALUES
#: clauses whose overflow comes only after that planning: past a child that gave up
#: at a limit of its own, it crashed the serving process (73 KB, sent by POST).
_CHAIN = " ".join(f"?b{i} <urn:p> ?b{i + 1} ." for i in range(400))
SLOW_THEN_DEEP = (
    "SELECT * WHERE { { "
    + _CHAIN
    + " } { "
    + " ".join(f"VALUES ?v{i} {{ 1 }}" for i in range(3200))
    + " } }"
)


def test_a_deeply_nested_query_is_refused_and_the_server_goes_on(
    guarded_server: LiveServer,
) -> None:
    for text in (DEEP_QUERY, LONG_PATH, LONG_LIST, RELATIVE):
        answer = requests.post(
            f"{guarded_server.url}/sparql",
            data=text,
            headers={"Content-Type": "application/sparql-query"},
            timeout=60,
        )
        # Refused, or stopped at the time limit while the engine plans it in the check's
        # child (some shapes take seconds to plan before they would crash): answered.
        assert answer.status_code in (400, 503), answer.text
        assert answer.json()["error"] in ("Query too deeply structured", "Query time limit")
    cheap = requests.get(f"{guarded_server.url}/sparql", params={"query": "ASK {}"}, timeout=10)
    assert cheap.status_code == 200
    assert "SIGSEGV" not in guarded_server.log.read_text(errors="replace")


def test_a_deeply_nested_update_is_refused_and_the_writer_goes_on(
    writable_server: LiveServer,
) -> None:
    url = f"{writable_server.url}/update"
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    refused = requests.post(url, data=DEEP_UPDATE, headers=headers, timeout=60)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "Query too deeply structured"
    write = "INSERT DATA { GRAPH <https://example.org/deep> { <urn:a> <urn:b> <urn:c> } }"
    assert requests.post(url, data=write, headers=headers, timeout=30).status_code == 204


#: 1.3 GB to aggregate on an empty store (past the check's 1 GiB, within the writer's
#: budget), then the deep chain of ``VALUES`` clauses: the check ran the first
#: operation out of memory and let the update through, and the writer crashed on the
#: second (74 KB, a token holder's).
_HUNGRY = (
    "SELECT (COUNT(DISTINCT ?z) AS ?c) WHERE { VALUES ?x { "
    + " ".join(map(str, range(400)))
    + " } VALUES ?y { "
    + " ".join(map(str, range(400)))
    + ' } BIND(CONCAT(STR(?x), "-", STR(?y), "'
    + "a" * 8000
    + '") AS ?z) }'
)
_WRITER_STOPPED = "The writer process stopped"
HUNGRY_THEN_DEEP = (
    f"INSERT {{ <urn:a> <urn:b> ?c }} WHERE {{ {{ {_HUNGRY} }} }} ;\n"
    "INSERT { <urn:a> <urn:b> <urn:c> } WHERE { "
    + " ".join(f"VALUES ?v{i} {{ 1 }}" for i in range(3200))
    + " }"
)


def test_an_update_that_hides_a_deep_operation_behind_a_hungry_one_is_refused(
    writable_server: LiveServer,
) -> None:
    url = f"{writable_server.url}/update"
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    stops = writable_server.log.read_text(errors="replace").count(_WRITER_STOPPED)
    refused = requests.post(url, data=HUNGRY_THEN_DEEP, headers=headers, timeout=60)
    assert refused.status_code == 503, refused.text
    assert "its check may use" in refused.json()["detail"]
    write = "INSERT DATA { GRAPH <https://example.org/deep> { <urn:a> <urn:b> <urn:d> } }"
    assert requests.post(url, data=write, headers=headers, timeout=30).status_code == 204
    assert writable_server.log.read_text(errors="replace").count(_WRITER_STOPPED) == stops


def test_a_text_slow_to_plan_before_it_overflows_is_refused(tmp_path: Path) -> None:
    """Only a check whose child planned the text to its end lets it through."""
    env = {"CIVICGRAPH_LOAD_BUNDLED": "false", "CIVICGRAPH_QUERY_TIMEOUT": "30"}
    server = LiveServer(tmp_path / "store", env).start()
    try:
        answer = requests.post(
            f"{server.url}/sparql",
            data=SLOW_THEN_DEEP,
            headers={"Content-Type": "application/sparql-query"},
            timeout=60,
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "Query too deeply structured"
        assert "SIGSEGV" not in server.log.read_text(errors="replace")
    finally:
        server.stop()


def test_a_long_deep_text_is_refused_again_from_the_kept_verdict() -> None:
    """Texts past ``KEYED_BY_TEXT`` are kept by digest; the verdict still holds, and a
    text that spells that digest is a key of its own."""
    text = "SELECT * " + "{" * 6000 + "}" * 6000
    assert len(text) > KEYED_BY_TEXT
    for _ in range(2):
        with pytest.raises(QueryTooDeepError):
            check_structure(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert _key(digest, "query", "") != _key(text, "query", "")
