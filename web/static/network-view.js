// The one network drawing of the app: the /graph explorer, entity pages, query results
// and the standalone HTML export all draw the /api/graph JSON shape through this module,
// on vis-network. Colours come from the server (`colour` and `legend` on each node, one
// mapping in network/colours.py), so a class looks the same in every view. Labels are
// painted on the canvas for every node of a small view, for the best-connected of a
// large one, and on hover; tooltips are DOM elements filled with textContent, so no
// label from the data can become markup.
import { el, clear } from "./dom.js";

/** Seed of vis-network's initial layout: the same view gets the same positions on reload. */
export const LAYOUT_SEED = 7;
/** How many of the best-connected nodes carry a label at all times in a large view. */
export const HUB_LABELS = 15;
/** A view of at most this many nodes labels them all: an entity's few neighbours are
 * what its view is read for, and there is room beside them for their names. */
export const LABEL_ALL = 30;
const TEXT = "#1d2430";
const EDGE = "#8a94a3";
const FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";
const MIN_SIZE = 7;
const MAX_SIZE = 30;

/** Whether any pointer here can hover. On a touch screen a tap selects what it touches
 * (the details panel says what), and the tooltip the same tap brought up stayed over the
 * drawing until the next tap. */
const CAN_HOVER = window.matchMedia("(any-hover: hover)").matches;

/** A tooltip element of one text line per entry (empty entries skipped); none where no
 * pointer can hover. */
export function tooltip(lines) {
  if (!CAN_HOVER) return undefined;
  const box = el("div", null, "graph-tip");
  for (const line of lines) {
    if (line !== "" && line !== null && line !== undefined) box.append(el("div", line));
  }
  return box;
}

function isAggregate(node) {
  return node.url === null && node.count > 1;
}

/** How long the note on zooming stays after a turn of the wheel, ms. */
const HINT_MS = 1500;

/**
 * On a page that scrolls, a turn of the wheel over the drawing scrolls the page and a
 * note says how to zoom (Ctrl or ⌘ with the wheel, or a pinch, which browsers send as
 * a wheel turn with Ctrl): a drawing that took every turn stopped a reader scrolling
 * past it, and zoomed it instead. Where the page does not scroll (a drawing filling
 * its window), the wheel zooms, as it always did.
 */
function letThePageScroll(container) {
  if (container.dataset.wheel) return; // drawn in before: its listener is there
  container.dataset.wheel = "page";
  let hint = null;
  let timer = 0;
  container.addEventListener("wheel", (event) => {
    const scrolls = document.documentElement.scrollHeight > window.innerHeight;
    if (event.ctrlKey || event.metaKey || !scrolls) return;
    event.stopPropagation(); // before the drawing's own listener, below this one
    if (!hint || !hint.isConnected) {
      // Shown to the pointer only: the page's own text says how to zoom.
      hint = el("p", "Hold Ctrl (or ⌘) and scroll to zoom the drawing", "graph-hint");
      hint.setAttribute("aria-hidden", "true");
      container.append(hint);
    }
    hint.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => { hint.hidden = true; }, HINT_MS);
  }, { capture: true });
}

/** Say in an empty drawing itself why it is empty: a blank box beside a notice
 * elsewhere on the page read as a drawing that failed. */
function emptyNote(container, text) {
  container.append(el("p", text || "Nothing to draw: this view has no nodes.", "graph-empty"));
}

/** Ids of the nodes labelled at all times: in a small view every node, else aggregates
 * and the best-connected entities. */
export function hubIds(nodes) {
  const count = nodes.length <= LABEL_ALL ? nodes.length : HUB_LABELS;
  const ranked = nodes.slice().sort((a, b) =>
    (b.degree - a.degree) || String(a.label).localeCompare(String(b.label)));
  const hubs = ranked.slice(0, count).map((n) => n.id);
  return new Set(hubs.concat(nodes.filter(isAggregate).map((n) => n.id)));
}

function sizer(nodes, bySize) {
  const valueOf = (n) => (bySize && n.value !== undefined ? n.value : n.degree + 1);
  const max = Math.max(1e-9, ...nodes.map(valueOf));
  return (n) => MIN_SIZE + (MAX_SIZE - MIN_SIZE) * Math.sqrt(Math.max(0, valueOf(n)) / max);
}

