/**
 * The path of a request URL, the one answer every part of the guard uses (checks, keys, events).
 *
 * @internal
 */

/** `url` without its query string; an empty path is `/`, as the router reads it. */
export const pathOf = (url: string): string => {
  const q = url.indexOf("?")
  const path = q < 0 ? url : url.slice(0, q)
  return path === "" ? "/" : path
}
