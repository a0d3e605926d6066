"""An upload is read within the serving process's limits, and written in one write.

A JSON-LD document is parsed in the serving process before it is sent to the writer
(to refuse one that puts triples in other graphs), and pyoxigraph's parser holds every
quad of it in memory: a 60 MB array of numbers asked for gigabytes and ended the
process without an answer. The parse runs within the process's memory budget, which
stops it with a 503.
"""

from collections.abc import Callable

import pytest
import requests

from tests.live import LiveServer
from tests.security.conftest import AUTH

TOKEN = AUTH["Authorization"].removeprefix("Bearer ")
GRAPH = "urn:example:numbers"
ASK = f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"


def _asks(server: LiveServer) -> bool:
    answer = requests.get(f"{server.url}/sparql", params={"query": ASK}, timeout=30)
    assert answer.status_code == 200
    return bool(answer.json()["boolean"])


@pytest.mark.timed
def test_a_json_ld_upload_whose_parse_passes_the_memory_budget_is_503_and_writes_nothing(
    start_server: Callable[..., LiveServer],
) -> None:
    env = {
        "CIVICGRAPH_WRITE_TOKEN": TOKEN,
        "CIVICGRAPH_MEMORY_BUDGET": str(128 * 1024 * 1024),
        "CIVICGRAPH_UPLOAD_LIMIT": str(8 * 1024 * 1024),
    }
    server = start_server(env=env)
    numbers = b",".join([b"0"] * 1_500_000)  # 3 MB: some 500 MB of quads when parsed
    body = b'{"@context": {}, "@id": "urn:x", "urn:p": [' + numbers + b"]}"
    headers = {**AUTH, "Content-Type": "application/ld+json"}

    answer = requests.put(
        f"{server.url}/store", params={"graph": GRAPH}, data=body, headers=headers, timeout=120
    )

    assert answer.status_code == 503
    assert "128 MiB memory budget" in answer.json()["detail"]
    assert not _asks(server)  # nothing written, and the server answers on
