"""The memory allocator of the long-running commands: mimalloc, where the machine has it.

The store's engine (pyoxigraph, RocksDB beneath it) allocates and frees many small
blocks for every query and every batch of a load, and glibc's allocator makes that a
fifth or more of their time: measured here on the cheap query (49 µs a call with
glibc, 38 µs with mimalloc), on a query that joins (3.8 ms, 3.0 ms) and on the bulk
loader of a million triples (11.5 s, 9.4 s). An allocator is chosen as a process
starts, so ``civicgraph serve`` and ``civicgraph load`` start again at once with
mimalloc preloaded (``LD_PRELOAD``) when the library is installed (Debian's
``libmimalloc2.0``); the processes they start inherit it. Without the library, or with
``CIVICGRAPH_ALLOCATOR=system``, they run on the C library's allocator as before.

mimalloc keeps pages a process freed for 25 ms and gives them back to the system only
when it allocates again, so a serving process kept about 100 MiB after a heavy query
(glibc's gave it back); the server asks for freed pages to go back at once
(``MIMALLOC_DECOMMIT_DELAY=0``), which measured no slower on the queries above. A
load ends with its process, so it keeps the default delay, and asks for its memory in
huge pages where the kernel gives them on request (``MIMALLOC_LARGE_OS_PAGES=1``;
transparent huge pages set to ``madvise`` or ``always``): the bulk loader of a million
triples took 10.0-11.0 s instead of 12.2-12.6 s (2 s less of user time, the same
system time), and its peak memory grew from 879 to 933 MiB.
"""

from __future__ import annotations

import os
import sys

# The first process of a command imports only what it needs to start again (``typing``
# alone took 0.02 s of it); the annotations are read by the type checker only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Final

#: The setting that keeps the C library's allocator.
SETTING: Final = "CIVICGRAPH_ALLOCATOR"
SYSTEM: Final = "system"
_LIBRARY: Final = "mimalloc"
#: The dynamic loader's cache of the installed libraries, which glibc's ``ldconfig``
#: writes.
#: (A string, not a ``Path``: the first process imports as little as it can.)
LOADER_CACHE: Final = "/etc/ld.so.cache"
#: mimalloc's settings for each command, unless the environment sets them already.
_OPTIONS: Final = {
    "serve": {"MIMALLOC_DECOMMIT_DELAY": "0"},
    "load": {"MIMALLOC_LARGE_OS_PAGES": "1"},
}


def preloaded_environ(
    environ: Mapping[str, str], library: str | None, command: str
) -> dict[str, str] | None:
    """The environment to start ``command`` again with ``library`` preloaded, or None to
    go on as this process is: no library, the setting asks for the system's, or it is
    there."""
    if library is None or environ.get(SETTING, "").strip().lower() == SYSTEM:
        return None
    preload = environ.get("LD_PRELOAD", "")
    if library in preload.replace(":", " ").split():
        return None
    options = _OPTIONS.get(command, {})
    return {**options, **environ, "LD_PRELOAD": f"{library} {preload}".strip()}


def start_with_preferred(argv: Sequence[str]) -> None:
    """Start this command again with mimalloc preloaded if it is a long-running one and
    the library is installed; return (and run as is) otherwise, or if that fails."""
    if len(argv) < 2 or argv[1] not in _OPTIONS or _LIBRARY in os.environ.get("LD_PRELOAD", ""):
        return  # the process started again already
    environ = preloaded_environ(os.environ, find_library(_LIBRARY), argv[1])
    if environ is None:
        return
    try:
        os.execve(sys.executable, list(sys.orig_argv), environ)
    except OSError:
        return


def find_library(name: str, cache: str = LOADER_CACHE) -> str | None:
    """The file name of the installed ``lib<name>.so.<version>`` (as
    ``libmimalloc.so.2``), or None.

    It is read from the dynamic loader's cache, as ``ldconfig -p`` reads it;
    ``ctypes.util.find_library`` runs that command, which took 0.04 s of every start
    of ``serve`` and ``load``. The name, not the path, goes to ``LD_PRELOAD``: the
    loader then takes the copy of this process's architecture, as it would for any
    library it loads. Where the cache does not list it (no such cache, or a library
    found only through ``LD_LIBRARY_PATH``), ``ctypes.util`` is asked, as before.
    """
    try:
        with open(cache, "rb") as cached:
            found = cached_name(cached.read().split(b"\0"), name)
    except OSError:
        found = None
    if found is not None:
        return found
    # Imported here: 0.01-0.04 s, needed only where the cache does not list it.
    import ctypes.util  # noqa: PLC0415

    return ctypes.util.find_library(name)


def cached_name(entries: Sequence[bytes], name: str) -> str | None:
    """The file name of the first path among the cache's ``entries`` that names
    ``lib<name>.so.<version>`` and exists."""
    wanted = f"/lib{name}.so.".encode()
    for path in (os.fsdecode(entry) for entry in entries if wanted in entry):
        if path.startswith("/") and os.path.exists(path):
            return os.path.basename(path)
    return None
