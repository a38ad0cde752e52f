/**
 * The package as users get it: what `npm pack` ships, what `exports` lets them import, whether the
 * install lines of the README and docs install the supported lines, and whether every TypeScript
 * block of the docs compiles and the README's first example serves, against the packed tarball in a
 * project of its own (see `package/consumer.ts`).
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Ref, Schedule } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { freePort, readOutput, start } from "./support/commands.js"
import { makeOtlpReceiver } from "./support/otlpReceiver.js"
import { packageJson, PackedConsumer, readmeInstallLine, repo } from "./package/consumer.js"
import { installLineProblems, installLines, typescriptBlocks } from "./package/markdown.js"

/** Every public module: the top-level modules, the exporters, the Redis stores. */
const publicModules = (): ReadonlyMap<string, string> => {
  const modules = (dir: string) =>
    fs.readdirSync(path.join(repo, "src", dir)).filter((file) => file.endsWith(".ts") && file !== "index.ts").map((file) => path.posix.join(dir, file.slice(0, -3)))
  return new Map([
    [".", "index"],
    ...[...modules(""), ...modules("exporters")].map((module) => [`./${module}`, module] as const),
    ["./stores/redis", "stores/redis/index"]
  ])
}

describe("package.json", () => {
  it("exports each public module with its types, nothing else, and answers require() with the ESM-only stub", () => {
    const expected = Object.fromEntries(
      [...publicModules()].map(([subpath, module]) => [
        subpath,
        { types: `./dist/${module}.d.ts`, import: `./dist/${module}.js`, require: "./esm-only.cjs" }
      ])
    )
    expect({ ...packageJson.exports, "./package.json": undefined }).toEqual({ ...expected, "./package.json": undefined })
    expect(packageJson.exports["./package.json"]).toBe("./package.json")
  })

  it("pins, in every install line of the README and docs, the range it supports for each package", () => {
    expect(installLineProblems(installLines(repo), packageJson)).toEqual([])
  })

  it("has the README install the package beside the Effect 3 platform it supports", () => {
    const names = readmeInstallLine().packages.map((p) => p.name)
    expect(names).toEqual(expect.arrayContaining([packageJson.name, "effect", "@effect/platform", "@effect/platform-node"]))
  })

  it("shows every recipe of test/recipes verbatim as a test block of the docs, and runs every test block of docs/testing.md", () => {
    const tests = typescriptBlocks(repo).filter((block) => block.kind === "test")
    const recipes = fs.readdirSync(path.join(repo, "test", "recipes")).filter((file) => file.endsWith(".test.ts"))
      .map((file) => fs.readFileSync(path.join(repo, "test", "recipes", file), "utf8").trimEnd())
    expect(recipes.length).toBeGreaterThan(0)
    for (const recipe of recipes) expect(tests.map((block) => block.code.trimEnd())).toContain(recipe)
    for (const block of tests.filter((block) => block.page === "docs/testing.md")) expect(recipes).toContain(block.code.trimEnd())
  })

  it("marks only a few documentation blocks as fragments left unchecked", () => {
    const blocks = typescriptBlocks(repo)
    expect(blocks.filter((block) => block.kind === "no-check").length).toBeLessThanOrEqual(Math.floor(blocks.length / 10))
  })
})

