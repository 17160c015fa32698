/**
 * The production build, as a deployment runs it: `npm run build`'s bundle in a scratch copy of the
 * project, `npm ci --omit=dev` there (no tsx, no TypeScript, no esbuild), then `node dist/pi-server.mjs`
 * with the real pi against the fake LLM: /healthz answers and an authenticated turn completes.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type BackendProcess, startBackendProcess } from "../fixtures/backend-process";
import { fakeReplyText } from "../fixtures/fake-llm";
import { logLines } from "../fixtures/log-lines";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const TOKEN = "production-build-token-0123456789";
let scratch: string;
let server: BackendProcess | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "evie-prod-"));
  await run(process.execPath, [join(root, "scripts/build.mjs"), join(scratch, "dist")], { cwd: root });
  for (const file of ["package.json", "package-lock.json"]) copyFileSync(join(root, file), join(scratch, file));
  // From the npm cache when it has everything (CI restores it), from the registry otherwise.
  await run("npm", ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: scratch, timeout: 240_000 });
}, 300_000);

// Removing a 200 MB node_modules takes a while on a busy machine.
afterAll(async () => {
  await server?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 180_000);

it("installs without dev dependencies", () => {
  expect(existsSync(join(scratch, "node_modules/@mariozechner/pi-coding-agent/dist/cli.js"))).toBe(true);
  for (const dev of ["tsx", "typescript", "esbuild", "vitest", "wrangler"])
    expect(existsSync(join(scratch, "node_modules", dev))).toBe(false);
});

it("runs node dist/pi-server.mjs: /healthz, the bearer guard and a whole turn with the real pi", async () => {
  server = await startBackendProcess(TOKEN, { args: ["dist/pi-server.mjs"], cwd: scratch });
  const base = `http://127.0.0.1:${server.port}`;
  expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true, sessions: 0 });
  expect((await fetch(`${base}/v1/sessions`)).status).toBe(401);

  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const submit = await fetch(`${base}/v1/sessions/prod:1/turns`, {
    method: "POST",
    headers,
    body: JSON.stringify({ turnId: "t1", message: "hello from the bundle" }),
  });
  expect(submit.status).toBe(202);
  const events = await fetch(`${base}/v1/sessions/prod:1/turns/t1/events?after=0`, { headers });
  const lines = (await events.text())
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string; text?: string });
  expect(lines.at(-1)).toEqual({ seq: lines.length, type: "turn_end", text: fakeReplyText("hello from the bundle") });
  expect(logLines(server.output.stdout).some((line) => line.event === "server.listening")).toBe(true);
}, 120_000);
