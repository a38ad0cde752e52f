/**
 * Signing and encryption of agent payloads, wire-identical to guard-agent: `v1=<hex HMAC-SHA256>`
 * over the uncompressed body, and AES-256-GCM blobs `nonce(12) || ciphertext || tag(16)` in padded
 * urlsafe base64, keyed directly by the 32-byte project key (no KDF).
 *
 * @internal
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto"

/** The `X-Payload-Signature` value for `body`. */
export const signature = (secret: string, body: Uint8Array): string =>
  `v1=${createHmac("sha256", secret).update(body).digest("hex")}`

/** Decodes a urlsafe base64 project key (padded or not); `undefined` unless it is 32 bytes. */
export const decodeKey = (text: string): Uint8Array | undefined => {
  const normalized = text.trim().replace(/-/g, "+").replace(/_/g, "/")
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized)) return undefined
  const bytes = Buffer.from(normalized, "base64")
  return bytes.length === 32 ? new Uint8Array(bytes) : undefined
}

/** Padded urlsafe base64 (standard alphabet with `+` -> `-`, `/` -> `_`, `=` kept). */
export const toBase64Url = (bytes: Uint8Array): string =>
  Buffer.from(bytes).toString("base64").replace(/\+/g, "-").replace(/\//g, "_")

const NONCE_BYTES = 12
const TAG_BYTES = 16

/** Encrypts `plaintext` under `key`; `nonce` is random unless given (test vectors). */
export const encrypt = (key: Uint8Array, plaintext: string, nonce: Uint8Array = randomBytes(NONCE_BYTES)): string => {
  const cipher = createCipheriv("aes-256-gcm", key, nonce)
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
  return toBase64Url(Buffer.concat([nonce, body, cipher.getAuthTag()]))
}

/** Decrypts a blob made by {@link encrypt}; throws when the key or the blob is wrong. */
export const decrypt = (key: Uint8Array, blob: string): string => {
  const bytes = Buffer.from(blob.replace(/-/g, "+").replace(/_/g, "/"), "base64")
  if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new Error("ciphertext too short")
  const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, NONCE_BYTES))
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
  return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()])
    .toString("utf8")
}
