// Fails when the modules under src/ import each other in a circle.
// Every import counts, `import type` included: a type-only circle still means two modules that
// cannot be read, tested or moved apart, and it turns into a runtime circle with the next value.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const src = join(root, "src")

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : []
  })

const files = walk(src)
const known = new Set(files)

const resolveImport = (from, specifier) => {
  if (!specifier.startsWith(".")) return undefined
  const base = resolve(dirname(from), specifier)
  const candidates = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")]
  return candidates.find((candidate) => known.has(candidate))
}

const edges = new Map(
  files.map((file) => {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true)
    const targets = info.importedFiles
      .map((imported) => resolveImport(file, imported.fileName))
      .filter((target) => target !== undefined)
    return [file, [...new Set(targets)]]
  })
)

// Tarjan's strongly connected components: every component larger than one module is a circle.
let index = 0
const stack = []
const onStack = new Set()
const indices = new Map()
const lowlinks = new Map()
const circles = []

const connect = (node) => {
  indices.set(node, index)
  lowlinks.set(node, index)
  index++
  stack.push(node)
  onStack.add(node)
  for (const next of edges.get(node) ?? []) {
    if (!indices.has(next)) {
      connect(next)
      lowlinks.set(node, Math.min(lowlinks.get(node), lowlinks.get(next)))
    } else if (onStack.has(next)) {
      lowlinks.set(node, Math.min(lowlinks.get(node), indices.get(next)))
    }
  }
  if (lowlinks.get(node) === indices.get(node)) {
    const component = []
    let member
    do {
      member = stack.pop()
      onStack.delete(member)
      component.push(member)
    } while (member !== node)
    const selfImport = (edges.get(node) ?? []).includes(node)
    if (component.length > 1 || selfImport) circles.push(component)
  }
}

for (const file of files) if (!indices.has(file)) connect(file)

if (circles.length === 0) {
  console.log(`check-import-cycles: ${files.length} modules under src/, no import circle`)
} else {
  for (const circle of circles) {
    const names = circle.map((file) => relative(root, file)).sort()
    console.error(`import circle of ${names.length} modules:\n  ${names.join("\n  ")}`)
    // One concrete path around the circle makes the fix obvious.
    const members = new Set(circle)
    const start = circle[0]
    const path = [start]
    const seen = new Set([start])
    let current = start
    for (;;) {
      const next = (edges.get(current) ?? []).find((target) => members.has(target) && (target === start || !seen.has(target)))
      if (next === undefined || next === start) break
      path.push(next)
      seen.add(next)
      current = next
    }
    console.error(`  e.g. ${path.map((file) => relative(src, file)).join(" -> ")} -> ${relative(src, start)}`)
  }
  process.exitCode = 1
}