function shortLabel(text) {
  const label = String(text);
  return label.length > 32 ? label.slice(0, 31) + "…" : label;
}

function visNode(node, view) {
  const aggregate = isAggregate(node);
  const out = {
    id: node.id,
    label: view.labelled.has(node.id) ? shortLabel(node.label) : "",
    title: tooltip([node.label, node.classLabel, "degree " + node.degree]),
    color: { background: node.colour, border: node.focus ? TEXT : node.colour },
    borderWidth: node.id === view.data.focus ? 3 : 1,
    shape: aggregate ? "box" : "dot",
    size: view.sizeOf(node),
    font: aggregate ? { color: "#ffffff", strokeWidth: 0 } : undefined,
  };
  if (node.x !== undefined && node.y !== undefined) {
    out.x = node.x;
    out.y = node.y;
  }
  return out;
}

/** One line saying how well an edge is supported. */
export function evidenceLine(edge) {
  const n = (edge.evidence || []).length;
  if (edge.count > 1) return edge.count + " relations";
  if (n === 0) return "no evidence recorded";
  return n + (n === 1 ? " source statement" : " source statements") +
    (edge.confidence ? ", best confidence " + edge.confidence : "");
}

function visEdge(edge, showLabels) {
  const text = edge.label + (edge.role ? " (" + edge.role + ")" : "");
  const evidence = (edge.evidence || []).length;
  return {
    id: edge.id,
    from: edge.from,
    to: edge.to,
    label: showLabels ? text : undefined,
    title: tooltip([text, evidenceLine(edge)]),
    arrows: edge.count > 1 ? undefined : "to",
    dashes: edge.count <= 1 && evidence === 0,
    width: Math.min(1 + (edge.count > 1 ? Math.log(edge.count) : evidence), 6),
  };
}

function options(placed) {
  return {
    layout: { randomSeed: LAYOUT_SEED, improvedLayout: !placed },
    nodes: { font: { size: 16, face: FONT, color: TEXT, strokeWidth: 4, strokeColor: "#ffffff" } },
    edges: {
      color: { color: EDGE, highlight: TEXT, hover: TEXT },
      font: { size: 11, face: FONT, align: "middle" },
      smooth: { enabled: true, type: "continuous" },
    },
    physics: {
      enabled: !placed,
      stabilization: { iterations: 300, fit: false },
      barnesHut: { gravitationalConstant: -6000, springLength: 140 },
    },
    interaction: { hover: true, tooltipDelay: 150, keyboard: { enabled: true, bindToWindow: false } },
  };
}

function showLabelsOnHover(view) {
  view.network.on("hoverNode", (event) => {
    const node = view.byId.get(event.node);
    if (node && !view.labelled.has(node.id)) view.nodes.update({ id: node.id, label: shortLabel(node.label) });
  });
  view.network.on("blurNode", (event) => {
    if (!view.labelled.has(event.node)) view.nodes.update({ id: event.node, label: "" });
  });
}

/** The smallest share of the nodes-only zoom that whole labels may cost. */
const LABEL_ZOOM_FLOOR = 0.8;

/** The extent of `boxes` ({left, right, top, bottom} each) with `margin` around it. */
function extent(boxes, margin) {
  return {
    left: Math.min(...boxes.map((b) => b.left)) - margin,
    right: Math.max(...boxes.map((b) => b.right)) + margin,
    top: Math.min(...boxes.map((b) => b.top)) - margin,
    bottom: Math.max(...boxes.map((b) => b.bottom)) + margin,
  };
}

/** Room kept between two labels, or a label and a node, in the drawing's units. */
const LABEL_GAP = 3;

function overlaps(a, b) {
  return a.left < b.right + LABEL_GAP && b.left < a.right + LABEL_GAP &&
    a.top < b.bottom + LABEL_GAP && b.top < a.bottom + LABEL_GAP;
}

/** Where a node's label was last drawn (below the node), or null if it was not. vis
 * keeps it on the node's label; its bounding boxes leave out the gap above a label. */
function drawnLabel(view, id) {
  const node = view.network.body.nodes[id];
  const size = node && node.labelModule && node.labelModule.size;
  return size && size.width > 0 ? { left: size.left, right: size.left + size.width, top: size.top, bottom: size.top + size.height } : null;
}

