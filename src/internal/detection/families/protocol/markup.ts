/**
 * Injections into structured query and document languages the server parses: LDAP search filters
 * (closing the application's filter and opening one of the attacker's) and XML (external entities,
 * entity expansion, external DTDs, XInclude, XSLT extension functions).
 *
 * Hand-written scanners over a lower-cased value: each looks at the text right after a landmark
 * (`)(`, `(|`, `<!entity`, `<!doctype`) within a fixed window, so the work is linear.
 *
 * @internal
 */
import { type Fire, RULES } from "./rules.js"

const isAttrStart = (c: number): boolean => c >= 97 && c <= 122
const isAttrChar = (c: number): boolean => isAttrStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 59 || c === 95

/** `uid=`, `cn~=`, `mail>=` or `1.2.840.113556.1.4.803:=` starting at `i` (spaces allowed). */
const assertionAt = (s: string, start: number): boolean => {
  let i = start
  while (s.charCodeAt(i) === 32) i++
  const first = i
  if (!isAttrStart(s.charCodeAt(i)) && !(s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57)) return false
  while (i - first < 64 && isAttrChar(s.charCodeAt(i))) i++
  while (s.charCodeAt(i) === 32) i++
  const c = s.charCodeAt(i)
  if (c === 126 || c === 60 || c === 62 || c === 58) i++
  return s.charCodeAt(i) === 61
}

const isOperator = (c: number): boolean => c === 124 || c === 38 || c === 33

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

export const scanLdap = (s: string, fire: Fire): void => {
  if (!s.includes("(") && !s.includes(")")) return
  eachIndex(s, ")(", (i) => {
    if (s.charCodeAt(i - 1) === 42) {
      fire(RULES.ldapBreakout, "*)(")
      return true
    }
    let j = i + 2
    let operator = false
    for (let k = 0; k < 3 && (s.charCodeAt(j) === 40 || isOperator(s.charCodeAt(j)) || s.charCodeAt(j) === 32); k++, j++) {
      if (isOperator(s.charCodeAt(j))) operator = true
    }
    if (operator || assertionAt(s, j)) {
      fire(RULES.ldapBreakout, s.slice(i, i + 24))
      return true
    }
  })
  eachIndex(s, "(", (i) => {
    if (!isOperator(s.charCodeAt(i + 1))) return
    let j = i + 2
    while (s.charCodeAt(j) === 32 && j - i < 6) j++
    if (s.charCodeAt(j) === 40 && assertionAt(s, j + 1)) {
      fire(RULES.ldapFilter, s.slice(i, i + 24))
      return true
    }
  })
  eachIndex(s, "*))", (i) => {
    const after = s.slice(i + 3, i + 6)
    if (after.startsWith("\u0000") || after === "%00") {
      fire(RULES.ldapNul, "*)) then NUL")
      return true
    }
  })
  if (s.includes("=*)") || /[a-z0-9]\*\)$/.test(s.trimEnd())) fire(RULES.ldapPresence, "wildcard assertion")
}

const WINDOW = 256

const XSLT_REACH = /document\s{0,4}\(|unparsed-text|php:function|xmlns:php|msxsl:script|system-property\s{0,4}\(|xalan:\/\/|xmlns:java|java:java\.|saxon:/

const XPATH = /['"]\s{0,4}(?:or|and)\s{1,4}(?:name|local-name|text|position|last|count|string-length|substring|contains|starts-with|normalize-space)\s{0,4}\(/

export const scanXml = (s: string, fire: Fire): void => {
  if (s.includes("(") && XPATH.test(s)) fire(RULES.xpath, "xpath function after a quote")
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
  eachIndex(s, "<!doctype", (i) => {
    const decl = s.slice(i + 9, i + 9 + WINDOW)
    const stop = decl.search(/[[>]/)
    const head = stop < 0 ? decl : decl.slice(0, stop)
    if (/\ssystem\s{0,8}["']/.test(head)) fire(RULES.xmlExternalDtd, `<!DOCTYPE${head.slice(0, 60)}`)
    if (decl.charAt(stop) === "[") fire(RULES.xmlDoctype, "internal subset")
  })
  if (s.includes("xi:include") || s.includes("w3.org/2001/xinclude")) fire(RULES.xinclude, "xi:include")
  if ((s.includes("<xsl:") || s.includes("xmlns:xsl")) && XSLT_REACH.test(s)) fire(RULES.xslt, "xslt extension")
}
