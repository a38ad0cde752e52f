/**
 * The HTML family (cross-site scripting): each value is tokenized as HTML, starting in text and,
 * when it holds a quote, inside an attribute value, and every tag is judged by what it can do:
 * run script (`<script>`, event handlers, `javascript:` URLs, style expressions) or change the page
 * around it (`<base>`, `<meta http-equiv>`). Harmless formatting (`<b>`, `<p>`, `<br>`, links to
 * ordinary URLs) and prose with `<` and `>` pass at level 1.
 *
 * @internal
 */
import { decodeComponent } from "../../decode.js"
import { type DetectionFamily, type FamilyFinding, findingOf, type RuleInfo, type ScanContext } from "../contract.js"
import { isProgramText, isSourceSnippet } from "../programText.js"
import * as R from "./rules.js"
import { hasCutWord } from "./joinedLiterals.js"
import { compactText, isScriptUrl, runsScript, urlHead } from "./scriptValues.js"
import { type Attribute, type HtmlContext, type Tag, tokenizeHtml } from "./tokenizer.js"

/** Tags that run script or load another document by themselves; `<noscript>` parses differently with script on and off (mutation XSS). */
const SCRIPT_TAGS: ReadonlySet<string> = new Set([
  "script",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "base",
  "portal",
  "xml",
  "import",
  "layer",
  "ilayer",
  "bgsound",
  "vmlframe",
  "noscript",
  "stylesheet",
  "xss"
])

/**
 * Of {@link SCRIPT_TAGS}, those that only load what an attribute names: without an attribute value
 * (`Promise<object>`, `Map<object, number>`, `&lt;Object>` in API docs) they load nothing.
 */
const LOADING_TAGS: ReadonlySet<string> = new Set(["iframe", "frame", "object", "embed", "applet", "base", "portal", "bgsound", "layer", "ilayer"])

/** Text formatting and structure: harmless without handlers or script URLs, even at level 2. */
const FORMATTING_TAGS: ReadonlySet<string> = new Set(
  "a b i u s p br hr em strong small big sub sup code pre kbd samp var q blockquote cite abbr mark span div ul ol li dl dt dd h1 h2 h3 h4 h5 h6 table thead tbody tfoot tr td th caption col colgroup center font tt del ins strike nobr wbr section article header footer nav aside main figure figcaption time address summary label"
    .split(" ")
)


const isHandler = (attribute: Attribute): boolean => {
  // `x:ontimer`, `ev:onload`: a namespace prefix does not change what the handler does
  const name = attribute.name.slice(attribute.name.lastIndexOf(":") + 1)
  if (name.length < 5 || !name.startsWith("on")) return false
  for (let i = 2; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c < 97 || c > 122) return false
  }
  return attribute.assigned
}

