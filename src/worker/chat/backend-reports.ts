/**
 * Which of a chat's backend outcomes are worth a registry report (`reportBackend`): every failure and
 * every change, but a steady "reachable" only every REACHABLE_EVERY_MS, so a busy chat costs the
 * registry no RPC per turn. In memory: after a restart the first outcome is reported again.
 */
import type { BackendReport } from "../registry/backend-status";

const REACHABLE_EVERY_MS = 30_000;

export class BackendReports {
  private last: { reachable: boolean; at: number } | null = null;

  /** The report to send for this outcome, or null when the registry already knows. */
  next(reachable: boolean, now: number, lastError?: string): BackendReport | null {
    const last = this.last;
    if (reachable && last?.reachable && now - last.at < REACHABLE_EVERY_MS) return null;
    this.last = { reachable, at: now };
    return lastError && !reachable ? { reachable, at: now, lastError } : { reachable, at: now };
  }
}
