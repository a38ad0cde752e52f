/**
 * Measures the `code` family on the external corpus, as bench/family-shell.ts does for `shell`:
 * PHP, Java, generic (Node, Ruby, Python) CRS rows, templates and Log4Shell.
 *
 * Run: `npx tsx bench/family-code.ts [--verbose] [--recall-only | --speed-only]` (about a minute).
 */
import { family as code } from "../src/internal/detection/families/code/index.js"
import { measureFamilies, measureSpeed } from "./family-shell.js"

if (!process.argv.includes("--speed-only")) {
  measureFamilies([code], ["php", "java", "generic", "template", "log4shell"], process.argv.includes("--verbose"))
}
if (!process.argv.includes("--recall-only")) measureSpeed(code, 40)
