/**
 * Session and turn ids of protocol v1, in a module of their own (no validator library), so the
 * Worker can check ids without bundling the protocol's request schemas.
 */

/** Session ids are chat keys such as `telegram:42`; turn ids follow the same pattern. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** True when `id` is a valid sessionId/turnId (`.` and `..` are refused so an id is always file-safe). */
export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id) && id !== "." && id !== "..";
}
