/**
 * Retention: finished messages older than MESSAGE_RETENTION_DAYS are pruned by the ChatSession's
 * alarm, and a chat with no activity for that long is deleted whole (it leaves the registry and its
 * object's storage is emptied). Unfinished messages are never pruned. Time is passed in, so tests
 * age rows in storage instead of waiting.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** The alarm never re-arms for retention sooner than this: a tight loop would be worse than a late prune. */
const MIN_CHECK_GAP_MS = 60 * 1000;

/** What retention does to one chat at `now`. */
export type RetentionPlan =
  /** Delete the chat: nothing unfinished, no activity since `cutoff`. */
  | { kind: "delete" }
  /** Prune finished rows last changed before `cutoff`, then look again at `nextCheck`. */
  | { kind: "prune"; cutoff: number; nextCheck: number };

export interface ChatActivity {
  /** Epoch ms of the last message, turn or settings change (0: none). */
  lastActivity: number;
  /** Messages not finished (queued, running, waiting for input). */
  unfinished: number;
}

/** Decides between pruning and deleting. */
export function planRetention(activity: ChatActivity, oldestFinishedAt: number | null, retentionDays: number, now: number): RetentionPlan {
  const keepMs = retentionDays * DAY_MS;
  const cutoff = now - keepMs;
  if (activity.unfinished === 0 && activity.lastActivity <= cutoff) return { kind: "delete" };
  // The next row to age out is the oldest finished one still younger than the cutoff; with none, the chat's own idleness.
  const oldest = oldestFinishedAt !== null && oldestFinishedAt >= cutoff ? oldestFinishedAt : activity.lastActivity;
  return { kind: "prune", cutoff, nextCheck: Math.max(oldest + keepMs, now + MIN_CHECK_GAP_MS) };
}

/** The states a message ends in; any other (queued, running, waiting for input) is never pruned. */
const FINISHED = "('done', 'failed', 'aborted', 'merged')";

/** The core's part: finished messages in `messages` (created by chat/schema.ts). */
export class MessageRetention {
  constructor(private readonly sql: SqlStorage) {}

  /** Epoch ms of the oldest finished message's last change, or null. */
  oldestFinishedAt(): number | null {
    return (
      this.sql.exec<{ t: number | null }>(`SELECT MIN(updated_at) AS t FROM messages WHERE state IN ${FINISHED}`).toArray()[0]?.t ?? null
    );
  }

  unfinished(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM messages WHERE state NOT IN ${FINISHED}`).one().n;
  }

  /** Deletes finished messages last changed before `cutoff`, with their tool calls and dialogs; returns how many. */
  prune(cutoff: number): number {
    const deleted = this.sql.exec(`DELETE FROM messages WHERE state IN ${FINISHED} AND updated_at < ?`, cutoff).rowsWritten;
    if (deleted > 0) {
      // Issue 10's per-message rows (tool args, dialog answers) go with their message.
      this.sql.exec("DELETE FROM message_tools WHERE message_seq NOT IN (SELECT seq FROM messages)");
      this.sql.exec("DELETE FROM ui_requests WHERE message_seq NOT IN (SELECT seq FROM messages)");
    }
    return deleted;
  }
}
