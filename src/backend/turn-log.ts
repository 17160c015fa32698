/** Writes a finished turn's events to `<PI_DATA_DIR>/turns/<session>/<turn>.ndjson`, a record for people that outlives the process. */
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { isTerminal, type TurnEvent } from "../pi/protocol";

/**
 * Returns an event sink that collects a turn's events and writes them in one go after the
 * terminal event, off the path that delivers that event to clients. A file per event burst
 * would cost more than the rest of a warm turn's server work (measured with bench:backend); a
 * turn in flight when the backend itself dies is not logged, but its pi history is on disk.
 */
export function turnLogWriter(path: string): (event: TurnEvent) => void {
  const lines: string[] = [];
  return (event) => {
    lines.push(JSON.stringify(event));
    if (!isTerminal(event)) return;
    setImmediate(() => {
      mkdir(dirname(path), { recursive: true })
        .then(() => appendFile(path, `${lines.join("\n")}\n`))
        // A full disk must not take the backend down; the in-memory log is what clients read.
        .catch((error: Error) => console.error(`[backend] turn log ${path}: ${error.message}`));
    });
  };
}
