/**
 * How often a streamed reply is edited and the typing action refreshed, as a turn goes on.
 * Chat platforms allow about one message call per second per chat, and one Worker invocation
 * has a subrequest budget, so a long turn slows down instead of editing every second forever:
 * about 55 edits and 90 typing calls in a 14-minute alarm invocation.
 */

/** Never two message calls (send or edit) in one chat closer than this. */
export const MIN_EDIT_GAP_MS = 1000;

/**
 * Gap between edits of a streamed reply `elapsedMs` into the turn: 1 s for the first 10 s, then a tenth of the elapsed time, at most a
 * minute.
 */
export function editIntervalMs(elapsedMs: number): number {
  return Math.min(60_000, Math.max(MIN_EDIT_GAP_MS, elapsedMs / 10));
}

/** Gap between typing actions: every 4 s (Telegram shows one for 5 s) for two minutes, then slower, at most a minute. */
export function typingIntervalMs(elapsedMs: number): number {
  return Math.min(60_000, Math.max(4000, elapsedMs / 30));
}
