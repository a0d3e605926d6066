// Typeahead for the search box in every page header. Without JavaScript the box is a
// plain form that opens /search; with it, suggestions come from /search.json as the
// reader types. Labels are set with textContent, never parsed as HTML.
(function () {
  "use strict";
  const form = document.querySelector("form.site-search");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const list = form.querySelector(".suggestions");
  const endpoint = form.dataset.suggest;
  let items = [];
  let active = -1;
  let timer = null;
  let generation = 0;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0) input.setAttribute("aria-activedescendant", items[index].id);
    else input.removeAttribute("aria-activedescendant");
  }

  function option(result, index) {
    const item = document.createElement("li");
    item.id = "site-search-option-" + index;
    item.setAttribute("role", "option");
    item.dataset.url = result.url;
    const name = document.createElement("span");
    name.className = "suggestion-label";
    name.textContent = result.label;
    const kind = document.createElement("span");
    kind.className = "suggestion-kind";
    kind.textContent = (result.types && result.types.length ? result.types.join(", ") : result.kind);
    item.append(name, kind);
    item.title = result.iri;
    item.addEventListener("mousedown", (event) => {
      event.preventDefault();
      window.location.assign(result.url);
    });
    return item;
  }

  async function suggest() {
    const text = input.value.trim();
    const mine = ++generation;
    if (!text) { close(); return; }
    const response = await fetch(endpoint + "?" + new URLSearchParams({ q: text, limit: "8" }));
    if (!response.ok || mine !== generation) return;
    const body = await response.json();
    if (mine !== generation) return;
    items = body.results.filter((r) => r.url).map(option);
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", String(items.length > 0));
    highlight(-1);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 120);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      highlight((active + 1) % items.length);
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault();
      highlight((active - 1 + items.length) % items.length);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.assign(items[active].dataset.url);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
})();
