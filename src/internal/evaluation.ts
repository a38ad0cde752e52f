/**
 * The fiber ref that carries the guard's evaluation of a request (`RouteGuard.currentEvaluation`),
 * kept apart from `RouteGuard.ts` so that the event bus, which `RouteGuard.ts` imports, can read
 * the client the guard resolved without an import back up.
 *
 * @internal
 */
import { FiberRef } from "effect"
import { globalValue } from "effect/GlobalValue"
import type { GuardEvaluation } from "./routeSettings.js"

/** @internal */
export const currentEvaluation: FiberRef.FiberRef<GuardEvaluation | undefined> = globalValue(
  Symbol.for("effect-guard/RouteGuard/currentEvaluation"),
  () => FiberRef.unsafeMake<GuardEvaluation | undefined>(undefined)
)
