/**
 * Config fields of the detection engine used by the `suspicious_activity` check.
 *
 * @internal
 */
export const detectionFields = {} as const
