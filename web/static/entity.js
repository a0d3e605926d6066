// An entity page's neighbourhood, drawn from /api/graph like every other network view.
// Without JavaScript the list of neighbours beside it says the same.
import { fetchJson } from "./api.js";
import { draw, legend, countText } from "./network-view.js";
import { safeHref } from "./links.js";

const container = document.getElementById("ego-network");
if (container && window.vis) {
  const counts = document.getElementById("ego-counts");
  fetchJson(container.dataset.api).then((data) => {
    if (data.edges.length === 0) {
      container.hidden = true;
      if (counts) counts.textContent = "No relation in the network to draw around it; what the graph says of it is listed on this page.";
      return;
    }
    const view = draw(container, data);
    if (counts) counts.textContent = countText(view);
    const key = document.getElementById("ego-legend");
    if (key) legend(key, view);
    view.network.on("doubleClick", (event) => {
      const node = event.nodes.length ? view.byId.get(event.nodes[0]) : null;
      const target = node && safeHref(node.url);
      if (target) window.location.assign(target);
    });
  }).catch(() => { container.hidden = true; });
}
