/**
 * The detection engine: walks a request's values (walk.ts), decodes each (decode.ts), runs the rule
 * families (runner.ts), the pattern table and custom patterns (legacy.ts) on it, drops what the
 * exclusions say (exclusions.ts) and scores the rest (scoring.ts). A detector remembers up to 4,096
 * short values (256 characters at most) that scanned clean, by where they were seen, so the header
 * values and paths requests repeat are not scanned again; a value with any finding is never
 * remembered, nor one sent under a name a family reads (an upload's file name), so no answer
 * depends on what was scanned before.
 *
 * @internal
 */
import type {
  CustomPattern,
  DetectionContext,
  DetectionExclusion,
  DetectionInput,
  DetectionResult,
  MatchCategory,
  ThreatDetectorOptions
} from "./model.js"
import { decode, decodeBase64View, fold, type Normalised, preview } from "./decode.js"
import { compileExclusions } from "./exclusions.js"
import type { DetectionFamily, FamilyFinding, Paranoia } from "./families/contract.js"
import { FAMILIES } from "./families/index.js"
import { compileCustom, CRITICAL, type CustomRule, legacyTable, type LegacyTable, type RegexRule, runCustom } from "./legacy.js"
import { BUILTIN_PATTERNS, DEFAULT_EXCLUDED_HEADERS, DETECTION_CATEGORIES, type DetectionCategory, type PatternDef, type WhereName } from "./patterns.js"
import { Budget, runFamilies } from "./runner.js"
import { Findings, safeLocation, type ScoredRule, type ScoreSettings } from "./scoring.js"
import { jsonSegment, type Part, walkRequest } from "./walk.js"

export { compileCustom } from "./legacy.js"

/** Fully resolved engine settings. */
export interface EngineSettings {
  readonly enabled: boolean
  readonly categories: ReadonlySet<DetectionCategory>
  readonly customPatterns: ReadonlyArray<CustomPattern>
  readonly excludedHeaders: ReadonlySet<string>
  readonly excludedParameters: ReadonlySet<string>
  readonly thresholds: Readonly<Partial<Record<MatchCategory, number>>>
  readonly paranoia: Paranoia
  readonly threshold: number
  readonly exclusions: ReadonlyArray<DetectionExclusion>
  readonly maxBytes: number
  readonly maxValues: number
  readonly maxBase64Attempts: number
  readonly maxJsonDepth: number
  readonly maxDecodeRounds: number
  readonly maxMatches: number
  readonly scanBody: boolean
  /** The rule families run (all registered ones by default). */
  readonly families: ReadonlyArray<DetectionFamily>
  /** The pattern table run beside the families. */
  readonly patterns: ReadonlyArray<PatternDef>
}

const NULL_BYTE: ScoredRule = { id: "path_traversal.null_byte", category: "path_traversal", paranoia: 1, score: CRITICAL }

const CLEAN_MEMO_MAX_LENGTH = 256
/** How many values the clean memo holds before it starts over (bench/detection.ts scans past it). */
export const CLEAN_MEMO_SIZE = 4096
/**
 * A place's bit in the clean memo: two per kind of place (value, name). A comparison chain, not a
 * record looked up by name: it runs for every value, and a keyed load by a variable name costs more.
 */
const cleanBit = (where: WhereName, part: Part): number => {
  const at = where === "body" ? 8 : where === "header" ? 4 : where === "query" ? 2 : where === "cookie" ? 6 : where === "key" ? 10 : 0
  return 1 << (part === "name" ? at + 1 : at)
}
const ALWAYS_BIT = 1 << 12
const FREE_TEXT_BIT = 1 << 13
/** The value made a base64 attempt: a memo hit spends one too, so the budget runs out the same way. */
const BASE64_BIT = 1 << 14
/** The first of the bits of the headers with patterns of their own, two per header (see {@link ownHeaderBits}). */
const OWN_HEADER_BIT = 15

