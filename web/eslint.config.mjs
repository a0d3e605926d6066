// The one lint configuration of the project's JavaScript: native ES modules in the
// browser, checked with eslint's recommended rules plus a few that keep one dialect.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/vendor/**", "node_modules/**"] },
  js.configs.recommended,
  {
    files: ["static/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, vis: "readonly", CodeMirror: "readonly" },
    },
    rules: {
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "always"],
      "no-implicit-globals": "error",
      "no-unused-vars": ["error", { args: "after-used" }],
      "prefer-arrow-callback": "error",
      "object-shorthand": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "MemberExpression[property.name='innerHTML']", message: "Set text with textContent." },
        { selector: "MemberExpression[property.name='outerHTML']", message: "Set text with textContent." },
        { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: "Build elements instead." },
      ],
    },
  },
];
