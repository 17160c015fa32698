/**
 * What keeps a browser (and a stream without end) from driving /api/*: foreign Origin 403, a POST
 * that is not JSON 415, a body cut off at the limit while it streams; in the order 403, 401, 415, 413, 400.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { API_MAX_MESSAGE_BODY_BYTES } from "../../../src/worker/http/body-limits";
import { API_TOKEN, api, backendLog, freshChat, settled, unendingBody } from "../helpers";

const OWN_ORIGIN = "https://evie.test";

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const { error } = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, ...error };
}

describe("Content-Type", () => {
  it.each([
    ["no content type", undefined],
    ["text/plain (a cross-site fetch needs no preflight for it)", "text/plain;charset=UTF-8"],
    ["a form", "application/x-www-form-urlencoded"],
    ["multipart", "multipart/form-data; boundary=x"],
    ["a JSON look-alike", "application/jsonp"],
  ])("refuses a POST with %s with 415 and stores nothing", async (_what, type) => {
    const chat = freshChat();
    const headers: Record<string, string> = type ? { "content-type": type } : {};
    const res = await api(`/api/chats/${chat}/messages`, { method: "POST", headers, body: JSON.stringify({ text: "hi", id: "m1" }) });
    expect(await errorOf(res)).toMatchObject({ status: 415, code: "unsupported_media_type" });
    expect((await api(`/api/chats/${chat}/messages/m1`)).status).toBe(404);
    expect(await backendLog(`http:${chat}`)).toEqual([]);
  });

  it.each(["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"])("accepts %s", async (type) => {
    const chat = freshChat();
    const res = await api(`/api/chats/${chat}/messages`, {
      method: "POST",
      headers: { "content-type": type },
      body: JSON.stringify({ text: "hi" }),
    });
    expect(res.status).toBe(202);
    const { messageId } = (await res.json()) as { messageId: string };
    expect(await settled(chat, messageId)).toMatchObject({ state: "done", reply: "echo: hi" });
  });
});

describe("Origin", () => {
  it.each(["https://evil.example", "http://evie.test", "https://evie.test:8443", "null"])(
    "refuses Origin %s with 403 on every /api route",
    async (origin) => {
      const chat = freshChat();
      const sent = await api(`/api/chats/${chat}/messages`, { method: "POST", headers: { origin }, json: { text: "hi", id: "m1" } });
      expect(await errorOf(sent)).toMatchObject({ status: 403, code: "forbidden_origin" });
      expect((await api(`/api/chats/${chat}/messages/m1`)).status).toBe(404);
      expect((await api("/api/status", { headers: { origin } })).status).toBe(403);
      expect((await api(`/api/chats/${chat}/messages/m1`, { headers: { origin } })).status).toBe(403);
      expect(await backendLog(`http:${chat}`)).toEqual([]);
    },
  );

  it("lets a page the Worker serves itself, and a caller without Origin, through", async () => {
    const chat = freshChat();
    const own = await api(`/api/chats/${chat}/messages`, { method: "POST", headers: { origin: OWN_ORIGIN }, json: { text: "same site" } });
    expect(own.status).toBe(202);
    const none = await api(`/api/chats/${chat}/messages`, { method: "POST", json: { text: "curl" } });
    expect(none.status).toBe(202);
    expect((await api("/api/status", { headers: { origin: OWN_ORIGIN } })).status).toBe(200);
  });
});

describe("order of refusals: 403, 401, 415, 413, 400", () => {
  it("answers the first that applies", async () => {
    // The messages route takes attachments: its limit is API_MAX_MESSAGE_BODY_BYTES.
    const huge = JSON.stringify({ text: "x".repeat(API_MAX_MESSAGE_BODY_BYTES) });
    const call = (headers: Record<string, string>, auth = true, body = huge) =>
      api("/api/chats/bad%20id!/messages", { method: "POST", auth, headers, body }).then(errorOf);
    expect(await call({ origin: "https://evil.example", "content-type": "text/plain" }, false)).toMatchObject({ status: 403 });
    expect(await call({ origin: OWN_ORIGIN, "content-type": "text/plain" }, false)).toMatchObject({ status: 401 });
    expect(await call({ "content-type": "text/plain" })).toMatchObject({ status: 415 });
    expect(await call({ "content-type": "application/json" })).toMatchObject({ status: 413, code: "payload_too_large" });
    expect(await call({ "content-type": "application/json" }, true, "{not json")).toMatchObject({ status: 400 });
  });
});

describe("body limit while streaming", () => {
  it("answers 413 to an endless chunked body after reading little more than the limit", async () => {
    const body = unendingBody();
    const res = await SELF.fetch("https://evie.test/api/chats/a/messages", {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: body.stream,
    });
    expect(await errorOf(res)).toMatchObject({ status: 413, code: "payload_too_large" });
    // The messages route's limit (it takes attachments) plus what the runtime reads ahead, far from the body's endless whole.
    expect(body.pulled()).toBeGreaterThan(API_MAX_MESSAGE_BODY_BYTES);
    expect(body.pulled()).toBeLessThan(API_MAX_MESSAGE_BODY_BYTES + 1024 * 1024);
  });

  it("keeps 64 KiB on every other /api request", async () => {
    const body = unendingBody();
    const res = await SELF.fetch("https://evie.test/api/chats/a/messages/m1", {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: body.stream,
    });
    expect(await errorOf(res)).toMatchObject({ status: 413, code: "payload_too_large" });
    expect(body.pulled()).toBeGreaterThan(64 * 1024);
    expect(body.pulled()).toBeLessThan(1024 * 1024);
  });
});
