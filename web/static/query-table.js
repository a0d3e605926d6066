// The result table of the query editor: sortable, paginated, every IRI shown by its
// label (or as a CURIE such as rdfs:label when it has none) and linked only when the
// target is http/https. A "<name>Label" column that only repeats the names the <name>
// column already shows is left out of the table (downloads keep it), so no row prints
// the same name twice.
import { el } from "./dom.js";
import { curie } from "./query-text.js";
import { linkOrText } from "./links.js";

export const PAGE_SIZE = 50;

function labelOf(term, result) {
  const known = term && term.type === "uri" ? result.labels[term.value] : null;
  return known && known.label ? known.label : null;
}

/** Columns that only repeat the label of the IRI column they are named after. */
function repeatedLabels(result) {
  const hidden = new Set();
  result.vars.forEach((name, iri) => {
    const wanted = [name.toLowerCase() + "label", name.toLowerCase() + "_label"];
    const column = result.vars.findIndex((v) => wanted.includes(v.toLowerCase()));
    if (column < 0 || !result.rows.length) return;
    const repeats = result.rows.every((r) => !r[column] || labelOf(r[iri], result) === r[column].value);
    if (repeats) hidden.add(column);
  });
  return hidden;
}

function shortIri(iri, result) {
  return curie(iri, result.namespaces) || iri;
}

/** The text a term shows: an IRI by its label, else as a CURIE, else whole. */
export function display(term, result) {
  if (!term) return "";
  if (term.type === "uri") return labelOf(term, result) || shortIri(term.value, result);
  if (term.type === "bnode") return "_:" + term.value;
  return term.value;
}

const SHORT = 24;
const XSD = "http://www.w3.org/2001/XMLSchema#";
/** Datatypes whose values read better grouped in thousands (as entity pages show them). */
const GROUPED = new Set(["decimal", "integer", "long", "int", "nonNegativeInteger", "positiveInteger",
  "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt"].map((name) => XSD + name));

/**
 * A literal as the table shows it: a whole or decimal number grouped in thousands
 * (1,711,011,443), anything else as written. Sorting and downloads use the value as
 * written; the digits are grouped in one pass, however many there are.
 */
export function grouped(term) {
  const match = GROUPED.has(term.datatype) && /^([+-]?)([0-9]+)(\.[0-9]*)?$/.exec(term.value);
  if (!match) return term.value;
  const digits = match[2];
  const groups = [digits.slice(0, digits.length % 3 || 3)];
  for (let i = groups[0].length; i < digits.length; i += 3) groups.push(digits.slice(i, i + 3));
  return match[1] + groups.join(",") + (match[3] || "");
}

function cell(term, result) {
  const td = el("td");
  if (!term) return td;
  if (display(term, result).length <= SHORT) td.classList.add("short");
  if (term.type === "uri") {
    if (display(term, result) === term.value) td.classList.add("whole-iri");
    const known = result.labels[term.value];
    td.append(linkOrText(display(term, result), known && known.url ? known.url : term.value, term.value));
    return td;
  }
  const shown = grouped(term);
  td.textContent = shown;
  if (term.datatype) td.title = (shown === term.value ? "" : term.value + " · ") + shortIri(term.datatype, result);
  if (term["xml:lang"]) td.title = "@" + term["xml:lang"];
  if (term.datatype && /#(integer|decimal|double|float|int|long)$/.test(term.datatype)) td.classList.add("num");
  return td;
}

function compare(a, b, result) {
  if (!a) return b ? 1 : 0;
  if (!b) return -1;
  const x = display(a, result);
  const y = display(b, result);
  const nx = Number(x);
  const ny = Number(y);
  if (a.type === "literal" && b.type === "literal" && x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) return nx - ny;
  return x.localeCompare(y, undefined, { sensitivity: "base" });
}

function sortedRows(result) {
  const rows = result.rows.slice();
  if (result.sort) {
    const { column, descending } = result.sort;
    rows.sort((r, s) => (descending ? -1 : 1) * compare(r[column], s[column], result));
  }
  return rows;
}

function header(result, target) {
  const tr = el("tr");
  result.vars.forEach((name, column) => {
    if (result.hidden.has(column)) return;
    const th = el("th");
    th.scope = "col";
    th.dataset.column = String(column);
    const sorted = result.sort && result.sort.column === column;
    th.setAttribute("aria-sort", sorted ? (result.sort.descending ? "descending" : "ascending") : "none");
    const sort = el("button", name, "sort");
    sort.type = "button";
    sort.addEventListener("click", () => {
      result.sort = { column, descending: Boolean(sorted && !result.sort.descending) };
      result.page = 0;
      renderTable(result, target);
      target.querySelector("th[data-column='" + column + "'] button").focus();
    });
    th.append(sort);
    tr.append(th);
  });
  const thead = el("thead");
  thead.append(tr);
  return thead;
}

function pager(result, total, target) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const nav = el("nav", null, "pager");
  nav.setAttribute("aria-label", "Result pages");
  const move = (text, step, disabled) => {
    const b = el("button", text);
    b.type = "button";
    b.disabled = disabled;
    b.addEventListener("click", () => { result.page += step; renderTable(result, target); });
    return b;
  };
  const first = total ? result.page * PAGE_SIZE + 1 : 0;
  const where = el("span", "Rows " + first + "–" + Math.min(total, (result.page + 1) * PAGE_SIZE) + " of " + total);
  nav.append(move("← Previous", -1, result.page === 0), where, move("Next →", 1, result.page >= pages - 1));
  return nav;
}

/** Render `result` ({vars, rows, labels, namespaces, sort, page}) into `target`. */
export function renderTable(result, target) {
  result.hidden = repeatedLabels(result);
  const rows = sortedRows(result);
  const table = el("table", null, "results-table");
  const tbody = el("tbody");
  for (const row of rows.slice(result.page * PAGE_SIZE, (result.page + 1) * PAGE_SIZE)) {
    const tr = el("tr");
    row.forEach((term, column) => { if (!result.hidden.has(column)) tr.append(cell(term, result)); });
    tbody.append(tr);
  }
  table.append(header(result, target), tbody);
  const wrapper = el("div", null, "table-scroll");
  wrapper.append(table);
  const parts = [wrapper, pager(result, rows.length, target)];
  if (result.hidden.size) {
    const names = Array.from(result.hidden, (i) => result.vars[i]).join(", ");
    parts.push(el("p", "Not shown: " + names + ", the same names as the linked entities (downloads keep them).", "muted"));
  }
  target.replaceChildren(...parts);
}
