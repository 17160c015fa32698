/**
 * The whole path with nothing faked but the LLM: wrangler dev (the Worker and its Durable Objects
 * in workerd) → the pi backend server → the real pi binary → the fake OpenAI-compatible LLM.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type BackendHarness, startBackend, TEST_TOKEN } from "../fixtures/backend-harness";
import { fakeReplyText } from "../fixtures/fake-llm";
import { startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

const API_TOKEN = "e2e-api-token-0123456789";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
let backend: BackendHarness;
let worker: WranglerDev;
let persistTo: string;

beforeAll(async () => {
  backend = await startBackend();
  persistTo = mkdtempSync(join(tmpdir(), "evie-e2e-"));
  worker = await startWranglerDev({
    persistTo,
    vars: { PI_BACKEND_URL: backend.url, PI_BACKEND_TOKEN: TEST_TOKEN, API_TOKEN, IDLE_TIMEOUT_SECONDS: "900" },
  });
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await backend?.close();
  if (persistTo) rmSync(persistTo, { recursive: true, force: true });
});

async function ask(chat: string, text: string): Promise<{ state: string; reply?: string; error?: string }> {
  const sent = await fetch(`${worker.url}/api/chats/${chat}/messages`, { method: "POST", headers, body: JSON.stringify({ text }) });
  expect(sent.status).toBe(202);
  const { messageId } = (await sent.json()) as { messageId: string };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${worker.url}/api/chats/${chat}/messages/${messageId}`, { headers });
    const body = (await res.json()) as { state: string; reply?: string; error?: string };
    if (body.state === "done" || body.state === "failed") return body;
    if (Date.now() > deadline) throw new Error(`no answer: ${JSON.stringify(body)}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("answers a message through the Worker, the backend and a real pi", async () => {
  const chat = `e2e-${Date.now()}`;
  const first = await ask(chat, "hello from the whole path");
  expect(first).toMatchObject({ state: "done", reply: fakeReplyText("hello from the whole path") });

  // The same chat's next message goes to the same pi process, which has the first exchange in its history.
  const second = await ask(chat, "and again");
  expect(second).toMatchObject({ state: "done", reply: fakeReplyText("and again") });
  const sessions = (await (await backend.request("GET", "/v1/sessions")).json()) as { sessions: { sessionId: string }[] };
  expect(sessions.sessions.filter((s) => s.sessionId === `http:${chat}`)).toHaveLength(1);
  const lastPrompt = JSON.stringify(backend.llm.requests.at(-1));
  expect(lastPrompt).toContain("hello from the whole path");

  const status = await fetch(`${worker.url}/api/status/http:${chat}`, { headers });
  expect(await status.json()).toMatchObject({ chat: `http:${chat}`, busy: false, queued: 0, backend: "live" });
}, 120_000);
