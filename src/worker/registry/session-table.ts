/**
 * The registry's table of chats: held in memory (every read and the eviction scan come from
 * here) and written to SQLite in batches. Each storage commit blocks the object's thread for a
 * moment, and every chat reports several times per turn; one commit per batch instead of one per
 * report keeps the status API fast while many turns start and end together.
 */
import type { SessionSnapshot } from "./types";

interface Row extends Record<string, SqlStorageValue> {
  chat: string;
  last_activity: number;
  busy: number;
  queued: number;
  backend: string;
  generation: number;
  version: number;
  host: string | null;
}

export class SessionTable {
  private readonly rows = new Map<string, SessionSnapshot>();
  private readonly dirty = new Set<string>();

  /** Loads the `sessions` table (created by registry/schema.ts). */
  constructor(private readonly storage: DurableObjectStorage) {
    for (const row of storage.sql.exec<Row>("SELECT * FROM sessions")) {
      this.rows.set(row.chat, {
        chat: row.chat,
        lastActivity: row.last_activity,
        busy: row.busy === 1,
        queued: row.queued,
        backend: row.backend === "live" ? "live" : "released",
        generation: row.generation,
        version: row.version,
        ...(row.host ? { host: row.host } : {}),
      });
    }
  }

  /** Takes the snapshot unless a newer one for that chat is held; returns whether it was taken. */
  apply(snapshot: SessionSnapshot): boolean {
    const held = this.rows.get(snapshot.chat);
    if (held && held.version >= snapshot.version) return false;
    this.rows.set(snapshot.chat, { ...snapshot });
    this.dirty.add(snapshot.chat);
    return true;
  }

  /** Drops a chat at once, in memory and in storage; returns whether it was held. */
  remove(chat: string): boolean {
    this.dirty.delete(chat);
    this.storage.sql.exec("DELETE FROM sessions WHERE chat = ?", chat);
    return this.rows.delete(chat);
  }

  get(chat: string): SessionSnapshot | undefined {
    return this.rows.get(chat);
  }

  all(): SessionSnapshot[] {
    return [...this.rows.values()];
  }

  /** Live chats with no turn running. */
  idleLive(): SessionSnapshot[] {
    return this.all().filter((s) => s.backend === "live" && !s.busy);
  }

  /** Writes every changed row in one transaction. */
  flush(): void {
    if (this.dirty.size === 0) return;
    const chats = [...this.dirty];
    this.dirty.clear();
    this.storage.transactionSync(() => {
      for (const chat of chats) {
        const s = this.rows.get(chat)!;
        this.storage.sql.exec(
          `INSERT INTO sessions (chat, last_activity, busy, queued, backend, generation, version, host)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (chat) DO UPDATE SET last_activity = excluded.last_activity, busy = excluded.busy,
             queued = excluded.queued, backend = excluded.backend, generation = excluded.generation, version = excluded.version,
             host = excluded.host`,
          s.chat,
          s.lastActivity,
          s.busy ? 1 : 0,
          s.queued,
          s.backend,
          s.generation,
          s.version,
          s.host ?? null,
        );
      }
    });
  }
}
