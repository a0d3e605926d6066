// The /graph page: reads the form (whose query string is the permalink), fetches the
// view or the paths from the JSON API, draws them with the shared network view, and
// fills the side panel. All data reach the page through textContent, never as HTML,
// and only http/https targets become links.
import { fetchJson } from "./api.js";
import { el, clear, button, download, fileName } from "./dom.js";
import { linkOrText, replaceAddress } from "./links.js";
import { attachTypeahead } from "./typeahead.js";
import { draw, extend, legend, countText, pngOf, svgOf } from "./network-view.js";
import { attachTimeline, styleChanges, changeList } from "./timeline.js";

const form = document.getElementById("graph-form");
const canvas = document.getElementById("graph-canvas");
const details = document.getElementById("graph-details");
const notice = document.getElementById("graph-notice");
const errorBox = document.getElementById("graph-error");
const layout = document.getElementById("graph-layout");
const legendList = document.getElementById("graph-legend");
const counts = document.getElementById("graph-counts");
const pathSection = document.getElementById("graph-paths");
const pathList = document.getElementById("path-list");
const changeSection = document.getElementById("graph-changes");
const changeItems = document.getElementById("change-list");
const state = { view: null, pathData: null };
const PATH_KEYS = ["from", "to", "max_hops", "k", "documents"];
const TIME_KEYS = ["compare"];
const HIGHLIGHT = "#b03a48";

/** The value an entity box stands for: the chosen entity while its label is shown. */
function entityValue(input) {
  return input.dataset.label && input.value === input.dataset.label ? input.dataset.value : input.value.trim();
}

function formParams(skip) {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    const input = form.elements[key];
    const text = input && input.dataset && "typeahead" in input.dataset ? entityValue(input) : value;
    if (text !== "" && !skip.includes(key)) params.append(key, text);
  }
  return params;
}

function waiting(message) {
  notice.textContent = message ? "Preparing: " + message : "";
  notice.hidden = !message;
}

/**
 * Show an error. One about a name typed in an entity box offers the entities it may
 * mean as links to the same view with that entity chosen, instead of their slugs to
 * type again.
 */
function showError(err) {
  // What was drawn before is not what the form now asks for: it goes with the error.
  if (state.view) {
    state.view.network.destroy();
    state.view = null;
    counts.textContent = "";
  }
  layout.hidden = true; // an empty drawing and "Click a node" would only mislead
  const boxes = Array.from(form.querySelectorAll("[data-typeahead]"));
  const box = err.candidates && err.candidates.length ? boxes.find((input) => entityValue(input) === err.unknown) : null;
  errorBox.hidden = false;
  if (!box) {
    errorBox.textContent = err.message;
    if (err.unknown) errorBox.append(". ", searchLink(err.unknown));
    return;
  }
  const list = document.createElement("ul");
  list.className = "candidates";
  for (const candidate of err.candidates) {
    const params = formParams([]);
    params.set(box.name, candidate.iri);
    const link = document.createElement("a");
    link.href = "?" + params.toString();
    link.textContent = candidate.label;
    const item = document.createElement("li");
    item.append(link, " (" + candidate.kind + ")");
    list.append(item);
  }
  errorBox.replaceChildren(err.message.split("\n")[0], list);
}

/** A link to the search page for a name no entity has: it may be part of a longer one. */
function searchLink(name) {
  const link = document.createElement("a");
  link.href = form.dataset.searchPage + "?" + new URLSearchParams({ q: name });
  link.textContent = "Search for names holding it";
  return link;
}

function nodeOf(id) {
  return state.view ? state.view.byId.get(id) : undefined;
}

function label(id) {
  const node = nodeOf(id);
  return node ? node.label : id;
}

function title() {
  const focus = form.elements.focus.value.trim();
  const from = form.elements.from.value.trim();
  const to = form.elements.to.value.trim();
  const day = form.elements.as_of.value;
  const compare = form.elements.compare.value;
  const when = compare && day ? ", " + compare + " to " + day : day ? " on " + day : "";
  if (from && to) return "Paths from " + from + " to " + to + when;
  return (focus ? "Network around " + focus : "civicgraph network") + when;
}

