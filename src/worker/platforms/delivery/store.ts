/**
 * Where a reply's delivery stands, per inbox message, in the ChatSession's SQLite: the platform
 * id of the message the reply streams into, the text it shows, how many parts of the final
 * reply went out, and whether delivery is complete. A restart, an alarm retry or a re-attach
 * reads this and carries on instead of sending a second reply.
 */

export interface DeliveryState {
  /** Platform id of the message the reply streams into (the final reply's first part). */
  streamId: string | null;
  /** The text that message shows now. */
  shown: string | null;
  /** The final text being delivered, fixed when final delivery starts so a re-run continues the same text. */
  finalText: string | null;
  /** Parts of the final reply delivered so far. */
  partsSent: number;
  /** The final reply (or the failure) has been delivered in full. */
  final: boolean;
}

interface Row extends Record<string, SqlStorageValue> {
  stream_id: string | null;
  shown: string | null;
  final_text: string | null;
  parts_sent: number;
  final: number;
}

/** The `deliveries` table (created by platforms/schema.ts). */
export class DeliveryStore {
  constructor(private readonly sql: SqlStorage) {}

  load(messageId: string): DeliveryState {
    const row = this.sql
      .exec<Row>("SELECT stream_id, shown, final_text, parts_sent, final FROM deliveries WHERE message_id = ?", messageId)
      .toArray()[0];
    if (!row) return { streamId: null, shown: null, finalText: null, partsSent: 0, final: false };
    return { streamId: row.stream_id, shown: row.shown, finalText: row.final_text, partsSent: row.parts_sent, final: row.final === 1 };
  }

  /** Retention: deletes delivery rows last written before `cutoff`; returns how many. */
  prune(cutoff: number): number {
    return this.sql.exec("DELETE FROM deliveries WHERE updated_at < ?", cutoff).rowsWritten;
  }

  /** Writes the whole state; called right after each platform call returns, with no await in between. */
  save(messageId: string, state: DeliveryState, now: number): void {
    this.sql.exec(
      `INSERT INTO deliveries (message_id, stream_id, shown, final_text, parts_sent, final, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (message_id) DO UPDATE SET stream_id = excluded.stream_id, shown = excluded.shown, final_text = excluded.final_text,
         parts_sent = excluded.parts_sent, final = excluded.final, updated_at = excluded.updated_at`,
      messageId,
      state.streamId,
      state.shown,
      state.finalText,
      state.partsSent,
      state.final ? 1 : 0,
      now,
    );
  }
}
