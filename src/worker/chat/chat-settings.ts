/** Per-chat preferences kept in the chat's `meta` table: `/verbose` (tool lines in streamed replies, default on). */
export class ChatSettings {
  constructor(private readonly sql: SqlStorage) {}

  get verbose(): boolean {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'verbose'").toArray()[0]?.value !== "off";
  }
  set verbose(on: boolean) {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('verbose', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      on ? "on" : "off",
    );
  }
}
