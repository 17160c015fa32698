/**
 * Retention on the backend's disk: turn logs and archived (reset) session histories older than
 * MESSAGE_RETENTION_DAYS are deleted, at start and once a day. Age is the file's mtime (a turn log
 * is written once, when the turn ends; an archive when the session was reset). Live session
 * histories and workspaces are never touched: they are the agent's memory and work, not records.
 */
import { readdir, rmdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { log } from "../shared/log";
import { sessionsDir } from "./paths";

const DAY_MS = 24 * 60 * 60 * 1000;

/** What one pass deleted. */
export interface Pruned {
  turnLogs: number;
  archives: number;
}

/** Deletes turn logs and session archives older than `retentionDays` (by mtime, against `now`). */
export async function pruneExpiredFiles(dataDir: string, retentionDays: number, now = Date.now()): Promise<Pruned> {
  const cutoff = now - retentionDays * DAY_MS;
  const turnsDir = join(dataDir, "turns");
  let turnLogs = 0;
  for (const session of await entries(turnsDir)) {
    const dir = join(turnsDir, session);
    const files = await entries(dir);
    let kept = 0;
    for (const file of files) {
      if (await removeIfOlder(join(dir, file), cutoff)) turnLogs++;
      else kept++;
    }
    // An emptied session directory goes too (a new turn makes it again); one that is not empty stays.
    if (kept === 0 && files.length > 0) await rmdir(dir).catch(() => {});
  }
  const archiveDir = join(sessionsDir(dataDir), "archive");
  let archives = 0;
  for (const file of await entries(archiveDir)) {
    if (await removeIfOlder(join(archiveDir, file), cutoff)) archives++;
  }
  return { turnLogs, archives };
}

/** Prunes now and then every day (unref'd); returns the stop function. */
export function startRetention(dataDir: string, retentionDays: number, now: () => number = Date.now): () => void {
  const pass = () => {
    pruneExpiredFiles(dataDir, retentionDays, now())
      .then((pruned) => {
        if (pruned.turnLogs || pruned.archives) log.info("retention.pruned", { ...pruned, retentionDays });
      })
      .catch((error) => log.error("retention.failed", { dataDir, error }));
  };
  pass();
  const timer = setInterval(pass, DAY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return []; // not made yet
  }
}

/** Deletes a regular file last modified before `cutoff`; false when it is newer, not a file, or gone. */
async function removeIfOlder(path: string, cutoff: number): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.mtimeMs >= cutoff) return false;
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}
