/**
 * A time limit on one pi-client call, up to its response's headers: a hung submit, abort, reset or
 * DELETE (a wedged tunnel, a sleeping machine) ends as a `timeout` instead of holding the turn lock,
 * or the registry's eviction of every other chat, for ever. An events stream's body is not covered:
 * the stall watchdog (chat/stall-watchdog.ts) watches it.
 */

/** Default limit per call when PI_CALL_TIMEOUT_SECONDS is not set. */
export const DEFAULT_CALL_TIMEOUT_MS = 15_000;

export interface CallDeadline {
  /** Aborts the request at the deadline, or when the caller's own signal aborts. */
  signal: AbortSignal;
  ms: number;
  timedOut(): boolean;
  /** Stops the clock (the headers arrived); the caller's signal still aborts the body. */
  clear(): void;
}

export function callDeadline(ms: number, outer?: AbortSignal): CallDeadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${ms} ms`));
  }, ms);
  const onOuter = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener("abort", onOuter, { once: true });
  return {
    signal: controller.signal,
    ms,
    timedOut: () => timedOut,
    clear: () => clearTimeout(timer),
  };
}
