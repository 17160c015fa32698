/**
 * pi's history file for a session, readied before a pi opens it and moved aside on reset. Both run
 * only while no pi of that session is alive (a spawn waits for its predecessor's exit; reset
 * releases first), so nothing here races pi's own writes.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname } from "node:path";
import { archivedSessionFile, legacySessionFile, sessionFile, sessionsDir } from "./paths";
import { makePrivateDir, PRIVATE_FILE_MODE } from "./private-files";

/**
 * Returns the session's history file for pi to resume, after adopting a file under its pre-upgrade
 * name, making it private, and pointing its recorded working directory at `cwd`.
 */
export function prepareSessionFile(dataDir: string, sessionId: string, cwd: string): string {
  const file = sessionFile(dataDir, sessionId);
  makePrivateDir(sessionsDir(dataDir));
  adoptLegacyFile(dataDir, sessionId, file);
  if (!existsSync(file)) return file;
  chmodSync(file, PRIVATE_FILE_MODE); // written by an older backend, or by a pi without our umask
  pinWorkingDirectory(file, cwd);
  return file;
}

/** Moves the session's history to the archive so the next turn starts fresh; false when it had none. */
export function archiveSessionFile(dataDir: string, sessionId: string, at: Date): boolean {
  const file = sessionFile(dataDir, sessionId);
  adoptLegacyFile(dataDir, sessionId, file);
  if (!existsSync(file)) return false;
  const archived = archivedSessionFile(dataDir, sessionId, at);
  makePrivateDir(dirname(archived));
  chmodSync(file, PRIVATE_FILE_MODE);
  renameSync(file, archived);
  return true;
}

/** Renames a history written under the name ids had before case was encoded (see `fileSafe`). */
function adoptLegacyFile(dataDir: string, sessionId: string, file: string): void {
  const legacy = legacySessionFile(dataDir, sessionId);
  if (legacy === file || existsSync(file) || !existsSync(legacy)) return;
  // On a case-insensitive filesystem `existsSync` also finds the file of an id differing only in
  // case; only an entry of exactly this name was written for this id.
  if (!readdirSync(dirname(legacy)).includes(basename(legacy))) return;
  renameSync(legacy, file);
}

const HEADER_PROBE_BYTES = 64 * 1024;

/**
 * pi resumes a session in the directory its header line records, not in the one it is started in,
 * so a history begun before the workspace moved (an older backend worked in the checkout) or
 * before `PI_CWD` changed would keep the agent in the old place. The header is rewritten to `cwd`.
 */
function pinWorkingDirectory(file: string, cwd: string): void {
  const header = readHeader(file);
  if (!header || typeof header.cwd !== "string" || sameDirectory(header.cwd, cwd)) return;
  const text = readFileSync(file, "utf8");
  const newline = text.indexOf("\n");
  const rest = newline === -1 ? "" : text.slice(newline);
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ ...header, cwd })}${rest}`, { mode: PRIVATE_FILE_MODE });
  renameSync(temporary, file);
}

/** pi's session header (the first line), or undefined when the file does not start with one. */
function readHeader(file: string): Record<string, unknown> | undefined {
  const fd = openSync(file, "r");
  const buffer = Buffer.alloc(HEADER_PROBE_BYTES);
  let length: number;
  try {
    length = readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
  const head = buffer.toString("utf8", 0, length);
  const end = head.indexOf("\n");
  try {
    const header = JSON.parse(end === -1 ? head : head.slice(0, end)) as unknown;
    if (typeof header === "object" && header !== null && (header as { type?: unknown }).type === "session")
      return header as Record<string, unknown>;
  } catch {
    // an empty or damaged history: pi starts it afresh, nothing to pin
  }
  return undefined;
}

function sameDirectory(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false; // the recorded directory is gone
  }
}