/**
 * The clean memo's bits of each header with patterns of its own (`user-agent`): its text clean in
 * another place or header says nothing of it, and its own clean text is remembered under bits of
 * its own, the first as read with the pattern table only, the second as a free-text header. A
 * header past the memo's 31 bits gets 0: read afresh every time.
 */
const ownHeaderBits = (names: ReadonlyArray<string>): ReadonlyMap<string, number> =>
  new Map(names.map((name, i) => [name, OWN_HEADER_BIT + 2 * i + 1 <= 30 ? 1 << (OWN_HEADER_BIT + 2 * i) : 0]))

/**
 * Headers a browser sets but whose text the client chooses freely, and where attacks are sent
 * (log injection through `User-Agent`, reflected `Referer`): the pattern table skips them like the
 * other browser headers (its broad patterns misread ordinary user agents), the families read them.
 */
const FREE_TEXT_HEADERS: ReadonlySet<string> = new Set(["user-agent", "referer"])

/**
 * A copy of a short string that does not keep its parent alive: V8 slices of long strings point
 * into them, and a remembered slice of a 100 KB body would keep the body.
 */
const detached = (value: string): string => (value.length < 13 ? value : (" " + value).slice(1))

const BASE64_CANDIDATE = /^[A-Za-z0-9+/_-]{16,8192}={0,2}$/

/** What a detector builds once and shares between requests. */
interface Compiled {
  readonly settings: EngineSettings
  readonly families: ReadonlyArray<DetectionFamily>
  readonly table: LegacyTable
  readonly custom: ReadonlyArray<CustomRule>
  readonly excludedHeaders: ReadonlySet<string>
  /** The headers the options exclude (on top of the built-in list). */
  readonly userExcludedHeaders: ReadonlySet<string>
  readonly excludedParameters: ReadonlySet<string>
  readonly exclusionsFor: ReturnType<typeof compileExclusions>
  /** Short values known clean, with the bits of the places they were clean in. */
  readonly clean: Map<string, number>
  /** The memo bit of each header with patterns of its own ({@link ownHeaderBits}). */
  readonly ownHeaderBits: ReadonlyMap<string, number>
  /** Whether a family reads the name a value is sent under: such values skip the clean memo. */
  readonly readsName: (parameter: string, value: string) => boolean
  /** The scoring settings, made once: every request's findings share them. */
  readonly scoring: ScoreSettings
}

const lowerSet = (names: Iterable<string>): ReadonlySet<string> => {
  const out = new Set<string>()
  for (const n of names) out.add(n.toLowerCase())
  return out
}

/** One request's scan. */
class Scan {
  readonly findings: Findings
  readonly budget: Budget
  /** Findings seen, filtered or not: a value that adds none is clean. */
  raw = 0
  base64Attempts = 0
  readonly excluded: ((ruleId: string, place: { location: WhereName; parameter: string | undefined }) => boolean) | undefined
  readonly disabled: ReadonlySet<string> | undefined
  readonly extraHeaders: ReadonlySet<string> | undefined
  readonly extraParameters: ReadonlySet<string> | undefined
  // the current value's place
  where: WhereName = "path"
  location = ""
  /** The current JSON leaf's key in its container (see `ValueSink.value`): its segment ends the location of a finding. */
  key: string | number | undefined = undefined
  parameter: string | undefined = undefined
  /** A family reads the current value's name: it skips the clean memo. */
  named = false
  part: Part | "decoded" = "value"
  /** The decoded value the families are reading (for the previews of their findings). */
  view = ""

  constructor(readonly e: Compiled, path: string, context: DetectionContext | undefined) {
    const s = e.settings
    this.findings = new Findings(e.scoring)
    this.budget = new Budget(s.maxBytes, s.maxValues, this)
    this.excluded = e.exclusionsFor(path)
    this.disabled = context?.disabledCategories === undefined ? undefined : new Set<string>(context.disabledCategories)
    this.extraHeaders = context?.excludedHeaders === undefined ? undefined : lowerSet(context.excludedHeaders)
    this.extraParameters = context?.excludedParameters === undefined ? undefined : lowerSet(context.excludedParameters)
  }

