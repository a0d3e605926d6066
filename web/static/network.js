// A small network drawing shared by entity pages and the query page, on vis-network
// from the vendored build. Tooltips are DOM elements filled with textContent, so a
// label from the data can never become markup.
(function () {
  "use strict";

  function tooltip(text) {
    const element = document.createElement("div");
    element.className = "network-tooltip";
    element.textContent = text;
    return element;
  }

  function draw(container, nodes, edges) {
    if (!window.vis || !container) return null;
    const data = {
      nodes: new vis.DataSet(nodes.map((n) => ({
        id: n.id,
        label: n.label.length > 40 ? n.label.slice(0, 39) + "…" : n.label,
        title: tooltip(n.label + "\n" + n.id),
        url: n.url,
        color: n.focus ? "#1f5fa8" : "#9fc2e7",
        font: { color: n.focus ? "#ffffff" : "#1d2430" },
        shape: "box",
      }))),
      edges: new vis.DataSet(edges.map((e, i) => ({
        id: i,
        from: e.from,
        to: e.to,
        label: e.label,
        title: tooltip(e.label),
        arrows: "to",
        font: { size: 10, align: "middle" },
      }))),
    };
    const network = new vis.Network(container, data, {
      physics: { stabilization: { iterations: 150 } },
      interaction: { hover: true, keyboard: { enabled: true, bindToWindow: false } },
    });
    network.on("doubleClick", (params) => {
      const node = params.nodes.length ? data.nodes.get(params.nodes[0]) : null;
      if (node && node.url) window.location.assign(node.url);
    });
    return network;
  }

  window.civicNetwork = { draw: draw };
})();
