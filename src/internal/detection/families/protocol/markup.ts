/**
 * Injections into XML the server parses: external entities, entity expansion, external DTDs,
 * XInclude, XSLT extension functions, XPath, and the tricks that hide them from a scanner.
 *
 * Hand-written scanners over a lower-cased value: each looks at the text right after a landmark
 * (`<!entity`, `<!doctype`, `<?xml`) within a fixed window, so the work is linear.
 *
 * @internal
 */
import type { ScanContext } from "../contract.js"
import { type Fire, RULES } from "./rules.js"

/**
 * Calls `f` with each index of `needle` in `s` until it returns `true`. Every caller looks at a
 * bounded window after the index, so the whole walk stays linear however many landmarks there are
 * (padding with harmless `)(` cannot push a real one out of reach).
 */
export const eachIndex = (s: string, needle: string, f: (index: number) => boolean | void): void => {
  let from = 0
  while (true) {
    const i = s.indexOf(needle, from)
    if (i < 0 || f(i) === true) return
    from = i + needle.length
  }
}

const WINDOW = 256

const XSLT_REACH = /<xsl:(?:include|import)\b|document\s{0,4}\(|unparsed-text|php:function|xmlns:php|msxsl:script|system-property\s{0,4}\(|xalan:\/\/|xmlns:java|java:java\.|saxon:/

const XPATH = /['"]\s{0,4}(?:or|and)\s{1,4}(?:name|local-name|text|position|last|count|string-length|substring|contains|starts-with|normalize-space)\s{0,4}\(/

/** A parameter entity reference: `%` and a name and `;`, at a token start. */
const PARAMETER_REFERENCE = /(?:^|[\s>\["'(|;])%([a-z_][\w.-]{1,40});/g
const PRINTF = /^[hlqjzt]{1,2}[diouxefgacsp]$/
const HEX_ONLY = /^[0-9a-f]+$/

const DECLARED_ENCODING = /^[^>]{0,128}?\bencoding\s{0,4}=\s{0,4}["']?\s{0,4}([a-z0-9_.:-]{1,32})/
/** Encodings in which `<?xml` cannot be read as ASCII. */
const UNREADABLE = /^(?:(?:x-)?utf-?7|unicode-1-1-utf-7|utf-?32(?:le|be)?|ucs-?4|ebcdic[\w-]{0,16}|(?:ibm|cp)-?(?:037|273|277|278|280|284|285|290|297|420|423|424|500|870|871|875|918|1026|1047|114\d))$/
const WIDE = /^(?:utf-?16(?:le|be)?|ucs-?2|unicode|iso-10646-ucs-2)$/

/** An XML-RPC method call of `pingback.ping`: the server fetches the source URL it names. */
const PINGBACK = /<methodname>\s{0,8}pingback\.ping\s{0,8}<\/methodname>/

const BINDING = /<[a-z]{1,16}\b[^<>]{0,200}\sdatasrc\s{0,4}=|\bdataformatas\s{0,4}=\s{0,4}["']?\s{0,4}html|<\?import\b[^<>]{0,256}\bimplementation\s{0,4}=|<xml\b[^<>]{0,128}\ssrc\s{0,4}=/

/** UTF-7 forms of the characters markup needs (`+ADw-` is `<`). */
const UTF7 = /\+a(?:dw|d4|ci|cc|ce|cu|cy|d0|fs|f0)-?/g
const UTF7_CHARS: Readonly<Record<string, string>> = { dw: "<", d4: ">", ci: "\"", cc: "'", ce: "!", cu: "%", cy: "&", d0: "=", fs: "[", f0: "]" }

const scanMarkup = (s: string, location: ScanContext["location"], fire: Fire): void => {
  if (s.includes("%")) {
    PARAMETER_REFERENCE.lastIndex = 0
    for (let m = PARAMETER_REFERENCE.exec(s); m !== null; m = PARAMETER_REFERENCE.exec(s)) {
      const name = m[1]!
      if (!PRINTF.test(name) && !HEX_ONLY.test(name)) {
        fire(RULES.parameterEntityRef, `%${name};`)
        break
      }
    }
  }
  if (!s.includes("<")) return
  eachIndex(s, "<!entity", (i) => {
    const decl = s.slice(i + 8, i + 8 + WINDOW)
    const end = decl.indexOf(">")
    const body = end < 0 ? decl : decl.slice(0, end)
    if (/^\s{0,8}%/.test(body) || /\s(?:system|public)\s{0,8}["']/.test(body)) {
      fire(RULES.xmlExternal, `<!ENTITY${body.slice(0, 60)}`)
      return true
    }
    fire(RULES.xmlEntity, `<!ENTITY${body.slice(0, 60)}`)
  })
  let doctype = false
  eachIndex(s, "<!doctype", (i) => {
    doctype = true
    const decl = s.slice(i + 9, i + 9 + WINDOW)
    const stop = decl.search(/[[>]/)
    const head = stop < 0 ? decl : decl.slice(0, stop)
    // PUBLIC with a second literal loads it too, unless it is one of the W3C's own DTDs
    const external = /\ssystem\s{0,8}["']/.test(head) || /\spublic\s{0,8}(?:"[^"]{0,128}"|'[^']{0,128}')\s{0,8}["'](?!https?:\/\/www\.w3\.org\/)/.test(head)
    if (external) fire(RULES.xmlExternalDtd, `<!DOCTYPE${head.slice(0, 60)}`)
    if (decl.charAt(stop) === "[") fire(RULES.xmlDoctype, "internal subset")
  })
  if (doctype && (s.includes("/soap/envelope") || s.includes("soap-envelope"))) fire(RULES.soapDoctype, "DOCTYPE in a SOAP envelope")
  eachIndex(s, "<?xml", (i) => {
    const m = DECLARED_ENCODING.exec(s.slice(i + 5, i + 5 + WINDOW))
    if (m === null) return
    const encoding = m[1]!
    if (UNREADABLE.test(encoding) || (WIDE.test(encoding) && location !== "body")) {
      fire(RULES.xmlEncoding, `encoding="${encoding}"`)
      return true
    }
    if (WIDE.test(encoding)) fire(RULES.xmlUtf16, `encoding="${encoding}"`)
  })
  if (s.includes("xi:include") || s.includes("w3.org/2001/xinclude")) fire(RULES.xinclude, "xi:include")
  if (s.includes("pingback.ping") && PINGBACK.test(s)) fire(RULES.xmlRpcPingback, "pingback.ping")
  if ((s.includes("<xsl:") || s.includes("xmlns:xsl")) && XSLT_REACH.test(s)) fire(RULES.xslt, "xslt extension")
  if ((s.includes("data") || s.includes("<?import") || s.includes("<xml")) && BINDING.test(s)) fire(RULES.xmlBinding, "xml data binding or behaviour")
}

/**
 * How much of a UTF-16 value is read again without its NULs: the declaration and the DTD come
 * before the root element, and copying a whole large body would cost more than the scan itself.
 */
const PROLOG = 16 * 1024

/**
 * Scans the value as it is, and as a parser would read it if it is UTF-7 (`+ADw-!ENTITY`) or
 * UTF-16 read byte by byte (`<\0!\0E\0...`): declared encodings that hide markup from a scanner.
 */
export const scanXml = (s: string, location: ScanContext["location"], fire: Fire): void => {
  if (s.includes("(") && XPATH.test(s)) fire(RULES.xpath, "xpath function after a quote")
  scanMarkup(s, location, fire)
  if (s.includes("+a")) {
    const utf7 = s.replace(UTF7, (m) => UTF7_CHARS[m.slice(2, 4)] ?? m)
    if (utf7 !== s) scanMarkup(utf7, location, fire)
  }
  if (s.includes("\u0000") && (s.includes("<\u0000") || s.includes("\u0000<"))) {
    scanMarkup(s.slice(0, PROLOG).replaceAll("\u0000", ""), location, fire)
  }
}
