/*
 * Draws network JSON (the /api/graph shape) with vis-network. Shared by the /graph
 * page and the standalone HTML export. Every label and tooltip is text: tooltips are
 * DOM elements filled with textContent, and node labels are painted on the canvas.
 */
(function () {
  "use strict";

  var PALETTE = ["#1f5fa8", "#d9822b", "#2e8b57", "#b03a48", "#7b5ea7", "#8c6d46",
    "#c2569b", "#5b6472", "#9a9a1f", "#1a9bab", "#e0a3b8", "#6fa8dc"];

  function tooltip(lines) {
    var box = document.createElement("div");
    box.className = "graph-tip";
    lines.forEach(function (line) {
      if (line === "" || line === null || line === undefined) { return; }
      var row = document.createElement("div");
      row.textContent = String(line);
      box.appendChild(row);
    });
    return box;
  }

  function colourKey(node, mode) {
    if (mode === "community" && node.community !== undefined && node.community !== null) {
      return { key: "community:" + node.community, label: "Community " + (node.community + 1) };
    }
    return { key: node.group || node["class"], label: node.groupLabel || node.classLabel };
  }

  function palette(nodes, mode) {
    var seen = {};
    var keys = [];
    nodes.forEach(function (node) {
      var k = colourKey(node, mode);
      if (!seen[k.key]) { seen[k.key] = k.label; keys.push(k.key); }
    });
    keys.sort();
    var colours = {};
    keys.forEach(function (key, i) { colours[key] = { colour: PALETTE[i % PALETTE.length], label: seen[key] }; });
    return colours;
  }

  function evidenceLine(edge) {
    var n = (edge.evidence || []).length;
    if (edge.count > 1) { return edge.count + " relations"; }
    if (n === 0) { return "no evidence recorded"; }
    return n + (n === 1 ? " source statement" : " source statements") +
      (edge.confidence ? ", best confidence " + edge.confidence : "");
  }

  function visNode(node, colours, options) {
    var key = colourKey(node, options.colour).key;
    var out = {
      id: node.id,
      label: node.label,
      title: tooltip([node.label, node.classLabel, "degree " + node.degree]),
      color: colours[key].colour,
      shape: node.url === null && node.count > 1 ? "box" : "dot",
      font: { color: node.url === null && node.count > 1 ? "#ffffff" : "#1d2430" },
      value: options.size && node.value !== undefined ? node.value : node.degree + 1
    };
    if (node.x !== undefined && node.y !== undefined) { out.x = node.x; out.y = node.y; }
    return out;
  }

  function visEdge(edge, showLabels) {
    var text = edge.label + (edge.role ? " (" + edge.role + ")" : "");
    return {
      id: edge.id,
      from: edge.from,
      to: edge.to,
      label: showLabels ? text : undefined,
      title: tooltip([text, evidenceLine(edge)]),
      arrows: edge.count > 1 ? undefined : "to",
      dashes: edge.count <= 1 && (edge.evidence || []).length === 0,
      width: Math.min(1 + (edge.count > 1 ? Math.log(edge.count) : (edge.evidence || []).length), 6)
    };
  }

  function draw(container, data, options) {
    options = options || {};
    var colours = palette(data.nodes, options.colour);
    var nodes = new vis.DataSet(data.nodes.map(function (n) { return visNode(n, colours, options); }));
    var edges = new vis.DataSet(data.edges.map(function (e) { return visEdge(e, data.edges.length <= 60); }));
    var placed = data.nodes.length > 0 && data.nodes[0].x !== undefined;
    var network = new vis.Network(container, { nodes: nodes, edges: edges }, {
      nodes: { scaling: { min: 8, max: 36 }, font: { size: 14 } },
      edges: { color: { color: "#8a94a3", highlight: "#1d2430" }, font: { size: 11, align: "middle" },
        smooth: { enabled: true, type: "continuous" } },
      physics: { enabled: !placed, stabilization: { iterations: 300, fit: true },
        barnesHut: { gravitationalConstant: -6000, springLength: 140 } },
      interaction: { hover: true, tooltipDelay: 150, navigationButtons: false }
    });
    function settle() {
      network.setOptions({ physics: false });
      container.dataset.stabilized = "true";
    }
    if (placed) {
      network.once("afterDrawing", settle);
    } else {
      network.once("stabilizationIterationsDone", settle);
    }
    return { network: network, nodes: nodes, edges: edges, colours: colours };
  }

  function legend(target, colours) {
    while (target.firstChild) { target.removeChild(target.firstChild); }
    Object.keys(colours).forEach(function (key) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colours[key].colour;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(colours[key].label));
      target.appendChild(item);
    });
  }

  function pngOf(network) {
    var source = network.canvas.frame.canvas;
    var copy = document.createElement("canvas");
    copy.width = source.width;
    copy.height = source.height;
    var context = copy.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, copy.width, copy.height);
    context.drawImage(source, 0, 0);
    return copy.toDataURL("image/png");
  }

  window.CivicGraphView = {
    draw: draw, legend: legend, tooltip: tooltip, palette: palette,
    visNode: visNode, visEdge: visEdge, evidenceLine: evidenceLine, pngOf: pngOf
  };
}());
