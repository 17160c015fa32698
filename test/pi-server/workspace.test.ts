/** Where the agent works (shared or per chat), and histories kept across an upgrade: through real pi. */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatWorkspace, legacySessionFile, sessionFile } from "../../src/pi-server/paths";
import { type BackendHarness, last, startBackend } from "../fixtures/backend-harness";

const tmp = mkdtempSync(join(tmpdir(), "evie-workspace-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `[tool:COMMAND]` in a session and returns what the tool printed. */
async function toolOutput(backend: BackendHarness, sessionId: string, turnId: string, command: string): Promise<string> {
  const end = last(await backend.turn(sessionId, turnId, `[tool:${command}]`));
  if (end.type !== "turn_end") throw new Error(`turn failed: ${JSON.stringify(end)}`);
  return end.text.replace(/^tool said: /, "").trim();
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("a shared workspace (PI_CWD)", () => {
  let backend: BackendHarness;
  const project = join(tmp, "project");

  beforeAll(async () => {
    expect(existsSync(project)).toBe(false);
    backend = await startBackend({ piCwd: project });
  });
  afterAll(() => backend?.close());

  it("is where every chat's tools run, made (0700) at start if missing", async () => {
    expect(mode(project)).toBe("700");
    expect(await toolOutput(backend, "http:one", "t1", "pwd")).toBe(realpathSync(project));
    expect(await toolOutput(backend, "http:two", "t1", "pwd")).toBe(realpathSync(project));
    expect(mode(project)).toBe("700");
  });

  it("also holds for a history that recorded another directory (an older backend worked in the checkout)", async () => {
    await backend.turn("http:moved", "t1", "hello");
    await backend.manager.release("http:moved");
    const file = sessionFile(backend.dataDir, "http:moved");
    const [header, ...rest] = readFileSync(file, "utf8").split("\n");
    const oldCheckout = join(tmp, "old-checkout");
    mkdirSync(oldCheckout);
    writeFileSync(file, [JSON.stringify({ ...JSON.parse(header!), cwd: oldCheckout }), ...rest].join("\n"));

    expect(await toolOutput(backend, "http:moved", "t2", "pwd")).toBe(realpathSync(project));
    expect(JSON.parse(readFileSync(file, "utf8").split("\n")[0]!).cwd).toBe(project);
    expect(readFileSync(file, "utf8")).toContain("hello"); // the history itself is kept
  });

  it("adopts a history written under its pre-upgrade file name, which pi then resumes", async () => {
    const id = "http:Legacy";
    await backend.turn(id, "t1", "remember the word zebra");
    await backend.manager.release(id);
    // What an older backend left: the same history, under the name without the case mask, world-readable.
    const legacy = legacySessionFile(backend.dataDir, id);
    renameSync(sessionFile(backend.dataDir, id), legacy);
    chmodSync(legacy, 0o644);
    expect(legacy).not.toBe(sessionFile(backend.dataDir, id));

    await backend.turn(id, "t2", "what was the word?");
    expect(existsSync(legacy)).toBe(false);
    expect(readFileSync(sessionFile(backend.dataDir, id), "utf8")).toContain("what was the word?");
    expect(mode(sessionFile(backend.dataDir, id))).toBe("600");
    const sent = JSON.stringify(backend.llm.requests.at(-1)?.messages);
    expect(sent).toContain("remember the word zebra");
  });
});

describe("PI_WORKSPACE=per-chat", () => {
  let backend: BackendHarness;

  beforeAll(async () => {
    backend = await startBackend({ workspace: "per-chat" });
  });
  afterAll(() => backend?.close());

  it("gives each chat its own directory under PI_DATA_DIR/workspaces, made on first use, even when ids differ only in case", async () => {
    const upper = chatWorkspace(backend.dataDir, "http:Alpha");
    const lower = chatWorkspace(backend.dataDir, "http:alpha");
    expect(existsSync(upper) || existsSync(lower)).toBe(false);

    const first = await toolOutput(backend, "http:Alpha", "t1", "pwd && touch mine-Alpha");
    const second = await toolOutput(backend, "http:alpha", "t1", "pwd && ls");
    expect(first).toBe(realpathSync(upper));
    expect(second).toBe(realpathSync(lower)); // `ls` printed nothing: Alpha's file is not here
    expect(first.toLowerCase()).not.toBe(second.toLowerCase());
    expect(realpathSync(join(backend.dataDir, "workspaces"))).toBe(realpathSync(join(upper, "..")));
    expect(mode(upper)).toBe("700");
    expect(mode(lower)).toBe("700");
  });
});
