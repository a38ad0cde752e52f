/**
 * Decoding a request body's `Content-Encoding` (`gzip`, `deflate`, `br`) before it is scanned, so the
 * detector reads what an application that decodes it would read, never compressed bytes as text.
 * Every step is bounded in output: at most `limit` bytes, and at most {@link MAX_INFLATE_RATIO}
 * times the input (a decompression bomb stops at the bound, it never grows memory past it). A step
 * is one bounded call; only one that reaches its bound runs again as a stream, which stops at the
 * bound with the output so far (for a scan of the prefix) and tells a bomb by how little input it
 * had consumed.
 *
 * @internal
 */
import { Effect } from "effect"
import * as zlib from "node:zlib"

/** The most a body may inflate, as output bytes per input byte (beyond {@link RATIO_FLOOR}). */
export const MAX_INFLATE_RATIO = 100

/** Output below this many bytes is never counted as a bomb, whatever the ratio. */
const RATIO_FLOOR = 16_384

/** The codings the guard decodes. */
export const SUPPORTED_CODINGS: ReadonlySet<string> = new Set(["gzip", "x-gzip", "deflate", "br"])

/**
 * - `decoded`: the body's bytes once every coding is undone.
 * - `tooLarge`: a step would produce more than the ratio allows (`ratio`: a bomb), or more than the
 *   limit (`limit`); `partial` holds its first `limit` bytes of output, for a scan of the prefix.
 * - `corrupt`: a step failed on bad input (a corrupt or truncated stream).
 * - `unsupported`: a coding the guard does not decode.
 */
export type Decoded =
  | { readonly _tag: "decoded"; readonly bytes: Uint8Array }
  | { readonly _tag: "tooLarge"; readonly coding: string; readonly bound: "ratio" | "limit"; readonly partial: Uint8Array }
  | { readonly _tag: "corrupt"; readonly coding: string; readonly message: string }
  | { readonly _tag: "unsupported"; readonly coding: string }

/** The codings of a `Content-Encoding` header, in the order they were applied (`identity` left out). */
export const contentCodings = (header: string | undefined): ReadonlyArray<string> =>
  header === undefined
    ? []
    : header.split(",").map((coding) => coding.trim().toLowerCase()).filter((coding) => coding !== "" && coding !== "identity")

type Inflater = zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress

/**
 * The one-call forms, tried first: the output is bounded (`maxOutputLength`), so the call is too
 * (a bounded inflate of at most `detectionMaxBodyBytes` takes about a millisecond at most), and for
 * a body of a few kilobytes it costs a fraction of a stream's set-up. Past the bound they fail
 * without the output, so the stream form runs again for it.
 */
