import { Effect } from "effect"
import { type EventType, SecurityEvent, SecurityMetric } from "effect-guard"

let counter = 0

/** A plain event as an emitter would build it. */
export const makeEvent = (
  eventType: EventType,
  overrides: Partial<ConstructorParameters<typeof SecurityEvent>[0]> = {}
): SecurityEvent =>
  new SecurityEvent({
    idempotencyKey: `test-${++counter}`,
    timestamp: new Date(1_700_000_000_000),
    eventType,
    ipAddress: "1.2.3.4",
    actionTaken: "request_blocked",
    reason: "test",
    metadata: {},
    ...overrides
  })

export const makeMetric = (metricType: SecurityMetric["metricType"], value = 1): SecurityMetric =>
  new SecurityMetric({ timestamp: new Date(1_700_000_000_000), metricType, value, tags: { endpoint: "/x" } })

/** Polls `check` on the live clock until it holds (bounded: at most `tries` x 10 ms). */
export const eventually = <A>(check: Effect.Effect<A>, ok: (a: A) => boolean, tries = 300): Effect.Effect<A> =>
  Effect.gen(function*() {
    let last = yield* check
    for (let i = 0; i < tries && !ok(last); i++) {
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      last = yield* check
    }
    return last
  })
