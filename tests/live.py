"""Real server processes on loopback ports, for tests that speak real HTTP.

The app is started exactly as users start it (``python -m civicgraph serve``) in a
child process, so these tests cover gunicorn, the worker setup and start-up loading.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

SRC = Path(__file__).resolve().parent.parent / "src"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_stats(group: int) -> list[list[str]]:
    """The ``/proc/PID/stat`` fields, from field 3 (state) on, of every process in a group.

    Field N of proc(5) is at index N - 3: utime 14 → 11, stime 15 → 12, rss 24 → 21.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            found.append(fields)
    return found


def group_rss(group: int) -> int:
    """Resident memory of every process in a process group together, bytes."""
    return sum(int(f[21]) for f in group_stats(group)) * os.sysconf("SC_PAGE_SIZE")


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers, failing early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            requests.get(url, timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):  # a restart may replay its log
            time.sleep(0.1)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


@dataclass
class LiveServer:
    """One ``civicgraph serve`` process on a free loopback port."""

    store: Path
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LiveServer":
        """Start the server and wait until it answers."""
        env = {**os.environ, "PYTHONPATH": str(SRC), **self.env}
        command = [sys.executable, "-m", "civicgraph", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--store", str(self.store), *self.args]
        # The log goes to a file, not a pipe: a pipe nobody reads fills up and blocks
        # the server the moment it logs a few tracebacks.
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=log, start_new_session=True
            )
        try:
            wait_until_up(self.url + "/", self.process)
        except Exception as exc:
            self.kill()  # a fixture that fails to start never stops what it started
            raise RuntimeError(f"{exc}; server log:\n{self.log_tail()}") from exc
        return self

    @property
    def log(self) -> Path:
        """The file that receives the server's output, beside its store."""
        return self.store.with_name(self.store.name + ".log")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server logged, for failure messages."""
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """Kill the whole process group at once (SIGKILL), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop gracefully, killing if the server does not stop in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class OxigraphServer:
    """One ``oxigraph serve`` process (the Rust server) on a free loopback port.

    It is started as deployments start it for civicgraph, with the union of all
    graphs as the default graph, so the remote store answers like the embedded one.
    """

    location: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def query_url(self) -> str:
        """The SPARQL query URL, which is what ``--store`` takes."""
        return f"http://127.0.0.1:{self.port}/query"

    def start(self) -> "OxigraphServer":
        """Start the server and wait until it answers."""
        binary = Path(sys.executable).with_name("oxigraph")
        command = [str(binary), "serve", "--location", str(self.location)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--union-default-graph"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_until_up(f"http://127.0.0.1:{self.port}/", self.process)
        return self

    def clear(self) -> None:
        """Remove every graph, so each test starts from an empty server."""
        response = requests.post(
            f"http://127.0.0.1:{self.port}/update",
            data="DROP SILENT ALL",
            headers={"Content-Type": "application/sparql-update"},
            timeout=10,
        )
        response.raise_for_status()

    def stop(self) -> None:
        """Stop the server."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
