/**
 * How the packaging check reads the documentation: which fences are TypeScript blocks and what the
 * words after the language mean, which commands are install lines and what they must pin, and how a
 * compiler error is put back at its page and line.
 */
import { describe, expect, it } from "@effect/vitest"
import { blocksOfPage, installLineProblems, installLinesOfPage, locateDiagnostics } from "./package/markdown.js"

const page = (...lines: ReadonlyArray<string>) => lines.join("\n")

const pkg = {
  name: "effect-guard",
  peerDependencies: { effect: "^3.22.4", ioredis: "^5.11.1" },
  devDependencies: { "@effect/platform-node": "^0.108.2", effect: "^3.22.4" }
}

describe("TypeScript blocks", () => {
  it("takes ts and typescript fences with the line of their first line of code, and leaves other languages", () => {
    const blocks = blocksOfPage("docs/a.md", page("# A", "", "```ts", "const a = 1", "```", "```js", "const b = 2", "```", "~~~typescript", "const c = 3", "~~~"))
    expect(blocks.map(({ code, fileName, kind, line }) => ({ code, fileName, kind, line }))).toEqual([
      { code: "const a = 1", fileName: "docs-a-1.ts", kind: "check", line: 4 },
      { code: "const c = 3", fileName: "docs-a-2.ts", kind: "check", line: 10 }
    ])
  })

  it("marks a ```ts test block as a vitest file and a ```ts no-check block as left unchecked", () => {
    const blocks = blocksOfPage("README.md", page("```ts test", "it()", "```", "```ts no-check", "x", "```"))
    expect(blocks.map(({ fileName, kind }) => ({ fileName, kind }))).toEqual([
      { fileName: "readme-1.test.ts", kind: "test" },
      { fileName: "readme-2.ts", kind: "no-check" }
    ])
  })

  it("refuses an unknown word after the language, so a misspelt marker cannot silently skip a block", () => {
    expect(() => blocksOfPage("docs/a.md", page("text", "```ts nocheck", "x", "```"))).toThrow(/docs\/a\.md:2: unknown word\(s\) .*nocheck/)
  })

  it("keeps a fence inside a longer fence as content, and unindents a fence inside a list item", () => {
    const blocks = blocksOfPage("docs/a.md", page("````md", "```ts", "not a block", "```", "````", "- item", "  ```ts", "  const a = 1", "  ```"))
    expect(blocks.map((block) => block.code)).toEqual(["const a = 1"])
  })
})

describe("install lines", () => {
  it("reads commands of shell blocks, continued lines joined and chains split, and inline code in prose", () => {
    const lines = installLinesOfPage("docs/a.md", page(
      "Run `npm install ioredis@^5.11.1` first.",
      "```sh",
      "# a comment",
      "npm install effect@^3.22.4 \\",
      "  ioredis@^5.11.1",
      "cd app && npm i -D effect@^3.22.4 ./local.tgz",
      "npm install",
      "npm ci",
      "```"
    ))
    expect(lines.map(({ line, text, packages }) => ({ line, text, packages: packages.map((p) => p.name) }))).toEqual([
      { line: 4, text: "npm install effect@^3.22.4 ioredis@^5.11.1", packages: ["effect", "ioredis"] },
      { line: 6, text: "npm i -D effect@^3.22.4 ./local.tgz", packages: ["effect"] },
      { line: 1, text: "npm install ioredis@^5.11.1", packages: ["ioredis"] }
    ])
  })

  it("reads a scoped package's range after its second @", () => {
    const [line] = installLinesOfPage("README.md", "`npm install @effect/platform-node@^0.108.2`")
    expect(line?.packages).toEqual([{ name: "@effect/platform-node", range: "^0.108.2" }])
  })

  it("finds a package without a range, a range other than package.json's, and a package it does not know", () => {
    const lines = installLinesOfPage("README.md", page(
      "```sh",
      "npm install effect-guard effect @effect/platform-node@^0.108.2",
      "npm install ioredis@^5 left-pad@1",
      "```"
    ))
    expect(installLineProblems(lines, pkg)).toEqual([
      "README.md:2: `npm install effect-guard effect @effect/platform-node@^0.108.2`: effect has no range: write effect@^3.22.4 (npm's latest may be a line we do not support)",
      "README.md:3: `npm install ioredis@^5 left-pad@1`: ioredis@^5 differs from package.json's ioredis@^5.11.1",
      "README.md:3: `npm install ioredis@^5 left-pad@1`: left-pad is not among package.json's dependencies, so no supported range is known"
    ])
  })
})

describe("compiler errors", () => {
  it("are reported at their page and line, their continuation lines kept", () => {
    const [block] = blocksOfPage("docs/routes.md", page("intro", "", "```ts", "import x from \"y\"", "const a: number = \"b\"", "```"))
    const output = page(
      "blocks/docs-routes-1.ts(2,7): error TS2322: Type 'string' is not assignable to type 'number'.",
      "  Elaboration.",
      "error TS5083: Cannot read file 'tsconfig.json'."
    )
    expect(locateDiagnostics(output, [block!])).toEqual([
      "docs/routes.md:5:7 (block 1): error TS2322: Type 'string' is not assignable to type 'number'.\n  Elaboration.",
      "error TS5083: Cannot read file 'tsconfig.json'."
    ])
  })
})
