// Small DOM helpers shared by every page script. Text from the data always goes in
// through textContent, so a label can never become markup.

/** An element with optional text (set as text, never parsed) and class. */
export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

/** Remove every child of a node. */
export function clear(node) {
  node.replaceChildren();
}

/** A type="button" button that runs an action when pressed. */
export function button(text, action, className) {
  const b = el("button", text, className);
  b.type = "button";
  b.addEventListener("click", action);
  return b;
}

/** Offer a URL (a blob: or data: URL the page made) as a file to download. */
export function download(href, filename) {
  const a = el("a");
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}

/** A file name made from a title: lower case, words joined by hyphens. */
export function fileName(title, extension) {
  const stem = String(title || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
    .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
  return (stem || "civicgraph") + "." + extension;
}
