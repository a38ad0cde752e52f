/**
 * Synchronous forms of in-process services' per-request operations, registered under the service
 * object their layer built. The pipeline looks a form up by the very service it was given, so a
 * service that a user wrapped or rebuilt (another object, even when spread from ours) is always
 * called through its effects, hooks included. An effect costs a few fiber steps per call; a request
 * through the default checks makes three such calls.
 *
 * @internal
 */
export interface SyncForms<S extends object, F> {
  readonly register: (service: S, form: F) => S
  readonly of: (service: S) => F | undefined
}

/** @internal */
export const makeSyncForms = <S extends object, F>(): SyncForms<S, F> => {
  const forms = new WeakMap<S, F>()
  return {
    register: (service, form) => {
      forms.set(service, form)
      return service
    },
    of: (service) => forms.get(service)
  }
}
