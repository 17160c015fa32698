/** Where the backend keeps things on disk, and where pi's CLI lives. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A file-safe, reversible name for a session or turn id that stays distinct on case-insensitive
 * filesystems (macOS, Windows), where `http:Demo` and `http:demo` must not share a file. Ids match
 * `[A-Za-z0-9._:-]{1,128}`: the name is the id in lower case with `:` written as `~`, and, when the
 * id has capitals, `+` and a base-32 bit mask of their positions (bit i: character i), e.g.
 * `http:Demo` → `http~demo+10`. `~` and `+` are outside the id alphabet, so the mapping is
 * one-to-one even ignoring case; the mask keeps a 128-character id under 160 characters. An id
 * without capitals keeps the name it had before the mask existed.
 */
export function fileSafe(id: string): string {
  let capitals = 0n;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code >= 65 && code <= 90) capitals |= 1n << BigInt(i);
  }
  const name = id.replaceAll(":", "~").toLowerCase();
  return capitals === 0n ? name : `${name}+${capitals.toString(32)}`;
}

/** pi's session history file for a session: resumed on every spawn. */
export function sessionFile(dataDir: string, sessionId: string): string {
  return join(sessionsDir(dataDir), `${fileSafe(sessionId)}.jsonl`);
}

/** Where `reset` moves the old history, so it is kept but not resumed. */
export function archivedSessionFile(dataDir: string, sessionId: string, at: Date): string {
  return join(sessionsDir(dataDir), "archive", `${fileSafe(sessionId)}.${at.toISOString().replaceAll(":", "-")}.jsonl`);
}

/** The directory of pi's session histories. */
export function sessionsDir(dataDir: string): string {
  return join(dataDir, "sessions");
}

/** The session history file a session had before `fileSafe` encoded case: still on disk after an upgrade. */
export function legacySessionFile(dataDir: string, sessionId: string): string {
  return join(sessionsDir(dataDir), `${sessionId.replaceAll(":", "~")}.jsonl`);
}

/** A chat's own working directory with `PI_WORKSPACE=per-chat`. */
export function chatWorkspace(dataDir: string, sessionId: string): string {
  return join(dataDir, "workspaces", fileSafe(sessionId));
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