/**
 * Names that would cover one another are moved: each node's label, the best-connected
 * first, stays below its node where that is clear of every node and of the labels
 * placed before it, else goes above. Where neither is clear, a large view's label
 * shows only on hover (a tap selects the node, and its panel names it), and a small
 * view's stays below: there every node is named. Long names side by side were drawn
 * over each other, and neither could be read. Reads the labels as last drawn, below.
 */
function declutter(view) {
  const positions = view.network.getPositions();
  const taken = Object.entries(positions).map(([id, p]) => {
    if (isAggregate(view.byId.get(id))) return { id, ...view.network.getBoundingBox(id) };
    const r = view.sizeOf(view.byId.get(id));
    return { id, left: p.x - r, right: p.x + r, top: p.y - r, bottom: p.y + r };
  });
  const changes = [];
  for (const id of view.named) {
    const below = drawnLabel(view, id);
    if (!below || !positions[id] || isAggregate(view.byId.get(id))) continue;
    const r = view.sizeOf(view.byId.get(id));
    const rise = below.bottom - (positions[id].y - r - LABEL_GAP);
    const above = { ...below, top: below.top - rise, bottom: below.bottom - rise };
    const free = (box) => !taken.some((t) => t.id !== id && overlaps(box, t));
    if (free(below)) {
      taken.push(below);
    } else if (free(above)) {
      taken.push(above);
      changes.push({ id, font: { vadjust: -rise } });
    } else if (view.byId.size > LABEL_ALL) {
      view.labelled.delete(id);
      changes.push({ id, label: "" });
    } else {
      taken.push(below);
    }
  }
  view.nodes.update(changes);
}

/** Name again the nodes the view names, all below their nodes, then move or hide those
 * that cover one another once they are drawn (vis measures a label as it draws it). */
function relabel(view, then) {
  view.labelled = new Set(view.named);
  const plain = view.named.filter((id) => !isAggregate(view.byId.get(id)));
  view.nodes.update(plain.map((id) => ({ id, label: shortLabel(view.byId.get(id).label), font: { vadjust: 0 } })));
  view.network.once("afterDrawing", () => {
    declutter(view);
    if (then) then();
  });
  view.network.redraw();
}

/**
 * Show every node with its label whole. vis-network's own fit does that at any cost,
 * which on a phone shrinks a drawing with long names until nothing is readable; here
 * whole labels may zoom out by a fifth at most beyond what the nodes and a label's
 * usual half-width need, and past that the longest labels at the sides are cut.
 */
function fitNodes(view) {
  const positions = Object.values(view.network.getPositions());
  if (!positions.length) return;
  const nodes = extent(positions.map((p) => ({ left: p.x - 90, right: p.x + 90, top: p.y - 55, bottom: p.y + 65 })), 0);
  const labels = extent(view.nodes.getIds().map((id) => view.network.getBoundingBox(id)), 12);
  const all = extent([nodes, labels], 0);
  const width = view.container.clientWidth || 1;
  const height = view.container.clientHeight || 1;
  const zoom = (box) => Math.min(width / (box.right - box.left), height / (box.bottom - box.top), 1.5);
  const scale = Math.max(zoom(all), LABEL_ZOOM_FLOOR * zoom(nodes));
  view.network.moveTo({ position: { x: (all.left + all.right) / 2, y: (all.top + all.bottom) / 2 }, scale, animation: false });
}

/**
 * Draw `data` (the /api/graph shape) into `container`. `settings.size` sizes nodes by
 * their `value` instead of their degree. Returns the view: vis network, data sets and
 * the JSON nodes and edges by id; `container.dataset.stabilized` turns "true" once the
 * layout has settled.
 */
