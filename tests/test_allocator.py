"""Long-running commands start again on mimalloc where it is installed (the Makefile
installs Debian's ``libmimalloc2.0``), unless told to keep the system's allocator."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from civicgraph.allocator import SETTING, cached_name, find_library, preloaded_environ
from tests.live import LiveServer, group_rss, quiet_windows, serving_processes, writer_process

LIBRARY = "libmimalloc.so.2"
#: About 0.75 s over the bundled data, and about 100 MiB at its peak.
HEAVY = (
    "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?o ?o2 WHERE { ?s ?p ?o . "
    "?s2 <http://www.w3.org/2000/01/rdf-schema#label> ?o2 } }"
)


def test_the_library_is_preloaded_once() -> None:
    assert preloaded_environ({}, LIBRARY, "load") == {
        "LD_PRELOAD": LIBRARY,
        "MIMALLOC_LARGE_OS_PAGES": "1",
    }
    found = preloaded_environ({"LD_PRELOAD": "a.so"}, LIBRARY, "load")
    assert found is not None
    assert found["LD_PRELOAD"] == f"{LIBRARY} a.so"
    assert preloaded_environ({"LD_PRELOAD": f"a.so:{LIBRARY}"}, LIBRARY, "serve") is None


@pytest.mark.parametrize(
    ("command", "setting", "default", "other"),
    [
        # The server gives freed pages back at once.
        ("serve", "MIMALLOC_DECOMMIT_DELAY", "0", "MIMALLOC_LARGE_OS_PAGES"),
        # The bulk loader runs a fifth faster on huge pages; the server's memory is
        # bounded, so it keeps small ones.
        ("load", "MIMALLOC_LARGE_OS_PAGES", "1", "MIMALLOC_DECOMMIT_DELAY"),
    ],
)
def test_each_command_has_its_setting_unless_told_otherwise(
    command: str, setting: str, default: str, other: str
) -> None:
    found = preloaded_environ({}, LIBRARY, command)
    assert found is not None
    assert (found[setting], other in found) == (default, False)
    kept = preloaded_environ({setting: "25"}, LIBRARY, command)
    assert kept is not None
    assert kept[setting] == "25"


def test_no_library_or_the_system_setting_starts_nothing_again() -> None:
    assert preloaded_environ({}, None, "serve") is None
    assert preloaded_environ({SETTING: "System"}, LIBRARY, "serve") is None


def test_the_library_is_found_in_the_loaders_cache_without_running_a_command() -> None:
    """The first process of ``serve`` and ``load`` looks for it, then starts again: it
    runs no command (``ldconfig``) and imports neither ctypes nor typing."""
    assert find_library("mimalloc") == "libmimalloc.so.2"
    assert find_library("no-such-library-here") is None
    # Where glibc's cache is not, ctypes (``ldconfig``, or the compiler) is asked.
    assert find_library("mimalloc", "/no/such/ld.so.cache") == "libmimalloc.so.2"
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, civicgraph.allocator as a; "
            "a.find_library('mimalloc'); print(sorted({'ctypes', 'typing'} & sys.modules.keys()))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert started.stdout.strip() == "[]"


def test_a_listed_library_that_exists_is_taken_by_its_name(tmp_path: Path) -> None:
    """The loader picks the copy of the process's architecture by the name."""
    for name in ("libm.so.2", "libmx.so.2"):
        (tmp_path / name).touch()
    listed = [
        b"libm.so.2",
        str(tmp_path / "gone" / "libm.so.3").encode(),
        str(tmp_path / "libmx.so.2").encode(),
        str(tmp_path / "libm.so.2").encode(),
    ]
    assert cached_name(listed, "m") == "libm.so.2"
    assert cached_name(listed, "mx") == "libmx.so.2"
    assert cached_name(listed[:3], "m") is None


def _mapped(pid: int) -> bool:
    return "mimalloc" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize(("setting", "expected"), [("", True), ("system", False)])
def test_every_process_of_a_server_runs_on_the_chosen_allocator(
    tmp_path: Path, setting: str, expected: bool
) -> None:
    assert find_library("mimalloc"), "make installs libmimalloc2.0"
    env = {"CIVICGRAPH_LOAD_BUNDLED": "false", SETTING: setting}
    live = LiveServer(tmp_path / "store", env).start()
    try:
        assert live.process is not None
        # One reading of each kind: a serving process forked between two readings of
        # the master's children would make them disagree.
        serving = serving_processes(live)
        assert serving
        for pid in [live.process.pid, *serving, writer_process(live)]:
            assert _mapped(pid) is expected
    finally:
        live.stop()


def _settle(group: int) -> None:
    """Wait until a server's processes are idle: what they hold then is what they keep."""
    quiet_windows(group, window=0.5, busy=0.05, most=30)


def test_a_server_gives_back_what_a_heavy_query_took(tmp_path: Path) -> None:
    """mimalloc kept about 100 MiB per serving process after such queries; glibc did not."""
    live = LiveServer(tmp_path / "store", {"CIVICGRAPH_QUERY_TIMEOUT": "30"}).start()
    try:
        assert live.process is not None
        _settle(live.process.pid)  # every serving process up, its view open
        before = group_rss(live.process.pid)
        for _ in range(4):
            answer = requests.get(f"{live.url}/sparql", params={"query": HEAVY}, timeout=60)
            assert answer.status_code == 200, answer.text
        _settle(live.process.pid)
        grown = group_rss(live.process.pid) - before
        assert grown < 40 * 2**20, f"the server kept {grown / 2**20:.0f} MiB"
    finally:
        live.stop()
