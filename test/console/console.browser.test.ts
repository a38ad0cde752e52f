/**
 * The guard console in a real browser: headless Chromium (the Debian package, driven by
 * playwright-core, which downloads nothing) opens the console of a real guarded NodeHttpServer. An
 * attack shows up live, its payload as text only; the unban action lifts the ban it caused; and the
 * screenshot in the README (docs/images/console.png) is taken here. The tracked picture is written
 * only when it is missing or with `UPDATE_SCREENSHOT=1`; other runs write theirs to a temporary
 * directory, so a normal run leaves the working tree as it was.
 *
 * Without Chromium the test is skipped, with a message saying so, except in CI (`CI` set), where it
 * must run: `.ci/run` installs the `chromium` package when it is missing.
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { existsSync, mkdirSync, mkdtempSync, statSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium, type Page } from "playwright-core"
import { GuardConfig, serveGuarded } from "effect-guard"

const TOKEN = "browser-test-console-token"
const ATTACKER = "203.0.113.66"
const PAYLOAD = "<img src=x onerror=alert(1)>"
const README_SCREENSHOT = fileURLToPath(new URL("../../docs/images/console.png", import.meta.url))
/** The README's picture when it is missing or asked for (`UPDATE_SCREENSHOT=1`), else a temporary file. */
const screenshotPath = (): string =>
  process.env["UPDATE_SCREENSHOT"] === "1" || !existsSync(README_SCREENSHOT)
    ? README_SCREENSHOT
    : join(mkdtempSync(join(tmpdir(), "effect-guard-console-")), "console.png")

const chromiumPath = [process.env["CHROMIUM_PATH"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (candidate): candidate is string => candidate !== undefined && candidate !== "" && existsSync(candidate)
)
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== "" && process.env["CI"] !== "false"
if (chromiumPath === undefined && !inCi) {
  console.warn("console.browser.test.ts skipped: Chromium not found (apt-get install chromium, or set CHROMIUM_PATH)")
}

const app = HttpRouter.empty.pipe(
  HttpRouter.get("/", HttpServerResponse.text("home")),
  HttpRouter.get("/search", HttpServerResponse.text("results"))
)

/** A guarded server on a free loopback port, with the console at /__guard; its base URL. */
const server = Effect.gen(function*() {
  const context = yield* Layer.build(
    serveGuarded(app, NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })).pipe(
      Layer.provide(GuardConfig.layer({
        consolePath: "/__guard",
        consoleToken: TOKEN,
        trustedProxies: ["127.0.0.1"],
        enableRateLimiting: false,
        autoBanThreshold: 1
      }))
    )
  )
  const address = Context.get(context, HttpServer.HttpServer).address
  if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
  return `http://127.0.0.1:${address.port}`
})

const browser = Effect.acquireRelease(
  Effect.promise(() => chromium.launch({ executablePath: chromiumPath!, headless: true, args: ["--no-sandbox", "--disable-gpu"] })),
  (b: Browser) => Effect.promise(() => b.close())
)

const request = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    await response.arrayBuffer()
    return response.status
  })

/** Opens the console; every dialog (an `alert` an injected payload would call) is recorded. */
const openConsole = (b: Browser, base: string, viewport: { width: number; height: number }) =>
  Effect.gen(function*() {
    const page = yield* Effect.promise(() => b.newPage({ viewport }))
    const dialogs: Array<string> = []
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    yield* Effect.promise(() => page.goto(`${base}/__guard/?token=${TOKEN}`))
    yield* Effect.promise(() => page.locator("#connection[data-state=\"live\"]").waitFor({ timeout: 10_000 }))
    return { page, dialogs }
  })

const text = (page: Page, selector: string) => Effect.promise(() => page.locator(selector).allTextContents())

describe.skipIf(chromiumPath === undefined && !inCi)("the console in Chromium", () => {
  it.scopedLive("shows an attack live as text, lifts its ban, and fits a laptop and a phone", () =>
    Effect.gen(function*() {
      if (chromiumPath === undefined) return yield* Effect.dieMessage("CI is set but Chromium was not found: .ci/run installs the chromium package")
      const base = yield* server
      const b = yield* browser
      const { dialogs, page } = yield* openConsole(b, base, { width: 1280, height: 1000 })

      // the address bar no longer holds the token
      expect(new URL(page.url()).search).toBe("")

      // a little ordinary traffic, then the attack, which bans the attacker (autoBanThreshold 1)
      for (let i = 0; i < 5; i++) yield* request(`${base}/`)
      expect(yield* request(`${base}/search?q=${encodeURIComponent(PAYLOAD)}`, { "x-forwarded-for": ATTACKER })).toBe(403)
      // the event is in the page within 2 s of the refusal
      const row = page.locator("#events tbody tr", { hasText: "penetration_attempt" })
      yield* Effect.promise(() => row.first().waitFor({ timeout: 2_000 }))

      // the payload is shown as text, and nothing it holds ran or became an element
      const reasons = yield* text(page, "#events tbody tr td:nth-child(9)")
      expect(reasons.some((reason) => reason.includes(PAYLOAD))).toBe(true)
      expect(yield* Effect.promise(() => page.locator("main img").count())).toBe(0)
      yield* Effect.promise(() => row.first().click())
      expect((yield* text(page, "#detail")).join("")).toContain(PAYLOAD)
      expect(dialogs).toEqual([])

      // the ban is listed; the unban action lifts it
      const ban = page.locator(`#bans tr[data-target="${ATTACKER}"]`)
      yield* Effect.promise(() => ban.waitFor({ timeout: 10_000 }))
      expect(yield* request(`${base}/`, { "x-forwarded-for": ATTACKER })).toBe(403)
      yield* Effect.promise(() => ban.locator("button").click())
      yield* Effect.promise(() => ban.waitFor({ state: "detached", timeout: 10_000 }))
      expect(yield* request(`${base}/`, { "x-forwarded-for": ATTACKER })).toBe(200)
      yield* Effect.promise(() => page.locator("#events tbody tr", { hasText: "ip_unbanned" }).first().waitFor({ timeout: 10_000 }))

      // the README's picture
      yield* Effect.promise(() => page.locator("#detail-close").click())
      const screenshot = screenshotPath()
      mkdirSync(dirname(screenshot), { recursive: true })
      yield* Effect.promise(() => page.screenshot({ path: screenshot, fullPage: true }))
      expect(statSync(screenshot).size).toBeGreaterThan(0)
      expect(dialogs).toEqual([])

      // on a phone: nothing wider than the screen
      const phone = yield* openConsole(b, base, { width: 390, height: 844 })
      yield* Effect.promise(() => phone.page.locator("#events tbody tr", { hasText: "penetration_attempt" }).first().waitFor({ timeout: 10_000 }))
      const overflow = yield* Effect.promise(() => phone.page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth"))
      expect(overflow).toBeLessThanOrEqual(0)
      expect(phone.dialogs).toEqual([])
    }), 120_000)

  it.scopedLive("answers 401 to a browser without the token, and shows nothing", () =>
    Effect.gen(function*() {
      if (chromiumPath === undefined) return yield* Effect.dieMessage("CI is set but Chromium was not found: .ci/run installs the chromium package")
      const base = yield* server
      const b = yield* browser
      const page = yield* Effect.promise(() => b.newPage())
      const response = yield* Effect.promise(() => page.goto(`${base}/__guard/`))
      expect(response?.status()).toBe(401)
      expect(yield* Effect.promise(() => page.locator("#events").count())).toBe(0)
    }), 60_000)
})
