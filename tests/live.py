"""Real server processes on loopback ports, for tests that speak real HTTP.

The app is started exactly as users start it (``python -m civicgraph serve``) in a
child process, so these tests cover gunicorn, the worker setup and start-up loading.
"""

import atexit
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import requests
from pyoxigraph import QuerySolutions, Store
from requests.auth import HTTPDigestAuth

from civicgraph.config import VIRTUOSO_SYSTEM_GRAPHS, from_env
from civicgraph.dataset.versions import log_for
from civicgraph.errors import UserInputError
from civicgraph.network.shared import folder_beside

SRC = Path(__file__).resolve().parent.parent / "src"
#: Seconds a request waits for the network to be built before it is told to come
#: back. A researcher gets a progress page after the default 2 s; a test that is
#: not about that page wants the answer, however busy the machine.
NETWORK_WAIT = 60.0
_PATIENT = {"CIVICGRAPH_NETWORK_WAIT": str(NETWORK_WAIT)}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_stats(group: int) -> dict[int, list[str]]:
    """The ``/proc/PID/stat`` fields, from field 3 (state) on, of every process in a
    group, by process id.

    Field N of proc(5) is at index N - 3: utime 14 → 11, stime 15 → 12, nice 19 → 16,
    rss 24 → 21.
    """
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            found[int(entry.name)] = fields
    return found


def group_cpu_seconds(group: int) -> float:
    """CPU time used so far by every process in a process group (Linux ``/proc``)."""
    ticks = sum(int(f[11]) + int(f[12]) for f in group_stats(group).values())
    return ticks / os.sysconf("SC_CLK_TCK")


def quiet_windows(group: int, *, window: float, busy: float, most: int) -> list[float]:
    """CPU seconds a process group used in each ``window`` of seconds, until one used
    less than ``busy`` (or ``most`` windows passed): the last is the quiet one.

    A busy machine delays work; a test waits for it to end instead of guessing a sleep.
    """
    used: list[float] = []
    while len(used) < most and (not used or used[-1] >= busy):
        before = group_cpu_seconds(group)
        time.sleep(window)
        used.append(group_cpu_seconds(group) - before)
    return used


def group_rss(group: int) -> int:
    """Resident memory of every process in a process group together, bytes."""
    return sum(int(f[21]) for f in group_stats(group).values()) * os.sysconf("SC_PAGE_SIZE")


def counting(size: int) -> str:
    """A query that counts ``size`` cubed rows: its time grows with ``size`` alone."""
    values = " ".join(map(str, range(size)))
    joined = " ".join(f"VALUES ?{name} {{ {values} }}" for name in "abc")
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ {joined} }}"


def sized_for(seconds: float) -> int:
    """The ``counting`` size that takes about ``seconds`` on this machine now."""
    started = time.perf_counter()
    solutions = Store().query(counting(150))
    assert isinstance(solutions, QuerySolutions)
    list(solutions)
    return int(150 * (seconds / (time.perf_counter() - started)) ** (1 / 3))


def _children(server: "LiveServer") -> dict[int, bytes]:
    """A server's master's children, started by any of its threads: each one's id and
    command line."""
    assert server.process is not None
    tasks = Path(f"/proc/{server.process.pid}/task")
    children: list[str] = []
    for task in tasks.iterdir():
        with contextlib.suppress(FileNotFoundError):  # the thread has just ended
            children += (task / "children").read_text().split()
    found = {}
    for child in children:
        try:
            found[int(child)] = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:  # it has just exited
            continue
    return found


def serving_processes(server: "LiveServer") -> set[int]:
    """The ids of a server's serving processes: the master's children but the writer."""
    return {pid for pid, command in _children(server).items() if _WRITER not in command}


def evaluating_processes(server: "LiveServer") -> list[int]:
    """The ids of a server's serving processes and its writer: the master's children
    but multiprocessing's bookkeeping child, which evaluates nothing and parses nothing."""
    return [pid for pid, command in _children(server).items() if b"resource_tracker" not in command]


def writer_process(server: "LiveServer") -> int:
    """The id of a server's writer process."""
    (found,) = [pid for pid, command in _children(server).items() if _WRITER in command]
    return found


_WRITER = b"civicgraph.store.writer"


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
    #: A command the server runs under (``setpriv`` with fewer privileges, say).
    prefix: tuple[str, ...] = ()
    #: Load the bundled data into a new store itself, rather than start from a copy of
    #: a store a server loaded it into (``_copy_loaded``).
    fresh: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LiveServer":
        """Start the server and wait until it answers."""
        env = {**os.environ, "PYTHONPATH": str(SRC), **_PATIENT, **self.env}
        store = self.env.get("CIVICGRAPH_STORE", str(self.store))  # a server's URL, or a folder
        places = None if self.fresh or self.args else _bundled_places(store, env)
        if places is not None:
            _copy_loaded(places)
        command = [*self.prefix, sys.executable, "-m", "civicgraph", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--store", store, *self.args]
        # The log goes to a file, not a pipe: a pipe nobody reads fills up and blocks
        # the server the moment it logs a few tracebacks.
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=log, start_new_session=True
            )
        try:
            # A stylesheet says a serving process answers; the home page's first
            # rendering (half a second of CPU) is left to the tests that ask for it.
            wait_until_up(self.url + "/static/civicgraph.css", self.process)
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
            try:  # past gunicorn's own graceful wait, so that a busy machine still ends cleanly
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _bundled_places(store: str, env: Mapping[str, str]) -> tuple[Path, ...] | None:
    """Where a server started with ``env`` over ``store`` would keep the bundled data
    it loads into a new folder: the store, its version log and its network, each where
    the server puts it by default. None if it would not (a remote store, the data not
    loaded, a log kept elsewhere or none, settings it refuses, a folder not new)."""
    try:
        settings = replace(from_env(env), store=store)
    except UserInputError:
        return None
    log = log_for(settings)
    if settings.is_remote or not settings.load_bundled or settings.versions or log is None:
        return None
    places = (Path(store), log.folder, folder_beside(Path(store)))
    return None if any(place.exists() for place in places) else places


