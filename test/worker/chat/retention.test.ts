/**
 * Retention: rows are aged in storage (runInDurableObject), never by waiting, then the chat's alarm
 * runs; the decision itself takes `now` as a parameter.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MessageRetention, planRetention } from "../../../src/worker/chat/retention";
import { maxQueued, messageRetentionDays } from "../../../src/worker/config/config";
import { api, freshChat, getMessage, send, settled, waitFor } from "../helpers";

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

describe("planRetention", () => {
  it("deletes a chat idle longer than the retention with nothing unfinished", () => {
    expect(planRetention({ lastActivity: NOW - 31 * DAY, unfinished: 0 }, NOW - 40 * DAY, 30, NOW)).toEqual({ kind: "delete" });
    expect(planRetention({ lastActivity: NOW - 30 * DAY, unfinished: 0 }, null, 30, NOW)).toEqual({ kind: "delete" });
  });

  it("never deletes a chat with a message still queued or running, however old", () => {
    expect(planRetention({ lastActivity: NOW - 365 * DAY, unfinished: 1 }, NOW - 365 * DAY, 30, NOW)).toMatchObject({
      kind: "prune",
      cutoff: NOW - 30 * DAY,
    });
  });

  it("prunes before the cutoff and looks again when the oldest kept row ages out", () => {
    const plan = planRetention({ lastActivity: NOW - DAY, unfinished: 0 }, NOW - 10 * DAY, 30, NOW);
    expect(plan).toEqual({ kind: "prune", cutoff: NOW - 30 * DAY, nextCheck: NOW + 20 * DAY });
    // Nothing finished: the chat's own idleness decides the next look.
    expect(planRetention({ lastActivity: NOW - DAY, unfinished: 0 }, null, 7, NOW)).toMatchObject({ nextCheck: NOW + 6 * DAY });
    // Never a tight loop.
    expect(planRetention({ lastActivity: NOW, unfinished: 1 }, NOW - 30 * DAY, 30, NOW)).toMatchObject({ nextCheck: NOW + 60_000 });
  });
});

describe("MESSAGE_RETENTION_DAYS and MAX_QUEUED", () => {
  it("read whole positive numbers and fall back to 30 and 20 on anything else", () => {
    expect(messageRetentionDays({})).toBe(30);
    expect(messageRetentionDays({ MESSAGE_RETENTION_DAYS: "7" })).toBe(7);
    for (const bad of ["0", "-3", "1.5", "soon"]) expect(messageRetentionDays({ MESSAGE_RETENTION_DAYS: bad })).toBe(30);
    expect(maxQueued({})).toBe(20);
    expect(maxQueued({ MAX_QUEUED: "3" })).toBe(3);
    expect(maxQueued({ MAX_QUEUED: "lots" })).toBe(20);
  });
});

describe("MessageRetention.prune", () => {
  it("deletes finished messages older than the cutoff and never an unfinished one", async () => {
    const stub = env.CHAT_SESSION.getByName(`http:${freshChat("prune")}`);
    const left = await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      const old = NOW - 40 * DAY;
      for (const [id, st, at] of [
        ["done-old", "done", old],
        ["failed-old", "failed", old],
        ["aborted-old", "aborted", old],
        ["merged-old", "merged", old],
        ["queued-old", "queued", old],
        ["running-old", "running", old],
        ["done-new", "done", NOW - DAY],
      ] as const) {
        sql.exec("INSERT INTO messages (id, text, state, created_at, updated_at) VALUES (?, 'x', ?, ?, ?)", id, st, at, at);
      }
      const retention = new MessageRetention(sql);
      expect(retention.oldestFinishedAt()).toBe(old);
      expect(retention.prune(NOW - 30 * DAY)).toBe(4);
      expect(retention.unfinished()).toBe(2);
      return sql
        .exec<{ id: string }>("SELECT id FROM messages ORDER BY seq")
        .toArray()
        .map((r) => r.id);
    });
    expect(left).toEqual(["queued-old", "running-old", "done-new"]);
  });
});

/** Moves a message's timestamps `days` into the past. */
function ageMessage(sql: SqlStorage, id: string, days: number): void {
  sql.exec("UPDATE messages SET created_at = created_at - ?, updated_at = updated_at - ? WHERE id = ?", days * DAY, days * DAY, id);
}

function rowCount(sql: SqlStorage, table: string): number {
  return sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
}

