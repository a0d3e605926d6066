"""Network data → one self-contained HTML file that works offline; the only pyvis user.

pyvis's own template loads bootstrap from a CDN and refers to vis.js by a relative
path, so it is not used: the vis-network build that the installed pyvis package ships
is inlined into our own template (``web/templates/graph/standalone.html``) together
with the shared drawing script. Data travel as JSON inside a
``<script type="application/json">`` element, with ``<``, ``>`` and ``&`` escaped so no
label can end the element; the scripts put labels and tooltips into the page as text.
Returns a string and writes nothing.
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any, Final

import pyvis
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from civicgraph.resources import web_dir

VIS_VERSION: Final = "9.1.2"
_END_TAG: Final = re.compile(r"</(script|style)", re.IGNORECASE)


def vis_assets() -> tuple[Path, Path]:
    """The vis-network script and stylesheet shipped inside the pyvis package."""
    folder = Path(pyvis.__file__).parent / "lib" / f"vis-{VIS_VERSION}"
    return folder / "vis-network.min.js", folder / "vis-network.css"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(web_dir() / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


@cache
def _inline(path: Path) -> Markup:
    """A script or stylesheet made safe to place inside its element."""
    text = path.read_text(encoding="utf-8")
    return Markup(_END_TAG.sub(lambda m: "<\\/" + m[1], text))


def _json(value: Any) -> Markup:
    text = json.dumps(value, ensure_ascii=False)
    escaped = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(escaped)


def render(
    data: dict[str, Any],
    *,
    title: str = "civicgraph network",
    colour: str = "class",
    notice: str = "",
) -> str:
    """A complete HTML document drawing ``data`` (the ``/api/graph`` JSON shape)."""
    vis_js, vis_css = vis_assets()
    static = web_dir() / "static"
    nodes, edges = len(data["nodes"]), len(data["edges"])
    return (
        _environment()
        .get_template("graph/standalone.html")
        .render(
            title=title,
            summary=f"{nodes} nodes, {edges} edges. Drag to move, scroll to zoom.",
            notice=notice,
            data_json=_json(data),
            settings_json=_json({"colour": colour}),
            vis_js=_inline(vis_js),
            vis_css=_inline(vis_css),
            view_js=_inline(static / "graph-view.js"),
            boot_js=_inline(static / "graph-standalone.js"),
        )
    )
