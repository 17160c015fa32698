/**
 * Whether the pi backend is reachable, as the chats last saw it: every ChatSession reports its
 * submit and re-attach outcomes (`reportBackend`), the newest report wins, and `since` is when the
 * answer last changed. Kept in the registry's synchronous KV storage (one small value, no table).
 */

/** What a ChatSession saw of the backend at `at` (epoch ms). */
export interface BackendReport {
  reachable: boolean;
  at: number;
  /** How the last failed call failed (`unreachable`, `timeout`, `http_502 (HTTP 502)`...). */
  lastError?: string;
}

/** `GET /api/status`'s `backend`. */
export interface BackendStatus {
  reachable: boolean;
  /** ISO time the backend became reachable or unreachable (as far as the chats saw). */
  since: string;
  lastError?: string;
}

/** What one registry shard holds: the newest report it had, with its time, so shards' answers can be merged. */
export interface HeldReachability {
  reachable: boolean;
  since: number;
  at: number;
  lastError?: string;
}

const KEY = "backend";

export class BackendReachability {
  /** Before any chat reported: assumed reachable since this object started. */
  private readonly startedAt = Date.now();

  constructor(private readonly kv: SyncKvStorage) {}

  /** Applies a report unless a newer one is held; returns whether it changed what status shows. */
  apply(report: BackendReport): boolean {
    const held = this.kv.get<HeldReachability>(KEY);
    if (held && held.at > report.at) return false;
    const changed = !held || held.reachable !== report.reachable;
    const next: HeldReachability = { reachable: report.reachable, since: changed ? report.at : held.since, at: report.at };
    const lastError = report.reachable ? undefined : (report.lastError ?? held?.lastError);
    if (lastError) next.lastError = lastError;
    this.kv.put(KEY, next);
    return changed;
  }

  /** The newest report this shard had, or null before any chat reported. */
  held(): HeldReachability | null {
    return this.kv.get<HeldReachability>(KEY) ?? null;
  }

  status(): BackendStatus {
    return backendStatus(this.held(), this.startedAt);
  }
}

/** How held reachability is shown; with no report yet, the backend is assumed reachable since `assumedSince`. */
export function backendStatus(held: HeldReachability | null | undefined, assumedSince: number): BackendStatus {
  if (!held) return { reachable: true, since: new Date(assumedSince).toISOString() };
  const status: BackendStatus = { reachable: held.reachable, since: new Date(held.since).toISOString() };
  if (held.lastError) status.lastError = held.lastError;
  return status;
}
