"""The wheel carries the ontology, data and web files, found through one function."""

import re
import site
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from civicgraph import resources
from tests.live import free_port, wait_until_up

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


@pytest.fixture(scope="module")
def installed_from_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv holding the wheel that ``python -m build`` made from the sdist.

    Dependencies come from the test environment's site-packages through a ``.pth``
    file (a path added that way is not a site directory, so the editable install's
    hook there is not run); civicgraph itself comes only from the wheel.
    """
    base = tmp_path_factory.mktemp("dist")
    dist, env = base / "dist", base / "venv"
    build = [sys.executable, "-m", "build", "--no-isolation", "-o", str(dist), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True)
    assert len(list(dist.glob("civicgraph-*.tar.gz"))) == 1
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "test-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    wheel_file = next(dist.glob("civicgraph-*.whl"))
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel_file)]
    subprocess.run(install, check=True, capture_output=True)
    return env


@pytest.fixture
def wheel_server(installed_from_sdist: Path, tmp_path: Path) -> Iterator[str]:
    """``civicgraph serve`` from the clean venv, run outside the checkout."""
    port = free_port()
    command = [str(installed_from_sdist / "bin" / "civicgraph"), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--store", str(tmp_path / "store")]
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=log)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process, timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # a fixture never leaves its server running
            process.wait()
            raise
        finally:
            log.close()


@pytest.mark.heavy
@pytest.mark.server
def test_wheel_built_from_the_sdist_serves_the_editor(wheel_server: str) -> None:
    page = requests.get(wheel_server + "/query", timeout=30)
    assert page.status_code == 200
    scripts = re.findall(r'<script src="([^"]*vendor/[^"]+\.js)"', page.text)
    assert any("codemirror" in src for src in scripts)
    for src in scripts:
        asset = requests.get(wheel_server + src, timeout=30)
        assert asset.status_code == 200, src
        assert "javascript" in asset.headers["Content-Type"]
        assert len(asset.content) > 1000