@functools.cache
def _loaded() -> tuple[Path, ...]:
    """The places of a store a server loaded the bundled data into, the server stopped
    after building its network; made once per test process, removed as it exits."""
    folder = Path(tempfile.mkdtemp(prefix="civicgraph-loaded-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    places = _bundled_places(str(folder / "store"), {})
    assert places is not None
    server = LiveServer(places[0], fresh=True).start()
    try:
        requests.get(f"{server.url}/api/graph", timeout=NETWORK_WAIT).raise_for_status()
    finally:
        server.stop()
    return places


def _copy_loaded(places: tuple[Path, ...]) -> None:
    """Copy ``_loaded()`` into ``places``: the server finds the bundled data loaded and
    unchanged, and its network built, and starts in two thirds of the time (the load
    and its checks are about 1.7 s of CPU of a 5 s start). The first load is still
    each test process's first server's, and every ``fresh`` one's."""
    places[0].parent.mkdir(parents=True, exist_ok=True)
    for template, place in zip(_loaded(), places, strict=True):
        if template.exists():
            shutil.copytree(template, place)


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


#: The ``dba`` password the test Virtuoso is given at its first start.
VIRTUOSO_PASSWORD = "civicgraph-test"
_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
TransactionFile = {db}/virtuoso.trx
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DirsAllowed = {db}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
[SPARQL]
"""


@dataclass
class VirtuosoServer:
    """One Virtuoso 7 (Debian's ``virtuoso-t``) on free loopback ports.

    It runs from a scratch directory and its own minimal ``virtuoso.ini``, written
    here; nothing else is needed. ``dba`` is given ``VIRTUOSO_PASSWORD`` at the first
    start; dba holds the SPARQL update rights the ``-auth`` endpoints use. The SQL
    port is used only to set that password.
    """

    directory: Path
    buffers: int | None = None  # page buffers of 8 KiB; Virtuoso's default is 2,000
    #: The ``[SPARQL]`` section: its own row cap and time limit (seconds).
    sparql: Mapping[str, int] = field(
        default_factory=lambda: {"ResultSetMaxRows": 10_000_000, "MaxQueryExecutionTime": 0}
    )
    http_port: int = field(default_factory=free_port)
    sql_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """The HTTP base URL."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        """The public, read-only SPARQL endpoint: what ``--store`` takes."""
        return f"{self.base}/sparql"

    @property
    def env(self) -> dict[str, str]:
        """The settings a civicgraph process needs to read and write this server."""
        return {
            "CIVICGRAPH_STORE": self.query_url,
            "CIVICGRAPH_STORE_UPDATE_URL": f"{self.base}/sparql-auth",
            "CIVICGRAPH_STORE_GSP_URL": f"{self.base}/sparql-graph-crud-auth",
            "CIVICGRAPH_STORE_USER": "dba",
            "CIVICGRAPH_STORE_PASSWORD": VIRTUOSO_PASSWORD,
            "CIVICGRAPH_STORE_AUTH": "digest",
        }

    def start(self) -> "VirtuosoServer":
        """Start (or restart on the same database) and wait until SPARQL answers."""
        self.directory = self.directory.resolve()  # the server runs inside it
        fresh = not (self.directory / "virtuoso.db").exists()
        self.directory.mkdir(parents=True, exist_ok=True)
        ini = self.directory / "virtuoso.ini"
        text = _VIRTUOSO_INI.format(
            db=self.directory, sql_port=self.sql_port, http_port=self.http_port
        )
        text += "".join(f"{key} = {value}\n" for key, value in self.sparql.items())
        if self.buffers:
            tuning = (
                f"NumberOfBuffers = {self.buffers}\nMaxDirtyBuffers = {self.buffers * 3 // 4}\n"
            )
            text = text.replace("[HTTPServer]", tuning + "[HTTPServer]")
        ini.write_text(text)
        command = ["virtuoso-t", "+foreground", "+configfile", str(ini)]
        with (self.directory / "stdout.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.directory, stdout=log, stderr=log, start_new_session=True
            )
        try:
            wait_until_up(f"{self.query_url}?query=ASK%7B%7D", self.process, timeout=120)
            if fresh:
                self._sql(f"USER_SET_PASSWORD('dba', '{VIRTUOSO_PASSWORD}');", "dba")
        except Exception:
            self.kill()
            raise
        return self

    def _sql(self, statement: str, password: str) -> None:
        command = ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", password]
        subprocess.run([*command, f"exec={statement}"], check=True, capture_output=True)

    def graphs(self) -> dict[str, int]:
        """Every graph the server holds, its own included, with its triple count."""
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        response = requests.post(
            self.query_url,
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        response.raise_for_status()
        rows = response.json()["results"]["bindings"]
        return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}

    def clear(self) -> None:
        """Drop every graph but the server's own, so each test starts from empty."""
        system = set(VIRTUOSO_SYSTEM_GRAPHS)
        drops = [f"DROP SILENT GRAPH <{g}>" for g in self.graphs() if g not in system]
        if drops:
            response = requests.post(
                f"{self.base}/sparql-auth",
                data=" ;\n".join(drops).encode(),
                headers={"Content-Type": "application/sparql-update"},
                auth=HTTPDigestAuth("dba", VIRTUOSO_PASSWORD),
                timeout=60,
            )
            response.raise_for_status()

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would stop it."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop gracefully (Virtuoso checkpoints on SIGTERM), killing if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
