"""An upload is read within the serving process's limits, and written in one write.

A JSON-LD document is parsed in the serving process before it is sent to the writer
(to refuse one that puts triples in other graphs), and pyoxigraph's parser holds every
quad of it in memory: a 60 MB array of numbers asked for gigabytes and ended the
process without an answer. The parse runs within the process's memory budget, which
stops it with a 503.

The parts of a multipart upload were each a write of their own into a staging graph,
then one more moved it into place: an update over ``GRAPH ?g`` sent meanwhile
removed the parts written so far, and the graph got 350 of 400 parts; and each part
had the write time limit to itself (2,000 tiny parts took 106 s). They are one write.
"""

import threading
import time
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
    detail = answer.json()["detail"]
    assert "Reading the upload needed more than the 128 MiB memory budget" in detail
    assert "nothing of it was written" in detail
    assert not _asks(server)  # nothing written, and the server answers on


def _multipart(parts: list[bytes]) -> tuple[bytes, dict[str, str]]:
    """A body of N-Triples parts, each told by its file name (``.nt``)."""
    boundary = "pArTs0f0ne"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="p.nt"\r\n\r\n'
    body = b"".join(head.encode() + part + b"\r\n" for part in parts)
    headers = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    return body + f"--{boundary}--\r\n".encode(), headers


def _count(server: LiveServer, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    answer = requests.get(f"{server.url}/sparql", params={"query": query}, timeout=30)
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_an_update_sent_during_a_multipart_upload_sees_all_of_it_or_none(
    guarded_server: LiveServer,
) -> None:
    graph, mark = "urn:example:parts", "urn:example:part-mark"
    body, headers = _multipart([f"<urn:s{i}> <{mark}> <urn:o> .".encode() for i in range(400)])
    answers: list[requests.Response] = []

    def upload() -> None:
        url = f"{guarded_server.url}/store"
        answers.append(
            requests.put(url, params={"graph": graph}, data=body, headers=headers, timeout=60)
        )

    uploading = threading.Thread(target=upload)
    uploading.start()
    time.sleep(0.2)
    update = f"DELETE WHERE {{ GRAPH ?g {{ ?s <{mark}> ?o }} }}"
    update_headers = {**AUTH, "Content-Type": "application/sparql-update"}
    removed = requests.post(
        f"{guarded_server.url}/update", data=update, headers=update_headers, timeout=60
    )
    uploading.join()

    assert removed.status_code == 204
    assert answers[0].status_code in (201, 204)
    assert _count(guarded_server, graph) in (0, 400)


def test_a_multipart_body_of_too_many_parts_is_refused(guarded_server: LiveServer) -> None:
    body, headers = _multipart([b""] * 1_001)
    answer = requests.put(
        f"{guarded_server.url}/store",
        params={"graph": "urn:example:many"},
        data=body,
        headers=headers,
        timeout=60,
    )
    assert answer.status_code == 400
    assert "more than 1,000 parts" in answer.json()["detail"]
