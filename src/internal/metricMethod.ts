/**
 * The `method` tag of a request's metrics, kept to a bounded set of values.
 *
 * @internal
 */
import { OTHER_METHOD } from "../MetricsCollector.js"

const METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"])

/** The `method` a request's metrics carry: `method` itself when RFC 9110 or PATCH names it, else {@link OTHER_METHOD}. */
export const metricMethod = (method: string): string => (METHODS.has(method) ? method : OTHER_METHOD)
