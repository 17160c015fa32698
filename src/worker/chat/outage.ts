/**
 * Holding messages through a backend outage (issue 9 item 2). When the agent's machine is asleep,
 * restarting or off the network, a turn's submit or re-attach fails as an outage (pi-client/outage.ts);
 * the message is then kept — queued if the backend never accepted it, running if it did — and the
 * chat's alarm retries with capped exponential backoff and jitter. The user is told once per outage.
 * A message held longer than BACKEND_OUTAGE_HOLD_SECONDS (counted from when it arrived, or from the
 * outage's start if it was already waiting) fails `backend_unreachable`.
 *
 * The outage is a fact of the chat, kept in its `meta` table (key `outage`), so a restart mid-outage
 * neither forgets the backoff nor tells the user a second time.
 */
import { backendOutageHoldSeconds, backendRetrySeconds } from "../config/config";
import type { Env } from "../config/env";
import type { BackendError } from "../pi-client/client";
import { outageSummary } from "../pi-client/outage";
import { type Backoff, backoffDelayMs } from "./backoff";
import type { InboxMessage } from "./inbox";

/** The chat's current outage. */
export interface OutageState {
  /** Epoch ms of the first failure. */
  since: number;
  /** Failures in a row; the next retry waits backoff(failures - 1). */
  failures: number;
  lastError: string;
  /** The user has been told about this outage. */
  notified: boolean;
}

export type OutageDecision =
  /** Keep the message and retry at `at`; `tell`: first hold of this outage, say so to the user. */
  | { action: "retry"; at: number; tell: boolean; state: OutageState }
  /** Held too long: fail it. */
  | { action: "give_up"; heldMs: number; state: OutageState };

export interface OutagePolicy {
  holdMs: number;
  backoff: Backoff;
}

export class Outages {
  constructor(
    private readonly sql: SqlStorage,
    private readonly policy: OutagePolicy,
  ) {}

  current(): OutageState | null {
    const raw = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'outage'").toArray()[0]?.value;
    return raw ? (JSON.parse(raw) as OutageState) : null;
  }

  /** A submit or re-attach of `message` failed as an outage: what to do with the message. */
  failed(message: InboxMessage, error: BackendError, now: number, retryAfterMs = 0): OutageDecision {
    const before = this.current();
    const state: OutageState = {
      since: before?.since ?? now,
      failures: (before?.failures ?? 0) + 1,
      lastError: outageSummary(error),
      notified: before?.notified ?? false,
    };
    const heldMs = now - Math.max(state.since, message.createdAt);
    if (heldMs >= this.policy.holdMs) {
      this.write(state);
      return { action: "give_up", heldMs, state };
    }
    const tell = !state.notified;
    state.notified = true;
    this.write(state);
    const at = now + Math.max(backoffDelayMs(state.failures - 1, this.policy.backoff), retryAfterMs);
    return { action: "retry", at, tell, state };
  }

  /** A call went through: the outage, if there was one, is over. Returns it. */
  recovered(): OutageState | null {
    const before = this.current();
    if (before) this.sql.exec("DELETE FROM meta WHERE key = 'outage'");
    return before;
  }

  private write(state: OutageState): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('outage', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      JSON.stringify(state),
    );
  }
}

/** The policy as configured: BACKEND_OUTAGE_HOLD_SECONDS, BACKEND_RETRY_MIN_SECONDS/MAX_SECONDS. */
export function outagePolicy(env: Env): OutagePolicy {
  const retry = backendRetrySeconds(env);
  return { holdMs: backendOutageHoldSeconds(env) * 1000, backoff: { minMs: retry.min * 1000, maxMs: retry.max * 1000 } };
}
