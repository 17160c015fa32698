#!/usr/bin/env node
/**
 * `npm run doctor`: checks the whole chain and prints one line per link, ✓ or ✗ with a fix:
 * the Worker answers, it accepts the API token, it reaches the pi backend (GET /api/backend),
 * Telegram's webhook points at it (getWebhookInfo) and the Slack bot token works (auth.test), the
 * last two when their tokens are known. Exits 1 when any check fails.
 *
 *   npm run doctor -- [--url https://evie-edge.<you>.workers.dev] [--token <API_TOKEN>] [--dev-vars <file>]
 *
 * Settings come from the flags, then the environment, then .dev.vars: WORKER_URL (default
 * http://127.0.0.1:8787, `npm start`'s Worker), API_TOKEN, TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE,
 * SLACK_BOT_TOKEN, SLACK_API_BASE.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseDevVars } from "./dev-vars.mjs";

const TIMEOUT_MS = 15_000;

const { values: flags } = parseArgs({
  options: {
    url: { type: "string" },
    token: { type: "string" },
    "dev-vars": { type: "string", default: ".dev.vars" },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log("usage: npm run doctor -- [--url <worker url>] [--token <API_TOKEN>] [--dev-vars <file>]");
  process.exit(0);
}
const devVars = existsSync(flags["dev-vars"]) ? parseDevVars(readFileSync(flags["dev-vars"], "utf8")) : {};
const setting = (name) => process.env[name] || devVars[name] || undefined;
const workerUrl = (flags.url || setting("WORKER_URL") || "http://127.0.0.1:8787").replace(/\/+$/, "");
const apiToken = flags.token || setting("API_TOKEN");

let failed = 0;
const ok = (what) => console.log(`✓ ${what}`);
const bad = (what, fix) => {
  failed++;
  console.log(`✗ ${what}\n    fix: ${fix}`);
};
const skip = (what) => console.log(`- ${what}`);

/** fetch with a timeout; resolves to { res, body } or { error }. */
async function call(url, init = {}) {
  try {
    const res = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { res, body, text };
  } catch (error) {
    return { error: error.name === "TimeoutError" ? `no answer within ${TIMEOUT_MS / 1000} s` : (error.cause?.code ?? error.message) };
  }
}

const auth = { authorization: `Bearer ${apiToken}` };
const local = /^http:\/\/(127\.|localhost|\[::1\])/.test(workerUrl);

// 1. The Worker.
const health = await call(`${workerUrl}/healthz`);
const workerUp = health.res?.ok && health.body?.ok === true;
if (workerUp) ok(`Worker reachable at ${workerUrl}`);
else {
  const why = health.error ?? `answered ${health.res.status}`;
  bad(
    `Worker not reachable at ${workerUrl} (${why})`,
    local
      ? "start the local stack with `npm start` (or `npm run dev`), or pass --url https://evie-edge.<you>.workers.dev"
      : "deploy it with `npm run deploy` and check the URL it prints (--url)",
  );
}

// 2. The API token.
let tokenOk = false;
if (!workerUp) skip("API token: skipped (no Worker)");
else if (!apiToken) bad("API token not given", "pass --token, or set API_TOKEN in .dev.vars or the environment");
else {
  const status = await call(`${workerUrl}/api/status`, { headers: auth });
  tokenOk = status.res?.status === 200;
  if (tokenOk) ok("API token accepted");
  else if (status.res?.status === 401) {
    bad(
      "API token refused (401)",
      local
        ? "use API_TOKEN from .dev.vars (restart `npm start` after changing it)"
        : "pass the token you stored with `npx wrangler secret put API_TOKEN`",
    );
  } else
    bad(
      `API token check failed: ${status.error ?? `${status.res.status} ${status.text.slice(0, 200)}`}`,
      "see the Worker's log (`npx wrangler tail`)",
    );
}

