/**
 * What the packaging check reads from the README and `docs/*.md`: the TypeScript blocks (each one is
 * compiled against the packed package) and the install lines (each one must pin the ranges
 * `package.json` supports). New pages and blocks are picked up without touching the check.
 *
 * A TypeScript fence is ```ts (or ```typescript) with optional words after the language:
 * - `test`: a complete vitest file, run with vitest in the consumer project as well as typechecked;
 * - `no-check`: a fragment that is not compiled (keep these rare: a reader copies blocks).
 */
import * as fs from "node:fs"
import * as path from "node:path"

export interface DocBlock {
  /** The page, relative to the repository (`docs/routes.md`). */
  readonly page: string
  /** 1-based line of the block's first line of code in the page. */
  readonly line: number
  /** The n-th TypeScript block of its page, from 1. */
  readonly index: number
  readonly code: string
  readonly kind: "check" | "test" | "no-check"
  /** A file name for the block in the consumer project, e.g. `docs-routes-2.ts`. */
  readonly fileName: string
}

export interface InstallPackage {
  readonly name: string
  /** The range written after `@`, if any. */
  readonly range: string | undefined
}

export interface InstallLine {
  readonly page: string
  readonly line: number
  readonly text: string
  /** Registry packages the line installs (flags and local paths left out). */
  readonly packages: ReadonlyArray<InstallPackage>
  /** The words after `npm`, as a command would be run. */
  readonly argv: ReadonlyArray<string>
}

const TS_LANGUAGES = new Set(["ts", "typescript", "mts"])
const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "console", "zsh"])
const TS_ATTRIBUTES = new Set(["test", "no-check"])

/** The README and every page of `docs/`, in a stable order. */
export const documentationPages = (repo: string): ReadonlyArray<string> => [
  "README.md",
  ...fs.readdirSync(path.join(repo, "docs")).filter((name) => name.endsWith(".md")).sort().map((name) => `docs/${name}`)
]

interface Fence {
  readonly language: string
  readonly attributes: ReadonlyArray<string>
  /** 1-based line of the first content line. */
  readonly line: number
  readonly lines: ReadonlyArray<string>
}

interface Page {
  readonly fences: ReadonlyArray<Fence>
  /** Lines outside fences, with their 1-based numbers. */
  readonly prose: ReadonlyArray<readonly [number, string]>
}

const parsePage = (text: string): Page => {
  const fences: Array<Fence> = []
  const prose: Array<readonly [number, string]> = []
  const lines = text.split("\n")
  let open: { marker: string; indent: number; info: string; start: number; lines: Array<string> } | undefined
  lines.forEach((raw, i) => {
    const fence = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(raw)
    if (open === undefined) {
      if (fence !== null && !(fence[2]!.startsWith("`") && fence[3]!.includes("`"))) {
        open = { marker: fence[2]!, indent: fence[1]!.length, info: fence[3]!.trim(), start: i + 2, lines: [] }
      } else {
        prose.push([i + 1, raw])
      }
      return
    }
    if (fence !== null && fence[2]![0] === open.marker[0] && fence[2]!.length >= open.marker.length && fence[3]!.trim() === "") {
      const [language = "", ...attributes] = open.info.split(/\s+/).filter((word) => word !== "")
      fences.push({ language: language.toLowerCase(), attributes, line: open.start, lines: open.lines })
      open = undefined
      return
    }
    // Content of a fence inside a list item is indented like its opening marker.
    const indent = Math.min(open.indent, raw.length - raw.trimStart().length)
    open.lines.push(raw.slice(indent))
  })
  return { fences, prose }
}

const slug = (page: string): string => page.replace(/\.md$/, "").replace(/[^A-Za-z0-9]+/g, "-").toLowerCase()

/** The TypeScript blocks of one page; an unknown word after the language is an error. */
export const blocksOfPage = (page: string, text: string): ReadonlyArray<DocBlock> =>
  parsePage(text).fences.filter((fence) => TS_LANGUAGES.has(fence.language)).map((fence, i): DocBlock => {
    const unknown = fence.attributes.filter((word) => !TS_ATTRIBUTES.has(word))
    if (unknown.length > 0) {
      throw new Error(`${page}:${fence.line - 1}: unknown word(s) after the fence's language: ${unknown.join(" ")} (known: ${[...TS_ATTRIBUTES].join(", ")})`)
    }
    const kind = fence.attributes.includes("no-check") ? "no-check" : fence.attributes.includes("test") ? "test" : "check"
    const base = `${slug(page)}-${i + 1}`
    return { page, line: fence.line, index: i + 1, code: fence.lines.join("\n"), kind, fileName: kind === "test" ? `${base}.test.ts` : `${base}.ts` }
  })

