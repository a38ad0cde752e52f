/**
 * A project that uses the packed package the way a user's does: `npm pack` (which builds `dist/`), a
 * fresh project in a temporary directory, the README's install line run with the tarball in place of
 * the package's name, then the optional peers that the docs' install lines name. Every TypeScript
 * block of the README and `docs/*.md` is a file of that project, compiled by strict `tsc`; the blocks
 * marked `test` run under the project's own vitest.
 *
 * The layer is built once per test file; closing its scope removes the directory. Every step runs
 * under a deadline (see `../support/commands.ts`), and npm resolves from its cache first
 * (`--prefer-offline`), which `npm ci` has filled. The compiler options are the strict ones a
 * demanding user sets (`strict`, `exactOptionalPropertyTypes`, NodeNext), with `skipLibCheck` as
 * `tsc --init` writes it (`@effect/platform-node`'s own declarations fail without it unless
 * `@types/ws` is installed).
 */
import type { CommandExecutor } from "@effect/platform"
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { Context, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { attempt, type CommandFailed, type CommandResult, run } from "../support/commands.js"
import { type DocBlock, type InstallLine, installLines, locateDiagnostics, type PackageJson, typescriptBlocks } from "./markdown.js"

export const repo = fileURLToPath(new URL("../..", import.meta.url))

export const packageJson: PackageJson & {
  readonly version: string
  readonly exports: Record<string, unknown>
} = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8"))

const NPM_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]

/** The README's install line that installs the package itself; the consumer starts from it. */
export const readmeInstallLine = (): InstallLine => {
  const line = installLines(repo).find((line) => line.page === "README.md" && line.argv.includes(packageJson.name))
  if (line === undefined) throw new Error(`README.md has no install line for ${packageJson.name} (e.g. \`npm install ${packageJson.name} effect@...\`)`)
  return line
}

/** The range `package.json` supports for a package the check itself needs in the consumer. */
const supported = (name: string): string => {
  const range = packageJson.peerDependencies?.[name] ?? packageJson.devDependencies?.[name]
  if (range === undefined) throw new Error(`package.json names no range for ${name}`)
  return `${name}@${range}`
}

export interface Consumer {
  readonly dir: string
  /** The tarball's files, relative to its `package/` folder. */
  readonly packedFiles: ReadonlyArray<string>
  /** Node run in the consumer with only the README's install line done (no optional peer). */
  readonly withoutOptionalPeers: {
    readonly importAll: CommandResult
    readonly requireMain: CommandResult
    readonly importInternal: ReadonlyArray<CommandResult>
  }
  readonly blocks: ReadonlyArray<DocBlock>
  /** `tsc` over every block (once, then remembered): its errors at their page and line; JS in `out/`. */
  readonly compile: Effect.Effect<ReadonlyArray<string>, CommandFailed>
  /** Runs `argv` in the consumer project. */
  readonly attempt: (
    argv: readonly [string, ...Array<string>],
    timeout: `${number} ${"seconds" | "minutes"}`
  ) => Effect.Effect<CommandResult, CommandFailed>
}

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    lib: ["ES2022"],
    types: ["node"],
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    outDir: "out",
    rootDir: "blocks"
  },
  include: ["blocks"]
}

const make = Effect.gen(function*() {
  const fileSystem = yield* FileSystem.FileSystem
  const executor = yield* Effect.context<CommandExecutor.CommandExecutor>()
  const root = yield* fileSystem.makeTempDirectoryScoped({ prefix: "effect-guard-package-" })
  const dir = path.join(root, "consumer")
  const inConsumer: Consumer["attempt"] = (argv, timeout) => attempt(argv, { cwd: dir, timeout }).pipe(Effect.provide(executor))

  const packed = yield* run(["npm", "pack", "--json", "--pack-destination", root], { cwd: repo, timeout: "4 minutes" })
  const [manifest] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as ReadonlyArray<{
    readonly filename: string
    readonly files: ReadonlyArray<{ readonly path: string }>
  }>
  const tarball = path.join(root, manifest!.filename)

  yield* fileSystem.makeDirectory(path.join(dir, "blocks"), { recursive: true })
  yield* fileSystem.writeFileString(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }, null, 2)
  )
  const install = (argv: ReadonlyArray<string>) =>
    run(["npm", ...argv, ...NPM_FLAGS], { cwd: dir, timeout: "5 minutes" })

  // As the README says, with the tarball standing for the name until the package is published.
  const readmeLine = readmeInstallLine()
  yield* install(readmeLine.argv.map((word) => (word === packageJson.name ? tarball : word)))

  const node = (...args: ReadonlyArray<string>) => inConsumer(["node", ...args], "1 minutes")
  const internal = manifest!.files.map((file) => file.path).find((file) => /^dist\/internal\/[^/]+\.js$/.test(file))
  const withoutOptionalPeers = {
    importAll: yield* node(
      "--input-type=module",
      "-e",
      `const guard = await import("${packageJson.name}"); console.log(JSON.stringify(Object.keys(guard).sort()))`
    ),
    requireMain: yield* node("-e", `require("${packageJson.name}")`),
    importInternal: yield* Effect.forEach(
      [`${packageJson.name}/dist/index.js`, ...(internal === undefined ? [] : [`${packageJson.name}/${internal.slice(5, -3)}`])],
      (specifier) => node("--input-type=module", "-e", `await import("${specifier}")`)
    )
  }

  const blocks = typescriptBlocks(repo)
  const others = installLines(repo).filter((line) => line !== readmeLine).flatMap((line) => line.packages)
  const optionalPeers = [...new Set(others.map(({ name, range }) => (range === undefined ? name : `${name}@${range}`)))]
  const tests = blocks.some((block) => block.kind === "test")
  yield* install([
    "install",
    ...optionalPeers,
    supported("@types/node"),
    ...(tests ? [supported("vitest"), supported("@effect/vitest")] : [])
  ])

  for (const block of blocks.filter((block) => block.kind !== "no-check")) {
    // `export {}` makes every block a module, so blocks never share top-level names.
    yield* fileSystem.writeFileString(path.join(dir, "blocks", block.fileName), `${block.code}\nexport {}\n`)
  }
  yield* fileSystem.writeFileString(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2))
  yield* fileSystem.writeFileString(
    path.join(dir, "vitest.config.mjs"),
    `export default { test: { include: ["blocks/**/*.test.ts"], testTimeout: 30000 } }\n`
  )

  const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc")
  const compile = yield* Effect.cached(
    Effect.map(inConsumer(["node", tsc, "-p", "tsconfig.json", "--pretty", "false"], "4 minutes"), (result) =>
      result.exitCode === 0 ? [] : locateDiagnostics(result.output, blocks))
  )

  return { dir, packedFiles: manifest!.files.map((file) => file.path), withoutOptionalPeers, blocks, compile, attempt: inConsumer } satisfies Consumer
})

/** The consumer project, built once for the tests that share it. */
export class PackedConsumer extends Context.Tag("test/PackedConsumer")<PackedConsumer, Consumer>() {
  static readonly layer = Layer.scoped(PackedConsumer, make).pipe(Layer.provide(NodeContext.layer))
}
