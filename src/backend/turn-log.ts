/** Appends a turn's events to `<PI_DATA_DIR>/turns/<session>/<turn>.ndjson`, a record that outlives the process. */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { isTerminal, type TurnEvent } from "../pi/protocol";

/**
 * Returns an event sink that writes one JSON line per event and closes the file after the
 * terminal one. Events of one synchronous burst are written together, in one write.
 */
export function turnLogWriter(path: string): (event: TurnEvent) => void {
  let stream: WriteStream | undefined;
  let pending = "";
  let ended = false;
  const flush = () => {
    if (!stream) {
      mkdirSync(dirname(path), { recursive: true });
      stream = createWriteStream(path, { flags: "a" });
      // A full disk must not take the turn down with it; the in-memory log is what clients read.
      stream.on("error", (error) => console.error(`[backend] turn log ${path}: ${error.message}`));
    }
    stream.write(pending);
    pending = "";
    if (ended) stream.end();
  };
  return (event) => {
    if (!pending) queueMicrotask(flush);
    pending += `${JSON.stringify(event)}\n`;
    if (isTerminal(event)) ended = true;
  };
}
