/**
 * `npm run demo` answers with the default security headers: `curl -I` on its plain-HTTP port shows
 * helmet's set, without `Strict-Transport-Security` (browsers ignore it over HTTP).
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref, Schedule } from "effect"
import { fileURLToPath } from "node:url"
import { freePort, readOutput, start } from "./support/commands.js"

const repo = fileURLToPath(new URL("..", import.meta.url))

describe("npm run demo", () => {
  it.scopedLive("answers a HEAD over plain HTTP with the default security headers and no HSTS", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const npm = yield* start(["npm", "run", "demo"], { cwd: repo, env: { PORT: String(port) } })
      const output = yield* Ref.make("")
      yield* Effect.forkScoped(readOutput(npm, output))
      yield* Ref.get(output).pipe(
        Effect.filterOrFail((printed) => printed.includes("Listening on"), () => "not listening yet"),
        Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 400 }),
        Effect.orElse(() => Effect.flatMap(Ref.get(output), (printed) => Effect.dieMessage(`the demo did not start:\n${printed}`)))
      )
      const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/`, { method: "HEAD" }))
      expect(response.status).toBe(200)
      const headers = Object.fromEntries(response.headers)
      expect(headers["strict-transport-security"]).toBeUndefined()
      expect(headers["cross-origin-embedder-policy"]).toBeUndefined()
      expect(headers).toMatchObject({
        "x-xss-protection": "0",
        "origin-agent-cluster": "?1",
        "x-dns-prefetch-control": "off",
        "x-content-type-options": "nosniff",
        "x-frame-options": "SAMEORIGIN",
        "referrer-policy": "no-referrer"
      })
    }).pipe(Effect.provide(NodeContext.layer)), 60_000)
})
