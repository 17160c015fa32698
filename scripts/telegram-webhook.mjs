#!/usr/bin/env node
/**
 * Registers the Telegram webhook: `npm run telegram:webhook -- <public url>`.
 * Sets the webhook to <url>/webhooks/telegram (unless the URL already has a path) with the
 * secret token and the update types the Worker handles (messages, and button presses as
 * callback queries), registers the bot's command menu (setMyCommands), then prints getWebhookInfo.
 * Reads TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET and TELEGRAM_API_BASE from the environment,
 * else from .dev.vars.
 */
import { existsSync, readFileSync } from "node:fs";
import { Api, GrammyError, HttpError } from "grammy";
import { parseDevVars } from "./dev-vars.mjs";

const url = process.argv[2];
if (!url || url === "--help" || !/^https:\/\//.test(url)) {
  console.error("usage: npm run telegram:webhook -- https://<your worker>[/webhooks/telegram]");
  console.error("Telegram only delivers to public https URLs (ports 443, 80, 88 or 8443).");
  process.exit(url === "--help" ? 0 : 2);
}

const config = { ...(existsSync(".dev.vars") ? parseDevVars(readFileSync(".dev.vars", "utf8")) : {}), ...process.env };
const token = requireSetting("TELEGRAM_BOT_TOKEN");
const secret = requireSetting("TELEGRAM_WEBHOOK_SECRET");
if (!/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
  fail("TELEGRAM_WEBHOOK_SECRET may only use A-Za-z0-9_- (1-256 characters); Telegram refuses anything else");
}

/** The menu Telegram shows for "/"; the same commands as /help (src/worker/platforms/commands.ts). */
const COMMANDS = [
  { command: "new", description: "Start a fresh conversation" },
  { command: "stop", description: "Stop the running turn" },
  { command: "status", description: "Is the agent busy, what is queued" },
  { command: "queue", description: "Show or set the queue mode: /queue collect" },
  { command: "model", description: "Show or switch the model" },
  { command: "thinking", description: "Show or set the thinking level" },
  { command: "stats", description: "Tokens, cost and context use" },
  { command: "compact", description: "Compact the conversation" },
  { command: "verbose", description: "Show tool calls: /verbose on|off" },
  { command: "help", description: "What the bot can do" },
];

const target = new URL(url);
if (target.pathname === "/" || target.pathname === "") target.pathname = "/webhooks/telegram";

const apiRoot = (config.TELEGRAM_API_BASE || "https://api.telegram.org").replace(/\/+$/, "");
const api = new Api(token, { apiRoot });
try {
  const me = await api.getMe();
  await api.setWebhook(target.toString(), { secret_token: secret, allowed_updates: ["message", "callback_query"], max_connections: 40 });
  console.log(`Webhook for @${me.username} set to ${target}`);
  await api.setMyCommands(COMMANDS);
  console.log(`Command menu set: ${COMMANDS.map((c) => `/${c.command}`).join(" ")}`);
  console.log(JSON.stringify(await api.getWebhookInfo(), null, 2));
} catch (err) {
  if (err instanceof GrammyError && err.error_code === 401)
    fail("Telegram refused TELEGRAM_BOT_TOKEN (401): copy it again from @BotFather");
  if (err instanceof GrammyError) fail(`Telegram refused: ${err.description}`);
  if (err instanceof HttpError) fail(`could not reach the Bot API at ${apiRoot}: ${err.message}`);
  throw err;
}

function requireSetting(name) {
  const value = config[name];
  if (!value) fail(`${name} is required (set it in the environment or in .dev.vars)`);
  return value;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
