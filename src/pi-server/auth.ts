/** Bearer-token check for the protocol routes. */
import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Returns a check that is true when a header is `Bearer <expected>`. Both sides are hashed first
 * so the comparison takes the same time whatever the length or content of the guess; the
 * expected side is hashed once here, not on every request.
 */
export function bearerAuthorizer(expected: string): (header: string | undefined) => boolean {
  const expectedDigest = sha256(expected);
  return (header) => {
    const presented = header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
    return timingSafeEqual(sha256(presented), expectedDigest) && presented.length > 0;
  };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
