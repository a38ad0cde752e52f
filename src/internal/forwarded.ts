/**
 * Reading the comma lists proxies append to (`X-Forwarded-For`, `X-Forwarded-Proto`) from the right,
 * where the trusted proxies wrote, and never further than needed: a 100 KB header costs what a short
 * one does.
 *
 * @internal
 */

/**
 * Up to `count` entries of a comma list, right-most first. Only that end of the string is scanned, once;
 * an entry longer than `maxLength` is returned as `""`, its text never copied.
 */
export const rightmostEntries = (
  header: string,
  count: number,
  maxLength: number
): { readonly entries: Array<string>; readonly more: boolean } => {
  const entries: Array<string> = []
  let end = header.length
  while (entries.length < count) {
    const comma = end === 0 ? -1 : header.lastIndexOf(",", end - 1)
    entries.push(end - (comma + 1) > maxLength ? "" : header.slice(comma + 1, end))
    if (comma < 0) return { entries, more: false }
    end = comma
  }
  return { entries, more: true }
}

const HTTPS = "https"

/**
 * Whether `X-Forwarded-Proto` from a trusted peer says the client came over HTTPS. Each proxy that
 * appends writes the scheme of the connection it received, so the list is read from the right as
 * `X-Forwarded-For` is: the entry at the client's place in `X-Forwarded-For` (`hop`, 1 = right-most;
 * 0 when the client is the peer itself, which then wrote the right-most entry). A client that sends
 * `X-Forwarded-Proto: https` to a proxy that appends (`https, http`) is read as `http`. A list
 * shorter than that is read at its left-most entry, still one a trusted proxy wrote (a proxy that
 * overwrites the header, or passes the edge's value on).
 */
export const forwardedHttps = (header: string | undefined, hop: number): boolean => {
  if (header === undefined) return false
  const { entries } = rightmostEntries(header, Math.max(1, hop), HTTPS.length + 16)
  return entries[entries.length - 1]!.trim().toLowerCase() === HTTPS
}
