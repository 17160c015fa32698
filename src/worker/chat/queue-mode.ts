/**
 * How a chat treats a message that arrives while a turn runs (its queue mode), stored per chat:
 * - `followup` (default): each message is its own turn, in arrival order;
 * - `collect`: the messages that queued up during a turn are merged into one next turn;
 * - `steer`: the message is sent into the running turn (the backend's steer route) and ends `merged` into it;
 * - `interrupt`: the running turn is aborted and the newest message runs.
 */

export const QUEUE_MODES = ["followup", "collect", "steer", "interrupt"] as const;
export type QueueMode = (typeof QUEUE_MODES)[number];

export const DEFAULT_QUEUE_MODE: QueueMode = "followup";

/** The mode a word names (any case), or null. */
export function parseQueueMode(word: string): QueueMode | null {
  const name = word.trim().toLowerCase();
  return (QUEUE_MODES as readonly string[]).includes(name) ? (name as QueueMode) : null;
}

/** One line per mode, for `/queue` and error messages. */
export const QUEUE_MODE_HELP: Record<QueueMode, string> = {
  followup: "each message gets its own turn, in order (default)",
  collect: "messages sent while the agent works are merged into one next turn",
  steer: "messages sent while the agent works go into the running turn",
  interrupt: "a new message stops the running turn and runs instead",
};

/** The chat's settings, in the `meta` table (created by chat/schema.ts) next to ChatMeta's keys. */
export class ChatSettings {
  constructor(private readonly sql: SqlStorage) {}

  get queueMode(): QueueMode {
    const stored = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'queue_mode'").toArray()[0]?.value;
    return (stored && parseQueueMode(stored)) || DEFAULT_QUEUE_MODE;
  }

  /** Stores the mode and when it was set: a settings change counts as activity for retention. */
  setQueueMode(mode: QueueMode, now: number): void {
    this.write("queue_mode", mode);
    this.write("settings_at", String(now));
  }

  /** Epoch ms of the last settings change (0: never). */
  get changedAt(): number {
    return Number(this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'settings_at'").toArray()[0]?.value ?? 0);
  }

  private write(key: string, value: string): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }
}
