// effect-guard ships ES modules only: this file is what `require("effect-guard")` resolves to, so that
// CommonJS code gets a message saying what to do instead of a resolution error or, on Node versions
// that can require ES modules, a second copy of Effect beside the application's CommonJS one.
"use strict"

const error = new Error(
  "effect-guard is published as ES modules only and cannot be loaded with require(). " +
    "Import it instead: `import { guardMiddleware } from \"effect-guard\"` in an ES module " +
    "(\"type\": \"module\" in package.json, or a .mjs/.mts file), or `await import(\"effect-guard\")` from CommonJS."
)
error.code = "ERR_REQUIRE_ESM"
throw error
