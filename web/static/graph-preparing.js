// The page served while the network is built: poll its status, reload once it is ready.
import { retryDelay } from "./api.js";

const box = document.getElementById("graph-preparing");
const progress = document.getElementById("graph-progress");
const bar = document.getElementById("graph-progress-bar");

function progressText(body) {
  const text = body.stage || "starting";
  return typeof body.percent === "number" ? text + " · " + body.percent + "%" : text;
}

async function poll() {
  try {
    const response = await fetch(box.dataset.statusApi, { headers: { Accept: "application/json" } });
    if (response.ok) { window.location.reload(); return; }
    const body = await response.json();
    progress.textContent = progressText(body);
    if (typeof body.percent === "number") bar.value = body.percent;
    setTimeout(poll, retryDelay(response));
  } catch {
    setTimeout(poll, 3000);
  }
}

if (box) setTimeout(poll, (parseInt(box.dataset.retryAfter, 10) || 3) * 1000);
