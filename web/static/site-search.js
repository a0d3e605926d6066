// The search boxes (every page header's, and the big ones of the home, search and
// not-found pages): without JavaScript plain forms that open /search; with it,
// typeaheads whose suggestions open the entity's page.
import { attachTypeahead } from "./typeahead.js";
import { safeHref } from "./links.js";

for (const form of document.querySelectorAll("form[data-suggest]")) {
  attachTypeahead(form.querySelector("input[name=q]"), form.dataset.suggest, (result) => {
    const target = safeHref(result.url);
    if (target) window.location.assign(target);
  });
}