// Live services: the commands' deadlines and the polling below need the real clock.
layer(PackedConsumer.layer, { timeout: "12 minutes", excludeTestServices: true })("the packed package", (it) => {
  it.effect("ships dist/ (JS, declarations, maps), the sources the maps point to, README, LICENSE and CHANGELOG, and nothing else", () =>
    Effect.gen(function*() {
      const { packedFiles } = yield* PackedConsumer
      const shipped = new Set(packedFiles)
      for (const module of publicModules().values()) {
        for (const file of [`dist/${module}.js`, `dist/${module}.js.map`, `dist/${module}.d.ts`, `dist/${module}.d.ts.map`, `src/${module}.ts`]) {
          expect(shipped, file).toContain(file)
        }
      }
      expect(packedFiles).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "CHANGELOG.md", "esm-only.cjs"]))
      expect(packedFiles.filter((file) => !/^(dist|src)\/|^(package\.json|README\.md|LICENSE|CHANGELOG\.md|esm-only\.cjs)$/.test(file))).toEqual([])
    }))

  it.effect("imports under plain Node ESM with only the README's install line done, no optional peer installed", () =>
    Effect.gen(function*() {
      const { importAll } = (yield* PackedConsumer).withoutOptionalPeers
      expect(importAll.exitCode, importAll.output).toBe(0)
      expect(JSON.parse(importAll.stdout)).toEqual(expect.arrayContaining(["GuardConfig", "GuardLive", "guardMiddleware", "EventBus", "TestExporter"]))
    }))

  it.effect("answers require() with an error that says to import the package instead", () =>
    Effect.gen(function*() {
      const { requireMain } = (yield* PackedConsumer).withoutOptionalPeers
      expect(requireMain.exitCode).not.toBe(0)
      expect(requireMain.output).toContain("effect-guard is published as ES modules only")
      expect(requireMain.output).toContain(`await import("effect-guard")`)
    }))

  it.effect("keeps dist/ paths and internal modules out of reach", () =>
    Effect.gen(function*() {
      const { importInternal } = (yield* PackedConsumer).withoutOptionalPeers
      expect(importInternal.length).toBe(2)
      for (const result of importInternal) {
        expect(result.exitCode).not.toBe(0)
        expect(result.output).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED")
      }
    }))

  it.effect("compiles every TypeScript block of the README and docs/*.md against the packed package under strict tsc", () =>
    Effect.gen(function*() {
      const consumer = yield* PackedConsumer
      expect(consumer.blocks.length).toBeGreaterThan(0)
      expect(yield* consumer.compile).toEqual([])
    }), 300_000)

  it.scoped("serves a guarded request from the README's first example, and stops with exit code 0 on SIGTERM", () =>
    Effect.gen(function*() {
      const consumer = yield* PackedConsumer
      yield* consumer.compile
      const first = consumer.blocks.find((block) => block.page === "README.md")!
      const receiver = yield* makeOtlpReceiver
      const port = yield* freePort
      const source = fs.readFileSync(path.join(consumer.dir, "out", first.fileName.replace(/\.ts$/, ".js")), "utf8")
      expect(source, "the README's first example listens on port 3000").toMatch(/port:\s*3000\b/)
      // On loopback only: its port, and any collector it names replaced by a local receiver.
      const served = source
        .replace(/port:\s*3000\b/, `port: ${port}`)
        .replace(/"https?:\/\/(?!127\.0\.0\.1[:/"]|localhost[:/"])[^"]*"/g, JSON.stringify(receiver.url))
      fs.writeFileSync(path.join(consumer.dir, "out", "first-example.js"), served)

      const server = yield* start(["node", "out/first-example.js"], { cwd: consumer.dir })
      const output = yield* Ref.make("")
      yield* Effect.forkScoped(readOutput(server, output))
      const get = (pathname: string) =>
        Effect.tryPromise(async () => {
          const response = await fetch(`http://127.0.0.1:${port}${pathname}`, { signal: AbortSignal.timeout(10_000) })
          return { status: response.status, nosniff: response.headers.get("x-content-type-options"), body: await response.text() }
        })
      const served200 = yield* get("/").pipe(
        Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 300 }),
        Effect.orElse(() => Effect.flatMap(Ref.get(output), (printed) => Effect.dieMessage(`the first example did not answer:\n${printed}`)))
      )
      expect(served200).toMatchObject({ status: 200, nosniff: "nosniff" })
      expect(yield* get("/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")).toMatchObject({ status: 400, nosniff: "nosniff" })

      yield* Effect.sync(() => process.kill(server.pid, "SIGTERM"))
      const exitCode = yield* server.exitCode.pipe(Effect.timeout("30 seconds"))
      expect(exitCode, yield* Ref.get(output)).toBe(0)
      if (/enableOtel:\s*true/.test(source)) {
        // Its OpenTelemetry exporter, loaded from the consumer's optional peers, flushed the refusal.
        const spans = yield* receiver.spans
        expect(spans.map((span) => span.name)).toContain("guard.event.penetration_attempt")
      }
    }).pipe(Effect.provide(NodeContext.layer)), 180_000)

  it.effect("passes the docs' recipes marked as tests under vitest in the consumer project", () =>
    Effect.gen(function*() {
      const consumer = yield* PackedConsumer
      const recipes = consumer.blocks.filter((block) => block.kind === "test")
      expect(recipes.map((block) => block.page)).toEqual(expect.arrayContaining(["README.md", "docs/testing.md"]))
      const result = yield* consumer.attempt(["node", "node_modules/vitest/vitest.mjs", "run", "--no-color"], "4 minutes")
      expect(result.exitCode, result.output).toBe(0)
      expect(result.output).toMatch(new RegExp(`Test Files\\s+${recipes.length} passed`))
    }), 300_000)
})
