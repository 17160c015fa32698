/** The trace id of a turn: sent to the backend as `X-Trace-Id` and written on both sides' log lines for it. */

/**
 * 32 hex characters derived from the chat and the turn id, so every invocation that drives the
 * turn (a handover, a re-attach after an eviction or restart) uses the same id without storing it,
 * and a new attempt (a new turnId) gets a new one. Opaque: it names no chat in the backend's log.
 */
export async function traceIdFor(chatKey: string, turnId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${chatKey}\n${turnId}`));
  return [...new Uint8Array(digest, 0, 16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