  reason(r: Parameters<Findings["reason"]>[0]): void {
    this.raw++
    this.findings.reason(r)
  }

  /** Records a finding of `rule` in the current value, unless a filter drops it. */
  hit(rule: ScoredRule, message: string, text: string, index: number, length: number): void {
    this.raw++
    if (rule.paranoia > this.e.settings.paranoia) return
    if (this.disabled?.has(rule.category)) return
    if (!this.e.settings.categories.has(rule.category as DetectionCategory) && rule.category !== "custom" && isBuiltin(rule.category)) return
    if (this.excluded?.(rule.id, { location: this.where, parameter: this.parameter })) return
    this.findings.record(rule, this.key === undefined ? this.location : this.location + jsonSegment(this.key), this.part, message, text, index, length)
  }

  regexHit(rule: RegexRule, text: string, index: number, length: number): void {
    this.hit(rule, preview(text, index, length, 120), text, index, length)
  }

  familyHit(finding: FamilyFinding): void {
    const view = this.view
    this.hit({ id: finding.ruleId, category: finding.category, paranoia: finding.paranoia, score: finding.score }, finding.message, view, 0, view.length)
  }

  excludedParameter(name: string): boolean {
    if (this.e.excludedParameters.size === 0 && this.extraParameters === undefined) return false
    const lower = name.toLowerCase()
    return this.e.excludedParameters.has(lower) || (this.extraParameters?.has(lower) ?? false)
  }

  excludedHeader(name: string): boolean {
    return this.e.excludedHeaders.has(name) || (this.extraHeaders?.has(name) ?? false)
  }

  value(raw: string, where: WhereName, part: Part, location: string, parameter: string | undefined, key?: string | number): void {
    const text = this.budget.admit(raw)
    if (text === undefined) return
    this.where = where
    this.location = location
    this.key = key
    this.parameter = parameter
    this.part = part
    this.named = part === "value" && parameter !== undefined && this.e.readsName(parameter, text)
    if (this.named || !this.memoable(text, where === "header" ? parameter : undefined)) return this.fresh(text, where)
    const bit = cleanBit(where, part)
    const known = this.e.clean.get(text) ?? 0
    if ((known & bit) !== 0) {
      if ((known & BASE64_BIT) !== 0) this.spendBase64Attempt()
      return
    }
    const before = this.raw
    const attempts = this.base64Attempts
    // a value whose base64 view the attempt budget skipped leaves a reason, and is not remembered
    this.fresh(text, where)
    // a JSON leaf (the only value with a key) is a string of its own, made by `JSON.parse`:
    // remembered as it is, unless the budget cut it from a longer one
    if (this.raw === before) this.remember(text, known, this.base64Attempts === attempts ? bit : bit | BASE64_BIT, key !== undefined && text === raw)
  }

  always(raw: string, location: string, parameter: string): void {
    const text = this.budget.admit(raw)
    if (text === undefined) return
    this.where = "header"
    this.location = location
    this.key = undefined
    this.parameter = parameter
    this.named = false
    this.part = "value"
    const freeText = FREE_TEXT_HEADERS.has(parameter) && !this.e.userExcludedHeaders.has(parameter) &&
      !(this.extraHeaders?.has(parameter) ?? false)
    // a header with patterns of its own is not judged by the same text elsewhere, read by other
    // rules: it has memo bits of its own (a browser sends the same user agent on every request)
    const own = this.e.ownHeaderBits.get(parameter)
    const bit = own === undefined ? (freeText ? FREE_TEXT_BIT : ALWAYS_BIT) : freeText ? own << 1 : own
    const short = text.length <= CLEAN_MEMO_MAX_LENGTH && bit !== 0
    const known = short ? this.e.clean.get(text) ?? 0 : 0
    if ((known & bit) !== 0) return
    const before = this.raw
    const settings = this.e.settings
    const decoded = decode(text, settings.maxDecodeRounds)
    const view = decoded?.text ?? text
    this.view = view
    if (freeText) runFamilies(this.e.families, view, "header", settings.paranoia, this, text, parameter)
    const folded = fold(view)
    this.e.table.runAlways(folded, this)
    this.e.table.runHeader(folded, parameter, this)
    if (short && this.raw === before) this.remember(text, known, bit)
  }

