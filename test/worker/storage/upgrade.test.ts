/**
 * Storage written by the release before schemas had versions (the same tables, no version row)
 * is upgraded in place by the new constructors: every row is kept and the objects carry on.
 * The old tables are created here with the old code's own SQL, not the migrations', so a change
 * to a first migration that would not fit deployed storage fails this test.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { chatSchema } from "../../../src/worker/chat/schema";
import { schemaVersion } from "../../../src/worker/storage/migrations";
import { backendLog, freshChat, send, settled } from "../helpers";

/** The ChatSession's tables as the previous release created them (inbox.ts, chat-meta.ts, claims.ts, delivery-store.ts). */
const CHAT_SESSION_V0 = [
  `CREATE TABLE IF NOT EXISTS messages (
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
CREATE INDEX IF NOT EXISTS messages_pending ON messages (state, seq);`,
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)",
  `CREATE TABLE IF NOT EXISTS deliveries (
      message_id TEXT PRIMARY KEY,
      stream_id TEXT,
      shown TEXT,
      final_text TEXT,
      parts_sent INTEGER NOT NULL DEFAULT 0,
      final INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL
    )`,
];

/** The Registry's table as the previous release created it (session-table.ts). */
const REGISTRY_V0 = `CREATE TABLE IF NOT EXISTS sessions (
      chat TEXT PRIMARY KEY,
      last_activity INTEGER NOT NULL,
      busy INTEGER NOT NULL,
      queued INTEGER NOT NULL,
      backend TEXT NOT NULL,
      generation INTEGER NOT NULL,
      version INTEGER NOT NULL
    )`;

/**
 * Replaces what the new constructor made with the old release's tables, then resets the object:
 * the next call, through a new stub, constructs it afresh on that storage.
 */
async function rewriteAsV0(
  stub: DurableObjectStub<Rpc.DurableObjectBranded>,
  ddl: string[],
  fill: (sql: SqlStorage) => void,
): Promise<void> {
  await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const names = sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%'",
      )
      .toArray();
    for (const { name } of names) sql.exec(`DROP TABLE ${name}`);
    for (const statement of ddl) sql.exec(statement);
    fill(sql);
  });
  await runInDurableObject(stub, (_instance, state) => state.abort("upgrade: the new release starts")).catch(() => {});
}

describe("upgrading storage from before schema versions", () => {
  it("keeps a ChatSession's messages, facts, claims and deliveries, and runs the next turn on them", async () => {
    const chat = freshChat("upgrade");
    const key = `http:${chat}`;
    const then = Date.now() - 60_000;
    await rewriteAsV0(env.CHAT_SESSION.getByName(key), CHAT_SESSION_V0, (sql) => {
      sql.exec(
        "INSERT INTO messages (id, kind, text, state, reply, attempt, turn_id, submitted, last_seq, created_at, updated_at) VALUES (?, 'prompt', ?, 'done', ?, 0, ?, 1, 4, ?, ?)",
        "old-1",
        "before the upgrade",
        "an old reply",
        "abcd1234.1.0",
        then,
        then,
      );
      for (const [k, v] of [
        ["chat_key", key],
        ["epoch", "abcd1234"],
        ["backend", "released"],
        ["generation", "3"],
        ["last_activity", String(then)],
      ]) {
        sql.exec("INSERT INTO meta (key, value) VALUES (?, ?)", k, v);
      }
      sql.exec("INSERT INTO claims (key, expires_at) VALUES (?, ?)", "command:tg-1", Date.now() + 3_600_000);
      sql.exec(
        "INSERT INTO deliveries (message_id, stream_id, shown, final_text, parts_sent, final, updated_at) VALUES (?, ?, ?, ?, 1, 1, ?)",
        "old-1",
        "77",
        "an old reply",
        "an old reply",
        then,
      );
    });

    const stub = env.CHAT_SESSION.getByName(key);
    expect(await stub.getMessage("old-1")).toMatchObject({ chat: key, messageId: "old-1", state: "done", reply: "an old reply" });
    expect(await stub.snapshot()).toMatchObject({
      chat: key,
      lastActivity: then,
      busy: false,
      queued: 0,
      backend: "released",
      generation: 3,
    });
    expect(await stub.claim("command:tg-1", 60_000)).toBe(false);

    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      expect(schemaVersion(sql, "chat")).toBe(chatSchema.migrations.length);
      expect(schemaVersion(sql, "platforms")).toBe(1);
      const meta = Object.fromEntries(
        sql
          .exec<{ key: string; value: string }>("SELECT key, value FROM meta")
          .toArray()
          .map((r) => [r.key, r.value]),
      );
      expect(meta).toEqual({ chat_key: key, epoch: "abcd1234", backend: "released", generation: "3", last_activity: String(then) });
      expect(sql.exec("SELECT message_id, stream_id, final FROM deliveries").toArray()).toEqual([
        { message_id: "old-1", stream_id: "77", final: 1 },
      ]);
    });

    const next = await send(chat, "after the upgrade");
    expect(await settled(chat, next.messageId)).toMatchObject({ state: "done", reply: "echo: after the upgrade" });
    // The stored epoch and the inbox's sequence carried over: the new turn's id continues them.
    expect((await backendLog(key)).filter((e) => e.kind === "submit").map((e) => e.turnId)).toEqual(["abcd1234.2.0"]);
  });

  it("keeps the Registry's rows", async () => {
    const name = `upgrade-${crypto.randomUUID()}`;
    const then = Date.now() - 60_000;
    await rewriteAsV0(env.REGISTRY.getByName(name), [REGISTRY_V0], (sql) => {
      sql.exec(
        "INSERT INTO sessions (chat, last_activity, busy, queued, backend, generation, version) VALUES (?, ?, 0, 2, 'released', 5, 9)",
        "telegram:42",
        then,
      );
    });
    const registry = env.REGISTRY.getByName(name);
    expect(await registry.getStatus("telegram:42")).toMatchObject({ chat: "telegram:42", busy: false, queued: 2, backend: "released" });
    await runInDurableObject(registry, (_instance, state) => expect(schemaVersion(state.storage.sql, "registry")).toBe(1));
  });
});
