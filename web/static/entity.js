// Draws an entity's neighbourhood from the list the server rendered beside it.
(function () {
  "use strict";
  const container = document.getElementById("ego-network");
  if (!container || !window.civicNetwork) return;
  const focus = container.dataset.focus;
  const nodes = [{ id: focus, label: container.dataset.focusLabel, focus: true }];
  const edges = [];
  for (const item of document.querySelectorAll(".ego-list li")) {
    nodes.push({ id: item.dataset.iri, label: item.dataset.label, url: item.dataset.url });
    edges.push({ from: focus, to: item.dataset.iri, label: item.dataset.relation });
  }
  if (edges.length) window.civicNetwork.draw(container, nodes, edges);
  else container.hidden = true;
})();
