/**
 * The deployed chain in miniature: wrangler dev (the Worker) → a stand-in for Cloudflare Access and
 * the tunnel → the pi server as its own process → the real pi → the fake LLM. One message goes
 * through with the Access service token on every backend call, and its trace id shows up in both
 * the Worker's and the server's log lines. Then `npm run doctor` checks that chain (with fake
 * Telegram and Slack APIs): all ✓, then ✗ with a fix for a wrong token, a stale webhook and,
 * last, the server stopped.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type AccessProxy, startAccessProxy } from "../fixtures/access-proxy";
import { type BackendProcess, startBackendProcess } from "../fixtures/backend-process";
import { ACCESS_TOKEN } from "../fixtures/fake-backend";
import { fakeReplyText } from "../fixtures/fake-llm";
import { FAKE_SLACK_TOKEN, FakeSlack } from "../fixtures/fake-slack";
import { FAKE_TELEGRAM_TOKEN, FakeTelegram } from "../fixtures/fake-telegram";
import { logLines } from "../fixtures/log-lines";
import { ask as askRelay } from "../fixtures/relay";
import { startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

const API_TOKEN = "deploy-chain-api-token-0123";
const BACKEND_TOKEN = "deploy-chain-backend-token-0123";
const headers = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
let backend: BackendProcess;
let access: AccessProxy;
let worker: WranglerDev;
let persistTo: string;
const telegram = new FakeTelegram();
const slack = new FakeSlack();
let telegramBase: string;
let slackBase: string;

beforeAll(async () => {
  backend = await startBackendProcess(BACKEND_TOKEN);
  telegramBase = `http://127.0.0.1:${await telegram.start()}`;
  slackBase = `http://127.0.0.1:${await slack.start()}/api`;
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
  await telegram.stop();
  await slack.stop();
  await backend?.close();
  if (persistTo) rmSync(persistTo, { recursive: true, force: true });
});

const ask = (chat: string, text: string) => askRelay(worker, headers, chat, text);

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

/** Runs `npm run doctor`'s script against this stack, with the platform tokens in a .dev.vars of its own. */
async function doctor(...flags: string[]): Promise<{ code: number; lines: string[] }> {
  const devVars = join(persistTo, "doctor.dev.vars");
  const vars = [
    `API_TOKEN=${API_TOKEN}`,
    `TELEGRAM_BOT_TOKEN=${FAKE_TELEGRAM_TOKEN}`,
    `TELEGRAM_API_BASE=${telegramBase}`,
    `SLACK_BOT_TOKEN=${FAKE_SLACK_TOKEN}`,
    `SLACK_API_BASE=${slackBase}`,
  ];
  writeFileSync(devVars, `${vars.join("\n")}\n`, { mode: 0o600 });
  const script = resolve(import.meta.dirname, "../../scripts/doctor.mjs");
  const { API_TOKEN: _a, TELEGRAM_BOT_TOKEN: _t, SLACK_BOT_TOKEN: _s, WORKER_URL: _w, ...env } = process.env;
  return new Promise((done) => {
    execFile(process.execPath, [script, "--url", worker.url, "--dev-vars", devVars, ...flags], { env }, (error, stdout) => {
      console.log(stdout); // the closing note quotes it
      done({ code: error ? (error.code as number) : 0, lines: stdout.trim().split("\n") });
    });
  });
}

async function setTelegramWebhook(url: string): Promise<void> {
  const res = await fetch(`${telegramBase}/bot${FAKE_TELEGRAM_TOKEN}/setWebhook`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url }),
  });
  expect(res.status).toBe(200);
}

it("npm run doctor: every link ✓ on the running stack", async () => {
  await setTelegramWebhook(`${worker.url}/webhooks/telegram`);
  const { code, lines } = await doctor();
  const marks = lines.filter((l) => /^[✓✗-] /.test(l));
  expect(marks.map((l) => l.slice(0, 1))).toEqual(["✓", "✓", "✓", "✓", "✓"]);
  expect(marks[0]).toContain("Worker reachable");
  expect(marks[2]).toMatch(/pi backend reachable from the Worker at http:\/\/127\.0\.0\.1:\d+ \(url; \d+ pi process(es)?, \d+ in a turn/);
  expect(marks[3]).toContain(`${worker.url}/webhooks/telegram`);
  expect(marks[4]).toContain("Slack bot token works");
  expect(code).toBe(0);
}, 60_000);

it("npm run doctor: ✗ with a fix for a refused token and for a webhook pointing elsewhere", async () => {
  const wrongToken = await doctor("--token", "not-the-api-token-0000");
  expect(wrongToken.code).toBe(1);
  const refused = wrongToken.lines.findIndex((l) => l.startsWith("✗ API token refused (401)"));
  expect(refused).toBeGreaterThanOrEqual(0);
  expect(wrongToken.lines[refused + 1]).toMatch(/^ {4}fix: /);
  expect(wrongToken.lines.some((l) => l.startsWith("- pi backend: skipped"))).toBe(true);

  await setTelegramWebhook("https://old-worker.example/webhooks/telegram");
  const stale = await doctor();
  expect(stale.code).toBe(1);
  const line = stale.lines.findIndex((l) => l.startsWith("✗ Telegram webhook points at https://old-worker.example"));
  expect(stale.lines[line + 1]).toContain(`npm run telegram:webhook -- ${worker.url}`);
  await setTelegramWebhook(`${worker.url}/webhooks/telegram`);
}, 60_000);

// Last: it stops the server.
it("npm run doctor: the backend line is ✗ with its fix once the server is stopped, the rest still ✓", async () => {
  await backend.close();
  const { code, lines } = await doctor();
  expect(code).toBe(1);
  const line = lines.findIndex((l) => l.startsWith("✗ pi backend not reachable from the Worker: backend_unreachable"));
  expect(line).toBeGreaterThanOrEqual(0);
  expect(lines[line + 1]).toContain("start the pi server");
  expect(lines.filter((l) => l.startsWith("✓ "))).toHaveLength(4);
}, 60_000);
