/**
 * Streamed OpenAI completions through the real Worker under `wrangler dev`, read by the official
 * `openai` client: a completion queued behind a held turn sees several `state` events and tool
 * events before its first delta (the events that once stalled the stream), and a failed turn ends
 * its stream with an APIError.
 */
import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { EDGE_API_TOKEN, type EdgeStack, startEdgeStack } from "../fixtures/edge-stack";

let stack: EdgeStack;
beforeAll(async () => {
  stack = await startEdgeStack();
}, 90_000);
afterAll(async () => stack?.stop());

const client = (chat: string) =>
  new OpenAI({ apiKey: EDGE_API_TOKEN, baseURL: `${stack.url}/v1`, defaultHeaders: { "X-Chat-Id": chat }, maxRetries: 0 });

/** Starts a plain completion in `chat` whose turn the fake backend holds, so the next message waits queued behind it. */
async function holdChat(chat: string): Promise<{ blocker: Promise<unknown> }> {
  await stack.script(`openai:${chat}`, { deltas: [], hold: true });
  const blocker = client(chat).chat.completions.create({ model: "pi", messages: [{ role: "user", content: "blocker" }] });
  const started = () => stack.backend.log.some((e) => e.kind === "turn_start" && e.sessionId === `openai:${chat}`);
  for (const until = Date.now() + 10_000; !started(); await new Promise((r) => setTimeout(r, 25))) {
    if (Date.now() > until) throw new Error(`the blocker's turn in openai:${chat} never started`);
  }
  return { blocker }; // wrapped: an async function returning the promise itself would wait for it
}

/** The streamed chunks' text and last finish reason; throws what the stream throws. */
async function readStream(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>, parts: string[]): Promise<string | null> {
  let finish: string | null = null;
  for await (const chunk of stream) {
    parts.push(chunk.choices[0]?.delta.content ?? "");
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return finish;
}

it("streams a completion queued behind another turn, through its state and tool events, to [DONE]", async () => {
  const chat = `oai-${Date.now()}`;
  const { blocker } = await holdChat(chat);
  await stack.script(`openai:${chat}`, { tools: [{ tool: "bash" }], deltas: ["str", "eam", "ed"], deltaDelayMs: 10 });
  const stream = await client(chat).chat.completions.create({ model: "pi", stream: true, messages: [{ role: "user", content: "go" }] });
  expect(await stack.release(`openai:${chat}`)).toBe(true);
  const parts: string[] = [];
  expect(await readStream(stream, parts)).toBe("stop");
  expect(parts.join("")).toBe("streamed");
  await blocker;
}, 60_000);

it("ends the stream of a failed turn with an APIError after its deltas", async () => {
  const chat = `oai-f-${Date.now()}`;
  await stack.script(`openai:${chat}`, {
    deltas: ["par", "tial"],
    deltaDelayMs: 10,
    error: { code: "llm_error", message: "provider down" },
  });
  const stream = await client(chat).chat.completions.create({ model: "pi", stream: true, messages: [{ role: "user", content: "go" }] });
  const parts: string[] = [];
  const read = readStream(stream, parts);
  await expect(read).rejects.toBeInstanceOf(APIError);
  await expect(read).rejects.toMatchObject({ code: "llm_error", type: "server_error" });
  expect(parts.join("")).toBe("partial");
}, 60_000);
