/**
 * Runs every benchmark under bench/ in turn (each in its own process, so one cannot warm or slow
 * another). `npm run bench` or `npm run bench -- telemetry detection` for a subset.
 */
import { spawnSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const wanted = new Set(process.argv.slice(2))
const files = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
  .filter((f) => wanted.size === 0 || wanted.has(f.replace(/\.ts$/, "")))
  .sort()

let failed = 0
for (const file of files) {
  console.log(`\n=== bench/${file} ===`)
  const result = spawnSync(process.execPath, ["--import", "tsx", join(here, file)], { stdio: "inherit" })
  if (result.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
