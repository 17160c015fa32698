/**
 * Watches an open events stream for silence. The backend writes a heartbeat line whenever nothing else
 * was written for PI_HEARTBEAT_SECONDS (protocol v1, default 15), so a stream silent for
 * STREAM_STALL_SECONDS (default 45) is dead even if its connection looks open (a wedged tunnel, a
 * sleeping laptop): the watchdog fires and the turn runner re-attaches after the last applied event.
 */

/** A heartbeat line carries no event: it only says the stream is alive. */
export function isHeartbeat(line: { type?: unknown }): boolean {
  return line.type === "heartbeat";
}

export class StallWatchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private fired = false;

  constructor(
    private readonly silenceMs: number,
    private readonly onStall: () => void,
  ) {
    this.touch();
  }

  /** Something arrived (an event or a heartbeat): the silence starts again. */
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.onStall();
    }, this.silenceMs);
  }

  get stalled(): boolean {
    return this.fired;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
