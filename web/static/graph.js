/*
 * The /graph page: reads the form (whose query string is the permalink), fetches the
 * view or the paths from the JSON API, draws them with CivicGraphView, and fills the
 * side panel. All data reach the page through textContent, never as HTML.
 */
(function () {
  "use strict";
  var RETRY_MS = 3000;

  function retryDelay(response) {
    var seconds = parseInt(response.headers.get("Retry-After") || "", 10);
    return seconds > 0 ? seconds * 1000 : RETRY_MS;
  }

  function progressText(body) {
    var text = body.stage || "starting";
    return typeof body.percent === "number" ? text + " · " + body.percent + "%" : text;
  }

  /* The page served while the network is built: poll its status, reload when ready. */
  function waitUntilReady(box) {
    var progress = document.getElementById("graph-progress");
    var bar = document.getElementById("graph-progress-bar");
    function poll() {
      fetch(box.dataset.statusApi, { headers: { Accept: "application/json" } }).then(function (response) {
        if (response.ok) { window.location.reload(); return null; }
        return response.json().then(function (body) {
          progress.textContent = progressText(body);
          if (typeof body.percent === "number") { bar.value = body.percent; }
          setTimeout(poll, retryDelay(response));
        });
      }).catch(function () { setTimeout(poll, RETRY_MS); });
    }
    setTimeout(poll, (parseInt(box.dataset.retryAfter, 10) || 3) * 1000);
  }

  var preparing = document.getElementById("graph-preparing");
  if (preparing) { waitUntilReady(preparing); return; }

  var form = document.getElementById("graph-form");
  var canvas = document.getElementById("graph-canvas");
  var details = document.getElementById("graph-details");
  var notice = document.getElementById("graph-notice");
  var errorBox = document.getElementById("graph-error");
  var legendList = document.getElementById("graph-legend");
  var pathSection = document.getElementById("graph-paths");
  var pathList = document.getElementById("path-list");
  var state = { drawn: null, nodes: {}, edges: {}, colour: "class" };
  var PATH_KEYS = ["from", "to", "max_hops", "k"];
  var HIGHLIGHT = "#b03a48";

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function formParams(skip) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "" && skip.indexOf(key) < 0) { params.append(key, value); }
    });
    return params;
  }

  /* Fetch JSON; while the server prepares the work (503 with Retry-After), say so and retry. */
  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(function (body) {
        if (response.status === 503 && response.headers.get("Retry-After")) {
          notice.textContent = "Preparing: " + body.detail;
          notice.hidden = false;
          return new Promise(function (resolve) { setTimeout(resolve, retryDelay(response)); })
            .then(function () { notice.hidden = true; return fetchJson(url); });
        }
        if (!response.ok) { throw new Error(body.detail || body.error || response.statusText); }
        return body;
      });
    });
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function remember(data) {
    data.nodes.forEach(function (n) { state.nodes[n.id] = n; });
    data.edges.forEach(function (e) { state.edges[e.id] = e; });
  }

  function updateCount() {
    canvas.dataset.nodeCount = String(state.drawn ? state.drawn.nodes.length : 0);
  }

  function draw(data) {
    state.nodes = {};
    state.edges = {};
    remember(data);
    state.drawn = CivicGraphView.draw(canvas, data, { colour: state.colour, size: !!form.elements.size.value });
    CivicGraphView.legend(legendList, state.drawn.colours);
    state.drawn.network.on("click", onClick);
    state.drawn.network.on("doubleClick", function (event) {
      if (event.nodes.length) { expand(event.nodes[0]); }
    });
    updateCount();
    window.civicgraph = state;
  }

  function showNotice(data) {
    if (!data.truncated) { notice.hidden = true; return; }
    var how = data.aggregated ? "grouped by " + data.aggregated : "showing the best-connected " + data.nodes.length;
    notice.textContent = "This view has " + data.total_nodes + " nodes, more than the limit of " +
      form.dataset.nodeCap + "; " + how + ". Narrow it with a focus entity or filters.";
    notice.hidden = false;
  }

  function row(list, label, value) {
    if (value === undefined || value === null || value === "") { return; }
    list.appendChild(el("dt", label));
    list.appendChild(el("dd", value));
  }

  function button(text, action) {
    var b = el("button", text);
    b.type = "button";
    b.addEventListener("click", action);
    return b;
  }

  function navigate(changes) {
    var params = formParams(PATH_KEYS);
    Object.keys(changes).forEach(function (key) { params.set(key, changes[key]); });
    window.location.search = params.toString();
  }

  function showAggregate(node) {
    clear(details);
    details.appendChild(el("h2", node.label));
    details.appendChild(el("p", node.count + " entities, grouped because the view passed the node cap."));
    if (node["class"].indexOf("community:") !== 0) {
      details.appendChild(button("Show only this class", function () { navigate({ classes: node["class"] }); }));
    }
  }

  function showNode(id) {
    var node = state.nodes[id];
    if (!node) { return; }
    if (node.url === null) { showAggregate(node); return; }
    clear(details);
    details.appendChild(el("h2", node.label, "node-title"));
    details.appendChild(el("p", node.classLabel, "node-class"));
    var facts = el("dl", null, "facts");
    details.appendChild(facts);
    row(facts, "Degree", node.degree);
    var actions = el("p", null, "panel-actions");
    var link = el("a", "Open entity page");
    link.href = node.url;
    actions.appendChild(link);
    actions.appendChild(button("Focus here", function () { navigate({ focus: id }); }));
    actions.appendChild(button("Expand", function () { expand(id); }));
    details.appendChild(actions);
    fetchJson(form.dataset.nodeApi + "?id=" + encodeURIComponent(id)).then(function (info) {
      row(facts, "Description", info.description);
      row(facts, "Also known as", info.altLabels.join("; "));
      row(facts, "PageRank", info.metrics.pagerank.toFixed(4));
      info.literals.forEach(function (lit) {
        if (lit.value !== info.label && lit.value !== info.description) { row(facts, lit.property, lit.value); }
      });
    }).catch(function (err) { showError(err.message); });
  }

  function evidenceList(edge) {
    var list = el("ul", null, "evidence");
    if (!edge.evidence.length) { list.appendChild(el("li", "No evidence recorded for this relation.", "empty")); }
    edge.evidence.forEach(function (ev) {
      var item = el("li");
      ev.sources.forEach(function (source, i) {
        if (i) { item.appendChild(document.createTextNode("; ")); }
        var node = state.nodes[source.iri];
        var a = el("a", source.label);
        a.href = node && node.url ? node.url : source.iri;
        item.appendChild(a);
      });
      var where = [ev.location, ev.confidence ? ev.confidence + " confidence" : "", ev.date]
        .filter(function (x) { return x; }).join(" · ");
      if (where) { item.appendChild(el("span", " — " + where, "where")); }
      list.appendChild(item);
    });
    return list;
  }

  function label(id) { return state.nodes[id] ? state.nodes[id].label : id; }

  function showEdge(id) {
    var edge = state.edges[id];
    if (!edge) { return; }
    clear(details);
    if (edge.count > 1) {
      details.appendChild(el("h2", edge.count + " relations"));
      details.appendChild(el("p", label(edge.from) + " — " + label(edge.to)));
      return;
    }
    details.appendChild(el("h2", edge.label, "edge-title"));
    details.appendChild(el("p", label(edge.from) + " → " + edge.label + " → " + label(edge.to)));
    var facts = el("dl", null, "facts");
    row(facts, "Role", edge.role);
    row(facts, "From", edge.start);
    row(facts, "Until", edge.end);
    row(facts, "Best confidence", edge.confidence);
    details.appendChild(facts);
    details.appendChild(el("h3", "Evidence"));
    details.appendChild(evidenceList(edge));
  }

  function onClick(event) {
    if (event.nodes.length) { showNode(event.nodes[0]); } else if (event.edges.length) { showEdge(event.edges[0]); }
  }

  function expand(id) {
    if (!state.nodes[id] || state.nodes[id].url === null) { return; }
    var params = formParams(PATH_KEYS.concat(["focus", "depth", "query"]));
    params.set("focus", id);
    params.set("depth", "1");
    params.set("overflow", "top");
    fetchJson(form.dataset.api + "?" + params.toString()).then(function (data) {
      var colours = CivicGraphView.palette(Object.values(state.nodes).concat(data.nodes), state.colour);
      remember(data);
      state.drawn.network.setOptions({ physics: { enabled: true } });
      state.drawn.nodes.update(data.nodes.map(function (n) { return CivicGraphView.visNode(n, colours, { colour: state.colour }); }));
      state.drawn.edges.update(data.edges.map(function (e) { return CivicGraphView.visEdge(e, false); }));
      state.drawn.network.stabilize(150);
      state.drawn.network.once("stabilizationIterationsDone", function () { state.drawn.network.setOptions({ physics: false }); });
      updateCount();
    }).catch(function (err) { showError(err.message); });
  }

  function highlight(path) {
    state.drawn.nodes.update(path.nodes.map(function (id) {
      return { id: id, borderWidth: 4, color: { background: state.drawn.nodes.get(id).color, border: HIGHLIGHT } };
    }));
    var ids = [];
    path.hops.forEach(function (hop) { hop.edges.forEach(function (e) { ids.push(e.id); }); });
    state.drawn.edges.update(ids.map(function (id) { return { id: id, width: 5, color: { color: HIGHLIGHT } }; }));
    canvas.dataset.highlighted = String(path.nodes.length);
  }

  function hopItem(hop) {
    var item = el("li", null, "hop");
    hop.edges.forEach(function (ref) {
      var edge = state.edges[ref.id];
      var text = label(hop.from) + (ref.forward ? " → " : " ← ") + edge.label + (ref.forward ? " → " : " ← ") + label(hop.to);
      item.appendChild(el("p", text, "hop-title"));
      item.appendChild(evidenceList(edge));
    });
    return item;
  }

  function pathItem(path, kind) {
    var item = el("li", null, "path");
    var title = button(kind + ": " + path.nodes.map(label).join(" – "), function () {
      draw(state.pathData);
      highlight(path);
    });
    title.className = "path-title";
    item.appendChild(title);
    var hops = el("ol", null, "hops");
    path.hops.forEach(function (hop) { hops.appendChild(hopItem(hop)); });
    item.appendChild(hops);
    return item;
  }

  function showPaths(data) {
    state.pathData = data;
    draw(data);
    pathSection.hidden = false;
    clear(pathList);
    if (!data.shortest.length && !data.simple.length) {
      pathList.appendChild(el("li", "No path within " + data.max_hops + " hops.", "empty"));
      return;
    }
    data.shortest.forEach(function (p) { pathList.appendChild(pathItem(p, "Shortest")); });
    data.simple.forEach(function (p) {
      if (p.nodes.length > data.shortest[0].nodes.length) { pathList.appendChild(pathItem(p, "Longer")); }
    });
    highlight(data.shortest[0]);
  }

  function links() {
    var query = formParams([]).toString();
    document.getElementById("permalink").href = window.location.pathname + (query ? "?" + query : "");
    document.getElementById("export-html").href = form.dataset.export + "?" + formParams(PATH_KEYS).toString();
  }

  function load() {
    state.colour = form.elements.colour.value;
    links();
    var from = form.elements.from.value;
    var to = form.elements.to.value;
    var request = from && to
      ? fetchJson(form.dataset.pathApi + "?" + formParams(["focus", "depth", "overflow"]).toString()).then(showPaths)
      : fetchJson(form.dataset.api + "?" + formParams(PATH_KEYS).toString()).then(function (data) { draw(data); showNotice(data); });
    request.catch(function (err) { showError(err.message); });
  }

  function fillOptions(results) {
    var list = document.getElementById("entity-options");
    clear(list);
    results.forEach(function (r) {
      var kind = r.classLabel || r.kind;
      var option = el("option", r.label + (kind ? " (" + kind + ")" : ""));
      option.value = r.id || r.iri;
      list.appendChild(option);
    });
  }

  function search(text) {
    var q = encodeURIComponent(text);
    return fetchJson(form.dataset.search + "?q=" + q + "&limit=10").then(function (body) {
      var results = Array.isArray(body) ? body : body.results;
      if (!Array.isArray(results)) { throw new Error("unexpected search answer"); }
      return results;
    }).catch(function () {
      return fetchJson(form.dataset.entitiesApi + "?q=" + q).then(function (body) { return body.results; });
    });
  }

  var timer = null;
  form.querySelectorAll("[data-typeahead]").forEach(function (input) {
    input.addEventListener("input", function () {
      clearTimeout(timer);
      if (input.value.length < 2 || input.value.indexOf("://") > 0) { return; }
      timer = setTimeout(function () { search(input.value).then(fillOptions); }, 200);
    });
  });

  document.getElementById("export-png").addEventListener("click", function () {
    if (!state.drawn) { return; }
    var a = el("a");
    a.href = CivicGraphView.pngOf(state.drawn.network);
    a.download = "civicgraph-network.png";
    document.body.appendChild(a);
    a.click();
    a.remove();
  });

  load();
}());
