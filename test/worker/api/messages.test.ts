import { describe, expect, it } from "vitest";
import { API_TOKEN, api, backendLog, control, freshChat, script, send, settled } from "../helpers";

const post = (chatId: string, body: unknown, init: RequestInit & { auth?: boolean } = {}) =>
  api(`/api/chats/${chatId}/messages`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });

describe("POST /api/chats/:chatId/messages", () => {
  it("accepts a message with 202, runs its turn and stores the reply", async () => {
    const chat = freshChat();
    const res = await post(chat, { text: "hello" });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ chat: `http:${chat}`, state: "queued", position: 0 });
    expect(typeof body.messageId).toBe("string");
    const done = await settled(chat, body.messageId as string);
    expect(done).toEqual({ messageId: body.messageId, state: "done", reply: "echo: hello", attempts: 1 });
  });

  it("answers a repeated client id with 200 and the original record, and runs one turn", async () => {
    const chat = freshChat();
    const first = await post(chat, { text: "once", id: "client-1" });
    expect(first.status).toBe(202);
    await settled(chat, "client-1");
    const again = await post(chat, { text: "once", id: "client-1" });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ chat: `http:${chat}`, messageId: "client-1", state: "done", reply: "echo: once" });
    const submits = (await backendLog(`http:${chat}`)).filter((e) => e.kind === "submit");
    expect(submits).toHaveLength(1);
  });

  it("keeps a failed turn's full detail in the record, for the token holder", async () => {
    const chat = freshChat();
    const detail = "pi stderr: Error: ENOENT: open '/home/evie/.pi/agent/models.json'";
    await script(`http:${chat}`, { deltas: [], error: { code: "llm_error", message: detail } });
    const failed = await settled(chat, (await send(chat, "fail")).messageId);
    expect(failed).toMatchObject({ state: "failed", error: `llm_error: ${detail}` });
  });

  it("counts the messages ahead in position", async () => {
    const chat = freshChat();
    await script(`http:${chat}`, { hold: true });
    const a = await send(chat, "a");
    const b = await send(chat, "b");
    const c = await send(chat, "c");
    expect([a.position, b.position, c.position]).toEqual([0, 1, 2]);
    await script(`http:${chat}`, {});
    await control("release", { sessionId: `http:${chat}` });
    await settled(chat, c.messageId);
  });
});

describe("errors, 401, 413 and 400 (api-guards.test.ts has 403 and 415 and the whole order)", () => {
  it("refuses a missing or wrong token with 401", async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong" },
      { authorization: "Bearer " },
      { authorization: `Bearer ${API_TOKEN}-and-more` },
      { authorization: `Bearer ${API_TOKEN.slice(0, -1)}` },
      { authorization: "Basic dGVzdA==" },
    ];
    for (const headers of variants) {
      const res = await post("a", { text: "x" }, { auth: false, headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
    }
  });

  it("checks auth before size and size before validation", async () => {
    const huge = JSON.stringify({ text: "x".repeat(70 * 1024) });
    expect((await post("bad id!", huge, { auth: false })).status).toBe(401);
    const tooLarge = await post("bad id!", huge);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: { code: "payload_too_large" } });
    expect((await post("bad id!", "{not json")).status).toBe(400);
  });

  it("refuses a body over 64 KiB even without Content-Length", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await api("/api/chats/a/messages", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    expect(res.status).toBe(413);
  });

  it.each([
    ["malformed JSON", "{not json", "invalid_json", "JSON"],
    ["missing text", {}, "invalid_field", "text"],
    ["empty text", { text: "" }, "invalid_field", "text"],
    ["non-string text", { text: 5 }, "invalid_field", "text"],
    ["text over 32000 chars", { text: "x".repeat(32_001) }, "invalid_field", "text"],
    ["empty id", { text: "ok", id: "" }, "invalid_field", "id"],
    ["id over 128 chars", { text: "ok", id: "x".repeat(129) }, "invalid_field", "id"],
    ["non-string id", { text: "ok", id: 7 }, "invalid_field", "id"],
  ])("answers 400 naming the problem: %s", async (_label, body, code, mentions) => {
    const res = await post(freshChat(), body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe(code);
    expect(error.message).toContain(mentions);
  });

  it("refuses a malformed chat id with 400", async () => {
    const res = await post("x".repeat(65), { text: "hi" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_chat_id" } });
    expect((await post("a.b", { text: "hi" })).status).toBe(400);
  });

  it("answers 404 JSON for an unknown message and an unknown route", async () => {
    const unknown = await api(`/api/chats/${freshChat()}/messages/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });
    const route = await api("/api/nothing-here");
    expect(route.status).toBe(404);
    expect(await route.json()).toMatchObject({ error: { code: "not_found" } });
    expect((await api("/api/nothing-here", { auth: false })).status).toBe(401);
  });
});
