/**
 * The platforms' tables in a ChatSession's SQLite, next to the chat core's: one-time claims
 * (commands, notices) and the delivery state of streamed replies. Versioned apart from the core's
 * (`chat`), so either can change without the other knowing.
 */
import type { Schema } from "../storage/migrations";

export const platformSchema: Schema = {
  name: "platforms",
  migrations: [
    {
      version: 1,
      description: "claims and deliveries, as created before schemas had versions",
      up(sql) {
        sql.exec(`
          CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
          CREATE TABLE IF NOT EXISTS deliveries (
            message_id TEXT PRIMARY KEY,
            stream_id TEXT,
            shown TEXT,
            final_text TEXT,
            parts_sent INTEGER NOT NULL DEFAULT 0,
            final INTEGER NOT NULL DEFAULT 0,
            updated_at INTEGER NOT NULL
          );
        `);
      },
    },
  ],
};
