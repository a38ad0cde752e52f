/**
 * A checkout's detection engine compiled with tsc into its `.bench-detector/`, for the benchmarks
 * that run the engine alone on the server benchmarks' 10 KB JSON POST body.
 */
import { rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { compile } from "./_compile.js"

/** Compiles `checkout`'s engine; answers the build's directory and the compiled engine module. */
export const buildEngine = (checkout: string): { readonly out: string; readonly engine: string } => {
  const out = join(checkout, ".bench-detector")
  rmSync(out, { recursive: true, force: true })
  compile(checkout, "src/internal/detection/engine.ts", out)
  writeFileSync(join(out, "package.json"), "{\"type\":\"module\"}")
  return { out, engine: join(out, "src/internal/detection/engine.js") }
}

/** The detector's input for the bench body, as the guard hands it over (a string of its own each time). */
export const benchInput = (body: string) => ({
  path: "/items",
  headers: { host: "127.0.0.1", "content-type": "application/json", "content-length": String(body.length), connection: "keep-alive" },
  body: { kind: "json" as const, text: Buffer.from(body).toString("utf8") }
})
