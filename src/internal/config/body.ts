/**
 * Config fields of how the guard reads a request body it scans: how much of it (after its
 * Content-Encoding is decoded), and what happens to a body longer than that.
 *
 * @internal
 */
import { Schema } from "effect"
import { PositiveInt, withDefault } from "./fields.js"

export const bodyFields = {
  /**
   * Bytes of a body the guard reads and scans per request, counted after its Content-Encoding is
   * decoded. A compressed body that would decode to more (or that inflates more than 100-fold) is
   * refused with 413. The guard holds this many bytes in memory per request it reads. The default is
   * the detector's own per-request budget (`detectionMaxBytes`): raise both together.
   */
  detectionMaxBodyBytes: withDefault(PositiveInt.pipe(Schema.greaterThanOrEqualTo(1024)), () => 262_144),
  /**
   * A body longer than `detectionMaxBodyBytes`: `refuse` answers 413 (`content_filtered`), so no
   * part of a body goes unscanned; `scanPrefix` scans its first `detectionMaxBodyBytes` and lets it
   * through. Routes that take large uploads turn detection off (`suspiciousDetection: false`).
   */
  detectionOversizedBody: withDefault(Schema.Literal("refuse", "scanPrefix"), () => "refuse" as const)
} as const
