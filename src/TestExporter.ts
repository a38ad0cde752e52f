/**
 * An in-memory exporter that records exactly what an exporter receives, for tests. It can also be
 * told to fail or to hang, to show that one bad exporter costs the others nothing.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { EventBus, GuardConfig, GuardLive, TestExporter } from "effect-guard"
 *
 * const TestGuard = GuardLive.pipe(
 *   Layer.provideMerge(TestExporter.layer()),
 *   Layer.provide(GuardConfig.layer({ mutedEventTypes: ["rate_limited"] }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import { Chunk, Context, Effect, Layer, Ref } from "effect"
import { ExporterError, type ExporterSpec } from "./Exporter.js"
import type { SecurityEvent, SecurityMetric } from "./SecurityEvent.js"

/**
 * `record` keeps everything; `fail` fails every call; `throw` dies with a defect; `hang` never answers.
 *
 * @since 0.1.0
 * @category models
 */
export type TestExporterBehavior = "record" | "fail" | "throw" | "hang"

/**
 * @since 0.1.0
 * @category models
 */
export interface TestExporterOptions {
  readonly name?: string
  readonly behavior?: TestExporterBehavior
  /** Fail to start. */
  readonly failOnStart?: boolean
}

/**
 * @since 0.1.0
 * @category tags
 */
export class TestExporter extends Context.Tag("effect-guard/TestExporter")<TestExporter, {
  readonly name: string
  /** The exporter to hand to `CompositeHandler` (`GuardLive` picks it up by itself). */
  readonly spec: ExporterSpec
  readonly events: Effect.Effect<ReadonlyArray<SecurityEvent>>
  readonly metrics: Effect.Effect<ReadonlyArray<SecurityMetric>>
  /** `start`, `flush` and `stop`, in the order they happened. */
  readonly lifecycle: Effect.Effect<ReadonlyArray<"start" | "flush" | "stop">>
  readonly clear: Effect.Effect<void>
}>() {
  /**
   * @since 0.1.0
   */
  static layer(options: TestExporterOptions = {}): Layer.Layer<TestExporter> {
    return Layer.effect(TestExporter, make(options))
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: TestExporterOptions = {}): Effect.Effect<TestExporter["Type"]> =>
  Effect.gen(function*() {
    const name = options.name ?? "test"
    const behavior = options.behavior ?? "record"
    const events = yield* Ref.make(Chunk.empty<SecurityEvent>())
    const metrics = yield* Ref.make(Chunk.empty<SecurityMetric>())
    const lifecycle = yield* Ref.make(Chunk.empty<"start" | "flush" | "stop">())

    const act = <A>(ref: Ref.Ref<Chunk.Chunk<A>>, a: A): Effect.Effect<void, ExporterError> => {
      switch (behavior) {
        case "record":
          return Ref.update(ref, Chunk.append(a))
        case "fail":
          return new ExporterError({ exporter: name, reason: "Send", message: `${name} refuses everything` })
        case "throw":
          return Effect.sync(() => {
            throw new Error(`${name} throws`)
          })
        case "hang":
          return Effect.never
      }
    }

    const spec: ExporterSpec = {
      name,
      acquire: options.failOnStart === true
        ? new ExporterError({ exporter: name, reason: "Start", message: `${name} cannot start` })
        : Effect.acquireRelease(
          Effect.as(Ref.update(lifecycle, Chunk.append("start" as const)), {
            name,
            exportEvent: (event: SecurityEvent) => act(events, event),
            exportMetric: (metric: SecurityMetric) => act(metrics, metric),
            flush: Ref.update(lifecycle, Chunk.append("flush" as const)),
            health: Effect.succeed(behavior === "record")
          }),
          () => Ref.update(lifecycle, Chunk.append("stop" as const))
        )
    }

    return TestExporter.of({
      name,
      spec,
      events: Effect.map(Ref.get(events), Chunk.toReadonlyArray),
      metrics: Effect.map(Ref.get(metrics), Chunk.toReadonlyArray),
      lifecycle: Effect.map(Ref.get(lifecycle), Chunk.toReadonlyArray),
      clear: Effect.zipRight(Ref.set(events, Chunk.empty()), Ref.set(metrics, Chunk.empty()))
    })
  })