  /**
   * Whether a value may be answered from the clean memo: short, and not in a `header` with patterns
   * of its own, which is read afresh (the same text elsewhere was read by other rules).
   */
  memoable(text: string, header: string | undefined): boolean {
    return text.length <= CLEAN_MEMO_MAX_LENGTH && (header === undefined || !this.e.ownHeaderBits.has(header))
  }

  /** Remembers `value` as clean at `bit`; `own`: it is a string of its own, no slice of a longer one. */
  remember(value: string, known: number, bit: number, own = false): void {
    const clean = this.e.clean
    if (known !== 0) {
      clean.set(value, known | bit)
      return
    }
    if (clean.size >= CLEAN_MEMO_SIZE) clean.clear()
    clean.set(own ? value : detached(value), bit)
  }

  /** Scans a value in its decoded form(s). */
  fresh(text: string, where: WhereName): void {
    const settings = this.e.settings
    const decoded: Normalised | undefined = decode(text, settings.maxDecodeRounds)
    const view = decoded?.text ?? text
    if (decoded?.decodeExhausted === true) this.reason("decode_rounds")
    this.view = view
    runFamilies(this.e.families, view, where, settings.paranoia, this, text, this.parameter, this.named)
    this.table(view, where)
    if (decoded?.nulView !== undefined) this.table(decoded.nulView, where)
    if (decoded?.nul === true && where !== "header") this.hit(NULL_BYTE, `NUL byte in ${preview(view, 0, view.length, 100)}`, view, 0, view.length)
    // the decoded view: a base64 value sent percent-encoded (`...ZA%3D%3D`) is base64 once decoded
    if (view.length >= 16) this.base64View(view, where)
  }

  /** The pattern table and custom patterns on the folded form of decoded text. */
  table(decoded: string, where: WhereName): void {
    const folded = fold(decoded)
    this.e.table.run(folded, where, this)
    if (where === "header" && this.parameter !== undefined) this.e.table.runHeader(folded, this.parameter, this)
    if (this.e.custom.length > 0) runCustom(this.e.custom, folded, where, this)
  }

  /** Takes one base64 attempt from the budget; false (and a reason) when none is left. */
  spendBase64Attempt(): boolean {
    if (this.base64Attempts >= this.e.settings.maxBase64Attempts) {
      this.reason("base64")
      return false
    }
    this.base64Attempts++
    return true
  }

  base64View(value: string, where: WhereName): void {
    if (!BASE64_CANDIDATE.test(value)) return
    if (!this.spendBase64Attempt()) return
    const decoded = decodeBase64View(value)
    if (decoded === undefined) return
    const part = this.part
    const view = this.view
    const text = decode(decoded, this.e.settings.maxDecodeRounds)?.text ?? decoded
    this.part = "decoded"
    this.view = text
    runFamilies(this.e.families, text, where, this.e.settings.paranoia, this, decoded)
    this.table(text, where)
    this.part = part
    this.view = view
  }

  run(input: DetectionInput, context: DetectionContext | undefined): DetectionResult {
    const settings = this.e.settings
    walkRequest(input, this, {
      scanBody: settings.scanBody && context?.scanBody !== false,
      maxJsonDepth: settings.maxJsonDepth,
      budget: this.budget
    })
    const b = this.budget
    return this.findings.result({ values: b.values, bytes: b.bytes }, { values: b.skippedValues, bytes: b.skippedBytes })
  }
}

