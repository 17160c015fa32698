import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { stableHash } from "../../../src/shared/stable-hash";
import worker from "../../../src/worker/index";
import { shardName, shardOf } from "../../../src/worker/registry/shard-map";
import { allRegistryShards, registryFor } from "../../../src/worker/registry/shards";
import type { SessionSnapshot, SessionStatus } from "../../../src/worker/registry/types";
import { API_TOKEN, freshChat } from "../helpers";

const auth = { headers: { authorization: `Bearer ${API_TOKEN}` } };

/** FNV-1a over TextEncoder's bytes + fmix32, written independently of the implementation. */
function reference(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function snap(chat: string, lastActivity: number, version: number, busy = false): SessionSnapshot {
  return { chat, lastActivity, busy, queued: 0, backend: "live", generation: 0, version };
}

type Page = { sessions: SessionStatus[]; nextCursor: string | null; idleTimeoutSeconds: number };

/** Calls the status routes with REGISTRY_SHARDS set to `shards`. */
async function statusPage(shards: number, query = ""): Promise<{ code: number; body: Page }> {
  const res = await worker.request(`/api/status${query}`, auth, { ...env, REGISTRY_SHARDS: String(shards) });
  return { code: res.status, body: (await res.json()) as Page };
}

/** Every page from the first, in order, keeping only chats with `prefix`. */
async function allPages(shards: number, prefix: string, limit: number): Promise<{ chats: SessionStatus[]; pages: number }> {
  const chats: SessionStatus[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const { code, body } = await statusPage(shards, `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(code).toBe(200);
    expect(body.sessions.length).toBeLessThanOrEqual(limit);
    chats.push(...body.sessions.filter((s) => s.chat.startsWith(prefix)));
    cursor = body.nextCursor;
    pages++;
  } while (cursor && pages < 1000);
  return { chats, pages };
}

describe("shard placement", () => {
  it("is FNV-1a + fmix32 of the chat key's UTF-8 bytes, mod N", () => {
    for (const key of ["http:a", "telegram:42", "slack:T1:C2:1700000000.000100", "http:é✓😀", ""]) {
      expect(stableHash(key)).toBe(reference(key));
    }
    // The examples in docs/scaling.md.
    expect(stableHash("http:a")).toBe(2692305173);
    expect(shardOf("http:a", 4)).toBe(1);
    expect(shardOf("telegram:42", 4)).toBe(3);
    expect(shardName(0)).toBe("registry");
    expect(shardName(3)).toBe("registry-3");
  });

  it("spreads chats evenly over 4 shards", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) counts[shardOf(`telegram:${1_000_000 + i}`, 4)]!++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });
});

describe.each([1, 4])("GET /api/status with %i shard(s)", (shards) => {
  const shardEnv = { ...env, REGISTRY_SHARDS: String(shards) };

  it("pages through every chat once, most recent first, across the shards", async () => {
    const prefix = `http:${freshChat("pg")}-`;
    const base = Date.now() - 3_600_000;
    const chats = Array.from({ length: 23 }, (_, i) => `${prefix}${i}`);
    // Two chats share a lastActivity: the chat key breaks the tie.
    await Promise.all(chats.map((c, i) => registryFor(shardEnv, c).report(snap(c, base + Math.min(i, 21) * 1000, 1))));
    const { chats: seen, pages } = await allPages(shards, prefix, 5);
    expect(seen.map((s) => s.chat)).toEqual(
      [...chats].sort((a, b) => {
        const ia = Math.min(Number(a.split("-").pop()), 21);
        const ib = Math.min(Number(b.split("-").pop()), 21);
        return ib - ia || (a < b ? -1 : 1);
      }),
    );
    expect(pages).toBeGreaterThanOrEqual(5);
    if (shards === 4) {
      const held = await Promise.all(allRegistryShards(shardEnv).map((s) => s.listStatus({})));
      const ours = held.map((p) => p.sessions.filter((s) => s.chat.startsWith(prefix)).length);
      expect(ours.filter((n) => n > 0).length).toBeGreaterThan(1);
      expect(ours.reduce((a, b) => a + b)).toBe(23);
    }
  });

  it("answers one chat from its shard, and 404 for one it never heard of", async () => {
    const chat = `http:${freshChat("one")}`;
    await registryFor(shardEnv, chat).report(snap(chat, Date.now(), 7, true));
    const res = await worker.request(`/api/status/${chat}`, auth, shardEnv);
    expect(await res.json()).toMatchObject({ chat, busy: true, backend: "live" });
    expect((await worker.request(`/api/status/http:${freshChat("none")}`, auth, shardEnv)).status).toBe(404);
  });

  it("refuses a bad limit or cursor with 400 naming it", async () => {
    for (const q of ["?limit=0", "?limit=1001", "?limit=abc", "?limit=2.5"]) {
      const { code, body } = await statusPage(shards, q);
      expect(code).toBe(400);
      expect(JSON.stringify(body)).toContain("limit");
    }
    const { code, body } = await statusPage(shards, "?cursor=not-a-cursor");
    expect(code).toBe(400);
    expect(JSON.stringify(body)).toContain("cursor");
    expect((await statusPage(shards, "?limit=1000")).code).toBe(200);
  });
});

describe("changing REGISTRY_SHARDS", () => {
  it("shows a chat held by its old and new shard once, from the newest report", async () => {
    const prefix = `http:${freshChat("rehome")}-`;
    // Chats whose home under 4 shards is not shard 0, so the old (1-shard) and new rows are in different objects.
    const chats: string[] = [];
    for (let i = 0; chats.length < 3; i++) if (shardOf(`${prefix}${i}`, 4) !== 0) chats.push(`${prefix}${i}`);
    const now = Date.now();
    const one = { ...env, REGISTRY_SHARDS: "1" };
    const four = { ...env, REGISTRY_SHARDS: "4" };
    for (const c of chats) await registryFor(one, c).report(snap(c, now - 60_000, 1, true));
    // After the change, two of them report again (to their new home); the third has not yet.
    await registryFor(four, chats[0]!).report(snap(chats[0]!, now - 1_000, 2, false));
    await registryFor(four, chats[1]!).report(snap(chats[1]!, now - 120_000, 2, false)); // older activity, newer version
    const { chats: seen } = await allPages(4, prefix, 2);
    expect(seen.map((s) => s.chat).sort()).toEqual([...chats].sort());
    const byChat = Object.fromEntries(seen.map((s) => [s.chat, s]));
    expect(byChat[chats[0]!]!.busy).toBe(false);
    expect(byChat[chats[1]!]!.busy).toBe(false);
    expect(byChat[chats[2]!]!.busy).toBe(true);
    const single = await worker.request(`/api/status/${chats[2]}`, auth, four);
    expect(await single.json()).toMatchObject({ chat: chats[2], busy: true });
  });
});
