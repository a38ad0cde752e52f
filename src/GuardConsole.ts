/**
 * The guard console: a live view of what the guard sees and would refuse, served by the guarded
 * server itself at `consolePath` (off by default). It shows events as they happen, per-minute counts
 * over the last hour, the top refused IPs, routes and rules, the bans (with an unban action), the
 * passive-mode report (exportable as JSON) and the telemetry health. Nothing is loaded from outside
 * the package.
 *
 * It is fed through the composite handler like any exporter, so muting and enrichment apply and the
 * request path does not change. It refuses to start without authentication: `consoleToken`
 * (`GUARD_CONSOLE_TOKEN`), asked for as `Authorization: Bearer <token>`, or a verifier given here.
 * Actions that change state need the credential in a header (a cookie alone never authorises them),
 * the page is served with a strict Content-Security-Policy, and every event field is rendered as
 * text. See docs/console.md.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { GuardConfig, GuardLive } from "effect-guard"
 * import { GuardConsole } from "effect-guard/GuardConsole"
 *
 * // token from the environment: GUARD_CONSOLE_PATH=/__guard GUARD_CONSOLE_TOKEN=...
 * const Guard = GuardLive.pipe(Layer.provide(GuardConfig.layerConfig()))
 *
 * // or an application's own check of the request headers
 * const WithSso = GuardLive.pipe(
 *   Layer.provide(GuardConsole.layer({
 *     verify: (headers) => Effect.succeed(headers["x-sso-user"] === "security-team")
 *   })),
 *   Layer.provide(GuardConfig.layer({ consolePath: "/__guard" }))
 * )
 *
 * const InCode = GuardLive.pipe(
 *   Layer.provide(GuardConfig.layer({ consolePath: "/__guard", consoleToken: "a-long-random-token-123" }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import type { Headers } from "@effect/platform"
import { Context, type Effect, Layer } from "effect"

/**
 * What the verifier is asked to allow: reading (`action: false`: the page, the stream, the state) or
 * an action that changes state (`action: true`: unbanning). For an action the headers come without
 * `cookie`, so a cookie alone cannot authorise it (no cross-site request forgery).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConsoleAccess {
  readonly action: boolean
}

/**
 * Decides from the request headers whether the console may be used. Must not fail: `false` refuses.
 *
 * @since 0.1.0
 * @category models
 */
export type ConsoleVerifier = (headers: Headers.Headers, access: ConsoleAccess) => Effect.Effect<boolean>

/**
 * @since 0.1.0
 * @category models
 */
export interface GuardConsoleOptions {
  /** Checked when `consoleToken` is unset, or when the bearer token does not match it. */
  readonly verify?: ConsoleVerifier | undefined
}

/**
 * Code-side options of the console, read by `GuardLive` when `consolePath` is set. Defaults to none.
 *
 * @since 0.1.0
 * @category tags
 */
export class GuardConsole extends Context.Reference<GuardConsole>()("effect-guard/GuardConsole", {
  defaultValue: (): GuardConsoleOptions => ({})
}) {
  /**
   * Options for the console `GuardLive` mounts (provide it to `GuardLive`).
   *
   * @since 0.1.0
   */
  static layer(options: GuardConsoleOptions): Layer.Layer<GuardConsole> {
    return Layer.succeed(GuardConsole, options)
  }
}
