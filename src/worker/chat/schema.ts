/** The chat core's tables in a ChatSession's SQLite: the inbox and the chat's small facts. */
import type { Schema } from "../storage/migrations";

export const chatSchema: Schema = {
  name: "chat",
  migrations: [
    {
      version: 1,
      description: "messages (the inbox) and meta, as created before schemas had versions",
      up(sql) {
        sql.exec(`
          CREATE TABLE IF NOT EXISTS messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL DEFAULT 'prompt',
            text TEXT NOT NULL,
            state TEXT NOT NULL,
            reply TEXT,
            error TEXT,
            attempt INTEGER NOT NULL DEFAULT 0,
            turn_id TEXT,
            submitted INTEGER NOT NULL DEFAULT 0,
            last_seq INTEGER NOT NULL DEFAULT 0,
            target TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
          );
          CREATE INDEX IF NOT EXISTS messages_pending ON messages (state, seq);
          CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        `);
      },
    },
    {
      version: 2,
      description:
        "queue modes and ledger (issue 9): messages.merged_into for collect/steer, an index on updated_at for retention, " +
        "turns aborted before this release marked aborted",
      up(sql) {
        sql.exec(`
          ALTER TABLE messages ADD COLUMN merged_into TEXT;
          CREATE INDEX IF NOT EXISTS messages_updated ON messages (updated_at);
          UPDATE messages SET state = 'aborted' WHERE state = 'failed' AND error LIKE 'aborted:%';
        `);
      },
    },
    {
      version: 3,
      description: "ui_requests (extension dialogs waiting for the user) and message_tools (tool calls per message), issue 10",
      up(sql) {
        sql.exec(`
          CREATE TABLE IF NOT EXISTS ui_requests (
            token TEXT PRIMARY KEY,
            message_seq INTEGER NOT NULL,
            turn_id TEXT NOT NULL,
            request_id TEXT NOT NULL,
            request TEXT NOT NULL,
            state TEXT NOT NULL,
            answer TEXT,
            prompt_id TEXT,
            created_at INTEGER NOT NULL,
            UNIQUE (turn_id, request_id)
          );
          CREATE INDEX IF NOT EXISTS ui_requests_open ON ui_requests (state, message_seq);
          CREATE TABLE IF NOT EXISTS message_tools (
            message_seq INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            name TEXT NOT NULL,
            args TEXT NOT NULL,
            ok INTEGER,
            PRIMARY KEY (message_seq, idx)
          );
        `);
      },
    },
  ],
};
