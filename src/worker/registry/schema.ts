/** The Registry's table: one row per chat it has heard from. */
import type { Schema } from "../storage/migrations";

export const registrySchema: Schema = {
  name: "registry",
  migrations: [
    {
      version: 1,
      description: "sessions, as created before schemas had versions",
      up(sql) {
        sql.exec(`CREATE TABLE IF NOT EXISTS sessions (
          chat TEXT PRIMARY KEY,
          last_activity INTEGER NOT NULL,
          busy INTEGER NOT NULL,
          queued INTEGER NOT NULL,
          backend TEXT NOT NULL,
          generation INTEGER NOT NULL,
          version INTEGER NOT NULL
        )`);
      },
    },
    {
      version: 2,
      description: "sessions.host: the pi backend host each chat sticks to (issue 13, PI_BACKEND_URLS)",
      up(sql) {
        sql.exec("ALTER TABLE sessions ADD COLUMN host TEXT");
      },
    },
  ],
};
