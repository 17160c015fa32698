/**
 * The chat's small durable facts (its key, backend handle, generation, last activity),
 * one row each in a key/value table.
 */
export type BackendState = "live" | "released";

/** The `meta` table (created by chat/schema.ts). */
export class ChatMeta {
  constructor(private readonly sql: SqlStorage) {}

  /** The chat key as last stored: the object's name, for the times workerd wakes it without one (see ChatSessionCore.chatKey). */
  get chatKey(): string | null {
    return this.read("chat_key");
  }
  set chatKey(value: string) {
    this.write("chat_key", value);
  }

  /** Random per-object prefix of turn ids, so ids stay unique in the backend session even if this object's storage were recreated. */
  get epoch(): string {
    let epoch = this.read("epoch");
    if (!epoch) {
      epoch = crypto.randomUUID().slice(0, 8);
      this.write("epoch", epoch);
    }
    return epoch;
  }

  /** Whether this chat holds a live backend session. */
  get backend(): BackendState {
    return this.read("backend") === "live" ? "live" : "released";
  }
  set backend(value: BackendState) {
    this.write("backend", value);
  }

  /** The pi backend URL this chat sticks to (PI_BACKEND_URLS); null until its first message picks one. */
  get host(): string | null {
    return this.read("host");
  }
  set host(value: string) {
    this.write("host", value);
  }

  /** Bumped whenever the backend-session handle is dropped; cleanups carrying an older value are stale. */
  get generation(): number {
    return Number(this.read("generation") ?? 0);
  }

  get lastActivity(): number {
    return Number(this.read("last_activity") ?? 0);
  }
  set lastActivity(value: number) {
    this.write("last_activity", String(value));
  }

  /** What a registry snapshot shows of the chat, read with one query (a snapshot is built several times per turn). */
  get reportFacts(): { lastActivity: number; backend: BackendState; generation: number; host: string | null } {
    const facts = new Map(
      this.sql
        .exec<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key IN ('last_activity', 'backend', 'generation', 'host')")
        .toArray()
        .map((r) => [r.key, r.value]),
    );
    return {
      lastActivity: Number(facts.get("last_activity") ?? 0),
      backend: facts.get("backend") === "live" ? "live" : "released",
      generation: Number(facts.get("generation") ?? 0),
      host: facts.get("host") ?? null,
    };
  }

  /** Drops the backend-session handle and starts a new generation. */
  dropBackend(): void {
    this.write("backend", "released");
    this.write("generation", String(this.generation + 1));
  }

  private read(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  private write(key: string, value: string): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }
}
