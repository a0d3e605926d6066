// The query page: a CodeMirror editor that runs SPARQL against /sparql and shows the
// answer as a sortable, paginated table (and a network when the answer is a graph).
// Everything from the data is written with textContent; nothing is parsed as HTML.
(function () {
  "use strict";
  const PAGE_SIZE = 50;
  const form = document.getElementById("query-form");
  const textarea = document.getElementById("query-text");
  const statusLine = document.getElementById("query-status");
  const truncatedNotice = document.getElementById("query-truncated");
  const errorBox = document.getElementById("query-error");
  const results = document.getElementById("results");
  const tableView = document.getElementById("table-view");
  const networkView = document.getElementById("network-view");
  const showTable = document.getElementById("show-table");
  const showNetwork = document.getElementById("show-network");
  const downloads = document.getElementById("downloads");
  const permalink = document.getElementById("permalink");
  const RESULTS_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9";

  let completions = { prefixes: {}, terms: [] };
  let current = null; // {kind, vars, rows, labels, sort: {column, descending}, page}
  let errorMark = null;

  const editor = CodeMirror.fromTextArea(textarea, {
    mode: "application/sparql-query",
    lineNumbers: true,
    matchBrackets: true,
    viewportMargin: Infinity,
    extraKeys: {
      "Ctrl-Enter": () => run(),
      "Cmd-Enter": () => run(),
      "Ctrl-Space": "autocomplete",
      Tab: false,
      "Shift-Tab": false,
    },
    hintOptions: { hint: hint, completeSingle: false },
  });
  editor.getInputField().setAttribute("aria-label", "SPARQL query");

  // --- completion -------------------------------------------------------------

  fetch(form.dataset.completions)
    .then((r) => (r.ok ? r.json() : completions))
    .then((body) => { completions = body; });

  function declared(prefix) {
    return new RegExp("PREFIX\\s+" + prefix + ":", "i").test(editor.getValue());
  }

  function declare(prefix) {
    const namespace = completions.prefixes[prefix];
    if (namespace && !declared(prefix)) {
      editor.replaceRange("PREFIX " + prefix + ": <" + namespace + ">\n", { line: 0, ch: 0 });
    }
  }

  function hint(cm) {
    const cursor = cm.getCursor();
    const before = cm.getLine(cursor.line).slice(0, cursor.ch);
    const word = (before.match(/[A-Za-z][\w-]*:?[\w-]*$/) || [""])[0];
    const from = { line: cursor.line, ch: cursor.ch - word.length };
    const lower = word.toLowerCase();
    let list;
    if (word.includes(":")) {
      list = completions.terms
        .filter((t) => t.curie.toLowerCase().startsWith(lower))
        .map((t) => ({
          text: t.curie,
          displayText: t.curie + "  — " + t.label + " (" + t.kind + ")",
          hint: (editor, self, data) => {
            editor.replaceRange(data.text, self.from, self.to);
            declare(data.text.split(":")[0]);
          },
        }));
    } else {
      list = Object.keys(completions.prefixes)
        .filter((p) => p.startsWith(lower))
        .map((p) => ({
          text: p + ":",
          displayText: p + ":  <" + completions.prefixes[p] + ">",
          hint: (editor, self, data) => {
            editor.replaceRange(data.text, self.from, self.to);
            declare(p);
          },
        }));
    }
    return { list: list, from: from, to: cursor };
  }

  // --- running ----------------------------------------------------------------

  function request(text, accept) {
    const params = new URLSearchParams({ query: text });
    const endpoint = form.dataset.endpoint;
    if (params.toString().length < 1800) {
      return fetch(endpoint + "?" + params, { headers: { Accept: accept } });
    }
    return fetch(endpoint, {
      method: "POST",
      headers: { Accept: accept, "Content-Type": "application/x-www-form-urlencoded" },
      body: params,
    });
  }

  function updatePermalink(text) {
    const url = form.dataset.page + "?" + new URLSearchParams({ query: text });
    permalink.href = url;
    window.history.replaceState(null, "", url);
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.replaceChildren();
    if (errorMark) errorMark.clear();
    errorMark = null;
    for (let line = 0; line < editor.lineCount(); line++) {
      editor.removeLineClass(line, "background", "cm-error-line");
    }
  }

  function showError(body) {
    const where = body.line ? "Line " + body.line + ", column " + body.column + ": " : "";
    const title = document.createElement("strong");
    title.textContent = (body.error || "Error") + " (" + body.status + ")";
    const detail = document.createElement("p");
    detail.className = "error-position";
    detail.textContent = where + (body.detail || "");
    errorBox.replaceChildren(title, detail);
    errorBox.hidden = false;
    if (body.line) {
      const line = body.line - 1;
      const ch = Math.max(0, (body.column || 1) - 1);
      editor.addLineClass(line, "background", "cm-error-line");
      errorMark = editor.markText({ line: line, ch: ch }, { line: line, ch: ch + 1 },
        { className: "cm-error-char" });
      editor.setCursor({ line: line, ch: ch });
    }
  }

  async function errorBody(response) {
    try {
      return await response.json();
    } catch (e) {
      return { error: response.statusText, status: response.status, detail: "" };
    }
  }

  async function run() {
    const text = editor.getValue();
    updatePermalink(text);
    clearError();
    truncatedNotice.hidden = true;
    statusLine.textContent = "Running…";
    const started = performance.now();
    let response;
    try {
      response = await request(text, RESULTS_ACCEPT);
    } catch (e) {
      statusLine.textContent = "The server could not be reached.";
      return;
    }
    if (!response.ok) {
      const body = await errorBody(response);
      statusLine.textContent = "";
      results.hidden = true;
      downloads.hidden = true;
      showError(body);
      return;
    }
    const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
    const result = type === "application/n-triples"
      ? graphResult(await response.text())
      : selectResult(await response.json());
    const elapsed = Math.round(performance.now() - started);
    result.labels = await labels(result);
    current = result;
    current.sort = null;
    current.page = 0;
    const count = result.kind === "ask" ? "" : result.rows.length + (result.rows.length === 1 ? " row" : " rows") + " · ";
    statusLine.textContent = count + elapsed + " ms";
    const cap = response.headers.get("X-Civicgraph-Truncated");
    if (cap) {
      truncatedNotice.textContent = "Truncated: the server returns at most " + cap +
        " rows, so only the first " + result.rows.length + " are shown. Add LIMIT and OFFSET to page through the rest.";
      truncatedNotice.hidden = false;
    }
    showDownloads(result.kind);
    renderTable();
    renderNetwork();
    results.hidden = false;
  }

  // --- result shapes ----------------------------------------------------------

  function selectResult(body) {
    if (typeof body.boolean === "boolean") {
      return { kind: "ask", vars: ["answer"], rows: [[{ type: "literal", value: String(body.boolean) }]] };
    }
    const vars = body.head.vars;
    const rows = body.results.bindings.map((b) => vars.map((v) => b[v] || null));
    return { kind: "results", vars: vars, rows: rows };
  }

  const ESCAPES = { t: "\t", n: "\n", r: "\r", b: "\b", f: "\f", '"': '"', "'": "'", "\\": "\\" };

  // N-Triples string escapes (ECHAR and UCHAR of RDF 1.1 N-Triples §2.3).
  function unescapeLiteral(text) {
    return text.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_, e) =>
      e.length > 1 ? String.fromCodePoint(parseInt(e.slice(1), 16)) : (ESCAPES[e] || e));
  }

  function ntriplesTerm(text) {
    if (text.startsWith("<")) return { term: { type: "uri", value: text.slice(1, text.indexOf(">")) } };
    if (text.startsWith("_:")) return { term: { type: "bnode", value: text.slice(2).split(/\s/)[0] } };
    const match = text.match(/^"((?:[^"\\]|\\.)*)"(?:@([\w-]+)|\^\^<([^>]*)>)?/);
    if (!match) return null;
    const value = unescapeLiteral(match[1]);
    const term = { type: "literal", value: value };
    if (match[2]) term["xml:lang"] = match[2];
    if (match[3]) term.datatype = match[3];
    return { term: term };
  }

  function graphResult(text) {
    const rows = [];
    for (const line of text.split("\n")) {
      const match = line.match(/^(<[^>]*>|_:\S+)\s+<([^>]*)>\s+(.*?)\s*\.\s*$/);
      if (!match) continue;
      const object = ntriplesTerm(match[3]);
      if (!object) continue;
      rows.push([ntriplesTerm(match[1]).term, { type: "uri", value: match[2] }, object.term]);
    }
    return { kind: "graph", vars: ["subject", "predicate", "object"], rows: rows };
  }

  async function labels(result) {
    const iris = new Set();
    for (const row of result.rows) {
      for (const term of row) if (term && term.type === "uri") iris.add(term.value);
    }
    if (!iris.size) return {};
    const response = await fetch(form.dataset.labels, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ iris: Array.from(iris).slice(0, 1000) }),
    });
    return response.ok ? response.json() : {};
  }

  // --- table ------------------------------------------------------------------

  function display(term) {
    if (!term) return "";
    if (term.type === "uri") {
      const known = current.labels[term.value];
      return (known && known.label) || term.value;
    }
    if (term.type === "bnode") return "_:" + term.value;
    return term.value;
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const known = current.labels[term.value];
      const link = document.createElement("a");
      link.textContent = display(term);
      link.title = term.value;
      link.href = known && known.url ? known.url : term.value;
      if (!(known && known.url)) link.rel = "noopener noreferrer";
      td.append(link);
    } else {
      td.textContent = display(term);
      if (term.datatype) td.title = term.datatype;
      if (term["xml:lang"]) td.title = "@" + term["xml:lang"];
      if (term.datatype && /#(integer|decimal|double|float|int|long)$/.test(term.datatype)) td.className = "num";
    }
    return td;
  }

  function compare(a, b) {
    if (!a) return b ? 1 : 0;
    if (!b) return -1;
    const x = display(a);
    const y = display(b);
    const nx = Number(x);
    const ny = Number(y);
    if (a.type === "literal" && b.type === "literal" && x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) return nx - ny;
    return x.localeCompare(y, undefined, { sensitivity: "base" });
  }

  function sortedRows() {
    const rows = current.rows.slice();
    if (current.sort) {
      const { column, descending } = current.sort;
      rows.sort((r, s) => (descending ? -1 : 1) * compare(r[column], s[column]));
    }
    return rows;
  }

  function header() {
    const tr = document.createElement("tr");
    current.vars.forEach((name, column) => {
      const th = document.createElement("th");
      th.scope = "col";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = name;
      const sorted = current.sort && current.sort.column === column;
      th.setAttribute("aria-sort", sorted ? (current.sort.descending ? "descending" : "ascending") : "none");
      button.addEventListener("click", () => {
        const descending = sorted && !current.sort.descending;
        current.sort = { column: column, descending: descending };
        current.page = 0;
        renderTable();
        tableView.querySelectorAll("th button")[column].focus();
      });
      th.append(button);
      tr.append(th);
    });
    const thead = document.createElement("thead");
    thead.append(tr);
    return thead;
  }

  function pager(total) {
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const nav = document.createElement("nav");
    nav.className = "pager";
    nav.setAttribute("aria-label", "Result pages");
    const previous = document.createElement("button");
    previous.type = "button";
    previous.textContent = "← Previous";
    previous.disabled = current.page === 0;
    previous.addEventListener("click", () => { current.page -= 1; renderTable(); });
    const next = document.createElement("button");
    next.type = "button";
    next.textContent = "Next →";
    next.disabled = current.page >= pages - 1;
    next.addEventListener("click", () => { current.page += 1; renderTable(); });
    const where = document.createElement("span");
    const first = total ? current.page * PAGE_SIZE + 1 : 0;
    where.textContent = "Rows " + first + "–" + Math.min(total, (current.page + 1) * PAGE_SIZE) + " of " + total;
    nav.append(previous, where, next);
    return nav;
  }

  function renderTable() {
    const rows = sortedRows();
    const table = document.createElement("table");
    table.className = "results-table";
    table.append(header());
    const tbody = document.createElement("tbody");
    for (const row of rows.slice(current.page * PAGE_SIZE, (current.page + 1) * PAGE_SIZE)) {
      const tr = document.createElement("tr");
      for (const term of row) tr.append(cell(term));
      tbody.append(tr);
    }
    table.append(tbody);
    const wrapper = document.createElement("div");
    wrapper.className = "table-scroll";
    wrapper.append(table);
    tableView.replaceChildren(wrapper, pager(rows.length));
  }

  // --- network ----------------------------------------------------------------

  function edgesOf(result) {
    const isEntity = (t) => t && t.type === "uri";
    if (result.kind === "graph") {
      return result.rows
        .filter((r) => isEntity(r[0]) && isEntity(r[2]))
        .map((r) => ({ from: r[0].value, to: r[2].value, predicate: r[1].value }));
    }
    if (result.kind !== "results" || !result.rows.length) return [];
    const columns = result.vars.map((_, i) => i).filter((i) => result.rows.every((r) => !r[i] || r[i].type === "uri"));
    const used = columns.filter((i) => result.rows.some((r) => r[i]));
    if (used.length < 2) return [];
    const [from, to] = used;
    return result.rows
      .filter((r) => r[from] && r[to])
      .map((r) => ({ from: r[from].value, to: r[to].value, predicate: result.vars[to] }));
  }

  function renderNetwork() {
    const edges = edgesOf(current);
    showNetwork.hidden = edges.length === 0;
    if (!edges.length) { select(false); return; }
    const nodes = new Map();
    for (const e of edges) {
      for (const iri of [e.from, e.to]) {
        const known = current.labels[iri] || {};
        nodes.set(iri, { id: iri, label: known.label || iri, url: known.url });
      }
    }
    const labelled = edges.map((e) => {
      const known = current.labels[e.predicate];
      return { from: e.from, to: e.to, label: (known && known.label) || e.predicate.split(/[#/]/).pop() };
    });
    current.network = { nodes: Array.from(nodes.values()), edges: labelled, drawn: false };
    if (!networkView.hidden) drawNetwork();
  }

  function drawNetwork() {
    if (current && current.network && !current.network.drawn) {
      window.civicNetwork.draw(networkView, current.network.nodes, current.network.edges);
      current.network.drawn = true;
    }
  }

  function select(network) {
    tableView.hidden = network;
    networkView.hidden = !network;
    showTable.setAttribute("aria-pressed", String(!network));
    showNetwork.setAttribute("aria-pressed", String(network));
    if (network) drawNetwork();
  }

  showTable.addEventListener("click", () => select(false));
  showNetwork.addEventListener("click", () => select(true));

  // --- downloads --------------------------------------------------------------

  function showDownloads(kind) {
    const wanted = kind === "graph" ? "graph" : "results";
    for (const button of downloads.querySelectorAll("button.download")) {
      button.hidden = button.dataset.kind !== wanted;
    }
    downloads.hidden = false;
  }

  downloads.addEventListener("click", async (event) => {
    const button = event.target.closest("button.download");
    if (!button) return;
    const response = await request(editor.getValue(), button.dataset.mediaType);
    if (!response.ok) { showError(await errorBody(response)); return; }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = "civicgraph-query." + button.dataset.extension;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });

  if (new URLSearchParams(window.location.search).has("query")) run();
})();
