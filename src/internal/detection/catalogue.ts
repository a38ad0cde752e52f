/**
 * The rule catalogue: every rule the engine can report, from the families' rule lists and the
 * pattern table, as the Markdown table docs/detection.md holds (a test checks that the two agree).
 *
 * @internal
 */
import { FAMILIES } from "./families/index.js"
import type { RuleInfo } from "./families/contract.js"
import { CRITICAL } from "./legacy.js"
import { BUILTIN_PATTERNS, Where, type WhereName } from "./patterns.js"

const whereNames = (bits: number): string =>
  (Object.keys(Where) as Array<WhereName>).filter((w) => (bits & Where[w]) !== 0).join(", ")

/** Every rule, families first (in their order), then the pattern table. */
export const catalogue = (): ReadonlyArray<RuleInfo & { readonly source: string }> => [
  ...FAMILIES.flatMap((f) => f.rules.map((r) => ({ ...r, source: f.name }))),
  ...BUILTIN_PATTERNS.map((p) => ({
    id: p.id,
    category: p.category,
    paranoia: 1 as const,
    score: CRITICAL * p.weight,
    description: `pattern in ${p.onlyHeader !== undefined ? `the ${p.onlyHeader} header` : whereNames(p.where)}${p.tokenOnly ? " (header, cookie and body values without spaces)" : ""}${
      p.always ? "; also in browser headers" : ""
    }`,
    source: "patterns"
  }))
]

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ")

/** The catalogue as a Markdown table. */
export const catalogueTable = (): string =>
  [
    "| Rule | Source | Category | Paranoia | Score | What it finds |",
    "|---|---|---|---|---|---|",
    ...catalogue().map((r) => `| \`${r.id}\` | ${r.source} | ${r.category} | ${r.paranoia} | ${r.score} | ${cell(r.description)} |`)
  ].join("\n")