/** A handler value that reads as code: a call, a template, an assignment or a property. */
const looksLikeCode = (value: string): boolean => /[(`=.[]/.test(value)

const ATTRIBUTE_NAME = /^[a-z][a-z0-9:_-]{0,40}$/

/** Attributes that load or navigate to a URL. */
const URL_ATTRIBUTES: ReadonlySet<string> = new Set(
  "href src action formaction data codebase background poster lowsrc dynsrc xlink:href srcset ping manifest longdesc".split(" ")
)

/**
 * Tags that change the page around them without script: they build a form that posts elsewhere,
 * restyle or replace the document; opened or closed, they end the context the application put the
 * value in (`</style>`, `</textarea>`, `</title>`). A formatting tag (`<b>`, `<h1>`, `<div>`)
 * without a `style` is not among them, nor an image or media tag without a source or a handler
 * (real traffic carries `"><img class=...` pasted from a page), nor a tag whose name is a word prose
 * puts in angle brackets (`<set of values>`, `<select one>`, `<title>`).
 */
const PAGE_TAGS: ReadonlySet<string> = new Set(
  "form input button textarea keygen isindex style body marquee link meta param animate bindings plaintext xmp listing"
    .split(" ")
)

/**
 * What a picture or a formula is made of: SVG's shapes, paint servers, filter primitives and text, and
 * MathML's layout. `<use>`, `<image>` and `<feImage>` count only when they draw a fragment of the
 * document (`#icon-cart`): anything else they load. Links, `<foreignObject>`, animation, `<annotation-xml>`
 * and `<mglyph>` are left out, and so is every HTML tag: inside an island each changes how the parser
 * reads what follows, which is what mutation XSS uses.
 */
const PRESENTATION_TAGS: ReadonlySet<string> = new Set(
  ("svg g defs desc title metadata symbol rect circle ellipse line polyline polygon path text tspan textpath marker pattern " +
    "clippath mask lineargradient radialgradient stop filter feblend fecolormatrix fecomponenttransfer fecomposite " +
    "feconvolvematrix fediffuselighting fedisplacementmap fedistantlight fedropshadow feflood fefunca fefuncb fefuncg fefuncr " +
    "fegaussianblur femerge femergenode femorphology feoffset fepointlight fespecularlighting fespotlight fetile feturbulence " +
    "math mrow mi mo mn ms mtext mspace msqrt mroot mfrac msub msup msubsup munder mover munderover mmultiscripts mprescripts " +
    "none mtable mtr mtd mlabeledtr mstyle merror mpadded mphantom menclose semantics annotation").split(" ")
)
const FRAGMENT_DRAWING_TAGS: ReadonlySet<string> = new Set(["use", "image", "feimage"])
const drawsPicture = (tag: Tag): boolean =>
  PRESENTATION_TAGS.has(tag.name) ||
  (FRAGMENT_DRAWING_TAGS.has(tag.name) && tag.attributes.every((a) => !URL_ATTRIBUTES.has(a.name) || a.value.trimStart().startsWith("#")))

/**
 * SVG and MathML islands of one value, read tag by tag: `html-118` once an island holds anything but
 * a picture or a formula, or once the value ends with one still open. A closed icon or formula
 * pasted into a comment passes; its handlers and script URLs count by their own rules.
 */
const islandReader = () => {
  let open = 0
  let seen = false
  let foreign = false
  return {
    tag: (tag: Tag): void => {
      if (tag.name === "svg" || tag.name === "math") {
        open++
        seen = true
      } else if (open > 0 && !drawsPicture(tag)) foreign = true
    },
    // a `</svg>` in a comment or without its `>` leaves the island open in a browser
    endTag: (name: string, closes: boolean): void => {
      if ((name === "svg" || name === "math") && closes && open > 0) open--
    },
    foreignContent: (): boolean => seen && (foreign || open > 0)
  }
}

/** What one tag can do, added to `hits`. */
const judgeTag = (tag: Tag, hits: Set<RuleInfo>, xmlDocument: boolean): void => {
  // in an XML document `<xml>` is an element like any other, not an Internet Explorer data island
  if (SCRIPT_TAGS.has(tag.name) && !(xmlDocument && tag.name === "xml") && (!LOADING_TAGS.has(tag.name) || tag.attributes.some((a) => a.assigned))) {
    hits.add(R.SCRIPT_TAG)
  }
  if (!FORMATTING_TAGS.has(tag.name) && (tag.attributes.length > 0 || tag.name.length > 1)) hits.add(R.ACTIVE_TAG)
  // a style sheet with backslashes hides its keywords in CSS escapes (`@\69mport`, `\65xpression`)
  if (tag.name === "style" && (tag.text.includes("\\") || runsScript(tag.text) || tag.attributes.some((a) => a.name === "type" && /script/i.test(a.value)))) hits.add(R.STYLE_SCRIPT)
  // a `<link>` pulls a style sheet, an import or a preload into the page, whatever its `rel`
  if (tag.name === "link" && tag.attributes.some((a) => a.name === "href")) hits.add(R.META_REFRESH)
  if (tag.name === "meta" || tag.name === "link" || tag.name === "style") hits.add(R.HEAD_TAG)
  if (PAGE_TAGS.has(tag.name)) hits.add(R.PAGE_MARKUP)
  for (const attribute of tag.attributes) {
    if (attribute.name === "style" && attribute.assigned) hits.add(R.PAGE_MARKUP)
    if (URL_ATTRIBUTES.has(attribute.name)) hits.add(R.URL_ATTRIBUTE)
    if (isHandler(attribute)) hits.add(R.EVENT_HANDLER)
    else if (attribute.name === "srcdoc") hits.add(R.SRCDOC)
    else if (attribute.name === "style" && runsScript(attribute.value)) hits.add(R.STYLE_SCRIPT)
    else if (attribute.value !== "" && isScriptUrl(attribute.value)) hits.add(R.SCRIPT_URL)
    if (tag.name === "meta") {
      const equiv = attribute.name === "http-equiv" ? attribute.value.toLowerCase().trim() : ""
      if (equiv === "refresh" || equiv === "set-cookie" || equiv === "content-type" || equiv === "link" || attribute.name === "charset") hits.add(R.META_REFRESH)
      if (attribute.name === "content" && /url\s{0,8}=/i.test(attribute.value) && isScriptUrl(attribute.value.slice(attribute.value.toLowerCase().indexOf("url") + 3).replace(/^\s{0,8}=/, ""))) {
        hits.add(R.META_REFRESH)
      }
    }
    // a link that pulls a document or a style sheet into the page
    if (tag.name === "link" && attribute.name === "rel" && /import|stylesheet|preload|prefetch|prerender/i.test(attribute.value)) hits.add(R.META_REFRESH)
  }
}

/** What a value that left an attribute value added to the tag. */
const judgeAttributeBreak = (
  value: string,
  attributes: ReadonlyArray<Attribute>,
  closedTag: boolean,
  quoted: boolean,
  hits: Set<RuleInfo>
): void => {
  let attribute = false
  for (const a of attributes) {
    if (!ATTRIBUTE_NAME.test(a.name)) continue
    if (isHandler(a) && (looksLikeCode(a.value) || a.value === "") && !isScriptVariable(value, a.name)) hits.add(R.ATTRIBUTE_HANDLER)
    else if (a.name === "style" && runsScript(a.value)) hits.add(R.STYLE_SCRIPT)
    else if (a.name === "srcdoc") hits.add(R.SRCDOC)
    else if (a.value !== "" && isScriptUrl(a.value)) hits.add(R.SCRIPT_URL)
    if (a.value !== "") attribute = true
  }
  // an unquoted value ends at any space, so only what is dangerous by itself counts there
  if (quoted && (attribute || closedTag)) hits.add(R.ATTRIBUTE_BREAK)
}

/** Events a browser fires on elements; a handler named for one is an attack in any position. */
const KNOWN_EVENTS: ReadonlySet<string> = new Set(
  (
    "load error click dblclick mouseover mouseout mousedown mouseup mousemove mouseenter mouseleave focus blur focusin focusout " +
    "change input submit reset select keydown keyup keypress scroll resize toggle animationstart animationend animationiteration " +
    "transitionend transitionstart transitionrun transitioncancel pointerover pointerdown pointerup pointerenter pointermove " +
    "pointerleave pointerout pointercancel beforeunload unload hashchange popstate pageshow pagehide message drag dragstart dragend " +
    "dragover dragenter dragleave drop copy cut paste contextmenu wheel mousewheel play playing pause ended canplay canplaythrough " +
    "loadstart loadeddata loadedmetadata loadend progress timeupdate volumechange seeking seeked ratechange durationchange emptied " +
    "stalled suspend waiting abort begin end repeat zoom auxclick beforeinput beforeprint afterprint beforetoggle search show " +
    "invalid readystatechange activate beforeactivate beforedeactivate deactivate filterchange start finish bounce touchstart " +
    "touchend touchmove touchcancel securitypolicyviolation webkitanimationstart webkitanimationend webkittransitionend formdata " +
    "cuechange selectstart selectionchange scrollend fullscreenchange gotpointercapture lostpointercapture online offline storage " +
    "orientationchange devicemotion deviceorientation afterscriptexecute beforescriptexecute"
  ).split(" ")
)

/** English words that start with `on`, which settings and prose assign (`online=1`); no browser fires them as events. */
const ON_WORDS: ReadonlySet<string> = new Set(
  "line lines ly ce to set sets ion ions ward wards going boarding boarded erous tology stage screen shore site sale top hold".split(" ")
)

/** `onResult`, `onNetListen`: `on`, then words each starting with a capital, as JavaScript names are written. */
const CAMEL_CASE = /^on[A-Z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$/
/** `var`, `let` or `const` and a space or two right before a name: a declaration. */
const DECLARATION = /\b(?:var|let|const)[ \t]{1,4}$/

/**
 * Whether the `on...` name `lower` (lower-cased, `on` included) is a JavaScript variable in `value`, not
 * a handler: a name no browser fires (`onresult`), written in camelCase (`onResult`) or declared with
 * `var`, `let` or `const` where it first appears. Browsers fire known events whatever their case, so
 * `onClick` and `var onload=` stay handlers. One search for the name: linear.
 */
const isScriptVariable = (value: string, lower: string): boolean => {
  if (KNOWN_EVENTS.has(lower.slice(2))) return false
  const at = value.toLowerCase().indexOf(lower)
  if (at < 0) return false
  return CAMEL_CASE.test(value.slice(at, at + lower.length)) || DECLARATION.test(value.slice(Math.max(0, at - 12), at))
}

const isLetter = (c: number): boolean => (c | 32) >= 97 && (c | 32) <= 122
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)

/**
 * An event handler assignment outside a tag, ready to land in one, found by grammar from each `=`:
 * `on` and three or more letters after a space or a quote (` onerror=`, `"onfocus=`), so handlers
 * browsers add later count too; after `/`, `;` or `+`, or at the very start of the value, only
 * events a browser fires (`/onload=`; `online=true` is a setting). Each `=` looks back a
 * bounded distance, so the cost is linear.
 */
/** `isScriptVariable` for the name written at `start`: its case and what precedes it are at hand. */
const isVariableAt = (value: string, name: string, start: number): boolean =>
  !KNOWN_EVENTS.has(name.slice(2).toLowerCase()) && (CAMEL_CASE.test(name) || DECLARATION.test(value.slice(Math.max(0, start - 12), start)))

export const hasLooseHandler = (value: string): boolean => {
  for (let eq = value.indexOf("="); eq >= 0; eq = value.indexOf("=", eq + 1)) {
    let j = eq - 1
    while (j >= 0 && eq - j <= 8 && isSpace(value.charCodeAt(j))) j--
    const end = j + 1
    // `on` and up to 48 letters: the longest event names are about 40
    while (j >= 0 && end - j <= 51 && isLetter(value.charCodeAt(j))) j--
    const start = j + 1
    if (end - start < 5 || (value.charCodeAt(start) | 32) !== 111 || (value.charCodeAt(start + 1) | 32) !== 110) continue
    const before = j < 0 ? -1 : value.charCodeAt(j)
    if (isSpace(before) || before === 34 || before === 39 || before === 96) {
      const name = value.slice(start, end)
      if (!ON_WORDS.has(name.slice(2).toLowerCase()) && !isVariableAt(value, name, start)) return true
      continue
    }
    // a slash or `;` also separates words in paths, base64 and cookies: only real event names there
    if ((before === -1 || before === 47 || before === 59 || before === 43) && KNOWN_EVENTS.has(value.slice(start + 2, end).toLowerCase())) return true
  }
  return false
}

/**
 * Where a name starts in compacted text (whitespace removed): after no word character or `.`, with
 * at most a keyword that was a word of its own before it (`return top[...]` compacts to
 * `returntop[...]`, `void alert(1)` to `voidalert(1)`). A prefix of the match, not a lookbehind tried
 * at every letter.
 */
const NAME_START = "(?<![\\w$.])(?:return|typeof|void|delete|throw|new|await|yield|case|else|do|in|of)?"

const SINKS = "alert|prompt|confirm|eval|settimeout|setinterval|execscript|fetch|import|print|document\\.write(?:ln)?|window\\.open|location\\.(?:assign|replace)"

/** Leaving a JavaScript string or block, then a sink call: `';alert(1)//`, `'-prompt(1)-'`, `}eval(x)`. */
const JS_BREAK_PATTERN = new RegExp(
  `(?:^|['"\`])\\s{0,4}(?:[)}\\]]{1,4}\\s{0,4}[;,+\\-*|^%/]?|[;,+\\-*|^%/])\\s{0,4}\\(?\\s{0,4}(?:${SINKS})\\s{0,4}[(\`]`,
  "i"
)

/**
 * The end every `JS_BREAK_PATTERN` match has, a sink called, read back from each `(` or back-quote:
 * a search that stops only at those characters, where the pattern tries every quote and separator.
 */
const SINK_CALLED = new RegExp(`[(\`](?<=(?:${SINKS})\\s{0,4}[(\`])`, "i")

/** The names every page sink starts from; looked for only when something could use them. */
const SINK_NAMES = /document|location|innerhtml|outerhtml/i

const PAGE_SINKS = ["document.cookie", "document.domain", "document.write", "document.location", "window.location", "location.href", ".innerhtml=", ".outerhtml=", "document.body.appendchild", "document.createelement("]

/** `self["alert"]`, `top['doc'+'ument']`, `.call`${alert}``, `alert`1``, JSFuck. */
const OBFUSCATED_ACCESS = /(?:window|self|top|this|parent|frames|globalthis|document|\))\[["'`]/
/** The pattern's `[` and quote looked for first: most code indexes by number or name. */
const hasObfuscatedAccess = (compact: string): boolean =>
  (compact.includes("[\"") || compact.includes("['") || compact.includes("[`")) && OBFUSCATED_ACCESS.test(compact)
/**
 * A dialog or evaluator handed to a call as its callback, where a filter looks for `alert(`. An
 * evaluator counts on any receiver; a dialog only on a literal one (`[1].find(alert)`,
 * `Promise.resolve(9).then(prompt)`): application code shows its own data that way
 * (`items.forEach(confirm)`, `promise.catch(alert)`), a probe a value it wrote. Read on the compacted
 * value; the lookbehind runs only at a matched callback and is bounded.
 */
const CALLBACK_SINK = new RegExp(
  "\\.(?:find|findlast|map|filter|some|every|foreach|reduce|sort|call|apply|then|catch)\\(" +
    "(?:eval|(?<=(?:[\\]\"'`\\d]|\\.(?:resolve|reject)\\([^()]{0,40}\\))\\.[a-z]{3,8}\\()(?:alert|prompt|confirm))\\)"
)
/**
 * A global indexed by a name built only from literals and then called: `top[/al/.source+/ert/.source](1)`,
 * `self[8680439..tostring(30)](1)`, `window['al'+'ert'](1)`. A name built from a variable
 * (`window[callbackName+'Callback'](data)`) is dispatch. The index stops at the next `[` too, so each
 * character is read once however many globals a value opens.
 */
const GLOBAL_INDEX_CALL = new RegExp(`${NAME_START}(?:window|self|top|parent|frames|globalthis)\\[([^\\][]{1,160})\\][(\`]`, "g")
const NAME_LITERAL = "(?:\"[^\"]*\"|'[^']*'|`[^`$]*`|/(?:[^/\\\\]|\\\\.)+/[a-z]*\\.source|\\(?\\d+\\.{1,2}tostring\\(\\d+\\)\\)?|\\(\\d+\\)\\.tostring\\(\\d+\\))"
/** Pieces joined by `+`; a single quoted string is `OBFUSCATED_ACCESS`'s. */
const BUILT_NAME = new RegExp(`^${NAME_LITERAL}(?:\\+${NAME_LITERAL})*$`)
const isBuiltName = (index: string): boolean =>
  (index.includes("+") || index.includes(".source") || index.includes("tostring(")) && BUILT_NAME.test(index)
/**
 * A dialog or evaluator called through its own function methods, where a filter looks for `alert(`:
 * `prompt.call(top,2)`, `alert.apply(null,[1])`, `prompt.bind(0)(1)`. A member of something else
 * (`dialog.confirm.call(this)`) is the application's own method, and so is an optional call
 * (`confirm?.({ title })`): React code calls a callback prop named `confirm` that way.
 */
const DIALOG_RECEIVER = /(?<![\w$.])(?:alert|prompt|confirm|eval)(?:\.(?:call|apply)\(|\.bind\([^()]{0,40}\)\()/
const hasIndirectSink = (compact: string): boolean => {
  if (CALLBACK_SINK.test(compact) || DIALOG_RECEIVER.test(compact)) return true
  if (!compact.includes("[")) return false
  for (const match of compact.matchAll(GLOBAL_INDEX_CALL)) {
    if (isBuiltName(match[1]!)) return true
  }
  return false
}
/**
 * `(alert)(1)`, `(confirm)`1``: the sink in parentheses, called right after them. Case kept: a script
 * names it in lower case. A word before it (`your question (prompt)(required)`) makes it a label in prose.
 */
const PAREN_SINK_CALL = /\((?<![\p{L}\p{N}]\s{1,8}\()(?:alert|prompt|confirm|eval)\)[(`]/u
/** A name that ends a markdown code span (`` `api.bind` ``, `` `import` ``) is named, not called. */
const TEMPLATE_CALL = new RegExp(`(?:\\.(?:call|apply|bind)|${SINKS})(?<!\`[\\w.$@/-]{0,64})\``)
/**
 * Inline code after a space in a sentence (`` import `x` to ``): compacting would glue it to the word
 * before. Padded or interpolating back-quotes (`` call ` ${alert} 1 ` ``) are a template, not a span.
 */
const SPACED_CODE_SPAN = /(?<=\s)`(?!\s)[^`\n$]{1,120}(?<!\s)`(?=[\s.,:;)]|$)/
const SPACED_CODE_SPANS = new RegExp(SPACED_CODE_SPAN.source, "g")
const hasTemplateCall = (value: string, compact: string): boolean =>
  compact.includes("`") && TEMPLATE_CALL.test(compact) && (!SPACED_CODE_SPAN.test(value) || TEMPLATE_CALL.test(compactText(value.replace(SPACED_CODE_SPANS, " "), false)))
/**
 * A call of a sink, a decoder or `function`, not a method (`x.eval(`). Read back from each `(`: the
 * search stops only at parentheses, where a name first would be tried at every letter.
 */
const JS_CALLS = new RegExp(`\\((?<=${NAME_START}(?:${SINKS}|function|atob|fromcharcode)\\()`)
/** In a program (`isProgramText`) or a snippet (`isSourceSnippet`) timers, `fetch(`, `import(` and `function(` are everyday code. */
const JS_DIALOG_CALLS = new RegExp(`\\((?<=${NAME_START}(?:alert|prompt|confirm|eval|execscript)\\()`)

/** CSS that runs script, in a value that will land in a style: `x:expression(...)`, `url(javascript:...)`. */
const CSS_SCRIPT = /expression\(|-moz-binding|url\((?:["'])?(?:javascript|vbscript)|behaviou?r:url/

/** Leaving a JavaScript string: a quote, a separator or operator, then a call or a template. */
const SCRIPT_BREAK_PATTERN = /['"`][\s)}\]]{0,4}[;,+\-*|^%/][\s(]{0,4}[a-z_$][\w$.]{0,40}\s{0,4}[(`]/i

/**
 * JavaScript in a value, judged only when the value holds what each rule needs: a call needs `(`
 * or a back-quote, a page sink its name, JSFuck a `[` and a `!` or `+`. Values with none of them (JSON text,
 * prose) cost a few native scans; the compaction and the patterns run only on the rest.
 */
export const judgeScript = (value: string, hits: Set<RuleInfo>): void => {
  const call = value.includes("(") || value.includes("`")
  const sink =
    SINK_VALUE_PATTERN.test(value) || ((call || value.includes("=") || value.includes("<") || value.includes("[") || value.includes("/*")) && SINK_NAMES.test(value))
  // JSFuck is read with whitespace and comments removed: JavaScript allows them between its characters
  let compacted: string | undefined
  const jsfuck = value.includes("[") &&
    (EMPTY_ARRAY_INDEX.test(value) || ((value.includes("!") || value.includes("+")) && hasJsFuckRun(compacted = compactText(value, false))))
  if (call && (value.includes("'") || value.includes("\"") || value.includes("`") || /^\s{0,4}[)}\];,+\-*|^%/]/.test(value))) {
    if (SINK_CALLED.test(value) && JS_BREAK_PATTERN.test(value)) hits.add(R.JS_BREAK)
    if (SCRIPT_BREAK_PATTERN.test(value)) hits.add(R.SCRIPT_BREAK)
  }
  if (value.includes("+") && hasCutWord(value)) hits.add(R.JS_OBFUSCATION)
  if (!call && !sink && !jsfuck) {
    if (value.includes("[") && hasAccessByString(value)) hits.add(R.JS_OBFUSCATION)
    return
  }
  const compact = compacted ?? compactText(value, false)
  if (call && CSS_SCRIPT.test(compact)) hits.add(R.STYLE_SCRIPT)
  if (sink) {
    for (const name of PAGE_SINKS) {
      if (compact.includes(name)) {
        hits.add(R.JS_SINK)
        break
      }
    }
  }
  if (jsfuck || ((call || sink) && hasObfuscatedAccess(compact)) || hasTemplateCall(value, compact)) hits.add(R.JS_OBFUSCATION)
  const code = call && (isProgramText(value) || isSourceSnippet(value))
  // `function(` is what a bundle, a source file or a snippet of code is made of: there only the dialogs and evaluators count
  if (call && (code ? JS_DIALOG_CALLS : JS_CALLS).test(compact)) hits.add(R.JS_CALL)
  if (call && !code && (hasIndirectSink(compact) || PAREN_SINK_CALL.test(value))) hits.add(R.JS_OBFUSCATION)
  if (call && ((compact.includes("constructor") && CONSTRUCTOR_CHAIN.test(compact)) || hasTemplateEscape(compact))) hits.add(R.JS_OBFUSCATION)
  if (sink && compact.includes("document.") && DOM_WRITE_PATTERN.test(compact)) hits.add(R.DOM_WRITE)
  // a page sink that only appears once comments are removed (`document/**/.cookie`) was hidden on purpose
  if (sink && value.includes("/*") && hits.has(R.JS_SINK)) {
    const lower = value.toLowerCase()
    if (!PAGE_SINKS.some((name) => compact.includes(name) && lower.includes(name))) hits.add(R.JS_OBFUSCATION)
  }
  if ((call && (CALL_VALUE_PATTERN.test(value) || BROWSER_API_VALUE.test(value))) || (sink && SINK_VALUE_PATTERN.test(value))) hits.add(R.CALL_VALUE)
}

/** Twelve or more of JSFuck's six characters in a row. */
const JSFUCK_RUN = /[[\]()!+]{12,}/g
/** An empty array indexed by a string: `[]["filter"]`, how JSFuck's hybrids reach `Function`. */
const EMPTY_ARRAY_INDEX = /\[\s{0,4}\]\s{0,4}\[\s{0,4}["'`]/

/**
 * JSFuck (`[][(![]+[])[+[]]...]`), read with whitespace and comments removed: code written in
 * `[]()!+` alone, a long run of them with an empty array and a negation or a sum in it. Code indexes
 * nested arrays (`number[][]`, `[][0]`) and Markdown shows images with an empty alt text
 * (`![](chart.png)`) in runs of a few. The runs are disjoint, so each character is read once.
 */
const hasJsFuckRun = (compact: string): boolean => {
  JSFUCK_RUN.lastIndex = 0
  for (let match = JSFUCK_RUN.exec(compact); match !== null; match = JSFUCK_RUN.exec(compact)) {
    const run = match[0]
    if (run.includes("[]") && (run.includes("!") || run.includes("+"))) return true
  }
  return false
}

/**
 * The `Function` constructor reached from any object, which is `eval` by another name:
 * `[].constructor.constructor('code')()`, `''.sub.constructor\`code\``, `x.constructor('code')`.
 */
const CONSTRUCTOR_CHAIN = /constructor[.[]["'`]?constructor|\.constructor(?:\(["'`]|`)/

/** What reaches code from inside a client-side template expression (AngularJS sandbox escapes). */
const TEMPLATE_ESCAPE = /constructor|\$eval|\$on\b|\$parse|\$event|fromcharcode|alert|prompt|confirm|\bimport\(/

/**
 * A `{{ ... }}` expression (AngularJS, Vue) that reaches code. Each expression is read up to its
 * `}}` (at most 512 characters) and the search goes on after it, so the work is linear.
 */
const hasTemplateEscape = (compact: string): boolean => {
  // the next `}}` is searched for again only once passed, and never again once there is none
  let close = compact.indexOf("}}")
  for (let open = compact.indexOf("{{"); open >= 0; ) {
    if (close >= 0 && close < open + 2) close = compact.indexOf("}}", open + 2)
    const end = close < 0 || close - open > 512 ? Math.min(compact.length, open + 512) : close
    if (TEMPLATE_ESCAPE.test(compact.slice(open + 2, end))) return true
    open = compact.indexOf("{{", end)
  }
  return false
}

/** A DOM call or assignment reached from `document`: `document.body.appendChild(`, `document.querySelector("p").textContent=`. */
const DOM_WRITE_PATTERN =
  /document\.[\w$.()"'[\]]{0,80}?(?:\.(?:innerhtml|outerhtml|textcontent|innertext|src|href|action)=(?!=)|\.(?:appendchild|insertadjacenthtml|insertbefore|replacewith|replacechildren|append|prepend|write|writeln)\()/

/**
 * A value that starts with a call of a dialog, an evaluator or a decoder: what a probe sends,
 * not what prose says about one (`use eval() carefully` starts with a word).
 */
const CALL_VALUE_PATTERN =
  /^[\s;'"`(]{0,4}(?:(?:window|top|self|parent|this|globalthis)\s{0,4}\.\s{0,4})?(?:new\s{1,4}function|alert|prompt|confirm|eval|settimeout|setinterval|execscript|fetch|import|atob|btoa|(?:string\s{0,4}\.\s{0,4})?fromcharcode)\s{0,4}[(`]/i

/**
 * A value that is one call of a browser API with no use in a snippet of a page's own code, with
 * nothing after it: it buzzes the phone or sends a beacon (`navigator.vibrate([300])`,
 * `navigator.sendBeacon('//x', 1)`). What a probe injects to see that its script ran. The clipboard,
 * position, camera and share calls are what documentation snippets show (`navigator.share({ url })`).
 */
const BROWSER_API_VALUE =
  /^[\s;'"`(]{0,4}(?:(?:window|top|self|parent|globalthis)\s{0,4}\.\s{0,4})?navigator\s{0,4}\.\s{0,4}(?:vibrate|sendbeacon)\s{0,4}\([^()]{0,200}\)[\s;)'"`]{0,4}(?:\/\/[^\n]{0,80})?$/i

/** A value that starts with a page property: `document.cookie=...`, `window.location`. */
const SINK_VALUE_PATTERN = /^[\s;'"`(]{0,4}(?:document\s{0,4}\.\s{0,4}(?:cookie|domain|location|write)|(?:window|top|self|parent)\s{0,4}\.\s{0,4}location|location\s{0,4}\.\s{0,4}href)\b/i

const GLOBAL_NAMES: ReadonlySet<string> = new Set(["window", "self", "top", "parent", "frames", "globalthis", "document"])

/**
 * `self["$"]`, `top[ 'x' ]`: a global object indexed by a string, read from each `[` that a quote
 * follows, looking back at most one name. Bounded work per `[`, so linear.
 */
const hasAccessByString = (value: string): boolean => {
  for (let open = value.indexOf("["); open >= 0; open = value.indexOf("[", open + 1)) {
    let k = open + 1
    while (k < value.length && k - open <= 4 && isSpace(value.charCodeAt(k))) k++
    const q = value.charCodeAt(k)
    if (q !== 34 && q !== 39 && q !== 96) continue
    const end = open
    let j = open - 1
    while (j >= 0 && end - j <= 10 && isLetter(value.charCodeAt(j))) j--
    if (end - j > 1 && end - j <= 11 && !isLetter(value.charCodeAt(j)) && GLOBAL_NAMES.has(value.slice(j + 1, end).toLowerCase())) return true
  }
  return false
}

/** `" in valueOf=`, `' instanceof x.y=`: leaving a JavaScript string with an operator keyword, then assigning. */
const OPERATOR_BREAK_PATTERN = /['"`]\s{0,8}(?:instanceof|typeof|in)\s{0,8}[a-z_$][\w$.]{0,40}\s{0,4}=(?!=)/i

/**
 * Every XSS needs a `<`, an `=` (a handler or an attribute), a call (`(`, a back-quote), a script
 * scheme, a page sink or JSFuck brackets; values with none of them are rejected before any
 * tokenizing, with native scans only.
 */
const mayMatch = (value: string): boolean =>
  value.includes("<") ||
  value.includes("-->") ||
  value.includes("+AD") ||
  value.includes("\u00bc") ||
  value.includes("\u2044") ||
  value.includes("=") ||
  value.includes("(") ||
  value.includes("`") ||
  value.includes("[") ||
  (value.includes(":") && /script|data|mocha/i.test(value)) ||
  ((value.includes("&") || value.includes(":")) && isScriptUrl(value)) ||
  /document|location|innerhtml/i.test(value)

const CONTEXTS: ReadonlyArray<readonly [HtmlContext, string]> = [
  ["\"", "\""],
  ["'", "'"],
  ["unquoted", " "]
]

/**
 * How far past its start a value is read as the rest of a tag it broke out of. A break-out puts
 * what it adds right after the quote; handlers and script URLs further on are found by the rules
 * that read the whole value. Keeps JSON text, whose every value starts with a quote, cheap.
 */
const ATTRIBUTE_WINDOW = 256

const SCRIPT_TAG_ANYWHERE = /<(?:script[\s/>]|frameset[\s/>]|(?:iframe|object|embed|applet|base)[\s/][^<>=]{0,64}=)/i

/**
 * A script tag inside an attribute value or a comment is text to a browser, but not to a template
 * engine or a second decoding (`<x foo="%><script>...">`); finding one there is an attack too.
 */
const hasScriptTagAnywhere = (value: string): boolean => SCRIPT_TAG_ANYWHERE.test(value) || CONDITIONAL_COMMENT.test(value)

/** `<!--[if IE]>`: old Internet Explorer runs the markup inside; `xmlns="...xhtml"` brings HTML, and its script, into XML. */
const CONDITIONAL_COMMENT = /<!--\s{0,4}\[\s{0,4}if\b|\bxmlns(?::[a-z]{1,16})?\s{0,4}=\s{0,4}["']?http:\/\/www\.w3\.org\/1999\/xhtml/i

/** Linear passes over the whole value besides the tokenizer: compaction and the patterns. */
const PATTERN_PASSES = 10

/**
 * The rules that fire on `value`, and the work it took: the characters the tokenizer examined in
 * each context, plus one pass over the value for the compaction and each pattern (every pattern
 * has bounded repetitions, so each is one linear pass).
 */
export const analyse = (value: string): { readonly hits: ReadonlySet<RuleInfo>; readonly work: number } => {
  const hits = new Set<RuleInfo>()
  let work = analyseInto(value, hits)
  for (const variant of variantsOf(value)) work += analyseInto(variant, hits)
  return { hits, work }
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/** One UTF-7 run (`ADw` of `+ADw-`): base64 of UTF-16 code units. */
const utf7Run = (run: string): string => {
  let out = ""
  let bits = 0
  let acc = 0
  for (let i = 0; i < run.length; i++) {
    acc = ((acc << 6) | BASE64.indexOf(run.charAt(i))) & 0xffffff
    bits += 6
    if (bits >= 16) {
      bits -= 16
      out += String.fromCharCode((acc >> bits) & 0xffff)
    }
  }
  return out
}

/**
 * A tag glued to a letter on its left and a letter, `:` or `=` on its right: a tag that splits a word
 * (`<scr<b x>ipt`, `on<br/>load=`, `javascript<>:`). Any tag a filter strips: empty, short with or
 * without attributes, self-closing, an end tag, or a comment; each bounded, so the reading is linear.
 */
const GLUED_TAG_BODY = String.raw`(?:<\/?(?:[a-z]{1,8}(?:[\s/][^<>]{0,64})?)?>|<!--[^<>]{0,64}-->)`
const GLUED_TAG = new RegExp(String.raw`[a-z]${GLUED_TAG_BODY}[a-z:=]`, "i")
const GLUED_TAGS = new RegExp(String.raw`(?<=[a-z])${GLUED_TAG_BODY}(?=[a-z:=])`, "gi")

const FOLDED_QUARTER_TAG = /1[\u2044/]4[a-z!/?]/i

/**
 * Readings of the value a browser or a server may take besides the plain one: UTF-7
 * (`+ADw-script+AD4-`, for pages whose charset is guessed), the value with the tags that split its
 * words stripped, and `¼`/`¾` as `<`/`>` (a 7-bit charset drops the high bit of 0xBC and 0xBE). Each is one linear pass, made only when the value
 * holds what it undoes.
 */
const variantsOf = (value: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  if (value.includes("+AD") || value.includes("+AC")) {
    const decoded = value.replace(/\+([A-Za-z0-9+/]{2,64})-?/g, (whole, run: string) => {
      const text = utf7Run(run)
      return /^[\x09\x0a\x0d\x20-\x7e]+$/.test(text) ? text : whole
    })
    if (decoded !== value) out.push(decoded)
  }
  // `<sc<>ript`, `on<b x>error=`, `javascript<!---->:`: the markup a filter that strips tags after
  // checking for them leaves (PHP's `strip_tags` deletes `<>`, `<b x>`, `<br/>` and comments alike)
  if (value.includes(">") && GLUED_TAG.test(value)) out.push(value.replace(GLUED_TAGS, ""))
  if (value.includes("\u00bc") || value.includes("\u00be")) out.push(value.replace(/\u00bc/g, "<").replace(/\u00be/g, ">"))
  // the same after the engine's folding, which spells `¼` as `1⁄4` and the fraction slash as `/`;
  // read so only where a quarter opens a tag (`1/4script`, `1/4/script`): `1/4 cup` is a quantity
  else if (FOLDED_QUARTER_TAG.test(value)) out.push(value.replace(/1[\u2044/]4/g, "<").replace(/3[\u2044/]4/g, ">"))
  return out
}

/** The rules of one reading of a value, added to `hits`; returns the work it took. */
const analyseInto = (value: string, hits: Set<RuleInfo>): number => {
  let work = 0
  const lt = value.includes("<")
  if (lt) {
    const xmlDocument = /^\s{0,8}<\?xml[\s?]/i.test(value)
    const islands = islandReader()
    work += tokenizeHtml(value, "data", {
      tag: (tag: Tag) => {
        judgeTag(tag, hits, xmlDocument)
        islands.tag(tag)
      },
      endTag: (name: string, closes: boolean) => {
        if (name === "script") hits.add(R.SCRIPT_CLOSE)
        if (PAGE_TAGS.has(name)) hits.add(R.PAGE_MARKUP)
        islands.endTag(name, closes)
      },
      attributeBreak: () => undefined
    })
    if (islands.foreignContent()) hits.add(R.FOREIGN_CONTENT)
    if (!hits.has(R.SCRIPT_TAG) && hasScriptTagAnywhere(value)) hits.add(R.SCRIPT_TAG)
  }
  // leaving an attribute value adds something only with an `=` or a `>`
  if (value.includes("=") || value.includes(">")) {
    const head = value.length > ATTRIBUTE_WINDOW ? value.slice(0, ATTRIBUTE_WINDOW) : value
    for (const [context, quote] of CONTEXTS) {
      // a value before its quote must read as an attribute value: short, no markup, no spaces
      const end = head.indexOf(quote)
      if (end < 0 || end > 64 || (context !== "unquoted" && /[<>=\s]/.test(head.slice(0, end)))) continue
      work += tokenizeHtml(head, context, {
        tag: () => undefined,
        endTag: () => undefined,
        attributeBreak: (attributes, closedTag) => judgeAttributeBreak(head, attributes, closedTag, context !== "unquoted", hits)
      })
    }
    if (hasLooseHandler(value)) hits.add(R.LOOSE_HANDLER)
  }
  if (isScriptUrl(value)) {
    const head = urlHead(value)
    // code after the scheme, or a scheme written to dodge a filter (`ja\tvascript:`), not prose
    const rest = head.slice(head.indexOf(":") + 1)
    const literal = value.trimStart().toLowerCase().startsWith(head.slice(0, head.indexOf(":") + 1))
    if (head.startsWith("data:") || !literal || !/^[a-z]/.test(rest) || /[(`=]|\/\//.test(rest)) hits.add(R.SCRIPT_URL_VALUE)
  } else if (lt && (value.includes(",") || value.includes("&"))) {
    // the head's `,` is one in the value or a reference to one (`&#44;`)
    const head = urlHead(value)
    if (head.startsWith("data:") && head.includes(",")) hits.add(R.SCRIPT_URL_VALUE)
  }
  judgeScript(value, hits)
  if (value.includes("-->")) hits.add(R.COMMENT_CLOSE)
  if (value.includes("=") && OPERATOR_BREAK_PATTERN.test(value)) hits.add(R.OPERATOR_BREAK)
  return work + PATTERN_PASSES * value.length
}

/**
 * `<` or `>` as a reference no encoder writes: HTML escapers write `&lt;`, `&#60;` or `&#x3c;`; zeros
 * before the digits, an upper-case `X` or an upper-case name only come from someone writing the
 * reference by hand for a filter that looks for `<` or `&lt;`. Quotes are left out: PHP and JSTL
 * escape them as `&#039;` and `&#034;`.
 */
const PADDED_REFERENCE = /&(?:#0{1,16}6[02](?![0-9])|#[xX]0{1,16}3[ceCE](?![0-9a-fA-F])|#X3[ceCE](?![0-9a-fA-F])|[LG]T;)/

const scan = (value: string, context: ScanContext): ReadonlyArray<FamilyFinding> => {
  const findings: Array<FamilyFinding> = []
  if (context.raw !== undefined && context.raw !== value && (context.raw.includes("&") || context.raw.includes("%2"))) {
    // what the application reads: a query or form value still percent-encoded, decoded
    let raw = context.raw
    for (let round = 0; round < 4 && raw.includes("%"); round++) raw = decodeComponent(raw, false)
    const found = raw.includes("&") ? PADDED_REFERENCE.exec(raw) : null
    if (found !== null) findings.push(findingOf(R.PADDED_REFERENCE, `${R.PADDED_REFERENCE.description.split(":")[0]}: ${found[0]}`))
  }
  // a rich-text field posts markup in a body; a URL, a header or a cookie has no business holding a form
  const pageMarkupCounts = context.location !== "body" && context.location !== "key"
  for (const rule of analyse(value).hits) {
    if (rule === R.PAGE_MARKUP && !pageMarkupCounts) continue
    if (rule.paranoia <= context.paranoia) findings.push(findingOf(rule, `${rule.description.split(":")[0]}: ${value}`))
  }
  return findings
}

export const family: DetectionFamily = {
  name: "html",
  rules: R.HTML_RULES,
  mayMatch,
  scan
}
