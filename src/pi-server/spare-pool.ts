/**
 * Pre-started pi processes (PI_SPARE_PROCESSES). Starting pi costs about a second of Node start-up
 * and module loading; a spare has paid it already and answered its readiness probe, so a session
 * with no process takes one and only switches it to its history file with pi's `switch_session`.
 * A replacement is started in the background. Spares run with no session of their own
 * (`--no-session`) in the shared workspace, and do not count against MAX_SESSIONS: each costs one
 * idle pi's memory (docs/scaling.md).
 */
import { existsSync } from "node:fs";
import { log } from "../shared/log";
import { PiProcess, type PiProcessOptions } from "./pi-process";

export interface SparePoolOptions extends Omit<PiProcessOptions, "sessionFile"> {
  /** How many spares to keep ready. */
  size: number;
  readyTimeoutMs: number;
  /** How long to wait before starting a replacement, so it does not compete with the turn that took a spare. */
  refillDelayMs?: number;
}

/** After this many spares in a row die before they are ready, the pool stops refilling for FAILURE_PAUSE_MS. */
const MAX_FAILURES = 3;
const FAILURE_PAUSE_MS = 60_000;

export class SparePool {
  private readonly ready: PiProcess[] = [];
  private starting = 0;
  private failures = 0;
  private refillTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: SparePoolOptions) {}

  /** Starts spares until `size` are ready or starting. */
  fill(): void {
    while (!this.closed && this.ready.length + this.starting < this.options.size) void this.startOne();
  }

  /** The pids of the spares ready now. */
  get readyPids(): number[] {
    return this.ready.flatMap((p) => (p.alive && p.pid !== undefined ? [p.pid] : []));
  }

  /**
   * A ready spare switched to `sessionFile` (its `ready()` resolves after the switch), or undefined
   * when none is ready or the session cannot use one: a spare works in the shared workspace, so a
   * session in another directory qualifies only when its history file records that directory.
   */
  take(sessionFile: string, cwd: string): PiProcess | undefined {
    if (cwd !== this.options.cwd && !existsSync(sessionFile)) return undefined;
    let spare = this.ready.shift();
    while (spare && !spare.alive) spare = this.ready.shift();
    if (!spare) return undefined;
    spare.switchSession(sessionFile, this.options.readyTimeoutMs);
    this.scheduleRefill(this.options.refillDelayMs ?? 250);
    return spare;
  }

  /** Stops every spare. */
  async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    await Promise.all(this.ready.splice(0).map((p) => p.stop()));
  }

  private scheduleRefill(delayMs: number): void {
    if (this.refillTimer || this.closed) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fill();
    }, delayMs);
    this.refillTimer.unref();
  }

  private async startOne(): Promise<void> {
    this.starting++;
    let process: PiProcess | undefined;
    try {
      process = new PiProcess({ ...this.options, sessionFile: null });
      await process.ready(this.options.readyTimeoutMs);
      this.failures = 0;
      if (this.closed) {
        await process.stop();
        return;
      }
      this.ready.push(process);
      const spare = process;
      void spare.closed.then(() => {
        const at = this.ready.indexOf(spare);
        if (at === -1) return; // taken by a session, which watches it from now on
        this.ready.splice(at, 1);
        this.scheduleRefill(1_000);
      });
    } catch (error) {
      process?.kill();
      this.failures++;
      log.error("pi.spare_failed", { failures: this.failures, error });
      this.scheduleRefill(this.failures >= MAX_FAILURES ? FAILURE_PAUSE_MS : 1_000);
    } finally {
      this.starting--;
    }
  }
}
