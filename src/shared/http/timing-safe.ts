/** Constant-time comparison of secrets with Web Crypto, on both runtimes. */
import { sha256 } from "../runtime";

/**
 * Whether two SHA-256 digests are equal, looking at every byte whatever the first difference:
 * Web Crypto has no timing-safe compare on Node (workerd's `timingSafeEqual` is an extension).
 */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/**
 * Compares two secrets in constant time. Both sides are hashed first, so neither the content nor
 * the length of the expected secret leaks through how long the comparison takes.
 */
export async function secretsEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(given), sha256(expected)]);
  return digestsEqual(a, b);
}