function render(data) {
  if (state.view) state.view.network.destroy();
  const paths = form.elements.from.value.trim() && form.elements.to.value.trim();
  const empty = paths ? "No path to draw: the list of paths says how far the explorer searched." :
    "Nothing in this view to draw: widen the filters, the depth or the date.";
  state.view = draw(canvas, data, { size: Boolean(form.elements.size.value), empty });
  legend(legendList, state.view);
  counts.textContent = countText(state.view);
  canvas.dataset.nodeCount = String(state.view.nodes.length);
  state.view.network.on("click", onClick);
  state.view.network.on("doubleClick", (event) => { if (event.nodes.length) expand(event.nodes[0]); });
  window.civicgraph = state;
}

function showNotice(data) {
  const parts = [];
  if (data.truncated) {
    const how = data.aggregated ? "grouped by " + data.aggregated : "showing the best-connected " + data.nodes.length;
    parts.push("This view has " + data.total_nodes + " nodes, more than the limit of " +
      form.dataset.nodeCap + "; " + how + ". Narrow it with a focus entity or filters.");
  }
  const undated = data.undated ? data.undated.edges.length : 0;
  if (undated) {
    parts.push(undated + (undated === 1 ? " relation drawn has" : " relations drawn have") +
      " no date on record, so nothing says whether it held on " + data.as_of +
      "; tick \u201cHide what has no date\u201d to leave such relations out.");
  }
  notice.textContent = parts.join(" ");
  notice.hidden = !parts.length;
}

function row(list, name, value) {
  if (value === undefined || value === null || value === "") return;
  list.append(el("dt", name), el("dd", value));
}

function navigate(changes) {
  const params = formParams(PATH_KEYS);
  for (const [key, value] of Object.entries(changes)) params.set(key, value);
  window.location.search = params.toString();
}

function showAggregate(node) {
  clear(details);
  details.append(el("h2", node.label), el("p", node.count + " entities, grouped because the view passed the node cap."));
  if (!node.class.startsWith("community:")) {
    details.append(button("Show only this class", () => navigate({ classes: node.class })));
  }
}

function showNode(id) {
  const node = nodeOf(id);
  if (!node) return;
  if (node.url === null) { showAggregate(node); return; }
  clear(details);
  details.append(el("h2", node.label, "node-title"), el("p", node.classLabel, "node-class"));
  const facts = el("dl", null, "facts");
  details.append(facts);
  row(facts, "Degree", node.degree);
  const actions = el("p", null, "panel-actions");
  actions.append(linkOrText("Open entity page", node.url),
    button("Focus here", () => navigate({ focus: id })), button("Expand", () => expand(id)));
  details.append(actions);
  fetchJson(form.dataset.nodeApi + "?id=" + encodeURIComponent(id)).then((info) => {
    row(facts, "Description", info.description);
    row(facts, "Also known as", info.altLabels.join("; "));
    // Its share of the network's importance, where 1 is the whole network.
    row(facts, "Importance (PageRank)", info.metrics.pagerank.toFixed(4));
    const shown = new Set([info.label, info.description, ...info.altLabels]);
    for (const lit of info.literals) {
      if (!shown.has(lit.value)) row(facts, lit.property.charAt(0).toUpperCase() + lit.property.slice(1), lit.value);
    }
  }).catch((err) => showError(err));
}

function evidenceList(edge) {
  const list = el("ul", null, "evidence");
  if (!edge.evidence.length) list.append(el("li", "No evidence recorded for this relation.", "empty"));
  for (const ev of edge.evidence) {
    const item = el("li");
    ev.sources.forEach((source, i) => {
      if (i) item.append("; ");
      const known = nodeOf(source.iri);
      item.append(linkOrText(source.label, known && known.url ? known.url : source.iri, source.iri));
    });
    const where = [ev.location, ev.confidence ? ev.confidence + " confidence" : "", ev.date].filter(Boolean).join(" · ");
    if (where) item.append(el("span", " — " + where, "where"));
    if (ev.note) item.append(el("span", ev.note, "evidence-note"));
    list.append(item);
  }
  return list;
}

