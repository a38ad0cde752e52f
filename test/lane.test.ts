/**
 * The telemetry lane under the composite handler: what the request side offers is handled in
 * batches, in order, by one background fiber, and the request side never waits for it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Queue, Ref, TestClock } from "effect"
import { makeLane } from "../src/internal/lane.js"

const recording = Effect.map(Ref.make<ReadonlyArray<ReadonlyArray<number>>>([]), (batches) => ({
  batches,
  handle: (batch: ReadonlyArray<number>) => Ref.update(batches, (bs) => [...bs, [...batch]])
}))

/** Lets the lane's worker, which runs in the event loop's check phase, take every step it can. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))

describe("lane", () => {
  it.effect("items offered within the linger travel in one batch, in order, when the linger ends", () =>
    Effect.gen(function*() {
      const handled = yield* Queue.unbounded<ReadonlyArray<number>>()
      const lane = yield* makeLane({
        name: "test",
        capacity: 100,
        lingerMs: 300,
        clock: yield* Effect.clock,
        handle: (batch: ReadonlyArray<number>) => Queue.offer(handled, [...batch])
      })
      expect(lane.unsafeOffer(0)).toBe(true)
      // the worker takes the first item's wake-up and lingers from t = 0
      yield* settle
      for (let i = 1; i < 5; i++) {
        yield* TestClock.adjust(10)
        expect(lane.unsafeOffer(i)).toBe(true)
      }
      yield* settle
      expect(yield* Queue.size(handled)).toBe(0)
      yield* TestClock.adjust(259)
      yield* settle
      expect(yield* Queue.size(handled)).toBe(0)
      yield* TestClock.adjust(1)
      expect(yield* Queue.take(handled)).toEqual([0, 1, 2, 3, 4])
      expect(yield* lane.pending).toBe(0)
    }).pipe(Effect.scoped))

  it.effect("awaitIdle delivers what waits without lingering", () =>
    Effect.gen(function*() {
      const { batches, handle } = yield* recording
      // the test clock never moves: only a lane that stops lingering can deliver
      const lane = yield* makeLane({ name: "test", capacity: 100, lingerMs: 5_000, clock: yield* Effect.clock, handle })
      lane.unsafeOffer(1)
      lane.unsafeOffer(2)
      yield* lane.awaitIdle
      expect(yield* Ref.get(batches)).toEqual([[1, 2]])
    }).pipe(Effect.scoped))

  it.effect("a full batch goes without lingering", () =>
    Effect.gen(function*() {
      const handled = yield* Queue.unbounded<ReadonlyArray<number>>()
      const lane = yield* makeLane({
        name: "test",
        capacity: 100,
        maxBatch: 3,
        lingerMs: 5_000,
        clock: yield* Effect.clock,
        handle: (batch: ReadonlyArray<number>) => Queue.offer(handled, [...batch])
      })
      for (let i = 0; i < 4; i++) lane.unsafeOffer(i)
      expect(yield* Queue.take(handled)).toEqual([0, 1, 2])
      yield* settle
      expect(yield* Queue.size(handled)).toBe(0)
      yield* TestClock.adjust(5_000)
      expect(yield* Queue.take(handled)).toEqual([3])
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

  it.effect("closing the scope stops the worker: what it had not taken is never handled", () =>
    Effect.gen(function*() {
      const { batches, handle } = yield* recording
      const clock = yield* Effect.clock
      yield* Effect.scoped(Effect.map(makeLane({ name: "test", capacity: 100, lingerMs: 50, clock, handle }), (lane) => lane.unsafeOffer(1)))
      yield* TestClock.adjust(150)
      yield* settle
      expect(yield* Ref.get(batches)).toEqual([])
    }))
})
