// Time on the /graph page: a year slider that redraws the network as it stood on
// 1 January of that year (and can play through the years), and a comparison of two
// days whose added, removed and unchanged edges differ by line style and label, not
// by colour alone.
import { el, clear } from "./dom.js";

const PLAY_MS = 1600;
const MARK = { appeared: "+ ", ended: "− ", unchanged: "" };

/** The day a slider year stands for. */
export function dayOf(year) {
  return String(year) + "-01-01";
}

/**
 * Wire the slider and its Play button to the form's `as_of` box; `redraw` is called
 * after each change, so the page draws again without reloading.
 */
export function attachTimeline(form, redraw) {
  const slider = document.getElementById("year-slider");
  const shown = document.getElementById("year-shown");
  const play = document.getElementById("year-play");
  if (!slider) return;
  let timer = null;
  const show = () => {
    shown.textContent = slider.value;
    form.elements.as_of.value = dayOf(slider.value);
    redraw();
  };
  const stop = () => {
    clearInterval(timer);
    timer = null;
    play.textContent = "Play";
    play.setAttribute("aria-pressed", "false");
  };
  slider.addEventListener("change", show);
  slider.addEventListener("input", () => { shown.textContent = slider.value; });
  play.addEventListener("click", () => {
    if (timer) { stop(); return; }
    if (Number(slider.value) >= Number(slider.max)) slider.value = slider.min;
    play.textContent = "Pause";
    play.setAttribute("aria-pressed", "true");
    show();
    timer = setInterval(() => {
      if (Number(slider.value) >= Number(slider.max)) { stop(); return; }
      slider.value = String(Number(slider.value) + 1);
      show();
    }, PLAY_MS);
  });
}

/** Draw each edge of a comparison by what happened to it: thick, dashed, or faint. */
export function styleChanges(view, data) {
  view.edges.update(data.edges.map((edge) => ({
    id: edge.id,
    label: MARK[edge.change] + edge.label,
    width: edge.change === "appeared" ? 4 : 1,
    dashes: edge.change === "ended" ? [8, 6] : false,
    color: { color: edge.change === "unchanged" ? "#c3c9d2" : edge.change === "ended" ? "#8a1c1c" : "#1c5a2b" },
  })));
}

/** The list of what changed, beside the drawing: appeared first, then ended. */
export function changeList(list, data, label) {
  clear(list);
  list.append(el("li", "From " + data.from + " to " + data.to + ":", "muted"));
  const counted = (change) => data.edges.filter((e) => e.change === change);
  for (const change of ["appeared", "ended"]) {
    const edges = counted(change);
    list.append(el("li", edges.length + " " + (edges.length === 1 ? "relation " : "relations ") + change, "change-head"));
    for (const edge of edges) {
      list.append(el("li", MARK[change] + label(edge.from) + " → " + edge.label + " → " + label(edge.to), change));
    }
  }
  const same = counted("unchanged").length;
  list.append(el("li", same + " unchanged (drawn faint)", "muted"));
}