function showEdge(id) {
  const edge = state.view.edgeById.get(id);
  if (!edge) return;
  clear(details);
  if (edge.count > 1) {
    details.append(el("h2", edge.count + " relations"), el("p", label(edge.from) + " — " + label(edge.to)));
    return;
  }
  details.append(el("h2", edge.label, "edge-title"), el("p", factText(edge), "edge-fact"));
  const facts = el("dl", null, "facts");
  row(facts, "Role", edge.role);
  row(facts, "From", edge.start);
  row(facts, "Until", edge.end);
  row(facts, "Best confidence", edge.confidence);
  details.append(facts, el("h3", "Evidence"), evidenceList(edge));
}

function onClick(event) {
  if (event.nodes.length) showNode(event.nodes[0]);
  else if (event.edges.length) showEdge(event.edges[0]);
  else return;
  bringDetailsIntoSight();
}

/** On a phone the panel sits below the drawing, out of sight: a tap would seem to do
 * nothing, so its details are brought into view. Side by side, nothing moves. */
function bringDetailsIntoSight() {
  const panel = details.getBoundingClientRect();
  if (panel.top >= canvas.getBoundingClientRect().bottom && panel.top > window.innerHeight - 40) {
    details.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
}

function expand(id) {
  const node = nodeOf(id);
  if (!node || node.url === null) return;
  const params = formParams(PATH_KEYS.concat(["focus", "depth", "query"]));
  params.set("focus", id);
  params.set("depth", "1");
  params.set("overflow", "top");
  const view = state.view;
  fetchJson(form.dataset.api + "?" + params, waiting).then((data) => {
    if (state.view !== view) return;  // a slider step drew another network meanwhile
    extend(state.view, data);
    counts.textContent = countText(state.view);
    legend(legendList, state.view);
    canvas.dataset.nodeCount = String(state.view.nodes.length);
  }).catch((err) => showError(err));
}

function highlight(path) {
  const view = state.view;
  view.nodes.update(path.nodes.map((id) => ({ id, borderWidth: 4, color: { background: view.byId.get(id).colour, border: HIGHLIGHT } })));
  const ids = path.hops.flatMap((hop) => hop.edges.map((e) => e.id));
  view.edges.update(ids.map((id) => ({ id, width: 5, color: { color: HIGHLIGHT } })));
  canvas.dataset.highlighted = String(path.nodes.length);
}

/**
 * What an edge says, as its source states it: "Code for America · founder: Jennifer
 * Pahlka". Arrows around the relation ("A → founder → B") read as "A founded B", the
 * wrong way round for a relation named by its object.
 */
function factText(edge) {
  return label(edge.from) + " · " + edge.label + ": " + label(edge.to);
}

function hopItem(hop) {
  const item = el("li", null, "hop");
  for (const ref of hop.edges) {
    const edge = state.view.edgeById.get(ref.id);
    item.append(el("p", factText(edge), "hop-title"), evidenceList(edge));
  }
  return item;
}

function pathItem(path, kind) {
  const item = el("li", null, "path");
  const show = button(kind + ": " + path.nodes.map(label).join(" – "), () => {
    render(state.pathData);
    highlight(path);
  }, "path-title");
  const hops = el("ol", null, "hops");
  for (const hop of path.hops) hops.append(hopItem(hop));
  item.append(show, hops);
  return item;
}

/** Why no path is listed, and, when a longer limit would find one, a button to ask for it. */
function noPath(data) {
  const hops = data.shortest_hops;
  const limit = form.elements.max_hops;
  const most = limit.options[limit.options.length - 1].value;
  if (hops === null) return el("li", "No path within " + most + " hops, the most this explorer searches.", "empty");
  const within = data.max_hops + (data.max_hops === 1 ? " hop" : " hops");
  const item = el("li", "No path within " + within + "; the shortest takes " + hops + ".", "empty");
  if ([...limit.options].some((option) => option.value === String(hops))) {
    item.append(" ", button("Search up to " + hops + " hops", () => {
      limit.value = String(hops);
      form.requestSubmit();
    }));
  }
  return item;
}

function showPaths(data) {
  state.pathData = data;
  render(data);
  pathSection.hidden = false;
  clear(pathList);
  if (!data.shortest.length && !data.simple.length) {
    pathList.append(noPath(data));
    return;
  }
  for (const p of data.shortest) pathList.append(pathItem(p, "Shortest"));
  for (const p of data.simple) {
    if (p.nodes.length > data.shortest[0].nodes.length) pathList.append(pathItem(p, "Longer"));
  }
  highlight(data.shortest[0]);
}

function showChanges(data) {
  render(data);
  styleChanges(state.view, data);
  changeSection.hidden = false;
  changeList(changeItems, data, label);
}

function diffParams() {
  const params = new URLSearchParams({ from: form.elements.compare.value, to: form.elements.as_of.value });
  const focus = formParams([]).get("focus");
  if (focus) params.set("focus", focus);
  return params;
}

function links() {
  const query = formParams([]).toString();
  document.getElementById("permalink").href = window.location.pathname + (query ? "?" + query : "");
  document.getElementById("export-html").href = form.dataset.export + "?" + formParams(PATH_KEYS);
}

let loads = 0;

/** Fetch and draw the view the form names; an answer a later load overtook is dropped
 * (the slider, playing, asks again before a slow answer comes). */
function load() {
  const mine = ++loads;
  const latest = (show) => (data) => { if (mine === loads) show(data); };
  const wait = latest(waiting);
  links();
  errorBox.hidden = true;
  layout.hidden = false;
  changeSection.hidden = true;
  const from = form.elements.from.value;
  const to = form.elements.to.value;
  let request;
  if (form.elements.compare.value && form.elements.as_of.value) {
    request = fetchJson(form.dataset.diffApi + "?" + diffParams(), wait).then(latest(showChanges));
  } else if (from && to) {
    request = fetchJson(form.dataset.pathApi + "?" + formParams(["focus", "depth", "overflow", ...TIME_KEYS]), wait).then(latest(showPaths));
  } else {
    request = fetchJson(form.dataset.api + "?" + formParams(PATH_KEYS.concat(TIME_KEYS)), wait)
      .then(latest((data) => { render(data); showNotice(data); }));
  }
  request.catch(latest((err) => showError(err)));
}

/** Redraw after the slider moved, keeping the address bar a permalink of the view. */
function redraw() {
  const query = formParams([]).toString();
  replaceAddress(window.location.pathname + (query ? "?" + query : ""));
  load();
}

// A choice that completes its part of the form shows it at once: the focus entity as
// soon as it is chosen, a path once both of its ends are (one Enter, not two).
for (const input of form.querySelectorAll("[data-typeahead]")) {
  attachTypeahead(input, form.dataset.search, (result) => {
    input.value = result.label;
    input.dataset.label = result.label;
    input.dataset.value = result.iri;
    const boxes = input.closest("fieldset").querySelectorAll("[data-typeahead]");
    if (Array.from(boxes).every((box) => box.value.trim())) form.requestSubmit();
  });
}

// Submit the entities chosen in the boxes, not the labels they show.
form.addEventListener("submit", (event) => {
  event.preventDefault();
  window.location.search = formParams([]).toString();
});

document.getElementById("export-png").addEventListener("click", () => {
  if (state.view) download(pngOf(state.view, title()), fileName(title(), "png"));
});
document.getElementById("export-svg").addEventListener("click", () => {
  if (!state.view) return;
  const url = URL.createObjectURL(new Blob([svgOf(state.view, title())], { type: "image/svg+xml" }));
  download(url, fileName(title(), "svg"));
  setTimeout(() => URL.revokeObjectURL(url), 10000);
});

attachTimeline(form, redraw);
load();
// A page opened with a view to show (Show, a permalink) brings the drawing into sight:
// below the form, it would otherwise start under the fold and nothing seem to happen.
if (["focus", "from", "query"].some((key) => new URLSearchParams(window.location.search).get(key))) {
  canvas.scrollIntoView({ block: "start" });
}
