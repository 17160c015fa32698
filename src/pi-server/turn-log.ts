/** Writes a finished turn's events to `<PI_DATA_DIR>/turns/<session>/<turn>.ndjson`, a record for people that outlives the process. */
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { log } from "../shared/log";
import { isTerminal, type TurnEvent } from "../shared/protocol";
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "./private-files";

// A recursive mkdir costs as much as the append itself; each session's directory is made once.
const madeDirs = new Set<string>();

/**
 * Returns an event sink that collects a turn's events and writes them in one go after the
 * terminal event, off the path that delivers that event to clients. A file per event burst
 * would cost more than the rest of a warm turn's server work (measured with bench:backend); a
 * turn in flight when the backend itself dies is not logged, but its pi history is on disk.
 */
export function turnLogWriter(path: string): (event: TurnEvent) => void {
  const dir = dirname(path);
  const lines: string[] = [];
  return (event) => {
    lines.push(JSON.stringify(event));
    if (!isTerminal(event)) return;
    setImmediate(() => {
      (madeDirs.has(dir) ? Promise.resolve() : mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE }).then(() => void madeDirs.add(dir)))
        .then(() => appendFile(path, `${lines.join("\n")}\n`, { mode: PRIVATE_FILE_MODE }))
        // A full disk must not take the backend down; the in-memory log is what clients read.
        .catch((error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") madeDirs.delete(dir); // removed behind our back: make it again next time
          log.error("turn_log.write_failed", { path, error });
        });
    });
  };
}
