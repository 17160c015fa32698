/**
 * Tells the registry where a chat stands without ever holding up the chat. `report()` returns at
 * once. A change after a quiet spell is sent at once; sends after it keep a short coalescing window
 * apart (a message's queued → busy → live changes come within milliseconds of each other, and a
 * short turn's idle too: each would be a call to another object). One send is in flight at a time,
 * and every change made meanwhile is folded into the next one (built when it is sent, so it is the
 * newest state: one report per burst of changes, not per event). A failed or unanswered send is
 * retried with backoff, in memory while the object lives and from the chat's alarm (armed as a
 * backstop) if it does not; nothing ever awaits a send. Snapshots carry the chat's report version,
 * so a late or repeated report never overwrites a newer one at the registry.
 */
import { log } from "../../shared/log";
import type { SessionSnapshot } from "../registry/types";

export interface ReporterOptions {
  /** Builds the chat's current snapshot (with a fresh version). */
  build(): SessionSnapshot;
  /** Delivers a snapshot to the chat's registry shard. */
  send(snapshot: SessionSnapshot): Promise<void>;
  /** Arms a durable wake-up (the chat's alarm) no later than `at`, so a report outlives this instance. */
  wakeAt(at: number): Promise<void>;
  /** The least time between two sends; changes in between are folded into the second (default 100 ms; 0: no window). */
  coalesceMs?: number;
  /** A send not answered within this long counts as failed (default 10 s). */
  timeoutMs?: number;
  /** First retry delay, doubled per failure up to `maxRetryMs` (defaults 500 ms and 30 s). */
  firstRetryMs?: number;
  maxRetryMs?: number;
}

/** The snapshot fields that make a state change (the version and activity stamp alone do not). */
function stateKey(s: SessionSnapshot): string {
  return `${s.busy}|${s.queued}|${s.backend}|${s.generation}|${s.lastActivity}|${s.host ?? ""}`;
}

const DEFAULT_COALESCE_MS = 100;

export class RegistryReporter {
  /** Whether a change has not been sent yet. A fresh instance (after a restart) does not know what the registry holds. */
  private dirty = true;
  private inFlight: Promise<boolean> | undefined;
  private confirmedKey: string | undefined;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private coalesceTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last send started (epoch ms): the window counts from it. */
  private lastSentAt = 0;

  /** Mutable so a test can inject a failing transport. */
  constructor(readonly options: ReporterOptions) {}

  /** Marks the chat's state changed and sends it in the background; never throws, never waits. */
  report(): void {
    this.dirty = true;
    // A send in flight picks the change up when it returns; a pending window already covers it.
    if (this.inFlight || this.coalesceTimer) return;
    void this.pump();
  }

  /**
   * Sends what is unsent (or not yet confirmed since this instance started) and waits for that one
   * attempt; resolves true when the registry holds the current state. (The chat's alarm only calls
   * `report()`: a fresh instance starts dirty, so a report lost with an evicted one goes out again.)
   */
  async flush(): Promise<boolean> {
    this.cancelWindow();
    if (this.inFlight) await this.inFlight;
    this.cancelWindow(); // the send that just returned may have opened one
    if (!this.dirty) return true;
    return this.pump(true);
  }

  /**
   * Drops unsent changes and pending retries and waits for a send in flight, so nothing reaches the
   * registry after this (retention calls it before the registry forgets a deleted chat). A later
   * `report()` starts afresh.
   */
  async quiesce(): Promise<void> {
    this.dirty = false;
    clearTimeout(this.retryTimer);
    this.cancelWindow();
    await this.inFlight;
    this.confirmedKey = undefined;
  }

  /** Whether every change so far has reached the registry. */
  get settled(): boolean {
    return !this.dirty && !this.inFlight;
  }

  private cancelWindow(): void {
    clearTimeout(this.coalesceTimer);
    this.coalesceTimer = undefined;
  }

  private pump(now = false): Promise<boolean> {
    this.inFlight ??= this.sendLoop(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Sends until nothing is dirty; a send due inside the window is left to a timer (false: not all
   * sent yet), unless `now`. On a failure, schedules a retry and stops.
   */
  private async sendLoop(now: boolean): Promise<boolean> {
    while (this.dirty) {
      const wait = this.lastSentAt + (this.options.coalesceMs ?? DEFAULT_COALESCE_MS) - Date.now();
      if (wait > 0 && !now) {
        this.coalesceTimer ??= setTimeout(() => {
          this.coalesceTimer = undefined;
          void this.pump();
        }, wait);
        return false;
      }
      this.dirty = false;
      let snapshot: SessionSnapshot;
      try {
        snapshot = this.options.build();
      } catch (err) {
        log.error("registry.report_unbuildable", { error: err });
        return false;
      }
      const key = stateKey(snapshot);
      if (key === this.confirmedKey) continue;
      this.lastSentAt = Date.now();
      try {
        await withTimeout(this.options.send(snapshot), this.options.timeoutMs ?? 10_000);
        this.confirmedKey = key;
        this.failures = 0;
      } catch (err) {
        this.dirty = true;
        this.failures++;
        const delay = Math.min((this.options.firstRetryMs ?? 500) * 2 ** (this.failures - 1), this.options.maxRetryMs ?? 30_000);
        log.warn("registry.report_failed", { chat: snapshot.chat, failures: this.failures, retryInMs: delay, error: err });
        this.scheduleRetry(delay);
        return false;
      }
    }
    return true;
  }

  private scheduleRetry(delay: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.pump(), delay);
    this.options.wakeAt(Date.now() + delay).catch((err) => log.error("registry.report_wake_failed", { error: err }));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
