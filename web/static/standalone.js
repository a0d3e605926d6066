// Boots a standalone network file written by `civicgraph graph -o` or the export
// button: reads the embedded JSON, draws it with the pages' own network view, and
// shows details of what is clicked. Works offline; everything it needs is in the file.
// This module is joined with the modules it imports into one inline script, so its
// top-level names must differ from theirs.
import { el, clear, download, fileName } from "./dom.js";
import { draw, legend, countText, pngOf, svgOf } from "./network-view.js";

const fromJson = (id) => JSON.parse(document.getElementById(id).textContent);
const standaloneSettings = fromJson("graph-settings");
const standaloneData = {
  nodes: fromJson("graph-nodes"),
  edges: fromJson("graph-edges"),
  truncated: standaloneSettings.truncated,
  total_nodes: standaloneSettings.total_nodes,
  focus: standaloneSettings.focus,
};
const standaloneCanvas = document.getElementById("graph-canvas");
const panel = document.getElementById("graph-details");
const drawn = draw(standaloneCanvas, standaloneData);
const heading = document.title;
legend(document.getElementById("graph-legend"), drawn);
document.getElementById("graph-counts").textContent = countText(drawn);
standaloneCanvas.dataset.nodeCount = String(standaloneData.nodes.length);
if (standaloneSettings.notice) {
  const noticeLine = document.getElementById("graph-notice");
  noticeLine.textContent = standaloneSettings.notice;
  noticeLine.hidden = false;
}

function showDetails(heading, lines) {
  clear(panel);
  panel.append(el("h2", heading), ...lines.filter(Boolean).map((line) => el("p", line)));
}

function evidenceText(ev) {
  const sources = ev.sources.map((s) => s.label).join("; ");
  return "Evidence: " + sources + (ev.location ? ", " + ev.location : "") +
    (ev.confidence ? " (" + ev.confidence + " confidence)" : "") + (ev.date ? ", " + ev.date : "");
}

drawn.network.on("click", (event) => {
  if (event.nodes.length) {
    const node = drawn.byId.get(event.nodes[0]);
    showDetails(node.label, [node.classLabel, node.description, "Degree " + node.degree, node.id]);
  } else if (event.edges.length) {
    const edge = drawn.edgeById.get(event.edges[0]);
    const ends = (id) => (drawn.byId.get(id) || { label: id }).label;
    showDetails("Relation", [ends(edge.from) + " → " + edge.label + " → " + ends(edge.to),
      edge.role ? "Role: " + edge.role : "", ...(edge.evidence || []).map(evidenceText)]);
  }
});

document.getElementById("export-png").addEventListener("click", () => {
  download(pngOf(drawn, heading), fileName(heading, "png"));
});
document.getElementById("export-svg").addEventListener("click", () => {
  const url = URL.createObjectURL(new Blob([svgOf(drawn, heading)], { type: "image/svg+xml" }));
  download(url, fileName(heading, "svg"));
});
