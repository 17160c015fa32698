/**
 * Registry: the one Durable Object that knows every chat's activity. The status API reads only
 * this object, so it never waits on a turn; its alarm, set to the earliest idle deadline, asks
 * idle chats to release their backend sessions.
 */
import { DurableObject } from "cloudflare:workers";
import { type Env, seconds } from "../env";

/** A chat's state as its ChatSession reports it (at enqueue, turn start and turn end). */
export interface SessionSnapshot {
  chat: string;
  /** Epoch ms. */
  lastActivity: number;
  busy: boolean;
  /** Messages waiting, not counting the running one. */
  queued: number;
  backend: "live" | "released";
  generation: number;
  /** Monotonic per chat; an older report never overwrites a newer one. */
  version: number;
}

/** One entry of `GET /api/status`. */
export interface SessionStatus {
  chat: string;
  lastActivity: string;
  idleSeconds: number;
  busy: boolean;
  queued: number;
  backend: "live" | "released";
}

interface Row extends Record<string, SqlStorageValue> {
  chat: string;
  last_activity: number;
  busy: number;
  queued: number;
  backend: string;
  generation: number;
  version: number;
}

const DEFAULT_IDLE_SECONDS = 900;
/** A chat that stays due (its release was skipped) is looked at again after this long, not in a tight loop. */
const MIN_ALARM_GAP_MS = 5_000;

export class Registry extends DurableObject<Env> {
  /** The alarm time as last read or set (undefined: not read yet), so a report costs no storage read. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS sessions (
      chat TEXT PRIMARY KEY,
      last_activity INTEGER NOT NULL,
      busy INTEGER NOT NULL,
      queued INTEGER NOT NULL,
      backend TEXT NOT NULL,
      generation INTEGER NOT NULL,
      version INTEGER NOT NULL
    )`);
  }

  /** Seconds of inactivity after which a chat's backend session is released. */
  get idleTimeoutSeconds(): number {
    return seconds(this.env, "IDLE_TIMEOUT_SECONDS", DEFAULT_IDLE_SECONDS);
  }

  /** Records a chat's snapshot unless a newer one is already held, then re-arms the eviction alarm. */
  async report(snapshot: SessionSnapshot): Promise<void> {
    this.apply(snapshot);
    await this.scheduleEviction(Date.now(), 0);
  }

  /** Every known chat, most recently active first. */
  async listStatus(now = Date.now()): Promise<{ idleTimeoutSeconds: number; sessions: SessionStatus[] }> {
    const rows = this.ctx.storage.sql.exec<Row>("SELECT * FROM sessions ORDER BY last_activity DESC").toArray();
    return { idleTimeoutSeconds: this.idleTimeoutSeconds, sessions: rows.map((row) => toStatus(row, now)) };
  }

  /** One chat's status, or null when the registry has never heard of it. */
  async getStatus(chat: string, now = Date.now()): Promise<SessionStatus | null> {
    const row = this.ctx.storage.sql.exec<Row>("SELECT * FROM sessions WHERE chat = ?", chat).toArray()[0];
    return row ? toStatus(row, now) : null;
  }

  override async alarm(): Promise<void> {
    try {
      await this.evictIdleSessions(Date.now());
    } catch (err) {
      console.error("registry: idle eviction failed:", err);
      this.alarmAt = Date.now() + MIN_ALARM_GAP_MS;
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  /**
   * Asks every chat idle since before `now - idleTimeout` (and not busy) to release its backend
   * session, all at once so that no chat waits on another. Each ChatSession re-checks idleness
   * and generation itself, so a chat that became active in between is kept.
   */
  async evictIdleSessions(now: number): Promise<string[]> {
    const cutoff = now - this.idleTimeoutSeconds * 1000;
    const due = this.ctx.storage.sql
      .exec<Row>("SELECT * FROM sessions WHERE backend = 'live' AND busy = 0 AND last_activity <= ?", cutoff)
      .toArray();
    const results = await Promise.allSettled(
      due.map(async (row) => {
        const result = await this.env.CHAT_SESSION.getByName(row.chat).releaseBackendSession({
          generation: row.generation,
          lastActivity: row.last_activity,
        });
        if (result.snapshot) this.apply(result.snapshot);
        return result.released ? row.chat : null;
      }),
    );
    for (const [i, result] of results.entries()) {
      if (result.status === "rejected") console.error(`registry: releasing ${due[i]!.chat} failed:`, result.reason);
    }
    await this.scheduleEviction(Date.now(), MIN_ALARM_GAP_MS, true);
    return results.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
  }

  private apply(s: SessionSnapshot): void {
    this.ctx.storage.sql.exec(
      `INSERT INTO sessions (chat, last_activity, busy, queued, backend, generation, version)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (chat) DO UPDATE SET last_activity = excluded.last_activity, busy = excluded.busy,
         queued = excluded.queued, backend = excluded.backend, generation = excluded.generation, version = excluded.version
       WHERE excluded.version > sessions.version`,
      s.chat,
      s.lastActivity,
      s.busy ? 1 : 0,
      s.queued,
      s.backend,
      s.generation,
      s.version,
    );
  }

  /**
   * Sets the alarm to the earliest idle deadline (no sooner than `now + minGap`). After a report
   * it only ever moves the alarm earlier: an alarm that fires with nothing due just re-arms.
   */
  private async scheduleEviction(now: number, minGap: number, fromAlarm = false): Promise<void> {
    const earliest = this.ctx.storage.sql
      .exec<{ t: number | null }>("SELECT MIN(last_activity) AS t FROM sessions WHERE backend = 'live' AND busy = 0")
      .one().t;
    if (this.alarmAt === undefined || fromAlarm) this.alarmAt = await this.ctx.storage.getAlarm();
    if (earliest === null) return;
    const at = Math.max(earliest + this.idleTimeoutSeconds * 1000, now + minGap);
    if (this.alarmAt === null || at < this.alarmAt || fromAlarm) {
      await this.ctx.storage.setAlarm(at);
      this.alarmAt = at;
    }
  }
}

function toStatus(row: Row, now: number): SessionStatus {
  return {
    chat: row.chat,
    lastActivity: new Date(row.last_activity).toISOString(),
    idleSeconds: Math.max(0, Math.floor((now - row.last_activity) / 1000)),
    busy: row.busy === 1,
    queued: row.queued,
    backend: row.backend === "live" ? "live" : "released",
  };
}