/** Every TypeScript block of the README and `docs/*.md`. */
export const typescriptBlocks = (repo: string): ReadonlyArray<DocBlock> =>
  documentationPages(repo).flatMap((page) => blocksOfPage(page, fs.readFileSync(path.join(repo, page), "utf8")))

const INSTALL = /^(?:npm|pnpm|yarn|bun)\s+(?:i|install|add)(?:\s|$)/

const parsePackage = (word: string): InstallPackage => {
  const at = word.indexOf("@", word.startsWith("@") ? 1 : 0)
  return at === -1 ? { name: word, range: undefined } : { name: word.slice(0, at), range: word.slice(at + 1) }
}

const isLocal = (word: string): boolean => /^(\.{0,2}\/|~\/)/.test(word) || word.endsWith(".tgz") || word.includes(":")

const installLine = (page: string, line: number, text: string): InstallLine | undefined => {
  const words = text.replace(/^\$\s+/, "").replace(/\s+#.*$/, "").trim().split(/\s+/)
  const command = words.join(" ")
  if (!INSTALL.test(command)) return undefined
  const packages = words.slice(2).filter((word) => !word.startsWith("-") && !isLocal(word)).map(parsePackage)
  return { page, line, text: command, packages, argv: words.slice(1) }
}

/**
 * The install commands of one page: in shell blocks (continued lines joined, `&&` and `;` split)
 * and in inline code spans of the prose. A bare `npm install` (a clone's own install) is left out.
 */
export const installLinesOfPage = (page: string, text: string): ReadonlyArray<InstallLine> => {
  const { fences, prose } = parsePage(text)
  const found: Array<InstallLine | undefined> = []
  for (const fence of fences.filter((f) => SHELL_LANGUAGES.has(f.language))) {
    let pending = ""
    let startLine = fence.line
    fence.lines.forEach((raw, i) => {
      if (pending === "") startLine = fence.line + i
      const text = raw.replace(/^\s*#.*$/, "")
      if (text.trimEnd().endsWith("\\")) {
        pending += text.trimEnd().slice(0, -1) + " "
        return
      }
      for (const command of (pending + text).split(/&&|;/)) found.push(installLine(page, startLine, command.trim()))
      pending = ""
    })
  }
  for (const [line, text] of prose) {
    for (const span of text.matchAll(/`([^`]+)`/g)) found.push(installLine(page, line, span[1]!))
  }
  return found.filter((line): line is InstallLine => line !== undefined && line.packages.length > 0)
}

/** Every install command of the README and `docs/*.md`. */
export const installLines = (repo: string): ReadonlyArray<InstallLine> =>
  documentationPages(repo).flatMap((page) => installLinesOfPage(page, fs.readFileSync(path.join(repo, page), "utf8")))

export interface PackageJson {
  readonly name: string
  readonly peerDependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
  readonly dependencies?: Record<string, string>
}

/**
 * What is wrong with the install lines: a package without a range, or with another range than
 * `package.json` gives it (as a peer, else as a dev dependency), or one `package.json` does not know.
 * The package itself needs no range.
 */
export const installLineProblems = (lines: ReadonlyArray<InstallLine>, pkg: PackageJson): ReadonlyArray<string> =>
  lines.flatMap((line) =>
    line.packages.flatMap(({ name, range }) => {
      if (name === pkg.name) return []
      const where = `${line.page}:${line.line}: \`${line.text}\``
      const expected = pkg.peerDependencies?.[name] ?? pkg.devDependencies?.[name] ?? pkg.dependencies?.[name]
      if (expected === undefined) return [`${where}: ${name} is not among package.json's dependencies, so no supported range is known`]
      if (range === undefined) return [`${where}: ${name} has no range: write ${name}@${expected} (npm's latest may be a line we do not support)`]
      if (range !== expected) return [`${where}: ${name}@${range} differs from package.json's ${name}@${expected}`]
      return []
    })
  )

/** tsc's `blocks/<file>(row,col): error ...` lines, each put back at its page and line. */
export const locateDiagnostics = (output: string, blocks: ReadonlyArray<DocBlock>): ReadonlyArray<string> => {
  const byFile = new Map(blocks.map((block) => [`blocks/${block.fileName}`, block]))
  const problems: Array<string> = []
  for (const line of output.split("\n")) {
    const at = /^(blocks\/[^(]+)\((\d+),(\d+)\): (.*)$/.exec(line)
    const block = at === null ? undefined : byFile.get(at[1]!)
    if (at !== null && block !== undefined) {
      problems.push(`${block.page}:${block.line + Number(at[2]) - 1}:${at[3]} (block ${block.index}): ${at[4]}`)
    } else if (line.startsWith(" ") && problems.length > 0) {
      problems[problems.length - 1] += `\n${line}`
    } else if (line.trim() !== "") {
      problems.push(line)
    }
  }
  return problems
}
