/** Bearer-token check for the protocol routes. */
import { createHash, timingSafeEqual } from "node:crypto";

/**
 * True when `header` is `Bearer <expected>`. Both sides are hashed first so the comparison takes
 * the same time whatever the length or content of the guess.
 */
export function isAuthorized(header: string | undefined, expected: string): boolean {
  const presented = header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}
