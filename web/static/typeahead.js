// The one typeahead: the header search and the explorer's entity boxes use it.
// It follows the WAI-ARIA combobox pattern (a text input with role=combobox that owns
// a listbox; arrows move the active option through aria-activedescendant, Enter picks
// it, Escape closes the list), with a polite status line saying how many suggestions
// there are. Suggestions come from the app's search endpoint; labels are text nodes.

const DELAY_MS = 150;
const LIMIT = "8";
let instances = 0;

function kindOf(result) {
  return result.types && result.types.length ? result.types.join(", ") : (result.classLabel || result.kind || "");
}

/**
 * Make `input` a combobox over `endpoint` (answers {results: [{iri, label, kind, types,
 * url}]}). `onChoose(result)` runs when a suggestion is picked with the mouse or Enter.
 */
export function attachTypeahead(input, endpoint, onChoose) {
  const id = "typeahead-" + ++instances;
  const list = document.createElement("ul");
  list.id = id + "-list";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  const status = document.createElement("span");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  input.after(list, status);
  input.parentElement.classList.add("has-suggestions");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.autocomplete = "off";

  let results = [];
  let active = -1;
  let timer = null;
  let generation = 0;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    results = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    Array.from(list.children).forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function choose(index) {
    const result = results[index];
    close();
    if (result) onChoose(result);
  }

  function option(result, index) {
    const item = document.createElement("li");
    item.id = id + "-option-" + index;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    const name = document.createElement("span");
    name.className = "suggestion-label";
    name.textContent = result.label;
    const kind = document.createElement("span");
    kind.className = "suggestion-kind";
    kind.textContent = kindOf(result);
    item.append(name, kind);
    item.addEventListener("mousedown", (event) => {
      event.preventDefault();
      choose(index);
    });
    return item;
  }

  async function suggest() {
    const text = input.value.trim();
    const mine = ++generation;
    if (!text) { close(); return; }
    let body;
    try {
      const response = await fetch(endpoint + "?" + new URLSearchParams({ q: text, limit: LIMIT }),
        { headers: { Accept: "application/json" } });
      body = response.ok ? await response.json() : { results: [] };
    } catch {
      body = { results: [] };
    }
    if (mine !== generation || document.activeElement !== input) return;
    results = body.results || [];
    list.replaceChildren(...results.map(option));
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", String(results.length > 0));
    status.textContent = results.length ? results.length + " suggestions" : "No suggestions";
    highlight(-1);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && results.length) {
      event.preventDefault();
      highlight((active + 1) % results.length);
    } else if (event.key === "ArrowUp" && results.length) {
      event.preventDefault();
      highlight((active - 1 + results.length) % results.length);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}
