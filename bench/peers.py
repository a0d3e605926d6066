"""The systems measured side by side: civicgraph, ``oxigraph serve`` and rdflib-endpoint
over HTTP, and rdflib in this process.

Each peer loads the same N-Triples file (the servers with a store into the same named
graph; rdflib-endpoint parses it into its default graph at start) and answers the
same query text. Servers run as child processes on loopback ports in their own
process group, so their memory can be summed and they can be stopped as a whole.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import requests
from rdflib import Graph

from bench.mix import RDFLIB_FORMATS, SPARQL_JSON, Sending
from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore

GRAPH: Final = "https://w3id.org/civicgraph/graph/bench"
OXIGRAPH: Final = Path(sys.executable).with_name("oxigraph")
RDFLIB_ENDPOINT: Final = Path(sys.executable).with_name("rdflib-endpoint")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_memory(pgid: int) -> int:
    """Proportional set size (bytes) of every process in a group: shared pages once."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            rollup = (stat.parent / "smaps_rollup").read_text()
        except (OSError, IndexError):
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
    return total


def own_memory() -> int:
    """Resident memory of this process, bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class HttpPeer:
    """A SPARQL server child process answering queries at ``query_path``."""

    name: str
    command: list[str]
    query_path: str
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe: str, timeout: float = 120.0) -> float:
        """Start the server; returns seconds until ``probe`` was first answered."""
        started = time.perf_counter()
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                self.run(probe)
                return time.perf_counter() - started
            except requests.ConnectionError:
                time.sleep(0.02)
        raise TimeoutError(f"{self.name} did not answer within {timeout} s")

    def run(self, sparql: str, accept: str = SPARQL_JSON, sending: Sending = Sending.GET) -> int:
        """Run a query, sent as ``sending`` says, asking for ``accept``, and read the
        whole answer; returns its size in bytes."""
        url = self.base + self.query_path
        if sending is Sending.GET:
            return self.get(self.query_path, {"query": sparql}, accept)
        if sending is Sending.POST:
            response = self.session.post(
                url, data={"query": sparql}, headers={"Accept": accept}, timeout=120
            )
        else:
            closing = {"Accept": accept, "Connection": "close"}
            response = requests.get(url, params={"query": sparql}, headers=closing, timeout=120)
        response.raise_for_status()
        return len(response.content)

    def get(self, path: str, params: dict[str, str], accept: str = SPARQL_JSON) -> int:
        """GET a path and read the whole answer; any HTTP error is raised."""
        response = self.session.get(
            self.base + path, params=params, headers={"Accept": accept}, timeout=120
        )
        response.raise_for_status()
        return len(response.content)

    def wait_until_prepared(self, path: str, limit: float = 900.0, settled: int = 20) -> float:
        """Poll ``path`` until ``settled`` answers in a row are not 503; seconds waited.

        The network explorer prepares its projection in the background and answers
        503 meanwhile; each serving process prepares its own on first ask, and a new
        connection may reach any of them, so one ready answer is not enough.
        """
        started, ready = time.perf_counter(), 0
        while time.perf_counter() - started < limit:
            response = self.session.get(
                self.base + path, headers={"Accept": SPARQL_JSON}, timeout=120
            )
            if response.status_code != 503:
                response.raise_for_status()
                ready += 1
                if ready >= settled:
                    return time.perf_counter() - started
                continue
            ready = 0
            time.sleep(float(response.headers.get("Retry-After", "1")))
        raise TimeoutError(f"{self.name} did not prepare {path} within {limit} s")

    def memory(self) -> int:
        """Memory of the server's whole process group."""
        return group_memory(self.process.pid) if self.process else 0

    def stop(self) -> None:
        """Stop the server's process group."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
        self.session.close()


def civicgraph_server(store: Path) -> HttpPeer:
    """``civicgraph serve`` over an already loaded store, as users run it."""
    command = [sys.executable, "-m", "civicgraph", "serve", "--host", "127.0.0.1"]
    command += ["--port", "{port}", "--store", str(store)]
    env = {
        "CIVICGRAPH_LOAD_BUNDLED": "false",
        "CIVICGRAPH_ROW_CAP": "1000000",
        "CIVICGRAPH_QUERY_TIMEOUT": "120",
    }
    return HttpPeer("civicgraph", command, "/sparql", env)


def oxigraph_server(location: Path) -> HttpPeer:
    """``oxigraph serve`` with the union default graph, as civicgraph's remote setup."""
    command = [str(OXIGRAPH), "serve", "--location", str(location)]
    command += ["--bind", "127.0.0.1:{port}", "--union-default-graph"]
    return HttpPeer("oxigraph", command, "/query")


def rdflib_endpoint_server(data: Path) -> HttpPeer:
    """rdflib-endpoint (FastAPI and rdflib), which parses the file when it starts."""
    command = [str(RDFLIB_ENDPOINT), "serve", str(data), "--host", "127.0.0.1"]
    command += ["--port", "{port}"]
    return HttpPeer("rdflib-endpoint", command, "/")


def load_civicgraph(data: Path, store: Path) -> float:
    """Load through civicgraph's own loader (atomic, bulk for big files); seconds."""
    started = time.perf_counter()
    opened = EmbeddedStore(store)
    opened.load(data, by_name("ntriples"), GRAPH)
    opened.flush()
    opened.close()
    return time.perf_counter() - started


def load_civicgraph_cli(data: Path, store: Path) -> float:
    """``civicgraph load`` end to end, as users run it: default flags, so the version log
    beside the store is written and the validation summary printed; seconds."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "civicgraph", "load", "--store", str(store)]
    subprocess.run(
        [*command, "--graph", GRAPH, str(data)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def load_oxigraph(data: Path, location: Path) -> float:
    """Load with ``oxigraph load`` (its bulk loader); seconds."""
    started = time.perf_counter()
    subprocess.run(
        [str(OXIGRAPH), "load", "--location", str(location), "--file", str(data), "--graph", GRAPH],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


class RdflibPeer:
    """rdflib's in-memory graph and its own SPARQL engine, in this process."""

    name = "rdflib"

    def __init__(self) -> None:
        self.graph = Graph()
        self.bytes = 0

    def load(self, data: Path) -> float:
        """Parse the file; seconds. Memory is measured as this process's growth."""
        before = own_memory()
        started = time.perf_counter()
        self.graph.parse(data, format="nt")
        elapsed = time.perf_counter() - started
        self.bytes = own_memory() - before
        return elapsed

    def run(self, sparql: str, accept: str = SPARQL_JSON, sending: Sending = Sending.GET) -> int:
        """Evaluate and serialize the answer as a SPARQL endpoint built on rdflib would
        (in process, so the way a query is sent does not apply)."""
        result = self.graph.query(sparql)
        return len(result.serialize(format=RDFLIB_FORMATS[accept]) or b"")
