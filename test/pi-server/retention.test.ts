/** MESSAGE_RETENTION_DAYS on the backend: old turn logs and reset archives go, everything else stays. Files aged by mtime. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { archivedSessionFile, sessionFile, turnLogFile } from "../../src/pi-server/paths";
import { pruneExpiredFiles } from "../../src/pi-server/retention";
import { waitFor } from "../fixtures/backend-harness";
import { startBackendProcess } from "../fixtures/backend-process";

const DAY_MS = 24 * 60 * 60 * 1000;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Writes a file whose mtime is `ageDays` ago. */
function aged(path: string, ageDays: number): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '{"seq":1,"type":"turn_start"}\n');
  const at = new Date(Date.now() - ageDays * DAY_MS);
  utimesSync(path, at, at);
  return path;
}

function populate(dataDir: string) {
  return {
    oldLog: aged(turnLogFile(dataDir, "telegram:1", "old"), 40),
    newLog: aged(turnLogFile(dataDir, "telegram:1", "new"), 2),
    lonelyOldLog: aged(turnLogFile(dataDir, "slack:T1:C1", "old"), 31),
    oldArchive: aged(archivedSessionFile(dataDir, "telegram:1", new Date(Date.now() - 40 * DAY_MS)), 40),
    newArchive: aged(archivedSessionFile(dataDir, "telegram:1", new Date()), 0.5),
    // A live history untouched for months is the agent's memory, not a record: never pruned.
    liveHistory: aged(sessionFile(dataDir, "telegram:1"), 90),
  };
}

describe("backend retention", () => {
  it("deletes turn logs and archives older than the retention period, and nothing else", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "evie-retention-"));
    dirs.push(dataDir);
    const files = populate(dataDir);
    expect(await pruneExpiredFiles(dataDir, 30)).toEqual({ turnLogs: 2, archives: 1 });
    expect(existsSync(files.oldLog)).toBe(false);
    expect(existsSync(files.lonelyOldLog)).toBe(false);
    expect(existsSync(dirname(files.lonelyOldLog))).toBe(false); // its emptied session directory too
    expect(existsSync(files.oldArchive)).toBe(false);
    for (const kept of [files.newLog, files.newArchive, files.liveHistory]) expect(existsSync(kept)).toBe(true);
    // A shorter period takes more.
    expect(await pruneExpiredFiles(dataDir, 1)).toEqual({ turnLogs: 1, archives: 0 });
    expect(existsSync(files.newLog)).toBe(false);
  });

  it("copes with a data dir that has none of these yet", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "evie-retention-empty-"));
    dirs.push(dataDir);
    expect(await pruneExpiredFiles(join(dataDir, "never-made"), 30)).toEqual({ turnLogs: 0, archives: 0 });
  });

  it("the server prunes at start with MESSAGE_RETENTION_DAYS", async () => {
    const dir = mkdtempSync(join(tmpdir(), "evie-retention-process-"));
    dirs.push(dir);
    const files = populate(join(dir, "data"));
    const backend = await startBackendProcess("retention-test-token", { dir, env: { MESSAGE_RETENTION_DAYS: "10" } });
    try {
      await waitFor(() => !existsSync(files.oldLog) && !existsSync(files.oldArchive), 10_000, "the start-up prune");
      expect(existsSync(files.lonelyOldLog)).toBe(false);
      for (const kept of [files.newLog, files.newArchive, files.liveHistory]) expect(existsSync(kept)).toBe(true);
      // The log line is written after the files are gone and reaches this process through a pipe: wait for it too.
      await waitFor(() => backend.output.stdout.includes("retention.pruned"), 10_000, "the retention.pruned log line");
    } finally {
      await backend.close();
    }
  });
});
