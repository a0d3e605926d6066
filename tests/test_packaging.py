"""The wheel carries the ontology, data and web files, found through one function."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from civicgraph import resources

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """A wheel built from this checkout, as `pip install .` would build it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    return zipfile.ZipFile(next(out.glob("civicgraph-*.whl")))


def test_wheel_ships_bundled_folders(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for folder in ("ontology", "graph_data", "web/templates", "web/static"):
        bundled = resources.bundled_root() / folder
        expected = {
            f"civicgraph/_bundled/{folder}/{p.relative_to(bundled).as_posix()}"
            for p in bundled.rglob("*")
            if p.is_file() and "vendor" not in p.parts and p.name != ".gitkeep"
        }
        assert expected <= names, f"missing from the wheel: {sorted(expected - names)[:5]}"


def test_wheel_ships_named_queries(wheel: zipfile.ZipFile) -> None:
    assert "civicgraph/queries/class_counts.rq" in wheel.namelist()


def test_checkout_resolves_to_repository_root() -> None:
    assert resources.bundled_root() == ROOT
    assert resources.web_dir().joinpath("templates", "base.html").is_file()
