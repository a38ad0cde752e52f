/**
 * The HTML family alone on the external corpus (test/fixtures/detection-corpus): recall per source
 * and category for cross-site scripting, false positives per clean benign source and on CRS
 * must-not-fire rows, at paranoia levels 1 and 2. Values are pulled out of the rows as in
 * `bench/family-sql.ts`.
 *
 * Run: `npx tsx bench/family-html.ts [--misses] [--fp]`
 */
import { family as html } from "../src/internal/detection/families/html/index.js"
import { measureFamily } from "./family-sql.js"

measureFamily([html], ["xss"])
