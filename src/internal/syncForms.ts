/**
 * Synchronous forms of in-process services' per-request operations. A layer attaches the form to
 * the very service object it builds, as a non-enumerable own property: spreading the service, or
 * building another on top of it, does not carry the form over, so a service a user wrapped is always
 * called through its effects (its hooks see every call). An effect costs a few fiber steps per
 * call; a request through the default checks makes three such calls.
 *
 * @internal
 */
export interface SyncForm<F> {
  /** `service`, with `form` attached. */
  readonly attach: <S extends object>(service: S, form: F) => S
  /** The form attached to this very object, if any (not one it inherits). */
  readonly of: (service: object) => F | undefined
}

/** @internal */
export const makeSyncForm = <F>(name: string): SyncForm<F> => {
  const key = Symbol(`effect-guard/syncForm/${name}`)
  return {
    attach: (service, form) => Object.defineProperty(service, key, { value: form, enumerable: false }),
    of: (service) => Object.getOwnPropertyDescriptor(service, key)?.value
  }
}
