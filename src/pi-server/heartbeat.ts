/** A timer that fires after a stretch of silence, restarted by every write: the events stream's keep-alive. */

/** The running timer; `touch` after each write, `stop` when the stream ends. */
export interface Heartbeat {
  touch(): void;
  stop(): void;
}

/** Calls `beat` whenever `everyMs` pass without a `touch` (repeatedly, until `stop`). Never keeps the process alive. */
export function startHeartbeat(everyMs: number, beat: () => void): Heartbeat {
  let stopped = false;
  const timer = setTimeout(function fire() {
    if (stopped) return;
    beat();
    if (!stopped) timer.refresh();
  }, everyMs);
  timer.unref();
  return {
    touch: () => {
      if (!stopped) timer.refresh();
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
