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
 * - `agentExporters` is what `GuardLive` asks for: the exporter the configuration enables
 *   (`exportersOptionsFromConfig`).
 *
 * The API key stays `Redacted` until the `X-API-Key` header is written; no log line, error or span
 * carries it.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { ExporterError, type ExporterSpec } from "../Exporter.js"
import type { GuardConfigShape } from "../GuardConfig.js"
import { AgentClient, type AgentClientOptions, clientOptionsFromConfig } from "./agent/client.js"
import { type AgentExporterOptions, exporterOptionsFromConfig, make } from "./agent/exporter.js"

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
 * Options of {@link agentExporters}: the client to send with and the exporter's buffering.
 *
 * @since 0.2.0
 * @category models
 */
export interface AgentExportersOptions {
  readonly client: AgentClientOptions
  readonly exporter: AgentExporterOptions
}

/**
 * The Agent exporter a decoded `GuardConfig` asks for: some when `enableAgent` is on, an API key is
 * set and at least one of `agentEnableEvents` / `agentEnableMetrics` is on; none otherwise.
 *
 * @since 0.2.0
 * @category constructors
 */
export const exportersOptionsFromConfig = (config: GuardConfigShape): Option.Option<AgentExportersOptions> =>
  !config.enableAgent || (!config.agentEnableEvents && !config.agentEnableMetrics)
    ? Option.none()
    : Option.map(clientOptionsFromConfig(config), (client) => ({ client, exporter: exporterOptionsFromConfig(config) }))

/**
 * The Agent exporters for `options`: one when given, none otherwise.
 *
 * @since 0.1.0
 * @category exporters
 */
export const agentExporters = (options: Option.Option<AgentExportersOptions>): Effect.Effect<ReadonlyArray<ExporterSpec>> =>
  Effect.succeed(Option.match(options, {
    onNone: () => [],
    onSome: ({ client, exporter }) => [{
      name: "agent",
      acquire: make(exporter).pipe(
        Effect.provide(AgentClient.layer(client)),
        Effect.mapError((error) => new ExporterError({ exporter: "agent", reason: "Start", message: error.message }))
      )
    }]
  }))