export function draw(container, data, settings = {}) {
  const placed = data.nodes.length > 0 && data.nodes[0].x !== undefined;
  const view = {
    container,
    data,
    byId: new Map(data.nodes.map((n) => [n.id, n])),
    edgeById: new Map(data.edges.map((e) => [e.id, e])),
    labelled: hubIds(data.nodes),
    sizeOf: sizer(data.nodes, settings.size),
  };
  view.named = Array.from(view.labelled); // the best-connected first: they are placed first
  view.nodes = new vis.DataSet(data.nodes.map((n) => visNode(n, view)));
  view.edges = new vis.DataSet(data.edges.map((e) => visEdge(e, data.edges.length <= 40)));
  container.dataset.stabilized = "false";
  view.network = new vis.Network(container, { nodes: view.nodes, edges: view.edges }, options(placed));
  if (!data.nodes.length) emptyNote(container, settings.empty); // vis empties its container first
  letThePageScroll(container);
  const fit = () => fitNodes(view);
  const settle = () => {
    view.network.setOptions({ physics: false });
    // Fitted first: vis measures only the labels it draws on the screen.
    view.network.once("afterDrawing", () => {
      fit();
      relabel(view, () => { container.dataset.stabilized = "true"; });
    });
    view.network.on("dragEnd", (event) => { if (event.nodes.length) relabel(view); });
    view.network.redraw();
    view.network.on("resize", fit);
  };
  if (!data.nodes.length) settle();
  else view.network.once(placed ? "afterDrawing" : "stabilizationIterationsDone", settle);
  showLabelsOnHover(view);
  return view;
}

/** Add nodes and edges (an expansion) to a drawn view and let the layout settle again. */
export function extend(view, data) {
  const fresh = data.nodes.filter((n) => !view.byId.has(n.id));
  for (const n of data.nodes) view.byId.set(n.id, view.byId.get(n.id) || n);
  for (const e of data.edges) view.edgeById.set(e.id, e);
  view.nodes.update(fresh.map((n) => visNode(n, view)));
  view.edges.update(data.edges.map((e) => visEdge(e, false)));
  view.network.setOptions({ physics: { enabled: true } });
  view.network.stabilize(150);
  view.network.once("stabilizationIterationsDone", () => {
    view.network.setOptions({ physics: false });
    relabel(view);
  });
}

/** The legend's entries: one per colour, as the server named it, in a stable order. */
export function legendEntries(nodes) {
  const seen = new Map();
  for (const n of nodes) {
    if (!seen.has(n.legend)) seen.set(n.legend, { label: n.legend, colour: n.colour, order: n.community ?? 0 });
  }
  return Array.from(seen.values()).sort((a, b) => (a.order - b.order) || a.label.localeCompare(b.label));
}

/** Fill a list element with the legend of the drawn nodes. */
export function legend(target, view) {
  clear(target);
  for (const entry of legendEntries(Array.from(view.byId.values()))) {
    const swatch = el("span", null, "swatch");
    swatch.style.background = entry.colour;
    const item = el("li");
    item.append(swatch, document.createTextNode(entry.label));
    target.append(item);
  }
}

/** "12 nodes · 30 edges", with the full size when the view was cut to the node cap. */
export function countText(view) {
  const n = view.nodes.length;
  const m = view.edges.length;
  const total = view.data.truncated ? " (summarising " + view.data.total_nodes + ")" : "";
  return n + (n === 1 ? " node" : " nodes") + total + " · " + m + (m === 1 ? " edge" : " edges");
}

function legendRows(context, entries, width, unit) {
  const rows = [[]];
  let x = 0;
  for (const entry of entries) {
    const w = unit * 1.6 + context.measureText(entry.label).width + unit * 1.5;
    if (x + w > width && rows[rows.length - 1].length) {
      rows.push([]);
      x = 0;
    }
    rows[rows.length - 1].push({ entry, x });
    x += w;
  }
  return rows;
}

/** The current view as a PNG data URL, with the title, counts, labels and legend. */
export function pngOf(view, title) {
  const source = view.network.canvas.frame.canvas;
  const unit = 14 * (source.width / Math.max(1, source.clientWidth));
  const probe = document.createElement("canvas").getContext("2d");
  probe.font = unit + "px " + FONT;
  const rows = legendRows(probe, legendEntries(Array.from(view.byId.values())), source.width - 2 * unit, unit);
  const header = unit * 4;
  const copy = document.createElement("canvas");
  copy.width = source.width;
  copy.height = header + source.height + rows.length * unit * 1.8 + unit;
  const c = copy.getContext("2d");
  c.fillStyle = "#ffffff";
  c.fillRect(0, 0, copy.width, copy.height);
  c.fillStyle = TEXT;
  c.font = "bold " + unit * 1.4 + "px " + FONT;
  c.fillText(title, unit, unit * 1.8);
  c.font = unit + "px " + FONT;
  c.fillText(countText(view), unit, unit * 3.3);
  c.drawImage(source, 0, header);
  rows.forEach((row, i) => {
    const y = header + source.height + unit * (1.2 + i * 1.8);
    for (const { entry, x } of row) {
      c.fillStyle = entry.colour;
      c.beginPath();
      c.arc(unit + x + unit * 0.5, y - unit * 0.35, unit * 0.5, 0, 2 * Math.PI);
      c.fill();
      c.fillStyle = TEXT;
      c.fillText(entry.label, unit + x + unit * 1.4, y);
    }
  });
  return copy.toDataURL("image/png");
}

