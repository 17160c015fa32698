/**
 * One-time claims in the ChatSession's SQLite: "has this key been handled (recently)?".
 * Used to answer a resent command once and to send the not-authorized notice once per hour.
 * The check and the insert are synchronous SQL with no await between them, so two deliveries
 * of the same update can never both win.
 */

/** How long a command's claim is kept: longer than any platform keeps redelivering. */
export const COMMAND_CLAIM_MS = 7 * 24 * 60 * 60 * 1000;

/** The `claims` table (created by platforms/schema.ts). */
export class Claims {
  constructor(private readonly sql: SqlStorage) {}

  /** Retention: deletes expired claims (they decide nothing any more); returns how many. */
  prune(now: number): number {
    return this.sql.exec("DELETE FROM claims WHERE expires_at <= ?", now).rowsWritten;
  }

  /** True for the first caller of `key` until it expires after `ttlMs`; false for everyone else meanwhile. */
  claim(key: string, ttlMs: number, now: number): boolean {
    this.sql.exec("DELETE FROM claims WHERE expires_at <= ?", now);
    if (this.sql.exec("SELECT 1 FROM claims WHERE key = ?", key).toArray().length > 0) return false;
    this.sql.exec("INSERT INTO claims (key, expires_at) VALUES (?, ?)", key, now + ttlMs);
    return true;
  }
}
