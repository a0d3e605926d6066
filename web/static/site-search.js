// The search box in every page header: without JavaScript a plain form that opens
// /search; with it, a typeahead whose suggestions open the entity's page.
import { attachTypeahead } from "./typeahead.js";
import { safeHref } from "./links.js";

const form = document.querySelector("form.site-search");
if (form) {
  attachTypeahead(form.querySelector("input[name=q]"), form.dataset.suggest, (result) => {
    const target = safeHref(result.url);
    if (target) window.location.assign(target);
  });
}
