/**
 * Capped exponential backoff with jitter, for retries through a backend outage: the first delay
 * `min`, doubling up to `max`, each spread by ±20 % so that many chats held by one outage do not
 * all retry in the same instant when the machine comes back.
 */
export interface Backoff {
  minMs: number;
  maxMs: number;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelayMs(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const capped = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(capped * (0.8 + 0.4 * random()));
}
