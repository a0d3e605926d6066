"""Build hook: a distribution is only built with the front-end assets in it.

``web/static/vendor`` (CodeMirror, vis-network) is built from ``web/package-lock.json``
by ``make assets`` and is not in git; an sdist or wheel without it would install a
workbench whose editor and network views never load. Editable installs read the files
from the checkout and are exempt.
"""

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class AssetsHook(BuildHookInterface):  # type: ignore[type-arg]
    """Fails the build, with the command that fixes it, when the assets are missing."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Check for the marker ``make assets`` leaves once the assets are in place."""
        if version == "editable":
            return
        if not (Path(self.root) / "web" / "static" / "vendor" / ".built").is_file():
            raise RuntimeError("web/static/vendor is missing: run `make assets` before building")
