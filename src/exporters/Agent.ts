/**
 * The guard-agent transport: batches security events and metrics to a guard-agent backend and fetches
 * the dynamic rules from it, wire-compatible with guard-agent (paths, headers, snake_case JSON,
 * `X-Payload-Signature`, AES-256-GCM envelopes).
 *
 * - `AgentClient` speaks the protocol: one request per call, no retries, no state (`agent/client.ts`).
 * - The exporter (`make`) holds a bounded buffer per kind (oldest dropped and counted when full),
 *   delivers in background rounds when a kind reaches the batch size and on an interval, retrying
 *   those with jittered exponential backoff only when a retry can help; a `flush` tries each batch
 *   once, and so does the last one, within a deadline, when its scope closes (`agent/exporter.ts`).
 * - `agentExporters` is what `GuardLive` asks for: the exporter the configuration enables.
 *
 * The API key stays `Redacted` until the `X-API-Key` header is written; no log line, error or span
 * carries it.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { ExporterError, type ExporterSpec } from "../Exporter.js"
import type { GuardConfigShape } from "../GuardConfig.js"
import { AgentClient, clientOptionsFromConfig } from "./agent/client.js"
import { exporterOptionsFromConfig, make } from "./agent/exporter.js"

export {
  type AgentBatch,
  AgentClient,
  type AgentClientOptions,
  AgentError,
  AgentPaths,
  type AgentStatus,
  clientOptionsFromConfig,
  makeClient,
  retryPolicyFromConfig
} from "./agent/client.js"
export {
  agentDropped,
  type AgentExporter,
  type AgentExporterOptions,
  type AgentStats,
  exporterOptionsFromConfig,
  make
} from "./agent/exporter.js"
export type { RetryPolicy } from "./agent/retry.js"

/**
 * The Agent exporters the configuration enables: one when `enableAgent` is on, an API key is set and
 * at least one of `agentEnableEvents` / `agentEnableMetrics` is on; none otherwise.
 *
 * @since 0.1.0
 * @category exporters
 */
export const agentExporters = (config: GuardConfigShape): Effect.Effect<ReadonlyArray<ExporterSpec>> =>
  Effect.succeed(
    !config.enableAgent || (!config.agentEnableEvents && !config.agentEnableMetrics)
      ? []
      : Option.match(clientOptionsFromConfig(config), {
        onNone: () => [],
        onSome: (clientOptions) => [{
          name: "agent",
          acquire: make(exporterOptionsFromConfig(config)).pipe(
            Effect.provide(AgentClient.layer(clientOptions)),
            Effect.mapError((error) => new ExporterError({ exporter: "agent", reason: "Start", message: error.message }))
          )
        }]
      })
  )
