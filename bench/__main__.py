"""``python -m bench`` (``make bench``): measure every size, write ``bench/REPORT.md``.

Sizes come from ``BENCH_SIZES`` (default ``10k,100k,1M``); ``BENCH_SIZES=10k,100k``
gives a shorter run. Working files go to ``var/bench/`` and are removed afterwards.
"""

import os
import shutil
from pathlib import Path

from bench import remote, shacl
from bench.generate import generate
from bench.report import render
from bench.run import SizeResult, run_size, say

HERE = Path(__file__).resolve().parent
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
NOTES_FILE = HERE / "NOTES.md"


def main() -> None:
    """Run the sizes asked for, smallest first, and write the report."""
    if os.environ.get("BENCH_REMOTE") == "1":
        remote.main()  # civicgraph over remote SPARQL servers: bench/REMOTE.md
        return
    labels = [s.strip() for s in os.environ.get("BENCH_SIZES", "10k,100k,1M").split(",")]
    unknown = [label for label in labels if label not in SIZES]
    if unknown:
        raise SystemExit(f"Unknown size(s) {unknown}; BENCH_SIZES takes {', '.join(SIZES)}")
    results: list[SizeResult] = []
    for label in labels:
        results.append(run_size(label, SIZES[label], Path("var/bench") / label))
    engines = _shacl_engines(Path("var/bench/shacl"))
    notes = NOTES_FILE.read_text(encoding="utf-8").splitlines() if NOTES_FILE.exists() else []
    report = HERE / "REPORT.md"
    report.write_text(render(results, engines, notes), encoding="utf-8")
    say(f"Wrote {report}")


def _shacl_engines(work: Path) -> list[str]:
    """SHACL engines on the project's shapes, at 10k triples (pySHACL takes a minute)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    triples, _ = generate(SIZES["10k"], work / "data.nt")
    say("SHACL engines on the project's shapes")
    compared = shacl.compare(work / "data.nt")
    for engine in compared:
        say(f"  {engine.name}: {engine.seconds or engine.note}")
    shutil.rmtree(work)
    return shacl.table(compared, triples)


if __name__ == "__main__":
    main()
