"""The one place that finds the bundled ontology, data and web assets.

A wheel carries them under ``civicgraph/_bundled``; a checkout (editable install or
``PYTHONPATH=src``) has them at the repository root. Everything else asks here, so a
non-editable install behaves exactly like the checkout.
"""

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def bundled_root() -> Path:
    """Return the folder holding ``ontology/``, ``graph_data/`` and ``web/``."""
    packaged = _PACKAGE_DIR / "_bundled"
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent.parent


def ontology_dir() -> Path:
    """Return the folder of the OWL ontology and the SHACL shapes."""
    return bundled_root() / "ontology"


def data_dir() -> Path:
    """Return the folder of the bundled Turtle data, one file per source."""
    return bundled_root() / "graph_data"


def web_dir() -> Path:
    """Return the folder holding ``templates/`` and ``static/``."""
    return bundled_root() / "web"


def queries_dir() -> Path:
    """Return the folder of the named ``.rq`` files the application runs."""
    return _PACKAGE_DIR / "queries"


def bundled_files() -> list[Path]:
    """Return every bundled Turtle file, ontology first, in a stable order."""
    return sorted(ontology_dir().glob("*.ttl")) + sorted(data_dir().glob("*.ttl"))
