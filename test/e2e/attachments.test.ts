/**
 * Images and files from Telegram and Slack with nothing faked but the LLM and the platforms' APIs:
 * wrangler dev (the Worker) → the pi backend server → the real pi binary → the fake LLM. A photo reaches
 * the LLM request as an image part, a document lands in the workspace, a voice note is answered "not
 * supported", and a Slack file_share's text is answered.
 */
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendHarness, startBackend, TEST_TOKEN } from "../fixtures/backend-harness";
import type { RecordedCall } from "../fixtures/fake-platform-api";
import { FAKE_SLACK_TOKEN, FakeSlack } from "../fixtures/fake-slack";
import { FAKE_TELEGRAM_TOKEN, FakeTelegram } from "../fixtures/fake-telegram";
import { startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

const TELEGRAM_SECRET = "e2e-telegram-secret-0123";
const SLACK_SECRET = "e2e-slack-signing-secret";
const USER = 4242;
const SLACK_USER = "U0E2EUSER1";
const TEAM = "T0E2E";
/** A 2×2 PNG. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAEklEQVR42mP8z8DwnwEJMCJzAFQ3A/3x2EoaAAAAAElFTkSuQmCC", "base64");

let backend: BackendHarness;
let worker: WranglerDev;
let persistTo: string;
const telegram = new FakeTelegram();
const slack = new FakeSlack();
let telegramPort = 0;
let slackPort = 0;

beforeAll(async () => {
  backend = await startBackend();
  telegramPort = await telegram.start();
  slackPort = await slack.start();
  persistTo = mkdtempSync(join(tmpdir(), "evie-e2e-files-"));
  worker = await startWranglerDev({
    persistTo,
    vars: {
      PI_BACKEND_URL: backend.url,
      PI_BACKEND_TOKEN: TEST_TOKEN,
      API_TOKEN: "e2e-api-token-0123456789",
      TELEGRAM_BOT_TOKEN: FAKE_TELEGRAM_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
      TELEGRAM_API_BASE: `http://127.0.0.1:${telegramPort}`,
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_BOT_TOKEN: FAKE_SLACK_TOKEN,
      SLACK_API_BASE: `http://127.0.0.1:${slackPort}/api`,
      ALLOWED_USERS: `telegram:${USER},slack:${SLACK_USER}`,
    },
  });
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await backend?.close();
  await telegram.stop();
  await slack.stop();
  if (persistTo) rmSync(persistTo, { recursive: true, force: true });
});

async function control(port: number, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", body: JSON.stringify(body) });
  return res.json();
}

async function calls(port: number, query: string): Promise<RecordedCall[]> {
  return ((await (await fetch(`http://127.0.0.1:${port}/_control/calls?${query}`)).json()) as { calls: RecordedCall[] }).calls;
}

/** Polls until some call's text passes `match`; returns that text. */
async function textSent(port: number, query: string, match: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const texts = (await calls(port, query)).map((c) => String(c.body.text ?? ""));
    const found = texts.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`nothing matching was sent: ${JSON.stringify(texts)}\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let nextUpdate = 1;
async function postTelegram(chatId: number, fields: Record<string, unknown>): Promise<void> {
  const message = {
    message_id: nextUpdate,
    from: { id: USER, is_bot: false, first_name: "Ada" },
    chat: { id: chatId, type: "private" },
    date: 1,
    ...fields,
  };
  const res = await fetch(`${worker.url}/webhooks/telegram`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TELEGRAM_SECRET },
    body: JSON.stringify({ update_id: nextUpdate++, message }),
  });
  expect(res.status).toBe(200);
}

describe("attachments through the whole path", () => {
  it("Telegram: a photo reaches the LLM request as an image part, with its caption", async () => {
    const chatId = 7001;
    await control(telegramPort, "/_control/file", { fileId: "e2e-photo", base64: PNG.toString("base64") });
    const photo = [{ file_id: "e2e-photo", file_unique_id: "p", file_size: PNG.length, width: 2, height: 2 }];
    await postTelegram(chatId, { photo, caption: "describe this photo" });
    await textSent(telegramPort, `chatId=${chatId}`, (t) => t.includes("reply to: describe this photo"));
    const request = backend.llm.requests.find((r) => JSON.stringify(r).includes("describe this photo"))!;
    const user = request.messages.findLast((m) => m.role === "user")!;
    expect(user.content).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "text", text: "describe this photo" }),
        { type: "image_url", image_url: { url: `data:image/jpeg;base64,${PNG.toString("base64")}` } },
      ]),
    );
  });

  it("Telegram: a document lands in the workspace's inbox/ and is named in the prompt", async () => {
    const chatId = 7002;
    const text = "name,amount\nrent,1200\n";
    await control(telegramPort, "/_control/file", { fileId: "e2e-doc", base64: Buffer.from(text).toString("base64") });
    await postTelegram(chatId, {
      document: { file_id: "e2e-doc", file_unique_id: "d", file_name: "budget.csv", mime_type: "text/csv", file_size: text.length },
      caption: "check my budget",
    });
    await textSent(telegramPort, `chatId=${chatId}`, (t) => t.includes("reply to: check my budget"));
    const workspace = dirname(backend.dataDir); // the harness's PI_CWD
    const saved = join(workspace, "inbox", "budget.csv");
    expect(existsSync(saved)).toBe(true);
    expect(readFileSync(saved, "utf8")).toBe(text);
    const prompt = JSON.stringify(backend.llm.requests.find((r) => JSON.stringify(r).includes("check my budget")));
    expect(prompt).toContain(`inbox/budget.csv (text/csv, ${text.length} B)`);
  });

  it("Telegram: a voice note is answered 'not supported' and never reaches the agent", async () => {
    const chatId = 7003;
    const before = backend.llm.requests.length;
    await postTelegram(chatId, { voice: { file_id: "v", file_unique_id: "v", duration: 2, mime_type: "audio/ogg" } });
    expect(await textSent(telegramPort, `chatId=${chatId}`, (t) => t.length > 0)).toContain("Voice notes are not supported");
    expect(backend.llm.requests.length).toBe(before);
  });

  it("Slack: a file_share message's text is answered, its file in the workspace", async () => {
    const channel = "D0E2EFILES";
    const { url } = (await control(slackPort, "/_control/file", {
      id: "F0E2E",
      name: "todo.md",
      base64: Buffer.from("- ship it\n").toString("base64"),
    })) as { url: string };
    const ts = `${Math.floor(Date.now() / 1000)}.000100`;
    const body = JSON.stringify({
      type: "event_callback",
      team_id: TEAM,
      event_id: "Ev0E2EFILES",
      event: {
        type: "message",
        subtype: "file_share",
        channel,
        channel_type: "im",
        user: SLACK_USER,
        text: "what is on my list?",
        ts,
        files: [{ id: "F0E2E", name: "todo.md", mimetype: "text/markdown", size: 10, mode: "hosted", url_private: url }],
      },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac("sha256", SLACK_SECRET).update(`v0:${timestamp}:${body}`).digest("hex")}`;
    const res = await fetch(`${worker.url}/webhooks/slack`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-slack-request-timestamp": timestamp, "x-slack-signature": signature },
      body,
    });
    expect(res.status).toBe(200);
    await textSent(slackPort, `channel=${channel}`, (t) => t.includes("reply to: what is on my list?"));
    expect(readFileSync(join(dirname(backend.dataDir), "inbox", "todo.md"), "utf8")).toBe("- ship it\n");
  });
});
