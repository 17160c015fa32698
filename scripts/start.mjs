#!/usr/bin/env node
/**
 * `npm start`: the whole local stack. Runs the pi backend (or, with no LLM provider configured, the
 * backend against the bundled offline demo model) and `wrangler dev`, creates `.dev.vars` with
 * random tokens on first run, and prints a curl line to talk to pi. Ctrl-C stops everything.
 * Plain Node ESM so it runs before anything is built.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDevVars } from "./dev-vars.mjs";
import { detectProvider } from "./provider.mjs";
import { agentWorkspace } from "./workspace.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const backendPort = Number(process.env.PORT || 8788);
const workerPort = Number(process.env.WORKER_PORT || 8787);
const backendUrl = `http://127.0.0.1:${backendPort}`;
const workerUrl = `http://127.0.0.1:${workerPort}`;

// The Worker reads .dev.vars, so the backend gets its token from there too (not from the environment).
const { vars, added, replacedMode } = ensureDevVars(join(root, ".dev.vars"));
if (added.length > 0) console.log(`[start] created ${added.join(" and ")} in .dev.vars (random; only you can read the file)`);
if (replacedMode)
  console.log(`[start] .dev.vars was readable by others (mode ${replacedMode}); made it 0600, as it holds the relay's secrets`);

const provider = detectProvider();
const entry = provider ? "src/pi-server/main.ts" : "src/demo/main.ts";
if (provider) console.log(`[start] LLM provider: ${provider}`);
else {
  console.log("[start] No LLM provider configured: pi will talk to the offline evie-edge DEMO MODEL, whose replies start with");
  console.log('[start] "[evie-edge demo model]". To use a real model, set a key such as ANTHROPIC_API_KEY, OPENAI_API_KEY or');
  console.log("[start] GEMINI_API_KEY (optionally PI_ARGS='--provider anthropic --model claude-sonnet-4-5'), or run `npx pi` and /login,");
  console.log("[start] then run `npm start` again.");
}

const children = [];
let stopping = false;

/** Starts a child with its output prefixed; if it dies on its own, everything stops. */
function run(name, args, env) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = (stream, out) => {
    let buffer = "";
    stream.on("data", (chunk) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) out.write(line.startsWith(`[${name}]`) ? `${line}\n` : `[${name}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`[start] ${name} exited (${signal ?? `code ${code}`}); stopping the stack`);
    void stop(1);
  });
  children.push(child);
  return child;
}

/** Stops every child (SIGTERM, then SIGKILL after 10 s) and exits. */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  const exits = children.map((child) =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", resolve)),
  );
  for (const child of children) child.kill("SIGTERM");
  const timer = setTimeout(() => {
    for (const child of children) child.kill("SIGKILL");
  }, 10_000);
  await Promise.all(exits);
  clearTimeout(timer);
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

run("backend", ["--import", "tsx", entry], { PI_BACKEND_TOKEN: vars.PI_BACKEND_TOKEN, PORT: String(backendPort) });
run(
  "worker",
  [
    join(root, "node_modules", "wrangler", "bin", "wrangler.js"),
    "dev",
    "--port",
    String(workerPort),
    "--ip",
    "127.0.0.1",
    "--show-interactive-dev-session=false",
    "--var",
    `PI_BACKEND_URL:${backendUrl}`,
  ],
  { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
);

/** Polls `url` until it answers 200. */
async function waitUntilUp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

const up = (await waitUntilUp(`${backendUrl}/healthz`, 60_000)) && (await waitUntilUp(`${workerUrl}/healthz`, 120_000));
if (stopping) process.exitCode = 1;
else if (!up) {
  console.error("[start] the stack did not come up within two minutes; see the output above");
  await stop(1);
} else {
  // The token is read from .dev.vars by the shell, so it is never printed here.
  const auth = `-H "Authorization: Bearer $(sed -n 's/^API_TOKEN=//p' .dev.vars)"`;
  console.log("");
  console.log(`[start] Ready: Worker on ${workerUrl}, pi backend on ${backendUrl}${provider ? "" : " (DEMO MODEL)"}.`);
  console.log(
    `[start] The agent works in ${agentWorkspace(process.env, root)}, not in this checkout (PI_CWD or PI_WORKSPACE=per-chat ` +
      `change it). Send a message:`,
  );
  console.log(
    `  curl -s -X POST ${workerUrl}/api/chats/hello/messages ${auth} -H "content-type: application/json" -d '{"text":"Hello, pi!"}'`,
  );
  console.log("[start] then poll the reply with the messageId it returned:");
  console.log(`  curl -s ${workerUrl}/api/chats/hello/messages/<messageId> ${auth}`);
  console.log(
    `[start] Or open ${workerUrl}/ in a browser (web chat; the token is API_TOKEN in .dev.vars), ${workerUrl}/dashboard, ` +
      `${workerUrl}/docs.`,
  );
  console.log("[start] Ctrl-C stops everything.");
}
