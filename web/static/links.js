// The one rule for turning a value from the data into a link: only http and https
// IRIs (and the app's own relative paths) become an href. Anything else — a
// javascript:, data: or vbscript: IRI in the data — is shown as text, never followed.

const SAFE_SCHEMES = new Set(["http:", "https:"]);
const BASE = "http://relative.invalid/";

/** The value itself when it is safe as an href, otherwise null. */
export function safeHref(value) {
  if (typeof value !== "string" || value === "") return null;
  let parsed;
  try {
    // The URL parser strips the whitespace and control characters browsers ignore,
    // so " java\tscript:" is read the way a browser would read it.
    parsed = new URL(value, BASE);
  } catch {
    return null;
  }
  return SAFE_SCHEMES.has(parsed.protocol) ? value : null;
}

/** A link to `href` showing `text`, or a plain span when the target is not safe. */
export function linkOrText(text, href, title) {
  const target = safeHref(href);
  const node = document.createElement(target ? "a" : "span");
  node.textContent = String(text);
  if (target) node.href = target;
  if (title) node.title = title;
  return node;
}

/** Show `url` (a path and query of this app) in the address bar, and point the footer's
 * "cite this page" link at it: the citation is of what the page shows now. */
export function replaceAddress(url) {
  window.history.replaceState(null, "", url);
  const cite = document.getElementById("cite-link");
  if (cite) {
    const target = new URL(cite.href, window.location.href);
    target.searchParams.set("url", window.location.pathname + window.location.search);
    cite.href = target.pathname + target.search;
  }
}
