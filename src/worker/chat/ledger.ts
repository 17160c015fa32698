/**
 * The ledger: every prompt a chat accepted, newest first, and how many are in each state. Every
 * message ends in one of `done`, `failed` (with its reason), `aborted` (by /stop or an interrupt)
 * or `merged` (into the message whose turn carried it: collect, steer). `/new` markers are commands,
 * not messages, and are left out.
 */
import type { MessageState } from "./inbox";

export const MESSAGE_STATES: readonly MessageState[] = ["queued", "running", "done", "failed", "aborted", "merged"];

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** One page request; the cursor is the opaque `nextCursor` of the page before. */
export interface LedgerQuery {
  state?: MessageState;
  limit?: number;
  cursor?: string;
}

export type StateCounts = Record<MessageState, number>;

/** A page of message ids (the caller renders the records), newest first. */
export interface LedgerPage {
  ids: string[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** A cursor this chat's ledger never handed out (or one from another version of it). */
export class BadCursorError extends Error {}

/** Reads the `messages` table (created by chat/schema.ts). */
export class Ledger {
  constructor(private readonly sql: SqlStorage) {}

  /** Newest first; one row past the page tells whether another page follows. */
  page(query: LedgerQuery): LedgerPage {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(query.cursor);
    const params: SqlStorageValue[] = [before];
    let where = "kind = 'prompt' AND seq < ?";
    if (query.state) {
      where += " AND state = ?";
      params.push(query.state);
    }
    const rows = this.sql
      .exec<{ seq: number; id: string }>(`SELECT seq, id FROM messages WHERE ${where} ORDER BY seq DESC LIMIT ?`, ...params, limit + 1)
      .toArray();
    const more = rows.length > limit;
    const shown = rows.slice(0, limit);
    return { ids: shown.map((r) => r.id), nextCursor: more ? encodeCursor(shown.at(-1)!.seq) : null };
  }

  /** How many prompts are in each state (every state present, 0 when none). */
  counts(): StateCounts {
    const counts = Object.fromEntries(MESSAGE_STATES.map((s) => [s, 0])) as StateCounts;
    for (const row of this.sql.exec<{ state: string; n: number }>(
      "SELECT state, COUNT(*) AS n FROM messages WHERE kind = 'prompt' GROUP BY state",
    )) {
      if (row.state in counts) counts[row.state as MessageState] = row.n;
    }
    return counts;
  }
}

/** The cursor names the last row shown (`v1:<seq>`, base64url), opaque to clients. */
function encodeCursor(seq: number): string {
  return btoa(`v1:${seq}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The row a cursor names; BadCursorError for anything else (the API checks it before asking the chat). */
export function decodeCursor(cursor: string): number {
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new BadCursorError("cursor: not a cursor this API handed out");
  }
  const match = /^v1:(\d{1,15})$/.exec(text);
  if (!match) throw new BadCursorError("cursor: not a cursor this API handed out");
  return Number(match[1]);
}
