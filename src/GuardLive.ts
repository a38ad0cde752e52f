/**
 * `GuardLive`: the one layer that wires every guard service from `GuardConfig`: the composite handler
 * with the exporters the config enables (plus a `TestExporter` or `GuardExporters` found in the
 * context), the event bus, the metrics collector, the dynamic-rule manager (polled from the agent
 * when `enableDynamicRules` is on), and, only when `enableEnrichment` is on, the enricher and its
 * behaviour tracker.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Option } from "effect"
import { BehaviorTracker } from "./BehaviorTracker.js"
import { CompositeHandler } from "./CompositeHandler.js"
import { DynamicRuleManager } from "./DynamicRuleManager.js"
import { DynamicRulePoller } from "./DynamicRulePoller.js"
import { EventBus } from "./EventBus.js"
import { EventEnricher } from "./EventEnricher.js"
import { GuardExporters } from "./Exporter.js"
import { GuardConfig } from "./GuardConfig.js"
import { configuredExporters } from "./internal/exporters.js"
import { MetricsCollector } from "./MetricsCollector.js"
import { TestExporter } from "./TestExporter.js"

/**
 * The services `GuardLive` provides.
 *
 * @since 0.1.0
 * @category models
 */
export type GuardServices = CompositeHandler | EventBus | MetricsCollector | DynamicRuleManager

/**
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { GuardConfig, GuardLive } from "effect-guard"
 *
 * const Guard = GuardLive.pipe(Layer.provide(GuardConfig.layerConfig()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const GuardLive: Layer.Layer<GuardServices, never, GuardConfig> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const config = yield* GuardConfig
    const fromConfig = yield* configuredExporters(config)
    const test = yield* Effect.serviceOption(TestExporter)
    const extra = yield* GuardExporters
    const exporters = [...fromConfig, ...Option.toArray(test).map((t) => t.spec), ...extra]

    const rules = DynamicRuleManager.layer
    const enrichment = config.enableEnrichment
      ? EventEnricher.layer.pipe(Layer.provide(Layer.merge(BehaviorTracker.layerMemory(), rules)))
      : Layer.empty
    const composite = CompositeHandler.layer(exporters).pipe(Layer.provide(enrichment))
    const guard = Layer.mergeAll(EventBus.layer, MetricsCollector.layer).pipe(
      Layer.provideMerge(composite),
      Layer.merge(rules)
    )
    return config.enableDynamicRules ? Layer.provideMerge(DynamicRulePoller.layer, guard) : guard
  })
)
