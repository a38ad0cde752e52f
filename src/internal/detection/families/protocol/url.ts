/**
 * Finds the URLs in a decoded value without a URL parser: one left-to-right pass over the `:`
 * characters, a bounded look-back for the scheme and a bounded look-ahead for the authority, so
 * malformed and adversarial input (`http:127.0.0.1`, `http://a\@b`, a megabyte of `:`) costs linear
 * time and never throws.
 *
 * @internal
 */

export interface UrlRef {
  /** Lower-cased scheme, e.g. `http`, `gopher`. */
  readonly scheme: string
  /** Every host the authority could mean to some parser: before and after `@`, port removed. */
  readonly hosts: ReadonlyArray<string>
  /** The authority as written, lower-cased. */
  readonly authority: string
  /** The path after the authority, up to `?`, `#`, whitespace or a quote. */
  readonly path: string
  /** The URL's last character is `?`: whatever the server appends becomes a query string. */
  readonly endsWithQuestion: boolean
  /** The URL is the whole value (after trimming). */
  readonly whole: boolean
  /** The value starts with the URL (after trimming). */
  readonly leading: boolean
  /** The URL is assigned to a name (`src=http://...`, `href="http://..."`): a parameter even inside prose or markup. */
  readonly assigned: boolean
}

/** Schemes worth a look: web, file-transfer, and those SSRF and inclusion payloads use. */
const SCHEMES: ReadonlySet<string> = new Set([
  "http",
  "https",
  "ftp",
  "ftps",
  "sftp",
  "tftp",
  "file",
  "gopher",
  "dict",
  "ldap",
  "ldaps",
  "jar",
  "netdoc",
  "smb",
  "telnet",
  "ssh",
  "expect",
  "phar",
  "php",
  "zip",
  "glob",
  "ogg",
  "rar",
  "ws",
  "wss"
])

const MAX_AUTHORITY = 256

const isSchemeChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46

const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90)

const endsUrl = (c: number): boolean => c <= 32 || c === 34 || c === 39 || c === 60 || c === 62 || c === 96

const endsAuthority = (c: number): boolean => endsUrl(c) || c === 47 || c === 92 || c === 63 || c === 35

const stripPort = (host: string): string => {
  if (host.startsWith("[")) {
    const close = host.indexOf("]")
    return close < 0 ? host.slice(1) : host.slice(1, close)
  }
  const colon = host.indexOf(":")
  // an unbracketed IPv6 literal, unless a dotted name comes first (`127.1.1.1:80:`)
  if (host.indexOf(":", colon + 1) >= 0 && !host.slice(0, colon).includes(".")) return host
  return colon < 0 ? host : host.slice(0, colon)
}

const hostsOf = (authority: string): ReadonlyArray<string> => {
  if (!authority.includes("@")) return [stripPort(authority)]
  return authority
    .split("@")
    .filter((p) => p !== "")
    .map(stripPort)
}

const isAssigned = (value: string, start: number): boolean => {
  const before = value.charCodeAt(start - 1)
  return before === 61 || ((before === 34 || before === 39) && value.charCodeAt(start - 2) === 61)
}

/**
 * Visits the URLs in `value` (already lower-cased), in order; nothing is kept, so a value made of
 * a hundred thousand URLs costs no more memory than one. Authorities never overlap and every URL
 * nested in another's query shares its end, so the walk is linear however many there are: no cap
 * that padding could push a real URL past.
 */
export const forEachUrl = (value: string, visit: (url: UrlRef) => void): void => {
  const trimmedStart = value.length - value.trimStart().length
  const trimmedEnd = value.trimEnd().length
  let from = 0
  let lastEnd = -1
  let lastPathEnd = -1
  while (true) {
    const colon = value.indexOf(":", from)
    if (colon < 0) break
    from = colon + 1
    let start = colon
    while (start > 0 && colon - start < 16 && isSchemeChar(value.charCodeAt(start - 1))) start--
    // the scheme starts with a letter; `1.2.3.4:80` is not one
    while (start < colon && !isLetter(value.charCodeAt(start))) start++
    const scheme = value.slice(start, colon)
    if (!SCHEMES.has(scheme)) continue
    let i = colon + 1
    let slashes = 0
    while (i < value.length && slashes < 4 && (value.charCodeAt(i) === 47 || value.charCodeAt(i) === 92)) {
      i++
      slashes++
    }
    const authorityStart = i
    while (i < value.length && i - authorityStart < MAX_AUTHORITY && !endsAuthority(value.charCodeAt(i))) i++
    const authority = value.slice(authorityStart, i)
    const restStart = i
    // A URL inside the previous one's path or query ends where that one ends, at the same
    // delimiter: reuse the ends instead of scanning again.
    let pathEnd = restStart
    if (restStart < lastPathEnd) pathEnd = lastPathEnd
    else while (pathEnd < value.length && !endsUrl(value.charCodeAt(pathEnd)) && value.charCodeAt(pathEnd) !== 63 && value.charCodeAt(pathEnd) !== 35) pathEnd++
    lastPathEnd = pathEnd
    if (restStart < lastEnd) i = lastEnd
    else while (i < value.length && !endsUrl(value.charCodeAt(i))) i++
    lastEnd = i
    visit({
      scheme,
      authority,
      hosts: hostsOf(authority),
      path: value.slice(restStart, pathEnd),
      endsWithQuestion: value.charCodeAt(i - 1) === 63,
      whole: start === trimmedStart && i >= trimmedEnd,
      leading: start === trimmedStart,
      assigned: isAssigned(value, start)
    })
    // a URL inside this one's query (`?url=http://localhost`) is found on the next turn
    from = Math.max(from, restStart)
  }
}
