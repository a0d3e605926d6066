// What the query editor reads out of SPARQL text without parsing it: the prefixes a
// query uses and declares, the ontology terms it names, its title. Strings, IRIs and
// comments are blanked first, so a "civ:" inside a literal is not taken for a name.

const BLANKS = /"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>\s"{}|^`\\]*>|#[^\n]*/g;
const PNAME = /(^|[^\w?$:.-])([A-Za-z][\w-]*(?:\.[\w-]+)*)?:([\w-]+(?:\.[\w-]+)*)?/g;
const DECLARED = /PREFIX\s+([A-Za-z][\w.-]*)?:/gi;

function blanked(text) {
  return text.replace(BLANKS, (m) => m.replace(/[^\n]/g, " "));
}

/** Prefixes the text declares with PREFIX. */
export function declaredPrefixes(text) {
  return new Set(Array.from(blanked(text).matchAll(DECLARED), (m) => m[1] || ""));
}

/** The namespace each PREFIX line of blanked text declares, by prefix. */
function declaredNamespaces(body) {
  return new Map(Array.from(body.matchAll(/PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>/gi), (m) => [m[1] || "", m[2]]));
}

/** Prefixed names used in the text (not in PREFIX lines), as {prefix, local, curie, at}. */
export function prefixedNames(text) {
  const body = blanked(text).replace(/PREFIX\s+[\w.-]*:/gi, (m) => " ".repeat(m.length));
  return Array.from(body.matchAll(PNAME), (m) => ({
    prefix: m[2] || "", local: m[3] || "", curie: (m[2] || "") + ":" + (m[3] || ""), at: m.index + m[1].length,
  })).filter((name) => name.prefix !== "_");
}

/** The text with each use of the prefixed name `from` written `to` instead: whole names
 * only (`org:member` leaves `org:memberOf` be), and none in a string, IRI or comment. */
export function replaceName(text, from, to) {
  const places = prefixedNames(text).filter((name) => name.curie === from).map((name) => name.at);
  let out = text;
  for (const at of places.reverse()) out = out.slice(0, at) + to + out.slice(at + from.length);
  return out;
}

/** Where a CONSTRUCT's template stands in blanked text, [start, end) of its braces;
 * [0, 0] for any other query. */
function template(body) {
  const opening = body.match(/\bCONSTRUCT\s*\{/i);
  if (!opening) return [0, 0];
  const start = opening.index + opening[0].length - 1;
  let depth = 0;
  for (let i = start; i < body.length; i++) {
    depth += body[i] === "{" ? 1 : body[i] === "}" ? -1 : 0;
    if (depth === 0) return [start, i + 1];
  }
  return [start, body.length];
}

/** Prefixes the text uses without declaring them. */
export function missingPrefixes(text) {
  const declared = declaredPrefixes(text);
  return Array.from(new Set(prefixedNames(text).map((n) => n.prefix))).filter((p) => !declared.has(p));
}

/** The PREFIX lines that declare `prefixes`, for those whose namespace is known. */
export function prefixLines(prefixes, namespaces) {
  return prefixes.filter((p) => namespaces[p]).map((p) => "PREFIX " + p + ": <" + namespaces[p] + ">\n").join("");
}

function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const kept = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = kept;
    }
  }
  return row[b.length];
}

/** The known name closest to `name`, if it is close enough to be a likely typo. */
export function closest(name, known) {
  let best = null;
  let score = Infinity;
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < score) { best = candidate; score = d; }
  }
  return score <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

/**
 * Names in a namespace the app knows (the ontology's) that the ontology does not
 * define: `civ:Persn` gives {curie: "civ:Persn", suggestion: "civ:Person", built: false}.
 * `built` says the name stands only in a CONSTRUCT's template: it matches nothing,
 * but what the query builds uses it.
 */
export function unknownTerms(text, namespaces, terms) {
  const body = blanked(text);
  const declared = declaredNamespaces(body);
  const [start, end] = template(body);
  const known = new Set(terms.map((t) => t.iri));
  const watched = new Set(terms.map((t) => t.iri.replace(/[^#/]*$/, "")));
  const found = [];
  for (const name of prefixedNames(text)) {
    const namespace = declared.get(name.prefix) || namespaces[name.prefix];
    if (!namespace || !watched.has(namespace) || !name.local || known.has(namespace + name.local)) continue;
    const built = name.at >= start && name.at < end;
    const seen = found.find((f) => f.curie === name.curie);
    if (seen) {
      seen.built = seen.built && built;
      continue;
    }
    const near = closest(name.local, terms.filter((t) => t.iri.startsWith(namespace)).map((t) => t.iri.slice(namespace.length)));
    found.push({ curie: name.curie, suggestion: near ? name.prefix + ":" + near : null, built });
  }
  return found;
}

/**
 * Standard terms the text names that the data never states, as {curie, own: [curies]}
 * once each: `org:member` finds nothing, as the data states `civ:member` below it and
 * no inference runs. `unstated` maps such a term's IRI to the ontology's own terms.
 */
export function unstatedTerms(text, namespaces, unstated) {
  const declared = declaredNamespaces(blanked(text));
  const found = [];
  for (const name of prefixedNames(text)) {
    const own = unstated[(declared.get(name.prefix) || namespaces[name.prefix] || "") + name.local];
    if (own && name.local && !found.some((f) => f.curie === name.curie)) found.push({ curie: name.curie, own });
  }
  return found;
}

/** `a` or `rdf:type` standing as a word, then its space: before the class it asks for. */
const TYPED_BEFORE = "(^|[\\s;{.])(a|rdf:type)(\\s+)";
const TYPED = new RegExp(TYPED_BEFORE + "([A-Za-z][\\w-]*)?:([\\w-]+)", "g");

/**
 * Classes the text asks for with `a` (or `rdf:type`) that have narrower classes, which
 * such a pattern does not match: {curie, narrower: [labels]} once each. None when the
 * text already follows rdfs:subClassOf.
 */
export function exactTypes(text, namespaces, terms) {
  const body = blanked(text);
  if (/subClassOf/.test(body)) return [];
  const declared = declaredNamespaces(body);
  const byIri = new Map(terms.map((t) => [t.iri, t]));
  const found = [];
  for (const m of body.matchAll(TYPED)) {
    const prefix = m[4] || "";
    const term = byIri.get((declared.get(prefix) || namespaces[prefix] || "") + m[5]);
    const curieText = prefix + ":" + m[5];
    if (term && (term.narrower || []).length && !found.some((f) => f.curie === curieText)) {
      found.push({ curie: curieText, narrower: term.narrower });
    }
  }
  return found;
}

/** The text with each `a curie` (or `rdf:type curie`) widened to the class's narrower
 * classes too: `a/rdfs:subClassOf* curie`. */
export function widenType(text, curieText) {
  const escaped = curieText.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(TYPED_BEFORE + escaped + "(?![\\w-])", "g");
  return text.replace(pattern, "$1$2/rdfs:subClassOf*$3" + curieText);
}

/** A short title for a query: its "# title:" line, its first comment, or its form and variables. */
export function queryTitle(text) {
  const titled = text.match(/^#\s*title:\s*(.+)$/m);
  if (titled) return titled[1].trim();
  const comment = text.match(/^#\s*(.+)$/m);
  if (comment) return comment[1].trim();
  const form = blanked(text).match(/\b(SELECT|CONSTRUCT|DESCRIBE|ASK)\b([^{]*)/i);
  if (!form) return "query";
  const vars = (form[2].match(/[?$]\w+/g) || []).slice(0, 3).map((v) => v.slice(1));
  return [form[1].toLowerCase(), ...vars].join(" ");
}

/** An IRI as a CURIE when one of the known namespaces is a prefix of it, else null. */
export function curie(iri, namespaces) {
  let best = null;
  for (const [prefix, namespace] of Object.entries(namespaces)) {
    if (iri.startsWith(namespace) && /^[\w-]*$/.test(iri.slice(namespace.length)) &&
      (!best || namespace.length > best[1].length)) best = [prefix, namespace];
  }
  return best ? best[0] + ":" + iri.slice(best[1].length) : null;
}
