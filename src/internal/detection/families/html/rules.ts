/**
 * The catalogue of the HTML family. Ids are stable: never reuse or renumber one.
 *
 * @internal
 */
import type { RuleInfo } from "../contract.js"

const rule = (id: string, paranoia: RuleInfo["paranoia"], score: number, description: string): RuleInfo => ({
  id,
  category: "xss",
  paranoia,
  score,
  description
})

export const SCRIPT_TAG = rule(
  "html-101",
  1,
  5,
  "A tag that runs or embeds script or another document: `<script>`, `<iframe>`, `<object>`, `<embed>`, `<applet>`, `<frameset>`, `<base>`"
)
export const EVENT_HANDLER = rule("html-102", 1, 5, "An event handler attribute in a tag: `<img src=x onerror=...>`, `<svg/onload=...>`, `<x onclick=...>`")
export const SCRIPT_URL = rule(
  "html-103",
  1,
  5,
  "A script URL in an attribute that loads or navigates: `href=javascript:...`, `src=vbscript:...`, `action=data:text/html,...` (whitespace, entities and case undone)"
)
export const SRCDOC = rule("html-104", 1, 5, "An `srcdoc` attribute: a whole document inside an attribute")
export const STYLE_SCRIPT = rule(
  "html-105",
  1,
  5,
  "Style that runs script: `expression(...)`, `-moz-binding`, `behavior:`, `javascript:` in a `<style>` or a `style=` attribute"
)
export const META_REFRESH = rule(
  "html-106",
  1,
  5,
  "A `<meta>` that redirects, sets a cookie or changes the charset, or a `<link>` that imports: `<meta http-equiv=refresh content=0;url=...>`"
)
export const SCRIPT_URL_VALUE = rule(
  "html-107",
  1,
  5,
  "A value that is itself a script URL with code: `javascript:alert(1)`, `vbscript:msgbox(1)`, `data:text/html;base64,...`"
)
export const ATTRIBUTE_HANDLER = rule(
  "html-108",
  1,
  5,
  "A value that closes an attribute's quote and adds an event handler: `\" onfocus=alert(1) autofocus x=\"`"
)
export const JS_SINK = rule(
  "html-109",
  1,
  4,
  "JavaScript that reads or rewrites the page: `document.cookie`, `document.domain`, `window.location`, `.innerHTML=`, `document.write(`; a mention alone stays below the threshold"
)
export const LOOSE_HANDLER = rule(
  "html-110",
  1,
  5,
  "An event handler assignment outside a tag, ready to land in one: ` onerror=`, `\"onfocus=`, `/onload=`"
)
export const JS_BREAK = rule(
  "html-111",
  1,
  5,
  "A value that leaves a JavaScript string or block and calls a sink: `';alert(1)//`, `'-prompt(1)-'`, `}eval(x);{//`"
)
export const JS_OBFUSCATION = rule(
  "html-112",
  1,
  5,
  "JavaScript written to hide its calls: `self[\"alert\"](1)`, `[].sort.call`${alert}1``, `top['doc'+'ument']`, `top[/al/.source+/ert/.source](1)`, a filtered word cut across joined literals (`'jav'+'ascript:'`, `'<scr'+'ipt>'`), a dialog called through parentheses or handed to a call (`(alert)(1)`, `[1].find(alert)`), JSFuck `[][(![]+[])...]`, `constructor` chains to `Function`, template expressions that reach code (`{{constructor.constructor('...')()}}`)"
)
export const JS_CALL = rule("html-113", 1, 3, "A call of a JavaScript dialog or evaluator: `alert(1)`, `prompt()`, `eval(x)`, `setTimeout(code)`, `String.fromCharCode(88)`")
export const DOM_WRITE = rule(
  "html-114",
  1,
  5,
  "JavaScript that changes the page through the DOM: `document.body.appendChild(...)`, `document.querySelector(...).textContent=`, `el.insertAdjacentHTML(`"
)
export const CALL_VALUE = rule(
  "html-115",
  1,
  5,
  "A value that is itself a JavaScript sink: a call of a dialog, evaluator or decoder (`alert()`, `setInterval(code, 1)`, `new Function(...)`, `atob(...)`), a page property (`document.cookie=...`, `window.location`), or one call of a browser API that acts on the visitor (`navigator.vibrate([300])`, `navigator.sendBeacon(...)`)"
)
export const PADDED_REFERENCE = rule(
  "html-116",
  1,
  5,
  "`<` or `>` written as a character reference no encoder writes, to pass a filter that looks for the character: padded with zeros (`&#060;`, `&#x0003c`), with an upper-case `X` (`&#X3c;`), or named in upper case (`&LT;`)"
)
export const PAGE_MARKUP = rule(
  "html-117",
  1,
  5,
  "In a URL, header or cookie value: markup that restyles the page or builds a form, as CRS's paranoia-1 HTML injection rule reads it: a `style` attribute on any tag, or a form, input, style or page tag opened or closed (`<body style=...>`, `<input name=... value=...>`, `</form>`, `</style>`)"
)
export const FOREIGN_CONTENT = rule(
  "html-118",
  1,
  5,
  "An `<svg>` or `<math>` island that is left open, so the page after it parses as foreign content (the ground of mutation XSS), or that holds more than a picture or a formula: a link, an element outside SVG's shapes, filters and text or MathML's layout (`<mglyph>`, `<foreignObject>`, `<p>`), an image or `<use>` of anything but a fragment of the document"
)
export const ACTIVE_TAG = rule(
  "html-201",
  2,
  3,
  "A tag other than text formatting: `<svg>`, `<form>`, `<img>`, `<input>`, `<video>`, `<details>`, or an unknown one with attributes"
)
export const ATTRIBUTE_BREAK = rule(
  "html-202",
  2,
  5,
  "A value that closes an attribute's quote and adds an attribute or closes the tag: `\" style=x:expression(1) x=\"`, `'><b>`"
)
export const SCRIPT_BREAK = rule(
  "html-203",
  2,
  5,
  "A value that breaks out of a JavaScript string and calls something: `';alert(1)//`, `\"-prompt(1)-\"`"
)
export const SCRIPT_CLOSE = rule("html-204", 2, 5, "A closing `</script>` tag, which ends a script block early")
export const HEAD_TAG = rule("html-205", 2, 3, "A `<meta>`, `<link>` or `<style>` tag, which change how the page around it behaves")

