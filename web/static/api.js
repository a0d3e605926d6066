// JSON from the app's own API. While the server prepares work (503 with Retry-After,
// e.g. the network is still being built) the request is retried after the delay the
// server asked for, and `onWait` is told why, so pages can say so instead of failing.

const RETRY_MS = 3000;

/** Milliseconds to wait before asking again, from a Retry-After header. */
export function retryDelay(response) {
  const seconds = parseInt(response.headers.get("Retry-After") || "", 10);
  return seconds > 0 ? seconds * 1000 : RETRY_MS;
}

/** Fetch JSON; errors become Error objects carrying the server's detail. */
export async function fetchJson(url, onWait) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (response.status === 503 && response.headers.get("Retry-After")) {
    if (onWait) onWait(body.detail || "preparing");
    await new Promise((resolve) => setTimeout(resolve, retryDelay(response)));
    if (onWait) onWait(null);
    return fetchJson(url, onWait);
  }
  if (!response.ok) {
    const error = new Error(body.detail || body.error || response.statusText);
    // A name no entity has, or several share: the entities it may mean, to offer.
    error.unknown = body.name;
    error.candidates = body.candidates || [];
    throw error;
  }
  return body;
}
