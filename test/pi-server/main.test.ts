/**
 * `npm run backend` as a process (here with the offline demo model, as `npm start` runs it without keys), and the start script's helpers.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive, last, readNdjson, waitFor } from "../fixtures/backend-harness";
import { listeningUrl, logLines } from "../fixtures/log-lines";

const root = resolve(import.meta.dirname, "../..");
const tmp = mkdtempSync(join(tmpdir(), "evie-main-"));
const started: ChildProcess[] = [];

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs a TypeScript entry point the way `npm run backend` does, collecting its output. */
function runEntry(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk) => {
    output.stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return { child, output, exited };
}

describe("the backend process", () => {
  it("refuses to start without PI_BACKEND_TOKEN, naming it", async () => {
    const env = { PI_BACKEND_TOKEN: "", PORT: "0", PI_DATA_DIR: join(tmp, "none") };
    const run = runEntry("src/pi-server/main.ts", env);
    expect(await run.exited).toBe(1);
    expect(logLines(run.output.stderr).find((line) => line.event === "config.error")?.message).toContain("PI_BACKEND_TOKEN is required");
  });

  it("answers through the demo model, labelled, and stops every pi cleanly on SIGTERM", async () => {
    const run = runEntry("src/demo/main.ts", {
      PI_BACKEND_TOKEN: "main-test-token-0123",
      PORT: "0",
      PI_DATA_DIR: join(tmp, "data"),
      PI_CWD: tmp,
    });
    await waitFor(() => listeningUrl(run.output.stdout) !== undefined, 30_000, "the backend to listen");
    expect(logLines(run.output.stdout).find((line) => line.event === "demo.started")).toMatchObject({ model: "[evie-edge demo model]" });
    const url = listeningUrl(run.output.stdout)!;
    const headers = { authorization: "Bearer main-test-token-0123", "content-type": "application/json" };

    const submitted = await fetch(`${url}/v1/sessions/http:main/turns`, {
      method: "POST",
      headers,
      body: JSON.stringify({ turnId: "t1", message: "hello demo" }),
    });
    expect(submitted.status).toBe(202);
    const events = await readNdjson(await fetch(`${url}/v1/sessions/http:main/turns/t1/events`, { headers }));
    const end = last(events);
    expect(end.type).toBe("turn_end");
    expect(end.type === "turn_end" && end.text).toMatch(/^\[evie-edge demo model\] You said: "hello demo"/);

    const { sessions } = (await (await fetch(`${url}/v1/sessions`, { headers })).json()) as { sessions: Array<{ pid: number }> };
    const pid = sessions[0]!.pid;
    expect(isAlive(pid)).toBe(true);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(isAlive(pid)).toBe(false);
    expect(logLines(run.output.stdout).find((line) => line.event === "server.stopping")).toMatchObject({
      level: "info",
      signal: "SIGTERM",
    });
  });
});

describe("npm start's helpers", () => {
  const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(root, "scripts", file)).href)) as T;

  it("creates .dev.vars tokens on first run and keeps existing values", async () => {
    const { ensureDevVars } = await load<{
      ensureDevVars(path: string): { vars: Record<string, string>; added: string[]; replacedMode: string | null };
    }>("dev-vars.mjs");
    const fresh = join(tmp, "fresh.dev.vars");
    const first = ensureDevVars(fresh);
    expect(first.added).toEqual(["API_TOKEN", "PI_BACKEND_TOKEN"]);
    expect(first.vars.API_TOKEN).toMatch(/^[0-9a-f]{48}$/);
    expect(first.vars.API_TOKEN).not.toBe(first.vars.PI_BACKEND_TOKEN);
    expect(ensureDevVars(fresh)).toEqual({ vars: first.vars, added: [], replacedMode: null });

    const existing = join(tmp, "existing.dev.vars");
    writeFileSync(existing, 'API_TOKEN="mine"\nTELEGRAM_BOT_TOKEN=abc');
    const second = ensureDevVars(existing);
    expect(second.added).toEqual(["PI_BACKEND_TOKEN"]);
    expect(second.vars.API_TOKEN).toBe("mine");
    expect(readFileSync(existing, "utf8")).toMatch(/^API_TOKEN="mine"\nTELEGRAM_BOT_TOKEN=abc\nPI_BACKEND_TOKEN=[0-9a-f]{48}\n$/);
  });

  it("falls back to the demo model only when no provider is configured", async () => {
    const { detectProvider } = await load<{ detectProvider(env: Record<string, string>): string | null }>("provider.mjs");
    const agentDir = join(tmp, "empty-agent");
    expect(detectProvider({ PI_CODING_AGENT_DIR: agentDir })).toBeNull();
    expect(detectProvider({ PI_CODING_AGENT_DIR: agentDir, GITHUB_TOKEN: "x" })).toBeNull();
    expect(detectProvider({ PI_CODING_AGENT_DIR: agentDir, ANTHROPIC_API_KEY: "k" })).toContain("ANTHROPIC_API_KEY");
    expect(detectProvider({ PI_CODING_AGENT_DIR: agentDir, ANTHROPIC_API_KEY: "k", EVIE_DEMO: "1" })).toBeNull();
    const loggedIn = join(tmp, "logged-in");
    mkdirSync(loggedIn, { recursive: true });
    writeFileSync(join(loggedIn, "auth.json"), JSON.stringify({ anthropic: { type: "oauth" } }));
    expect(detectProvider({ PI_CODING_AGENT_DIR: loggedIn })).toContain("pi login");
  });
});
