/**
 * The telemetry lane under the composite handler: what the request side offers is handled in
 * batches, in order, by one background fiber, and the request side never waits for it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { makeLane } from "../src/internal/lane.js"

const recording = Effect.map(Ref.make<ReadonlyArray<ReadonlyArray<number>>>([]), (batches) => ({
  batches,
  handle: (batch: ReadonlyArray<number>) => Ref.update(batches, (bs) => [...bs, [...batch]])
}))

describe("lane", () => {
  it.live("items offered within the linger travel in one batch, in order", () =>
    Effect.gen(function*() {
      const { batches, handle } = yield* recording
      const lane = yield* makeLane({ name: "test", capacity: 100, lingerMs: 300, handle })
      for (let i = 0; i < 5; i++) {
        expect(lane.unsafeOffer(i)).toBe(true)
        yield* Effect.sleep(10)
      }
      expect(yield* Ref.get(batches)).toEqual([])
      yield* Effect.sleep(600)
      expect(yield* Ref.get(batches)).toEqual([[0, 1, 2, 3, 4]])
      expect(yield* lane.pending).toBe(0)
    }).pipe(Effect.scoped))

  it.live("awaitIdle delivers what waits without lingering", () =>
    Effect.gen(function*() {
      const { batches, handle } = yield* recording
      const lane = yield* makeLane({ name: "test", capacity: 100, lingerMs: 5_000, handle })
      lane.unsafeOffer(1)
      lane.unsafeOffer(2)
      const started = Date.now()
      yield* lane.awaitIdle
      expect(Date.now() - started).toBeLessThan(2_500)
      expect(yield* Ref.get(batches)).toEqual([[1, 2]])
    }).pipe(Effect.scoped))

  it.live("a full lane drops and counts by weight, and takes again once drained", () =>
    Effect.gen(function*() {
      const { batches, handle } = yield* recording
      const lane = yield* makeLane({ name: "test", capacity: 5, weigh: (n: number) => n, handle })
      expect(lane.unsafeOffer(3)).toBe(true)
      expect(lane.unsafeOffer(3)).toBe(false)
      expect(lane.unsafeOffer(2)).toBe(true)
      expect(yield* lane.dropped).toBe(3)
      yield* lane.awaitIdle
      expect(lane.unsafeOffer(5)).toBe(true)
      yield* lane.awaitIdle
      expect(yield* Ref.get(batches)).toEqual([[3, 2], [5]])
    }).pipe(Effect.scoped))

  it.live("a batch holds at most maxBatch items; the rest follow", () =>
    Effect.gen(function*() {
      const { batches, handle } = yield* recording
      const lane = yield* makeLane({ name: "test", capacity: 100, maxBatch: 2, handle })
      for (let i = 0; i < 5; i++) lane.unsafeOffer(i)
      yield* lane.awaitIdle
      expect(yield* Ref.get(batches)).toEqual([[0, 1], [2, 3], [4]])
    }).pipe(Effect.scoped))

  it.live("a failing handler is logged and the lane goes on", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<number>>([])
      const lane = yield* makeLane({
        name: "test",
        capacity: 100,
        handle: (batch: ReadonlyArray<number>) =>
          batch.includes(0) ? Effect.die("exporter bug") : Ref.update(seen, (s) => [...s, ...batch])
      })
      lane.unsafeOffer(0)
      yield* lane.awaitIdle
      lane.unsafeOffer(1)
      yield* lane.awaitIdle
      expect(yield* Ref.get(seen)).toEqual([1])
    }).pipe(Effect.scoped))

  it.live("closing the scope stops the worker: what it had not taken is never handled", () =>
    Effect.gen(function*() {
      const { batches, handle } = yield* recording
      yield* Effect.scoped(Effect.map(makeLane({ name: "test", capacity: 100, lingerMs: 50, handle }), (lane) => lane.unsafeOffer(1)))
      yield* Effect.sleep(150)
      expect(yield* Ref.get(batches)).toEqual([])
    }))
})
