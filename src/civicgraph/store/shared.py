"""Small files that every process of a server maps: counters and tables they share."""

import mmap
from pathlib import Path


def mapped_file(path: Path, size: int) -> mmap.mmap:
    """``path`` mapped for reading and writing, created as ``size`` zero bytes if absent
    or shorter; the processes that map it see each other's stores at once."""
    if not path.exists() or path.stat().st_size < size:
        path.write_bytes(bytes(size))
    with path.open("r+b") as file:
        return mmap.mmap(file.fileno(), size)
