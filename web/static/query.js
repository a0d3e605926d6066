// The query page: a CodeMirror editor that runs SPARQL against /sparql and shows the
// answer as a sortable, paginated table, and CONSTRUCT/DESCRIBE answers also as a
// network drawn from /api/graph?query= like every other network view. Errors name the
// wrong word and offer the fix; terms the ontology does not define are flagged.
// Everything from the data is written with textContent; nothing is parsed as HTML.
import { el, button, download, fileName } from "./dom.js";
import { replaceAddress } from "./links.js";
import { fetchJson } from "./api.js";
import { draw, legend, countText } from "./network-view.js";
import { renderTable } from "./query-table.js";
import { remember, showHistory } from "./query-history.js";
import {
  missingPrefixes, prefixLines, queryTitle, unknownTerms, unstatedTerms, declaredPrefixes, exactTypes, widenType,
  replaceName,
} from "./query-text.js";

const form = document.getElementById("query-form");
const textarea = document.getElementById("query-text");
const statusLine = document.getElementById("query-status");
const truncatedNotice = document.getElementById("query-truncated");
const warnings = document.getElementById("query-warnings");
const errorBox = document.getElementById("query-error");
const results = document.getElementById("results");
const tableView = document.getElementById("table-view");
const askAnswer = document.getElementById("ask-answer");
const noRows = document.getElementById("no-rows");
const networkView = document.getElementById("network-view");
const networkCanvas = document.getElementById("network-canvas");
const showTable = document.getElementById("show-table");
const showNetwork = document.getElementById("show-network");
const viewSwitch = showNetwork.parentElement;
const downloads = document.getElementById("downloads");
const dataLink = document.getElementById("data-link");
const permalink = document.getElementById("permalink");
const history = document.getElementById("history-entries");
const RESULTS_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9";

let completions = { prefixes: {}, terms: [], unstated: {} };
let current = null;
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
  hintOptions: { hint, completeSingle: false },
});
editor.getInputField().setAttribute("aria-label", "SPARQL query");
// Clicking the empty part of the editor, below the last line, puts the cursor at the end.
editor.getWrapperElement().addEventListener("mousedown", (event) => {
  if (event.target.closest(".CodeMirror-line, .CodeMirror-gutter-elt, .CodeMirror-hints")) return;
  event.preventDefault();
  editor.focus();
  editor.setCursor(editor.lineCount(), 0);
});

// A query run before the completions arrive waits for them, so its IRIs show as CURIEs.
const completionsLoaded = fetch(form.dataset.completions)
  .then((r) => (r.ok ? r.json() : completions))
  .catch(() => completions)
  .then((body) => { completions = body; checkTerms(); });

// --- completion and prefixes ------------------------------------------------

// `namespaces` defaults to the completions, which may not have arrived yet; an error's fix
// passes the namespace the server named, so the fix works however early it is clicked.
function declare(prefixes, namespaces = completions.prefixes) {
  const lines = prefixLines(prefixes.filter((p) => !declaredPrefixes(editor.getValue()).has(p)), namespaces);
  if (lines) editor.replaceRange(lines, { line: 0, ch: 0 });
}

function hint(cm) {
  const cursor = cm.getCursor();
  const before = cm.getLine(cursor.line).slice(0, cursor.ch);
  const word = (before.match(/[A-Za-z][\w-]*:?[\w-]*$/) || [""])[0];
  const from = { line: cursor.line, ch: cursor.ch - word.length };
  const lower = word.toLowerCase();
  const pick = (prefix) => (cmEditor, self, data) => {
    cmEditor.replaceRange(data.text, self.from, self.to);
    declare([prefix]);
  };
  const list = word.includes(":")
    ? completions.terms.filter((t) => t.curie.toLowerCase().startsWith(lower)).map((t) => ({
      text: t.curie, displayText: t.curie + "  — " + t.label + " (" + t.kind + ")", hint: pick(t.curie.split(":")[0]),
    }))
    : Object.keys(completions.prefixes).filter((p) => p.startsWith(lower)).map((p) => ({
      text: p + ":", displayText: p + ":  <" + completions.prefixes[p] + ">", hint: pick(p),
    }));
  return { list, from, to: cursor };
}

