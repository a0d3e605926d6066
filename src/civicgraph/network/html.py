"""Network data → one self-contained HTML file that works offline; the only pyvis user.

The file is built through pyvis's own ``Network``: every node and edge of the view is
added with ``add_node``/``add_edge`` (carrying the ``/api/graph`` fields), and pyvis
renders the project's template (``web/templates/graph/standalone.html``). pyvis's stock
template loads bootstrap from a CDN, so ours replaces it and inlines everything: the
vis-network build pyvis ships (``VIS_VERSION``, the same release web/package.json pins
for the pages, which a test checks) and the pages' own drawing module, so the file draws
and colours exactly as the explorer does. The modules are joined into one inline module
(a file opened from disk may not import others). Data travel as JSON inside
``<script type="application/json">`` elements with ``<``, ``>`` and ``&`` escaped, so no
label can end the element; the scripts put labels into the page as text. Returns a
string and writes nothing.
"""

import json
import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from civicgraph.resources import web_dir

if TYPE_CHECKING:  # pyvis imports IPython: a tenth of a second for every command
    from pyvis.network import Network

VIS_VERSION: Final = "9.1.2"
#: The page modules the file needs, dependencies first (see ``_bundle``).
MODULES: Final = ("dom.js", "network-view.js", "standalone.js")
_END_TAG: Final = re.compile(r"</(script|style)", re.IGNORECASE)
_IMPORT: Final = re.compile(r'^import \{[^}]*\} from "\./[\w-]+\.js";\n', re.MULTILINE)
_EXPORT: Final = re.compile(r"^export (?=const |function |async function )", re.MULTILINE)


def vis_assets() -> tuple[Path, Path]:
    """The vis-network script and stylesheet shipped inside the pyvis package."""
    origin: str | None = getattr(find_spec("pyvis"), "origin", None)
    assert origin is not None, "pyvis is a dependency"
    folder = Path(origin).parent / "lib" / f"vis-{VIS_VERSION}"
    return folder / "vis-network.min.js", folder / "vis-network.css"


def _safe_inline(text: str) -> Markup:
    """A script or stylesheet made safe to place inside its element."""
    return Markup(_END_TAG.sub(lambda m: "<\\/" + m[1], text))


def _bundle(names: tuple[str, ...]) -> str:
    """The page modules as one module: imports between them dropped, ``export`` removed.

    The modules import only from each other, one ``import { … } from "./x.js";`` line
    each, so joining them in dependency order gives the same program in one scope.
    """
    static = web_dir() / "static"
    parts = [_IMPORT.sub("", (static / name).read_text(encoding="utf-8")) for name in names]
    return _EXPORT.sub("", "\n".join(parts))


def _script_json(value: Any) -> Markup:
    """JSON that cannot end the ``<script>`` element it is placed in."""
    text = json.dumps(value, ensure_ascii=False)
    escaped = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(escaped)


@cache
def _environment() -> Environment:
    """The Jinja environment pyvis renders with: ours, escaping, with the inlined code."""
    vis_js, vis_css = vis_assets()
    env = Environment(
        loader=FileSystemLoader(web_dir() / "templates" / "graph"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters["script_json"] = _script_json
    # pyvis hands the template its options already as JSON text: re-encode it safely.
    env.filters["script_json_text"] = lambda text: _script_json(json.loads(text))
    env.globals.update(
        vis_js=_safe_inline(vis_js.read_text(encoding="utf-8")),
        vis_css=_safe_inline(vis_css.read_text(encoding="utf-8")),
        view_js=_safe_inline(_bundle(MODULES)),
    )
    return env


def _network(data: dict[str, Any], title: str, settings: dict[str, Any]) -> "Network":
    """A pyvis ``Network`` holding the view, set to render the project's template."""
    from pyvis.network import Network  # noqa: PLC0415 (see the import above)

    net = Network(directed=True, cdn_resources="in_line", heading=title)
    net.set_template_dir(str(web_dir() / "templates" / "graph") + "/", "standalone.html")
    net.templateEnv = _environment()
    for node in data["nodes"]:
        fields = {k: v for k, v in node.items() if k not in ("id", "label")}
        net.add_node(node["id"], label=node["label"], color=node.get("colour"), **fields)
    for edge in data["edges"]:
        net.add_edge(
            edge["from"], edge["to"], **{k: v for k, v in edge.items() if k not in ("from", "to")}
        )
    net.options = settings
    return net


def render(
    data: dict[str, Any],
    *,
    title: str = "civicgraph network",
    colour: str = "class",
    notice: str = "",
) -> str:
    """A complete HTML document drawing ``data`` (the ``/api/graph`` JSON shape)."""
    settings = {
        "colour": colour,
        "notice": notice,
        "truncated": bool(data.get("truncated")),
        "total_nodes": data.get("total_nodes", len(data["nodes"])),
        "focus": data.get("focus"),
    }
    html: str = _network(data, title, settings).generate_html()
    return html
