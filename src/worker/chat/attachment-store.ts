/**
 * The attachments of inbox messages, in the ChatSession's SQLite: what each is, and either its bytes
 * (brought by the HTTP interface, stored before the 202) or a platform's reference to download it
 * from when the turn runs (Telegram `file_id`, Slack `url_private`; see docs/decisions/0010).
 * Bytes are kept in chunks under SQLite's 2 MB value limit, and dropped once the message is finished.
 */
import type { Schema } from "../storage/migrations";

/** An attachment as it arrives with a message. */
export interface NewAttachment {
  kind: "image" | "file";
  /** A name for the workspace's inbox (sanitised again before it leaves the Worker). */
  name: string;
  mimeType?: string;
  /** Decoded size when known (a platform may not say). */
  size?: number;
  /** Where a platform keeps it (JSON, opaque to the core: the platform's `download` reads it); absent when `data` is given. */
  ref?: string;
  data?: Uint8Array;
}

/** What a message record shows of an attachment. */
export interface AttachmentSummary {
  kind: "image" | "file";
  name: string;
  mimeType?: string;
  size?: number;
}

/** A stored attachment. */
export interface StoredAttachment extends AttachmentSummary {
  position: number;
  ref: string | null;
}

/** Under workerd's 2 MB limit for one SQLite value. */
const CHUNK_BYTES = 1024 * 1024;

export const attachmentSchema: Schema = {
  name: "attachments",
  migrations: [
    {
      version: 1,
      description: "attachments of inbox messages and their bytes (issue 10: images and files in)",
      up(sql) {
        sql.exec(`
          CREATE TABLE IF NOT EXISTS attachments (
            message_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            mime_type TEXT,
            size INTEGER,
            ref TEXT,
            PRIMARY KEY (message_id, position)
          );
          CREATE TABLE IF NOT EXISTS attachment_chunks (
            message_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            chunk INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (message_id, position, chunk)
          );
        `);
      },
    },
  ],
};

interface Row extends Record<string, SqlStorageValue> {
  position: number;
  kind: string;
  name: string;
  mime_type: string | null;
  size: number | null;
  ref: string | null;
}

/** The `attachments` tables. Synchronous SQL, so storing them goes in the same step as the message. */
export class AttachmentStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Stores a new message's attachments, bytes included. */
  add(messageId: string, attachments: readonly NewAttachment[]): void {
    for (const [position, a] of attachments.entries()) {
      const size = a.data?.length ?? a.size ?? null;
      this.sql.exec(
        "INSERT INTO attachments (message_id, position, kind, name, mime_type, size, ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
        messageId,
        position,
        a.kind,
        a.name,
        a.mimeType ?? null,
        size,
        a.data ? null : (a.ref ?? null),
      );
      if (!a.data) continue;
      for (let offset = 0, chunk = 0; offset < a.data.length || chunk === 0; offset += CHUNK_BYTES, chunk++) {
        const part = a.data.slice(offset, offset + CHUNK_BYTES).buffer as ArrayBuffer;
        this.sql.exec(
          "INSERT INTO attachment_chunks (message_id, position, chunk, data) VALUES (?, ?, ?, ?)",
          messageId,
          position,
          chunk,
          part,
        );
      }
    }
  }

  /** A message's attachments, in order. */
  list(messageId: string): StoredAttachment[] {
    return this.sql
      .exec<Row>("SELECT position, kind, name, mime_type, size, ref FROM attachments WHERE message_id = ? ORDER BY position", messageId)
      .toArray()
      .map((row) => ({
        position: row.position,
        kind: row.kind === "image" ? "image" : "file",
        name: row.name,
        ...(row.mime_type !== null ? { mimeType: row.mime_type } : {}),
        ...(row.size !== null ? { size: row.size } : {}),
        ref: row.ref,
      }));
  }

  /** What a message record shows: kind, name, type, size. */
  summary(messageId: string): AttachmentSummary[] {
    return this.list(messageId).map(({ position: _p, ref: _r, ...summary }) => summary);
  }

  /** The stored bytes of one attachment; null when none are stored (a platform reference, or dropped). */
  read(messageId: string, position: number): Uint8Array | null {
    const chunks = this.sql
      .exec<{ data: ArrayBuffer }>(
        "SELECT data FROM attachment_chunks WHERE message_id = ? AND position = ? ORDER BY chunk",
        messageId,
        position,
      )
      .toArray();
    if (chunks.length === 0) return null;
    const total = chunks.reduce((n, c) => n + c.data.byteLength, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const { data } of chunks) {
      bytes.set(new Uint8Array(data), offset);
      offset += data.byteLength;
    }
    return bytes;
  }

  /** Drops a finished message's bytes; what they were stays for its record. */
  dropData(messageId: string): void {
    this.sql.exec("DELETE FROM attachment_chunks WHERE message_id = ?", messageId);
  }
}