const oneCall: Readonly<Record<string, ReadonlyArray<(input: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Buffer>>> = {
  gzip: [zlib.gunzipSync],
  "x-gzip": [zlib.gunzipSync],
  deflate: [zlib.inflateSync, zlib.inflateRawSync],
  br: [zlib.brotliDecompressSync]
}

/** A prefix of a longer body ends mid-stream: a sync flush yields what it holds instead of failing. */
const inflaters: Readonly<Record<string, ReadonlyArray<(truncated: boolean) => Inflater>>> = {
  gzip: [(t) => zlib.createGunzip(t ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {})],
  "x-gzip": [(t) => zlib.createGunzip(t ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {})],
  // "deflate" is zlib-wrapped by the RFC; some clients send it raw, and lenient decoders take both
  deflate: [
    (t) => zlib.createInflate(t ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {}),
    (t) => zlib.createInflateRaw(t ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {})
  ],
  br: [(t) => zlib.createBrotliDecompress(t ? { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH } : {})]
}

/** Undoes one coding in one call: `undefined` when the output would pass `max` (the stream form says how). */
const inflateSync = (
  inflate: (input: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Buffer,
  input: Buffer,
  max: number,
  coding: string,
  truncated: boolean
): Decoded | undefined => {
  const flush = truncated ? { finishFlush: coding === "br" ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.Z_SYNC_FLUSH } : {}
  try {
    return { _tag: "decoded", bytes: inflate(input, { maxOutputLength: max, ...flush }) }
  } catch (error) {
    if (error instanceof RangeError || (error as { readonly code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") return undefined
    return { _tag: "corrupt", coding, message: error instanceof Error ? error.message : String(error) }
  }
}

/**
 * Undoes one coding in zlib's stream form (in the thread pool), keeping at most `max` bytes of
 * output: past them the stream is destroyed, so a bomb never inflates further.
 */
const inflateOnce = (
  make: (truncated: boolean) => Inflater,
  input: Buffer,
  max: number,
  bound: "ratio" | "limit",
  coding: string,
  truncated: boolean
): Effect.Effect<Decoded> =>
  Effect.async<Decoded>((resume) => {
    const inflater = make(truncated)
    const chunks: Array<Buffer> = []
    let size = 0
    let settled = false
    const settle = (result: Decoded) => {
      if (settled) return
      settled = true
      inflater.removeAllListeners("data")
      inflater.destroy()
      resume(Effect.succeed(result))
    }
    inflater.on("data", (chunk: Buffer) => {
      const room = max - size
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room))
        // past the limit at more than the ratio is a bomb too, wherever it would stop
        const ratio = (size + chunk.length) / Math.max(1, inflater.bytesWritten)
        return settle({ _tag: "tooLarge", coding, bound: ratio > MAX_INFLATE_RATIO ? "ratio" : bound, partial: Buffer.concat(chunks, max) })
      }
      chunks.push(chunk)
      size += chunk.length
    })
    inflater.on("error", (error: Error) => settle({ _tag: "corrupt", coding, message: error.message }))
    inflater.on("end", () => settle({ _tag: "decoded", bytes: Buffer.concat(chunks, size) }))
    inflater.end(input)
    return Effect.sync(() => {
      settled = true
      inflater.destroy()
    })
  })

/**
 * Undoes `codings` (applied in the order given, so undone last first), each step bounded to
 * `limit` output bytes and {@link MAX_INFLATE_RATIO} times its input. `truncated`: `bytes` is a prefix
 * of the body, whose decoding stops where the bytes do.
 */
export const decodeBody = (bytes: Uint8Array, codings: ReadonlyArray<string>, limit: number, truncated: boolean): Effect.Effect<Decoded> => {
  const unsupported = codings.find((coding) => !SUPPORTED_CODINGS.has(coding))
  if (unsupported !== undefined) return Effect.succeed({ _tag: "unsupported", coding: unsupported })
  const step = (input: Uint8Array, index: number): Effect.Effect<Decoded> => {
    if (index < 0) return Effect.succeed({ _tag: "decoded", bytes: input })
    const coding = codings[index]!
    const buffer = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    const ratioCap = Math.max(RATIO_FLOOR, buffer.length * MAX_INFLATE_RATIO)
    const max = Math.min(limit, ratioCap)
    const bound = ratioCap < limit ? "ratio" : "limit"
    const attempt = Effect.suspend(() => {
      const forms = oneCall[coding]!
      for (let i = 0; i < forms.length; i++) {
        const result = inflateSync(forms[i]!, buffer, max, coding, truncated)
        if (result === undefined) return inflateOnce(inflaters[coding]![i]!, buffer, max, bound, coding, truncated)
        if (result._tag === "decoded" || i === forms.length - 1) return Effect.succeed(result)
      }
      return Effect.succeed<Decoded>({ _tag: "corrupt", coding, message: "no decoder" })
    })
    return Effect.flatMap(attempt, (result) =>
      result._tag === "decoded"
        ? step(result.bytes, index - 1)
        // a prefix of an inner coding is not the body: past the limit there, nothing to scan
        : Effect.succeed(result._tag === "tooLarge" && index > 0 ? { ...result, bound: "ratio" as const } : result))
  }
  return step(bytes, codings.length - 1)
}
