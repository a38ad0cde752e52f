/**
 * The path of a request URL, the one answer every part of the guard uses (checks, keys, events).
 *
 * @internal
 */

/**
 * What the router (find-my-way) drops from a target that does not start with `/`: an absolute
 * form's `http://` or `https://` and its authority, up to the first `/` after them (the query is cut
 * later, so `http://host?/admin` is `/admin`). Matched as the router matches it: `HTTP://host/x` or
 * `ftp://host/x` keeps its text, and no route serves it.
 */
export const ABSOLUTE_ORIGIN = /^https?:\/\/.*?\//

/**
 * The target the router serves: `url` itself in origin form, an absolute form without its scheme and
 * authority (`http://host?/x?q` is `/x?q`), or, when the router reads no path from it, `url` as is.
 */
export const servedTarget = (url: string): string => (url.charCodeAt(0) === 47 ? url : url.replace(ABSOLUTE_ORIGIN, "/"))

/**
 * `url` without its query string, an absolute-form target (`GET http://host/x`, which Node hands over
 * as written) read as the router reads it (`/x`); an empty path is `/`.
 */
export const pathOf = (url: string): string => {
  const target = servedTarget(url)
  const q = target.indexOf("?")
  const path = q < 0 ? target : target.slice(0, q)
  return path === "" ? "/" : path
}
