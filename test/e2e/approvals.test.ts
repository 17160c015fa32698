/**
 * Issue 10 along the whole path, nothing faked but the LLM: wrangler dev → pi backend → real pi with a
 * permission-gate extension → fake LLM. A dialog reaches the HTTP record as input_required, the answer
 * goes back to pi, the turn ends with its tool call recorded; the agent commands reach pi too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type BackendHarness, startBackend, TEST_TOKEN } from "../fixtures/backend-harness";
import { startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

const API_TOKEN = "e2e-api-token-0123456789";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
const GATE = resolve(import.meta.dirname, "../fixtures/extensions/permission-gate.ts");
let backend: BackendHarness;
let worker: WranglerDev;
let persistTo: string;

beforeAll(async () => {
  backend = await startBackend({ piArgs: ["--provider", "fake", "--model", "fake-1", "--extension", GATE], extraModels: ["fake-2"] });
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

type Record = { state: string; reply?: string; request?: { kind: string; title: string; message?: string }; tools?: unknown[] };

async function poll(chat: string, messageId: string, until: (r: Record) => boolean): Promise<Record> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const body = (await (await fetch(`${worker.url}/api/chats/${chat}/messages/${messageId}`, { headers })).json()) as Record;
    if (until(body)) return body;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(body)}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("a permission prompt from a real pi extension is answered over HTTP and the turn ends", async () => {
  const chat = `e2e-gate-${Date.now()}`;
  const sent = await fetch(`${worker.url}/api/chats/${chat}/messages`, {
    method: "POST",
    headers,
    body: JSON.stringify({ text: "[tool:echo danger-e2e]" }),
  });
  const { messageId } = (await sent.json()) as { messageId: string };
  const waiting = await poll(chat, messageId, (r) => r.state === "input_required" || r.state === "done" || r.state === "failed");
  expect(waiting).toMatchObject({
    state: "input_required",
    request: { kind: "confirm", title: "Allow this command?", message: "echo danger-e2e" },
  });
  const answer = await fetch(`${worker.url}/api/chats/${chat}/messages/${messageId}/answer`, {
    method: "POST",
    headers,
    body: JSON.stringify({ confirmed: true }),
  });
  expect(answer.status).toBe(200);
  const done = await poll(chat, messageId, (r) => r.state === "done" || r.state === "failed");
  expect(done.state).toBe("done");
  expect(done.reply).toContain("danger-e2e");
  expect(done.tools).toEqual([{ name: "bash", args: { command: "echo danger-e2e" }, ok: true }]);

  const command = (body: object) =>
    fetch(`${worker.url}/api/chats/${chat}/commands`, { method: "POST", headers, body: JSON.stringify(body) }).then(
      (r) => r.json() as Promise<{ text: string }>,
    );
  expect((await command({ command: "model", args: "fake-2" })).text).toBe("Model: fake-2 (fake/fake-2).");
  expect((await command({ command: "stats" })).text).toMatch(/^Tokens: [\d,]+ in, [\d,]+ out/);
}, 120_000);