describe("retention from the ChatSession's alarm", () => {
  it("prunes old messages, delivery rows and expired claims, keeps the rest, and re-arms for the next one", async () => {
    const chat = freshChat("retain");
    const key = `http:${chat}`;
    const old = await send(chat, "old", "old");
    await settled(chat, old.messageId);
    const recent = await send(chat, "recent", "recent");
    await settled(chat, recent.messageId);
    const stub = env.CHAT_SESSION.getByName(key);
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      ageMessage(sql, "old", 31);
      const now = Date.now();
      sql.exec("INSERT INTO deliveries (message_id, updated_at) VALUES ('old', ?), ('recent', ?)", now - 31 * DAY, now);
      sql.exec("INSERT INTO claims (key, expires_at) VALUES ('command:expired', ?), ('command:live', ?)", now - 1, now + DAY);
      // A tool call of each (issue 10): the old one's goes with its message.
      sql.exec(
        "INSERT INTO message_tools (message_seq, idx, name, args, ok) " +
          "SELECT seq, 0, 'bash', json_quote(id), 1 FROM messages WHERE id IN ('old', 'recent')",
      );
    });

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect((await api(`/api/chats/${chat}/messages/old`)).status).toBe(404);
    expect(await getMessage(chat, "recent")).toMatchObject({ state: "done", reply: "echo: recent" });
    const after = await runInDurableObject(stub, async (_instance, state) => ({
      deliveries: state.storage.sql.exec<{ message_id: string }>("SELECT message_id FROM deliveries").toArray(),
      claims: state.storage.sql.exec<{ key: string }>("SELECT key FROM claims").toArray(),
      tools: state.storage.sql.exec<{ args: string }>("SELECT args FROM message_tools").toArray(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(after.deliveries).toEqual([{ message_id: "recent" }]);
    expect(after.tools).toEqual([{ args: '"recent"' }]);
    expect(after.claims).toEqual([{ key: "command:live" }]);
    expect(after.alarm).toBeGreaterThan(Date.now() + 29 * DAY);
    await waitFor(async () => (await api(`/api/status/${encodeURIComponent(key)}`)).status === 200, 10_000, "the chat in the registry");
  });

  it("deletes a chat idle past the retention: it leaves the registry, its storage is emptied, a later message starts afresh", async () => {
    const chat = freshChat("expire");
    const key = `http:${chat}`;
    await settled(chat, (await send(chat, "long ago", "first")).messageId);
    const stub = env.CHAT_SESSION.getByName(key);
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      ageMessage(sql, "first", 31);
      sql.exec("UPDATE meta SET value = ? WHERE key = 'last_activity'", String(Date.now() - 31 * DAY));
      sql.exec("INSERT INTO deliveries (message_id, updated_at) VALUES ('first', ?)", Date.now() - 31 * DAY);
    });
    await waitFor(async () => (await api(`/api/status/${encodeURIComponent(key)}`)).status === 200, 10_000, "the chat in the registry");

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect((await api(`/api/status/${encodeURIComponent(key)}`)).status).toBe(404);
    const left = await runInDurableObject(stub, async (_instance, state) => ({
      rows: ["messages", "meta", "claims", "deliveries"].map((t) => rowCount(state.storage.sql, t)),
      alarm: await state.storage.getAlarm(),
      kv: (await state.storage.list()).size,
    }));
    expect(left).toEqual({ rows: [0, 0, 0, 0], alarm: null, kv: 0 });

    const again = await send(chat, "back again");
    expect(await settled(chat, again.messageId)).toMatchObject({ state: "done", reply: "echo: back again" });
    await waitFor(async () => (await api(`/api/status/${encodeURIComponent(key)}`)).status === 200, 10_000, "the chat in the registry");
  });

  it("deletes a chat whose only trace is a queue-mode setting once that is old", async () => {
    const chat = freshChat("setting");
    expect((await api(`/api/chats/${chat}`, { method: "PATCH", json: { queueMode: "collect" } })).status).toBe(200);
    const stub = env.CHAT_SESSION.getByName(`http:${chat}`);
    const armed = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(armed).toBeGreaterThan(Date.now() + 29 * DAY);
    // Kept while the setting is fresh.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await (await api(`/api/chats/${chat}`)).json()).toMatchObject({ queueMode: "collect" });
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'settings_at'", String(Date.now() - 31 * DAY));
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await (await api(`/api/chats/${chat}`)).json()).toMatchObject({ queueMode: "followup" });
    expect(await runInDurableObject(stub, (_instance, state) => rowCount(state.storage.sql, "meta"))).toBe(0);
  });
});