document.getElementById("add-prefixes").addEventListener("click", async () => {
  await completionsLoaded;
  declare(missingPrefixes(editor.getValue()));
  checkTerms();
});

function checkTerms() {
  document.getElementById("add-prefixes").disabled = missingPrefixes(editor.getValue()).length === 0;
  const found = unknownTerms(editor.getValue(), completions.prefixes, completions.terms);
  const exact = exactTypes(editor.getValue(), completions.prefixes, completions.terms);
  const unstated = unstatedTerms(editor.getValue(), completions.prefixes, completions.unstated || {});
  warnings.replaceChildren(...found.map((term) => {
    const line = el("p", term.curie + " is not defined in the ontology" +
      (term.built ? ": the triples this query builds use a term nothing in the data uses." : ", so it matches nothing in the data.") +
      (term.suggestion ? " Did you mean " + term.suggestion + "?" : ""));
    if (term.suggestion) {
      line.append(" ", button("Use " + term.suggestion, () => {
        editor.setValue(replaceName(editor.getValue(), term.curie, term.suggestion));
        checkTerms();
      }));
    }
    return line;
  }), ...exact.map(narrowerNote), ...unstated.map(unstatedNote));
  warnings.hidden = found.length + exact.length + unstated.length === 0;
}

/** A standard term the data never states, and the ontology's own terms to use. */
function unstatedNote(term) {
  const line = el("p");
  line.append(el("code", term.curie), " is a standard term the data does not state: it states ",
    ...term.own.flatMap((own, i) => [i ? ", " : "", el("code", own)]),
    " below it, and no inference runs, so " + term.curie + " finds nothing.");
  if (term.own.length === 1) {
    const own = term.own[0];
    line.append(" ", button("Use " + own, () => {
      editor.setValue(replaceName(editor.getValue(), term.curie, own));
      declare([own.split(":")[0]]);
      checkTerms();
    }));
  }
  return line;
}

/** A class asked for with `a` whose narrower classes that pattern misses, and the fix. */
function narrowerNote(type) {
  const named = type.narrower.slice(0, 3).join(", ") + (type.narrower.length > 3 ? " and more" : "");
  const line = el("p");
  line.append(el("code", "a " + type.curie), " matches only what is typed " + type.curie +
    " itself, not its narrower classes (" + named + "). To include them, write ",
  el("code", "a/rdfs:subClassOf* " + type.curie), ".");
  line.append(" ", button("Include narrower classes", () => {
    editor.setValue(widenType(editor.getValue(), type.curie));
    declare(["rdfs"]);
    checkTerms();
  }));
  return line;
}

let checkTimer = null;
editor.on("change", () => {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(checkTerms, 400);
});

// --- running ----------------------------------------------------------------

/** What the query runs over besides the store as it is (its dataset, a version), as the
 * page's link said; sent with every run, and kept in the permalink. */
const kept = new URLSearchParams(form.dataset.kept || "");
const LONGEST_LINK = Number(form.dataset.longestLink || "8000");

function request(text, accept) {
  const params = new URLSearchParams({ query: text });
  for (const [name, value] of kept) params.append(name, value);
  const endpoint = form.dataset.endpoint;
  if (params.toString().length < 1800) return fetch(endpoint + "?" + params, { headers: { Accept: accept } });
  return fetch(endpoint, {
    method: "POST",
    headers: { Accept: accept, "Content-Type": "application/x-www-form-urlencoded" },
    body: params,
  });
}

function updatePermalink(text) {
  const params = new URLSearchParams({ query: text });
  for (const [name, value] of kept) params.append(name, value);
  const url = form.dataset.page + "?" + params;
  // A link longer than the server reads would be refused (414): none is offered.
  permalink.hidden = url.length > LONGEST_LINK;
  if (!permalink.hidden) {
    permalink.href = url;
    replaceAddress(url);
  }
}

function clearError() {
  errorBox.hidden = true;
  errorBox.replaceChildren();
  if (errorMark) errorMark.clear();
  errorMark = null;
  for (let line = 0; line < editor.lineCount(); line++) editor.removeLineClass(line, "background", "cm-error-line");
}