// 3. The pi backend, as the Worker reaches it.
if (!tokenOk) skip("pi backend: skipped (needs the Worker and the API token)");
else {
  const backend = await call(`${workerUrl}/api/backend`, { headers: auth });
  const b = backend.body;
  if (backend.res?.status === 200 && b?.reachable) {
    const processes = `${b.processes} pi process${b.processes === 1 ? "" : "es"}, ${b.running} in a turn`;
    ok(`pi backend reachable from the Worker at ${b.url} (${b.via}; ${processes}; ${b.ms} ms)`);
  } else {
    const code = b?.error?.code ?? `http_${backend.res?.status}`;
    const message = b?.error?.message ?? backend.error ?? backend.text?.slice(0, 200);
    bad(`pi backend not reachable from the Worker: ${code}: ${message}`, backendFix(code));
  }
}

function backendFix(code) {
  switch (code) {
    case "backend_unreachable":
      return local
        ? "start the pi server (`npm run backend`, or `npm start` for the whole stack) and check PORT matches PI_BACKEND_URL"
        : "start the pi server (`sudo systemctl start evie-pi-server`, or `docker compose -f deploy/compose.yaml up -d`), " +
            "check `cloudflared tunnel info`, and that PI_BACKEND_URL is the tunnel's hostname";
    case "backend_unauthorized":
      return "give the Worker and the server the same PI_BACKEND_TOKEN (`npx wrangler secret put PI_BACKEND_TOKEN`, restart the server)";
    case "backend_access_denied":
      return (
        "set the Access service token on the Worker: `npx wrangler secret put PI_BACKEND_ACCESS_CLIENT_ID` and `..._SECRET`, " +
        "and allow that token in the Access application's Service Auth policy"
      );
    case "config_error":
      return "set PI_BACKEND_URL (wrangler.toml [vars]) and PI_BACKEND_TOKEN (secret) on the Worker";
    default:
      return "read the server's log (`journalctl -u evie-pi-server`) and the Worker's (`npx wrangler tail`)";
  }
}

// 4. Telegram.
const telegramToken = setting("TELEGRAM_BOT_TOKEN");
if (!telegramToken) skip("Telegram: not configured (no TELEGRAM_BOT_TOKEN), skipped");
else {
  const base = (setting("TELEGRAM_API_BASE") || "https://api.telegram.org").replace(/\/+$/, "");
  const info = await call(`${base}/bot${telegramToken}/getWebhookInfo`);
  const result = info.body?.result;
  const expected = `${workerUrl}/webhooks/telegram`;
  const setWebhook = `npm run telegram:webhook -- ${workerUrl}`;
  if (!info.body?.ok) {
    const why = info.error ?? info.body?.description ?? `answered ${info.res?.status}`;
    bad(
      `Telegram getWebhookInfo failed: ${why}`,
      info.res?.status === 401 ? "copy TELEGRAM_BOT_TOKEN again from @BotFather" : "check TELEGRAM_API_BASE and the network",
    );
  } else if (result.url !== expected) {
    bad(`Telegram webhook points at ${result.url || "nothing"}, not ${expected}`, setWebhook);
  } else if (result.last_error_message) {
    const when = result.last_error_date ? ` at ${new Date(result.last_error_date * 1000).toISOString()}` : "";
    const pending = `${result.pending_update_count} updates pending`;
    bad(
      `Telegram webhook set, but its last delivery failed${when}: ${result.last_error_message} (${pending})`,
      `a 401/403 means TELEGRAM_WEBHOOK_SECRET differs between the Worker and the webhook: run ${setWebhook}`,
    );
  } else {
    ok(`Telegram webhook points at ${expected} (${result.pending_update_count} updates pending, no delivery error)`);
  }
}

// 5. Slack.
const slackToken = setting("SLACK_BOT_TOKEN");
if (!slackToken) skip("Slack: not configured (no SLACK_BOT_TOKEN), skipped");
else {
  const base = (setting("SLACK_API_BASE") || "https://slack.com/api").replace(/\/+$/, "");
  const test = await call(`${base}/auth.test`, { method: "POST", headers: { authorization: `Bearer ${slackToken}` } });
  if (test.body?.ok) ok(`Slack bot token works (team ${test.body.team}, bot user ${test.body.user})`);
  else {
    const why = test.error ?? test.body?.error ?? `answered ${test.res?.status}`;
    bad(
      `Slack auth.test failed: ${why}`,
      "reinstall the app to the workspace and copy the Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN",
    );
  }
}

console.log(failed ? `\n${failed} check${failed > 1 ? "s" : ""} failed.` : "\nAll checks passed.");
process.exit(failed ? 1 : 0);
