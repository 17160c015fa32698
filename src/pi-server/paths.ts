/** Where the backend keeps things on disk, and where pi's CLI lives. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A file-safe, reversible name for a session or turn id. Ids match `[A-Za-z0-9._:-]`, so only `:`
 * (a drive separator on Windows, awkward in shells) needs escaping; `~` is outside the id alphabet,
 * so the mapping stays one-to-one.
 */
export function fileSafe(id: string): string {
  return id.replaceAll(":", "~");
}

/** pi's session history file for a session: resumed on every spawn. */
export function sessionFile(dataDir: string, sessionId: string): string {
  return join(dataDir, "sessions", `${fileSafe(sessionId)}.jsonl`);
}

/** Where `reset` moves the old history, so it is kept but not resumed. */
export function archivedSessionFile(dataDir: string, sessionId: string, at: Date): string {
  return join(dataDir, "sessions", "archive", `${fileSafe(sessionId)}.${at.toISOString().replaceAll(":", "-")}.jsonl`);
}

/** The append-only log of one turn's protocol events. */
export function turnLogFile(dataDir: string, sessionId: string, turnId: string): string {
  return join(dataDir, "turns", fileSafe(sessionId), `${fileSafe(turnId)}.ndjson`);
}

const PACKAGE_DIR = join("node_modules", "@mariozechner", "pi-coding-agent");

/**
 * The absolute path of pi's `dist/cli.js`. The package exports neither `package.json` nor a
 * `require` condition, so we look for it in the node_modules directories above this file and
 * above the working directory.
 */
export function piCliPath(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, PACKAGE_DIR, "dist", "cli.js");
      if (existsSync(candidate)) return candidate;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error("@mariozechner/pi-coding-agent is not installed: run `npm install`");
}
