/** `npm run telegram:webhook` against the fake Bot API: webhook with button presses, and the command menu. */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { helpText } from "../../src/worker/platforms/commands";
import { FAKE_TELEGRAM_TOKEN, FakeTelegram } from "../fixtures/fake-telegram";

const run = promisify(execFile);
let telegram: FakeTelegram;
let port: number;
beforeAll(async () => {
  telegram = new FakeTelegram();
  port = await telegram.start();
});
afterAll(async () => {
  await telegram?.stop();
});

describe("telegram:webhook", () => {
  it("sets the webhook for messages and callback queries, and registers every command with setMyCommands", async () => {
    const { stdout } = await run(process.execPath, [resolve("scripts/telegram-webhook.mjs"), "https://evie.example"], {
      cwd: resolve(import.meta.dirname, "../.."),
      env: {
        PATH: process.env.PATH,
        TELEGRAM_BOT_TOKEN: FAKE_TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: "script-test-secret_1",
        TELEGRAM_API_BASE: `http://127.0.0.1:${port}`,
      },
    });
    expect(stdout).toContain("Command menu set");
    const calls = (await (await fetch(`http://127.0.0.1:${port}/_control/calls?chatId=undefined`)).json()) as {
      calls: { method: string; body: Record<string, unknown> }[];
    };
    const webhook = calls.calls.find((c) => c.method === "setWebhook");
    expect(webhook?.body.allowed_updates).toEqual(["message", "callback_query"]);
    const commands = calls.calls.find((c) => c.method === "setMyCommands")?.body.commands as { command: string }[];
    expect(commands.map((c) => c.command)).toEqual([
      "new",
      "stop",
      "status",
      "queue",
      "model",
      "thinking",
      "stats",
      "compact",
      "verbose",
      "help",
    ]);
    // The menu and /help name the same commands.
    const helped = [...helpText("telegram").matchAll(/^\/(\w+)/gm)].map((m) => m[1]);
    expect(helped.sort()).toEqual(commands.map((c) => c.command).sort());
  });
});
