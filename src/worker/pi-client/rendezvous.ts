/**
 * Rendezvous (highest-random-weight) hashing of chats onto pi backends: each chat goes to the
 * backend whose `stableHash(url + " " + chatKey)` is highest. Adding or removing one backend moves
 * only the chats that scored highest on it; the ChatSession also remembers its backend, so a chat
 * stays on the host that holds its history while that host is configured.
 */
import { stableHash } from "../../shared/stable-hash";

/** The backend `chatKey` belongs to among `urls` (non-empty). */
export function rendezvousPick(urls: readonly string[], chatKey: string): string {
  let best = urls[0]!;
  let bestScore = -1;
  for (const url of urls) {
    const score = stableHash(`${url} ${chatKey}`);
    if (score > bestScore || (score === bestScore && url < best)) {
      best = url;
      bestScore = score;
    }
  }
  return best;
}

/** How a backend is named in status: its host (and port), never a path or credentials. */
export function hostLabel(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
