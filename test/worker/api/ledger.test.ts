/** The ledger over HTTP: GET /api/chats/{chatId}/messages (newest first, paginated, filtered) and the counts in GET /api/status/{chat}. */
import { describe, expect, it } from "vitest";
import { api, control, freshChat, script, send, settled, waitFor } from "../helpers";

interface Page {
  chat: string;
  messages: { messageId: string; state: string; createdAt: string; reply?: string; error?: string; position?: number }[];
  nextCursor: string | null;
}

const list = async (chatId: string, query = ""): Promise<Page> => {
  const res = await api(`/api/chats/${chatId}/messages${query}`);
  expect(res.status).toBe(200);
  return res.json();
};

describe("GET /api/chats/{chatId}/messages", () => {
  it("lists every message newest first, page by page, with an opaque cursor", async () => {
    const chat = freshChat("ledger");
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await send(chat, `m${i}`, `m${i}`)).messageId);
    for (const id of ids) await settled(chat, id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(chat, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(page.chat).toBe(`http:${chat}`);
      expect(page.messages.length).toBeLessThanOrEqual(2);
      for (const m of page.messages) {
        expect(m).toMatchObject({ state: "done", reply: `echo: ${m.messageId}` });
        expect(Number.isNaN(Date.parse(m.createdAt))).toBe(false);
      }
      seen.push(...page.messages.map((m) => m.messageId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(["m4", "m3", "m2", "m1", "m0"]);
    expect(pages).toBe(3);
    // Default page size (50) holds them all.
    expect((await list(chat)).messages.map((m) => m.messageId)).toEqual(["m4", "m3", "m2", "m1", "m0"]);
    expect((await list(chat)).nextCursor).toBeNull();
  });

  it("filters by state, and shows position while a message waits", async () => {
    const chat = freshChat("ledger");
    await script(`http:${chat}`, { deltas: ["no"], error: { code: "llm_error", message: "provider down" } });
    const failed = await send(chat, "will fail");
    await settled(chat, failed.messageId);
    await script(`http:${chat}`, { deltas: ["working"], hold: true });
    const running = await send(chat, "runs");
    const queued = await send(chat, "waits");
    await waitFor(async () => (await list(chat, "?state=running")).messages.length === 1);

    expect((await list(chat, "?state=failed")).messages).toEqual([
      expect.objectContaining({ messageId: failed.messageId, state: "failed", error: "llm_error: provider down" }),
    ]);
    expect((await list(chat, "?state=queued")).messages).toEqual([
      expect.objectContaining({ messageId: queued.messageId, state: "queued", position: 1 }),
    ]);
    expect((await list(chat, "?state=done")).messages).toEqual([]);
    expect((await list(chat)).messages.map((m) => m.messageId)).toEqual([queued.messageId, running.messageId, failed.messageId]);

    await script(`http:${chat}`, {});
    await control("release", { sessionId: `http:${chat}` });
    await settled(chat, queued.messageId);
    expect((await list(chat, "?state=done&limit=200")).messages.map((m) => m.messageId)).toEqual([queued.messageId, running.messageId]);
  });

  it.each([
    ["?state=finished", "state"],
    ["?state=", "state"],
    ["?limit=0", "limit"],
    ["?limit=201", "limit"],
    ["?limit=ten", "limit"],
    ["?limit=-1", "limit"],
    ["?limit=1.5", "limit"],
    ["?cursor=nonsense", "cursor"],
    [`?cursor=${btoa("v2:5")}`, "cursor"],
    ["?cursor=", "cursor"],
  ])("answers 400 naming the parameter for %s", async (query, field) => {
    const res = await api(`/api/chats/${freshChat()}/messages${query}`);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string; field: string } };
    expect(error).toMatchObject({ code: "invalid_field", field });
    expect(error.message.startsWith(`${field}:`)).toBe(true);
  });

  it("needs the token, and checks the chat id", async () => {
    expect((await api(`/api/chats/${freshChat()}/messages`, { auth: false })).status).toBe(401);
    expect((await api("/api/chats/a.b/messages")).status).toBe(400);
  });
});

describe("GET /api/status/{chat} counts the ledger", () => {
  it("adds the messages per state next to the registry's status", async () => {
    const chat = freshChat("counts");
    await script(`http:${chat}`, { deltas: ["x"], error: { code: "llm_error", message: "nope" } });
    await settled(chat, (await send(chat, "one")).messageId);
    await script(`http:${chat}`, {});
    await settled(chat, (await send(chat, "two")).messageId);
    await settled(chat, (await send(chat, "three")).messageId);
    // Reports reach the registry in the background: wait until it has the chat idle.
    const body = await waitFor(async () => {
      const res = await api(`/api/status/${encodeURIComponent(`http:${chat}`)}`);
      const status = res.status === 200 ? ((await res.json()) as { busy: boolean; queued: number }) : null;
      return status && !status.busy && status.queued === 0 ? status : null;
    });
    expect(body).toMatchObject({
      chat: `http:${chat}`,
      busy: false,
      queued: 0,
      counts: { queued: 0, running: 0, done: 2, failed: 1, aborted: 0, merged: 0 },
    });
    expect((await api("/api/status/http:never-seen-chat")).status).toBe(404);
  });
});