/** Whether any of `families` reads the name a value is sent under. */
const namesRead = (families: ReadonlyArray<DetectionFamily>): ((parameter: string, value: string) => boolean) => {
  const readers = families.flatMap((f) => (f.readsName === undefined ? [] : [f.readsName]))
  if (readers.length === 0) return () => false
  if (readers.length === 1) return readers[0]!
  return (parameter, value) => {
    for (let i = 0; i < readers.length; i++) if (readers[i]!(parameter, value)) return true
    return false
  }
}

const BUILTIN = new Set<string>(DETECTION_CATEGORIES)
const isBuiltin = (category: string): boolean => BUILTIN.has(category)

/** The settings of {@link makeEngine} for `options`, defaults filled in. */
export const engineSettings = (options: ThreatDetectorOptions, customPatterns: ReadonlyArray<CustomPattern>): EngineSettings => ({
  enabled: options.enabled ?? true,
  categories: new Set(options.categories ?? DETECTION_CATEGORIES),
  customPatterns,
  excludedHeaders: new Set(options.excludedHeaders ?? []),
  excludedParameters: new Set(options.excludedParameters ?? []),
  thresholds: options.thresholds ?? {},
  paranoia: options.paranoia ?? 1,
  threshold: options.threshold ?? CRITICAL,
  exclusions: options.exclusions ?? [],
  maxBytes: options.maxBytes ?? 262_144,
  maxValues: options.maxValues ?? 65_536,
  maxBase64Attempts: options.maxBase64Attempts ?? 16,
  maxJsonDepth: options.maxJsonDepth ?? 32,
  maxDecodeRounds: options.maxDecodeRounds ?? 4,
  maxMatches: options.maxMatches ?? 32,
  scanBody: options.scanBody ?? true,
  families: FAMILIES,
  patterns: BUILTIN_PATTERNS
})

/** The detector as a plain function: never throws for any input. */
export const makeEngine = (settings: EngineSettings): ((input: DetectionInput, context?: DetectionContext) => DetectionResult) => {
  const table = legacyTable(settings.patterns, settings.categories)
  const compiled: Compiled = {
    settings,
    families: settings.families,
    table,
    custom: settings.customPatterns.flatMap((p, i) => {
      const c = compileCustom(p, i)
      return c._tag === "ok" ? [c.value] : []
    }),
    excludedHeaders: new Set([...DEFAULT_EXCLUDED_HEADERS, ...lowerSet(settings.excludedHeaders)]),
    userExcludedHeaders: lowerSet(settings.excludedHeaders),
    excludedParameters: lowerSet(settings.excludedParameters),
    exclusionsFor: compileExclusions(settings.exclusions),
    clean: new Map(),
    readsName: namesRead(settings.families),
    ownHeaderBits: ownHeaderBits(table.ownHeaders),
    scoring: { threshold: settings.threshold, thresholds: settings.thresholds, maxMatches: settings.maxMatches }
  }
  return (input, context) => {
    if (!settings.enabled) return emptyResult
    try {
      // the path before its query, without the array a split makes on every request
      const query = typeof input.path === "string" ? input.path.indexOf("?") : -1
      const path = typeof input.path !== "string" ? "" : query < 0 ? input.path : input.path.slice(0, query)
      return new Scan(compiled, path, context).run(input, context)
    } catch (error) {
      return failedResult(error)
    }
  }
}

/** What a disabled detector answers. */
export const emptyResult: DetectionResult = {
  isThreat: false,
  categories: [],
  patternIds: [],
  ruleIds: [],
  score: 0,
  categoryScores: {},
  matches: [],
  findings: [],
  truncated: false,
  skipped: { values: 0, bytes: 0, reasons: [] },
  scanned: { values: 0, bytes: 0 }
}

const failedResult = (error: unknown): DetectionResult => ({
  ...emptyResult,
  truncated: true,
  skipped: { values: 0, bytes: 0, reasons: ["error"] },
  error: safeLocation(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
})
