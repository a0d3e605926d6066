"""Large-enough generated data for the crash tests: a few MB, written in well under 1 s."""

from pathlib import Path

EX = "http://example.org/"


def ntriples(count: int, marker: str) -> bytes:
    """``count`` triples, each naming ``marker`` so that versions can be told apart."""
    return "".join(
        f'<{EX}{marker}/s{i}> <{EX}p{i % 7}> "{marker} value {i} with some padding text" .\n'
        for i in range(count)
    ).encode()


def write_ntriples(path: Path, count: int, marker: str) -> Path:
    """Write ``ntriples(count, marker)`` to ``path``."""
    path.write_bytes(ntriples(count, marker))
    return path
