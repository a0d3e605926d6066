/*
 * Boots a standalone network file written by `civicgraph graph -o` or the export
 * button: reads the embedded JSON, draws it, and shows details of what is clicked.
 * Works offline; everything it needs is inside the file.
 */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var settings = JSON.parse(document.getElementById("graph-settings").textContent);
  var canvas = document.getElementById("graph-canvas");
  var details = document.getElementById("graph-details");
  var drawn = CivicGraphView.draw(canvas, data, settings);
  CivicGraphView.legend(document.getElementById("graph-legend"), drawn.colours);
  canvas.dataset.nodeCount = String(data.nodes.length);

  function line(text) {
    var row = document.createElement("p");
    row.textContent = text;
    details.appendChild(row);
  }

  function show(title, lines) {
    while (details.firstChild) { details.removeChild(details.firstChild); }
    var heading = document.createElement("h2");
    heading.textContent = title;
    details.appendChild(heading);
    lines.forEach(line);
  }

  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });
  var edgeById = {};
  data.edges.forEach(function (e) { edgeById[e.id] = e; });

  drawn.network.on("click", function (event) {
    if (event.nodes.length) {
      var node = byId[event.nodes[0]];
      show(node.label, [node.classLabel, node.description || "", "Degree " + node.degree, node.id]);
    } else if (event.edges.length) {
      var edge = edgeById[event.edges[0]];
      var lines = [(byId[edge.from] || {}).label + " → " + edge.label + " → " + (byId[edge.to] || {}).label];
      if (edge.role) { lines.push("Role: " + edge.role); }
      (edge.evidence || []).forEach(function (ev) {
        var sources = ev.sources.map(function (s) { return s.label; }).join("; ");
        lines.push("Evidence: " + sources + (ev.location ? ", " + ev.location : "") +
          (ev.confidence ? " (" + ev.confidence + " confidence)" : "") + (ev.date ? ", " + ev.date : ""));
      });
      show("Relation", lines);
    }
  });
}());
