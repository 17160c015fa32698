/** The OpenAI-compatible endpoint, driven by the official `openai` client (streaming and not) and by raw requests for its errors. */
import { SELF } from "cloudflare:test";
import OpenAI, { APIError } from "openai";
import { describe, expect, it } from "vitest";
import { readAll } from "../../fixtures/sse";
import { API_TOKEN, api, backendLog, freshChat, script } from "../helpers";

function client(apiKey = API_TOKEN, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    apiKey,
    baseURL: "https://evie.test/v1",
    defaultHeaders: headers,
    maxRetries: 0,
    fetch: (url: RequestInfo | URL, init?: RequestInit) => SELF.fetch(new Request(url, init)),
  });
}

describe("the official openai client", () => {
  it("gets a chat.completion; the chat is openai:<user> and only the last user message is sent", async () => {
    const user = freshChat("u");
    const completion = await client().chat.completions.create({
      model: "pi",
      user,
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "earlier question" },
        { role: "assistant", content: "earlier answer" },
        { role: "user", content: [{ type: "text", text: "what now?" }] },
      ],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]!.message).toMatchObject({ role: "assistant", content: "echo: what now?" });
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    const submits = (await backendLog(`openai:${user}`)).filter((e) => e.kind === "submit");
    expect(submits).toHaveLength(1);
  });

  it("streams chat.completion.chunk deltas ending the stream", async () => {
    const chat = freshChat("s");
    await script(`openai:${chat}`, { deltas: ["str", "eam", "ed"], deltaDelayMs: 10 });
    const stream = await client(API_TOKEN, { "X-Chat-Id": chat }).chat.completions.create({
      model: "pi",
      stream: true,
      messages: [{ role: "user", content: "go" }],
    });
    const parts: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      parts.push(chunk.choices[0]?.delta.content ?? "");
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(parts.join("")).toBe("streamed");
    expect(parts.filter(Boolean).length).toBeGreaterThanOrEqual(3);
    expect(finish).toBe("stop");
  });

  it("surfaces a failed turn as an APIError", async () => {
    const user = freshChat("f");
    await script(`openai:${user}`, { deltas: [], error: { code: "llm_error", message: "provider down" } });
    const plain = client().chat.completions.create({ model: "pi", user, messages: [{ role: "user", content: "x" }] });
    await expect(plain).rejects.toMatchObject({ status: 502, code: "llm_error" });
  });

  it("ends a stream whose turn fails with an OpenAI error event, thrown as an APIError after the deltas", async () => {
    const chat = freshChat("sf");
    await script(`openai:${chat}`, { deltas: ["par", "tial"], deltaDelayMs: 10, error: { code: "llm_error", message: "provider down" } });
    const stream = await client(API_TOKEN, { "X-Chat-Id": chat }).chat.completions.create({
      model: "pi",
      stream: true,
      messages: [{ role: "user", content: "go" }],
    });
    const parts: string[] = [];
    const read = (async () => {
      for await (const chunk of stream) parts.push(chunk.choices[0]?.delta.content ?? "");
    })();
    await expect(read).rejects.toBeInstanceOf(APIError);
    await expect(read).rejects.toMatchObject({
      code: "llm_error",
      type: "server_error",
      message: expect.stringContaining("provider down"),
    });
    expect(parts.join("")).toBe("partial");
  });

  it("lists the one model and refuses a wrong key with 401", async () => {
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toEqual(["pi"]);
    await expect(client("wrong-key-wrong-key").models.list()).rejects.toMatchObject({ status: 401 });
    expect(await client().models.retrieve("pi")).toMatchObject({ id: "pi", object: "model" });
    await expect(client().models.retrieve("gpt-4o")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
});

describe("errors in OpenAI's shape", () => {
  const post = (json: unknown, headers: Record<string, string> = {}) => api("/v1/chat/completions", { method: "POST", json, headers });

  it.each([
    ["no messages", { messages: [] }, "messages"],
    ["no user message", { messages: [{ role: "system", content: "x" }] }, "messages"],
    ["an image part", { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }, "messages"],
    ["stream not a boolean", { messages: [{ role: "user", content: "x" }], stream: "yes" }, "stream"],
    ["a bad user", { messages: [{ role: "user", content: "x" }], user: "a b" }, null],
  ])("400 for %s", async (_label, body, param) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ type: "invalid_request_error", param });
    expect(typeof error.message).toBe("string");
    expect(typeof error.code).toBe("string");
  });

  it("a failed streamed turn: the error is the last event, with no [DONE] after it", async () => {
    const chat = freshChat("sr");
    await script(`openai:${chat}`, { deltas: ["x"], error: { code: "llm_error", message: "provider down" } });
    const res = await post({ stream: true, messages: [{ role: "user", content: "x" }] }, { "x-chat-id": chat });
    expect(res.status).toBe(200);
    const data = (await readAll(res.body!)).map((e) => e.data);
    expect(data).not.toContain("[DONE]");
    expect(JSON.parse(data.at(-1)!)).toEqual({
      error: { message: "llm_error: provider down", type: "server_error", param: null, code: "llm_error" },
    });
    expect(data.slice(0, -1).every((d) => (JSON.parse(d) as { object: string }).object === "chat.completion.chunk")).toBe(true);
  });

  it("401 without a token", async () => {
    const res = await api("/v1/models", { auth: false });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: "authentication_error", code: "unauthorized", param: null } });
  });
});