const SVG = "http://www.w3.org/2000/svg";

function svgEl(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** Whether a node's name was moved above it (``declutter``). */
function raised(view, id) {
  const node = view.nodes.get(id);
  return Boolean(node && node.font && node.font.vadjust < 0);
}

function bounds(positions, view) {
  const box = { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
  for (const [id, p] of Object.entries(positions)) {
    const r = view.sizeOf(view.byId.get(id) || { degree: 0 });
    box.left = Math.min(box.left, p.x - r - 80);
    box.right = Math.max(box.right, p.x + r + 80);
    box.top = Math.min(box.top, p.y - r - (raised(view, id) ? 24 : 0));
    box.bottom = Math.max(box.bottom, p.y + r + 24);
  }
  return Number.isFinite(box.left) ? box : { left: 0, top: 0, right: 1, bottom: 1 };
}

function svgDrawing(view, positions, place) {
  const group = svgEl("g", {});
  for (const edge of view.edges.get()) {
    const a = positions[edge.from];
    const b = positions[edge.to];
    if (!a || !b) continue;
    const [x1, y1] = place(a);
    const [x2, y2] = place(b);
    group.append(svgEl("line", { x1, y1, x2, y2, stroke: EDGE, "stroke-width": 1, "marker-end": edge.arrows ? "url(#arrow)" : "none" }));
  }
  for (const [id, p] of Object.entries(positions)) {
    const node = view.byId.get(id);
    if (!node) continue;
    const [cx, cy] = place(p);
    const r = view.sizeOf(node) * place.scale;
    const circle = svgEl("circle", { cx, cy, r: Math.max(2, r), fill: node.colour, stroke: "#ffffff" });
    circle.append(svgEl("title", {}, node.label));
    group.append(circle);
    if (view.labelled.has(id)) {
      const y = raised(view, id) ? cy - Math.max(2, r) - 5 : cy + Math.max(2, r) + 13;
      group.append(svgEl("text", { x: cx, y, "text-anchor": "middle", "font-size": 12, stroke: "#ffffff", "stroke-width": 3, "paint-order": "stroke", fill: TEXT }, shortLabel(node.label)));
    }
  }
  return group;
}

/** The current view as an SVG document (text), with the title, counts, labels and legend. */
export function svgOf(view, title) {
  const positions = view.network.getPositions();
  const box = bounds(positions, view);
  const width = 1200;
  const scale = (width - 40) / Math.max(1, box.right - box.left);
  const drawingHeight = (box.bottom - box.top) * scale;
  const entries = legendEntries(Array.from(view.byId.values()));
  const height = 70 + drawingHeight + 30 + entries.length * 20;
  const place = (p) => [20 + (p.x - box.left) * scale, 70 + (p.y - box.top) * scale];
  place.scale = scale;
  const svg = svgEl("svg", { xmlns: SVG, width, height, viewBox: `0 0 ${width} ${height}`, "font-family": FONT });
  const defs = svgEl("defs", {});
  const marker = svgEl("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 18, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
  marker.append(svgEl("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: EDGE }));
  defs.append(marker);
  svg.append(defs, svgEl("rect", { width, height, fill: "#ffffff" }));
  svg.append(svgEl("text", { x: 20, y: 30, "font-size": 20, "font-weight": "bold", fill: TEXT }, title));
  svg.append(svgEl("text", { x: 20, y: 52, "font-size": 13, fill: TEXT }, countText(view)));
  svg.append(svgDrawing(view, positions, place));
  entries.forEach((entry, i) => {
    const y = 70 + drawingHeight + 30 + i * 20;
    svg.append(svgEl("circle", { cx: 27, cy: y - 4, r: 6, fill: entry.colour }));
    svg.append(svgEl("text", { x: 40, y, "font-size": 13, fill: TEXT }, entry.label));
  });
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg);
}
