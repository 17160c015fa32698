/**
 * The deployed chain in miniature: wrangler dev (the Worker) → a stand-in for Cloudflare Access and
 * the tunnel → the pi server as its own process → the real pi → the fake LLM. One message goes
 * through with the Access service token on every backend call, and its trace id shows up in both
 * the Worker's and the server's log lines.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type AccessProxy, startAccessProxy } from "../fixtures/access-proxy";
import { type BackendProcess, startBackendProcess } from "../fixtures/backend-process";
import { ACCESS_TOKEN } from "../fixtures/fake-backend";
import { fakeReplyText } from "../fixtures/fake-llm";
import { logLines } from "../fixtures/log-lines";
import { startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

const API_TOKEN = "deploy-chain-api-token-0123";
const BACKEND_TOKEN = "deploy-chain-backend-token-0123";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
let backend: BackendProcess;
let access: AccessProxy;
let worker: WranglerDev;
let persistTo: string;

beforeAll(async () => {
  backend = await startBackendProcess(BACKEND_TOKEN);
  access = await startAccessProxy(`http://127.0.0.1:${backend.port}`, ACCESS_TOKEN);
  persistTo = mkdtempSync(join(tmpdir(), "evie-deploy-chain-"));
  worker = await startWranglerDev({
    persistTo,
    logLevel: "log",
    vars: {
      PI_BACKEND_URL: access.url,
      PI_BACKEND_TOKEN: BACKEND_TOKEN,
      PI_BACKEND_ACCESS_CLIENT_ID: ACCESS_TOKEN.id,
      PI_BACKEND_ACCESS_CLIENT_SECRET: ACCESS_TOKEN.secret,
      API_TOKEN,
    },
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await access?.close();
  await backend?.close();
  if (persistTo) rmSync(persistTo, { recursive: true, force: true });
});

async function ask(chat: string, text: string): Promise<{ messageId: string; state: string; reply?: string; error?: string }> {
  const sent = await fetch(`${worker.url}/api/chats/${chat}/messages`, { method: "POST", headers, body: JSON.stringify({ text }) });
  expect(sent.status).toBe(202);
  const { messageId } = (await sent.json()) as { messageId: string };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${worker.url}/api/chats/${chat}/messages/${messageId}`, { headers });
    const body = (await res.json()) as { state: string; reply?: string; error?: string };
    if (body.state === "done" || body.state === "failed") return { messageId, ...body };
    if (Date.now() > deadline) throw new Error(`no answer: ${JSON.stringify(body)}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until `find` returns something (log lines are written asynchronously). */
async function eventually<T>(find: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      const seen = logLines(worker.output()).map((l) => l.event);
      throw new Error(`never saw ${what}; the Worker logged: ${seen.join(", ")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("sends the Access service token on every backend call: the message is answered, nothing is turned away", async () => {
  const chat = `access-${Date.now()}`;
  expect(await ask(chat, "through the tunnel")).toMatchObject({ state: "done", reply: fakeReplyText("through the tunnel") });
  const calls = access.seen.filter((s) => s.path.startsWith("/v1/"));
  expect(calls.map((c) => `${c.method} ${c.path.split("?")[0]}`)).toEqual(
    expect.arrayContaining([`POST /v1/sessions/http%3A${chat}/turns`, expect.stringMatching(/^GET \/v1\/sessions\/.+\/events$/)]),
  );
  expect(access.denied).toEqual([]);
  for (const call of calls) expect(call.headers["cf-access-client-id"]).toBe(ACCESS_TOKEN.id);
}, 90_000);

it("logs one message's trace id on both sides: the Worker's turn lines and the server's", async () => {
  const chat = `trace-${Date.now()}`;
  const { messageId, state } = await ask(chat, "follow me");
  expect(state).toBe("done");

  const workerLines = () => logLines(worker.output()).filter((l) => l.messageId === messageId);
  const accepted = await eventually(() => workerLines().find((l) => l.event === "message.accepted"), "message.accepted");
  expect(accepted).toMatchObject({ chat: `http:${chat}` });
  const started = await eventually(() => workerLines().find((l) => l.event === "turn.start"), "the Worker's turn.start");
  const traceId = started.traceId as string;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  const ended = await eventually(() => workerLines().find((l) => l.event === "turn.end"), "the Worker's turn.end");
  expect(ended).toMatchObject({ traceId, turnId: started.turnId });
  expect(typeof ended.ms).toBe("number");

  const serverLines = () => logLines(backend.output.stdout + backend.output.stderr).filter((l) => l.traceId === traceId);
  const serverEnd = await eventually(() => serverLines().find((l) => l.event === "turn.end"), "the server's turn.end");
  expect(serverEnd).toMatchObject({ session: `http:${chat}`, turnId: started.turnId, outcome: "done" });
  expect(serverLines().some((l) => l.event === "turn.start")).toBe(true);
  // The request carried it too: what the tunnel saw.
  const submits = access.seen.filter((s) => s.method === "POST" && s.path.includes(encodeURIComponent(`http:${chat}`)));
  expect(submits.map((s) => s.headers["x-trace-id"])).toContain(traceId);
  // The server's pi for this chat was spawned, and says so.
  expect(logLines(backend.output.stdout).some((l) => l.event === "pi.spawn" && l.session === `http:${chat}`)).toBe(true);
}, 90_000);
