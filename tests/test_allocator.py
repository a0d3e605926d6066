"""Long-running commands start again on mimalloc where it is installed (the Makefile
installs Debian's ``libmimalloc2.0``), unless told to keep the system's allocator."""

import ctypes.util
from pathlib import Path

import pytest

from civicgraph.allocator import SETTING, preloaded_environ
from tests.live import LiveServer, serving_processes

LIBRARY = "libmimalloc.so.2"


def test_the_library_is_preloaded_once() -> None:
    assert preloaded_environ({}, LIBRARY) == {"LD_PRELOAD": LIBRARY}
    assert preloaded_environ({"LD_PRELOAD": "a.so"}, LIBRARY) == {"LD_PRELOAD": f"{LIBRARY} a.so"}
    assert preloaded_environ({"LD_PRELOAD": f"a.so:{LIBRARY}"}, LIBRARY) is None


def test_no_library_or_the_system_setting_starts_nothing_again() -> None:
    assert preloaded_environ({}, None) is None
    assert preloaded_environ({SETTING: "System"}, LIBRARY) is None


def _mapped(pid: int) -> bool:
    return "mimalloc" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize(("setting", "expected"), [("", True), ("system", False)])
def test_every_process_of_a_server_runs_on_the_chosen_allocator(
    tmp_path: Path, setting: str, expected: bool
) -> None:
    assert ctypes.util.find_library("mimalloc"), "make installs libmimalloc2.0"
    env = {"CIVICGRAPH_LOAD_BUNDLED": "false", SETTING: setting}
    live = LiveServer(tmp_path / "store", env).start()
    try:
        assert live.process is not None
        master = live.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        assert len(children) > len(serving_processes(live))  # the writer too
        for pid in [master, *map(int, children)]:
            assert _mapped(pid) is expected
    finally:
        live.stop()