export const URL_ATTRIBUTE = rule(
  "html-206",
  2,
  5,
  "A tag with an attribute that loads or navigates to a URL: `<a href=...>`, `<img src=...>`, `<form action=...>`"
)
export const COMMENT_CLOSE = rule("html-207", 2, 5, "A `-->` that closes an HTML comment early, letting what follows run as markup")
export const OPERATOR_BREAK = rule(
  "html-208",
  2,
  5,
  "A value that leaves a JavaScript string with an operator keyword and assigns: `\" in valueOf=`, `' instanceof x.y=`"
)

export const HTML_RULES: ReadonlyArray<RuleInfo> = [
  SCRIPT_TAG,
  EVENT_HANDLER,
  SCRIPT_URL,
  SRCDOC,
  STYLE_SCRIPT,
  META_REFRESH,
  SCRIPT_URL_VALUE,
  ATTRIBUTE_HANDLER,
  JS_SINK,
  LOOSE_HANDLER,
  JS_BREAK,
  JS_OBFUSCATION,
  JS_CALL,
  DOM_WRITE,
  CALL_VALUE,
  PADDED_REFERENCE,
  PAGE_MARKUP,
  FOREIGN_CONTENT,
  ACTIVE_TAG,
  ATTRIBUTE_BREAK,
  SCRIPT_BREAK,
  SCRIPT_CLOSE,
  HEAD_TAG,
  URL_ATTRIBUTE,
  COMMENT_CLOSE,
  OPERATOR_BREAK
]
