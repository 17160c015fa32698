/**
 * Private files: everything under PI_DATA_DIR is its user's alone, session file names never collide
 * by case, and `.dev.vars` is 0600. Modes are checked on the real `npm run backend` process, whose
 * umask is what keeps pi's own files private.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAgentDir } from "../../src/demo/agent-dir";
import { fileSafe, sessionFile, turnLogFile } from "../../src/pi-server/paths";
import { isValidId } from "../../src/shared/protocol";
import { last, readNdjson, waitFor } from "../fixtures/backend-harness";
import { type FakeLlm, startFakeLlm } from "../fixtures/fake-llm";
import { listeningUrl, logLines } from "../fixtures/log-lines";

const root = resolve(import.meta.dirname, "../..");
const tmp = mkdtempSync(join(tmpdir(), "evie-files-"));
const TOKEN = "files-test-backend-token";
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("fileSafe", () => {
  it("keeps ids that differ only in case apart, even compared without case", () => {
    expect(fileSafe("http:Demo")).toBe("http~demo+10"); // capital at index 5: mask 32, "10" in base 32
    expect(fileSafe("http:demo")).toBe("http~demo"); // no capitals: the name it always had
    expect(fileSafe("http:Demo").toLowerCase()).not.toBe(fileSafe("http:demo").toLowerCase());
    expect(fileSafe("http:DEMO").toLowerCase()).not.toBe(fileSafe("http:Demo").toLowerCase());
  });

  it("is one-to-one, case-insensitively, and short enough for any valid id", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
    const names = new Map<string, string>();
    let seed = 7;
    const random = () => {
      // mulberry32: deterministic, so a failure reproduces
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const ids = ["Ab".repeat(64), "A".repeat(128), "a".repeat(128), ":".repeat(128)];
    // Short ids over a small alphabet, so that many of them differ only in case.
    for (let i = 0; i < 20_000; i++)
      ids.push(Array.from({ length: 1 + Math.floor(random() * 4) }, () => "aAbB:"[Math.floor(random() * 5)]).join(""));
    for (let i = 0; i < 2_000; i++)
      ids.push(Array.from({ length: 1 + Math.floor(random() * 128) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(""));
    for (const id of ids.filter(isValidId)) {
      const name = fileSafe(id);
      expect(name).toMatch(/^[a-z0-9._~+-]+$/);
      expect(name.length).toBeLessThanOrEqual(155);
      const folded = name.toLowerCase();
      const earlier = names.get(folded);
      if (earlier !== undefined) expect(earlier).toBe(id);
      names.set(folded, id);
    }
    expect(new Set(names.values()).size).toBeGreaterThan(2500); // the short ids collide a lot without case
  });
});

describe("the backend process's files", () => {
  let llm: FakeLlm;
  let child: ChildProcess;
  let url: string;
  let stdout = "";
  const dataDir = join(tmp, "data");
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

  const turn = async (sessionId: string, turnId: string, message: string) => {
    const res = await fetch(`${url}/v1/sessions/${sessionId}/turns`, {
      method: "POST",
      headers,
      body: JSON.stringify({ turnId, message }),
    });
    expect(res.status).toBe(202);
    const end = last(await readNdjson(await fetch(`${url}/v1/sessions/${sessionId}/turns/${turnId}/events`, { headers })));
    if (end.type !== "turn_end") throw new Error(`turn failed: ${JSON.stringify(end)}`);
    return end.text;
  };

  beforeAll(async () => {
    llm = await startFakeLlm();
    const agentDir = join(tmp, "agent");
    const piArgs = writeAgentDir({ dir: agentDir, baseUrl: llm.baseUrl, provider: "fake", model: "fake-1", retry: false });
    mkdirSync(dataDir, { mode: 0o755 }); // as an older backend left it
    chmodSync(dataDir, 0o755);
    const env = {
      PI_BACKEND_TOKEN: TOKEN,
      PORT: "0",
      PI_DATA_DIR: dataDir,
      PI_CWD: "",
      PI_WORKSPACE: "",
      PI_ARGS: piArgs.join(" "),
      PI_CODING_AGENT_DIR: agentDir,
      PI_OFFLINE: "1",
    };
    child = spawn(process.execPath, ["--import", "tsx", "src/pi-server/main.ts"], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
    });
    await waitFor(() => listeningUrl(stdout) !== undefined, 30_000, "the backend to listen");
    url = listeningUrl(stdout)!;
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await exited;
    }
    await llm?.close();
  });

  it("runs the agent in PI_DATA_DIR/workspace by default, says so, and keeps what the agent makes private", async () => {
    const workspace = join(dataDir, "workspace");
    expect(logLines(stdout).find((line) => line.event === "server.listening")).toMatchObject({ workspace });
    expect(mode(workspace)).toBe("700"); // made at start, before any chat
    const output = await turn("http:files", "t1", "[tool:pwd; touch made-by-agent; stat -c %a made-by-agent]");
    expect(output).toBe(`tool said: ${realpathSync(workspace)}\n600`);
    expect(mode(workspace)).toBe("700");
  });

  it("makes the data dir, sessions, pi's history files and turn logs private", async () => {
    await turn("http:Demo", "t1", "upper case demo");
    await turn("http:demo", "t1", "lower case demo");
    const log = turnLogFile(dataDir, "http:Demo", "t1");
    await waitFor(
      () => readdirSync(join(dataDir, "turns")).length === 3 && statSync(log, { throwIfNoEntry: false }) !== undefined,
      10_000,
      "the turn logs",
    );

    expect(mode(dataDir)).toBe("700"); // it was 0755
    expect(mode(join(dataDir, "sessions"))).toBe("700");
    expect(mode(sessionFile(dataDir, "http:Demo"))).toBe("600"); // written by pi itself
    expect(mode(join(dataDir, "turns"))).toBe("700");
    expect(mode(join(log, ".."))).toBe("700");
    expect(mode(log)).toBe("600");
  });

  it("keeps two sessions differing only in case in two files, distinct without case", () => {
    const names = readdirSync(join(dataDir, "sessions")).filter((name) => name.endsWith(".jsonl"));
    expect(names.sort()).toEqual(["http~demo+10.jsonl", "http~demo.jsonl", "http~files.jsonl"]);
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(3);
    expect(readFileSync(sessionFile(dataDir, "http:Demo"), "utf8")).toContain("upper case demo");
    expect(readFileSync(sessionFile(dataDir, "http:Demo"), "utf8")).not.toContain("lower case demo");
    expect(readFileSync(sessionFile(dataDir, "http:demo"), "utf8")).toContain("lower case demo");
  });

  it("archives a reset history privately", async () => {
    const res = await fetch(`${url}/v1/sessions/http:Demo/reset`, { method: "POST", headers, body: "{}" });
    expect(res.status).toBe(200);
    const archive = join(dataDir, "sessions", "archive");
    const [archived, ...more] = readdirSync(archive);
    expect(more).toEqual([]);
    expect(archived).toMatch(/^http~demo\+10\..+\.jsonl$/);
    expect(mode(archive)).toBe("700");
    expect(mode(join(archive, archived!))).toBe("600");
  });
});

describe(".dev.vars", () => {
  type EnsureDevVars = (path: string) => { vars: Record<string, string>; added: string[]; replacedMode: string | null };
  let ensureDevVars: EnsureDevVars;
  beforeAll(async () => {
    ({ ensureDevVars } = (await import(pathToFileURL(join(root, "scripts", "dev-vars.mjs")).href)) as { ensureDevVars: EnsureDevVars });
  });

  it("is created 0600", () => {
    const path = join(tmp, "created.dev.vars");
    expect(ensureDevVars(path).replacedMode).toBeNull();
    expect(mode(path)).toBe("600");
  });

  it("is made 0600 when found readable by others, and says what it was", () => {
    const complete = join(tmp, "complete.dev.vars");
    writeFileSync(complete, `API_TOKEN=${"a".repeat(32)}\nPI_BACKEND_TOKEN=${"b".repeat(32)}\n`);
    chmodSync(complete, 0o644);
    expect(ensureDevVars(complete)).toMatchObject({ added: [], replacedMode: "644" });
    expect(mode(complete)).toBe("600");
    expect(ensureDevVars(complete).replacedMode).toBeNull(); // nothing to say the second time

    const partial = join(tmp, "partial.dev.vars");
    writeFileSync(partial, "TELEGRAM_BOT_TOKEN=abc\n");
    chmodSync(partial, 0o664);
    expect(ensureDevVars(partial)).toMatchObject({ added: ["API_TOKEN", "PI_BACKEND_TOKEN"], replacedMode: "664" });
    expect(mode(partial)).toBe("600");
  });
});