function showError(body) {
  const detail = el("p", body.detail || "", "error-position");
  errorBox.replaceChildren(el("strong", (body.error || "Error") + " (" + body.status + ")"), detail);
  const namespace = body.prefix !== undefined && (body.namespace || completions.prefixes[body.prefix]);
  if (namespace) {
    errorBox.append(button("Add PREFIX " + body.prefix + ": and run again", () => {
      declare([body.prefix], { [body.prefix]: namespace });
      run();
    }, "fix"));
  }
  errorBox.hidden = false;
  if (body.line && body.line <= editor.lineCount()) {
    const line = body.line - 1;
    const ch = Math.max(0, (body.column || 1) - 1);
    editor.addLineClass(line, "background", "cm-error-line");
    errorMark = editor.markText({ line, ch }, { line, ch: ch + 1 }, { className: "cm-error-char" });
  }
}

async function errorBody(response) {
  try {
    return await response.json();
  } catch {
    return { error: response.statusText, status: response.status, detail: "" };
  }
}

function countLine(result, elapsed) {
  const n = result.rows.length;
  if (result.kind === "ask") return "Answer: " + (result.rows[0][0].value === "true" ? "yes" : "no") + " · " + elapsed + " ms";
  const unit = result.kind === "graph" ? (n === 1 ? " triple" : " triples") : (n === 1 ? " row" : " rows");
  return n + unit + " · " + elapsed + " ms";
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
  } catch {
    statusLine.textContent = "The server could not be reached.";
    return;
  }
  if (!response.ok) {
    statusLine.textContent = "";
    results.hidden = true;
    downloads.hidden = true;
    showError(await errorBody(response));
    return;
  }
  const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
  const result = type === "application/n-triples" ? graphResult(await response.text()) : selectResult(await response.json());
  result.labels = await labels(result);
  await completionsLoaded;
  result.namespaces = completions.prefixes;
  result.sort = null;
  result.page = 0;
  result.text = text;
  current = result;
  statusLine.textContent = countLine(result, Math.round(performance.now() - started));
  const cap = response.headers.get("X-Civicgraph-Truncated");
  if (cap) {
    truncatedNotice.textContent = "Truncated: the server returns at most " + cap + " rows, so only the first " +
      result.rows.length + " are shown. Add LIMIT and OFFSET to page through the rest.";
    truncatedNotice.hidden = false;
  }
  remember(text, queryTitle(text));
  showHistory(history, load);
  showDownloads(result.kind, text);
  const table = showAnswer(result);
  showNetwork.hidden = !table || !(result.kind === "graph" || pairsOfIris(result));
  viewSwitch.hidden = showNetwork.hidden;
  select(false);
  results.hidden = false;
}

/** Show an ASK's answer as a sentence and an empty result as advice (the page holds
 * it, with its links), or else the table; returns whether there is a table. */
function showAnswer(result) {
  const asked = result.kind === "ask";
  const empty = !asked && result.rows.length === 0;
  askAnswer.hidden = !asked;
  if (asked) {
    askAnswer.textContent = result.rows[0][0].value === "true"
      ? "Yes: the data holds at least one match for the pattern."
      : "No: nothing in the data matches the pattern.";
  }
  noRows.hidden = !empty;
  if (asked || empty) {
    tableView.replaceChildren();
    return false;
  }
  renderTable(result, tableView);
  return true;
}

// --- result shapes ----------------------------------------------------------

/** Whether a SELECT's first two columns hold IRIs in some row: the network view draws
 * each such row as an edge from the first to the second. */
function pairsOfIris(result) {
  if (result.kind !== "results" || result.vars.length < 2) return false;
  return result.rows.some((row) => row[0] && row[1] && row[0].type === "uri" && row[1].type === "uri");
}

function selectResult(body) {
  if (typeof body.boolean === "boolean") {
    return { kind: "ask", vars: ["answer"], rows: [[{ type: "literal", value: String(body.boolean) }]] };
  }
  const vars = body.head.vars;
  return { kind: "results", vars, rows: body.results.bindings.map((b) => vars.map((v) => b[v] || null)) };
}

