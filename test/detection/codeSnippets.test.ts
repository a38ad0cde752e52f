/**
 * Code examples in JSON bodies: README and issue bodies carry Node snippets (`require('debug')('http')`,
 * `setTimeout(function () {`, `url: 'http://localhost:3000'`). The weak signs of code that an injection
 * also carries pass there; what runs or reads on the server (`child_process`, `require('fs')`,
 * `.exec(`, `eval(`), or a value that is an internal URL, is still refused.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ThreatDetector } from "../../src/ThreatDetector.js"

/** Each of `passing` passes and each of `refused` is refused, as the `body` field of a JSON document at the default level. */
const expectVerdicts = (passing: ReadonlyArray<string>, refused: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
    const refusedInJson = (body: string) =>
      Effect.map(
        detector.detect({
          path: "/api",
          headers: { "content-type": "application/json" },
          body: { kind: "json", text: JSON.stringify({ title: "Example", body }) }
        }),
        (result) => result.isThreat
      )
    for (const body of passing) expect(yield* refusedInJson(body), body).toBe(false)
    for (const body of refused) expect(yield* refusedInJson(body), body).toBe(true)
  })

describe("code examples in a JSON body", () => {
  it.effect("pass a package required and called on; a built-in that runs or reads still counts", () =>
    expectVerdicts([
      "var debug = require('debug')('http')\n  , http = require('http')\n  , name = 'My App';",
      "var types = require('pg').types",
      "const cli = require('cac')()\n\ncli.option('--type <type>', 'Choose a project type')",
      "var ui = require('./')({\n  width: 60\n})"
    ], [
      "require('fs').readFileSync('/etc/passwd')",
      "require('child_process').exec('id')",
      "require('shelljs').exec('id')",
      "require('vm').runInNewContext('this.constructor')",
      "require('http').get('http://203.0.113.9/x')"
    ]))

  it.effect("pass an anonymous function in a snippet of several lines; a one-line payload still counts", () =>
    expectVerdicts([
      "var timer = retimer(function () {\n  throw new Error('timeout')\n}, 20);\n\ntimer.reschedule(50);",
      "const promise = new Promise(function (resolve) {\n  setTimeout(function () {\n    resolve('done')\n  }, 100)\n})\n"
    ], [
      "db.stores.mapReduce(function() { { emit(1,1",
      "function() {\nreturn require('child_process').execSync('id');\n}\n",
      "setTimeout(function(){ eval(atob('YWxlcnQoMSk=')) },\n0);\nx();\ny();\n"
    ]))

  it.effect("pass a localhost URL inside code; a value that is an internal URL still counts", () =>
    expectVerdicts([
      "const exporter = new OTLPTraceExporter({\n  // url is optional - default is http://localhost:4318/v1/traces\n  headers: {},\n});",
      "autocannon({\n  url: 'http://localhost:3000',\n  connections: 10,\n}, console.log)"
    ], [
      "http://localhost:8080/admin",
      "http://169.254.169.254/latest/meta-data/",
      "gopher://127.0.0.1:6379/_FLUSHALL"
    ]))
})
