// Recent queries, kept in this browser's localStorage (never sent anywhere), newest
// first, so a researcher can go back to what they ran before.
import { el, button } from "./dom.js";

const KEY = "civicgraph.queryHistory";
const KEEP = 20;

/** The stored history: [{text, title, at}], newest first. */
export function loadHistory() {
  try {
    const stored = JSON.parse(window.localStorage.getItem(KEY) || "[]");
    return Array.isArray(stored) ? stored.filter((e) => e && typeof e.text === "string") : [];
  } catch {
    return [];
  }
}

/** Remember a query that ran; the same text moves to the top instead of repeating. */
export function remember(text, title) {
  const kept = [{ text, title, at: new Date().toISOString() }, ...loadHistory().filter((e) => e.text !== text)];
  try {
    window.localStorage.setItem(KEY, JSON.stringify(kept.slice(0, KEEP)));
  } catch {
    // Storage full or disabled: history is a convenience, the query still runs.
  }
}

/** List the history in `target`; choosing an entry calls `onPick(text)`. */
export function showHistory(target, onPick) {
  const list = el("ol", null, "history-list");
  for (const entry of loadHistory()) {
    const item = el("li");
    const when = entry.at ? new Date(entry.at).toLocaleString() : "";
    item.append(button(entry.title || "query", () => onPick(entry.text), "link-button"), el("span", " " + when, "muted"));
    list.append(item);
  }
  target.replaceChildren(list.children.length ? list : el("p", "No queries run in this browser yet.", "empty"));
}