const ESCAPES = { t: "\t", n: "\n", r: "\r", b: "\b", f: "\f", '"': '"', "'": "'", "\\": "\\" };

// N-Triples string escapes (ECHAR and UCHAR of RDF 1.1 N-Triples §2.3).
function unescapeLiteral(text) {
  return text.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_, e) =>
    e.length > 1 ? String.fromCodePoint(parseInt(e.slice(1), 16)) : (ESCAPES[e] || e));
}

function ntriplesTerm(text) {
  if (text.startsWith("<")) return { type: "uri", value: text.slice(1, text.indexOf(">")) };
  if (text.startsWith("_:")) return { type: "bnode", value: text.slice(2).split(/\s/)[0] };
  const match = text.match(/^"((?:[^"\\]|\\.)*)"(?:@([\w-]+)|\^\^<([^>]*)>)?/);
  if (!match) return null;
  const term = { type: "literal", value: unescapeLiteral(match[1]) };
  if (match[2]) term["xml:lang"] = match[2];
  if (match[3]) term.datatype = match[3];
  return term;
}

function graphResult(text) {
  const rows = [];
  for (const line of text.split("\n")) {
    const match = line.match(/^(<[^>]*>|_:\S+)\s+<([^>]*)>\s+(.*?)\s*\.\s*$/);
    const object = match && ntriplesTerm(match[3]);
    if (object) rows.push([ntriplesTerm(match[1]), { type: "uri", value: match[2] }, object]);
  }
  return { kind: "graph", vars: ["subject", "predicate", "object"], rows };
}

async function labels(result) {
  const iris = new Set();
  for (const row of result.rows) for (const term of row) if (term && term.type === "uri") iris.add(term.value);
  if (!iris.size) return {};
  const response = await fetch(form.dataset.labels, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ iris: Array.from(iris).slice(0, 1000) }),
  });
  return response.ok ? response.json() : {};
}

// --- network ----------------------------------------------------------------

async function drawNetwork() {
  if (!current || current.network) return;
  current.network = "drawing";
  const shown = current;
  try {
    const data = await fetchJson(form.dataset.graphApi + "?" + new URLSearchParams({ query: shown.text }));
    if (current !== shown) return;
    const view = draw(networkCanvas, data, { empty: "The result holds no relations between IRIs to draw." });
    legend(document.getElementById("network-legend"), view);
    document.getElementById("network-counts").textContent = countText(view);
    current.network = view;
  } catch (err) {
    document.getElementById("network-counts").textContent = "The network cannot be drawn: " + err.message;
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

// --- downloads and history --------------------------------------------------

function showDownloads(kind, text) {
  const wanted = kind === "graph" ? "graph" : "results";
  for (const b of downloads.querySelectorAll("button.download")) b.hidden = b.dataset.kind !== wanted;
  // The endpoint's own address for the result, CSV for a table and Turtle for a graph.
  const format = wanted === "graph" ? "turtle" : "csv";
  const params = new URLSearchParams({ query: text, format });
  for (const [name, value] of kept) params.append(name, value);
  dataLink.href = form.dataset.endpoint + "?" + params;
  dataLink.hidden = dataLink.href.length > LONGEST_LINK;
  dataLink.textContent = "Link to this result (" + (wanted === "graph" ? "Turtle" : "CSV") + ")";
  downloads.hidden = false;
}

downloads.addEventListener("click", async (event) => {
  const chosen = event.target.closest("button.download");
  if (!chosen) return;
  const text = editor.getValue();
  const response = await request(text, chosen.dataset.mediaType);
  if (!response.ok) { showError(await errorBody(response)); return; }
  const url = URL.createObjectURL(await response.blob());
  download(url, fileName(queryTitle(text), chosen.dataset.extension));
  setTimeout(() => URL.revokeObjectURL(url), 10000);
});

function load(text) {
  editor.setValue(text);
  editor.focus();
  run();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});

showHistory(history, load);
checkTerms();
if ("run" in form.dataset) run();
