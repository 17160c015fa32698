/**
 * Finished turns read back from their on-disk logs (`turn-log.ts`): how the backend answers for a
 * turn it finished before it restarted, or longer ago than it keeps turns in memory. A turn that
 * never finished has no log (the log is written after the terminal event), so it stays unknown.
 */
import { existsSync, readFileSync } from "node:fs";
import { isTerminal, type TurnEvent, type TurnEventBody } from "../shared/protocol";
import { turnLogFile } from "./paths";
import { Turn } from "./turn";

/** The finished turn logged for `sessionId`/`turnId` in `dataDir`, or undefined when there is none (or it is unreadable). */
export function loadFinishedTurn(dataDir: string, sessionId: string, turnId: string, now: () => number = Date.now): Turn | undefined {
  const file = turnLogFile(dataDir, sessionId, turnId);
  // Every new turn is looked up here first and has no log: asked without a failed read, whose
  // ENOENT error costs about a millisecond to build (bench:backend's server overhead).
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const events = lastRun(text);
  if (!events) return undefined;
  const turn = new Turn(sessionId, turnId, () => {}, now);
  for (const { seq: _seq, ...body } of events) turn.push(body as TurnEventBody);
  return turn;
}

/**
 * The events of the log's last complete run: seq 1..n ending in one terminal event. A log holds
 * more than one run only if a turnId was run again (before this module existed, a restarted
 * backend did that); a torn last line or any gap makes the log unusable rather than half-replayed.
 */
function lastRun(text: string): TurnEvent[] | undefined {
  const events: TurnEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let event: TurnEvent;
    try {
      event = JSON.parse(line) as TurnEvent;
    } catch {
      return undefined;
    }
    if (event?.seq === 1) events.length = 0;
    events.push(event);
  }
  const ordered = events.every((event, i) => event.seq === i + 1 && typeof event.type === "string");
  const terminal = events.at(-1);
  if (!ordered || !terminal || !isTerminal(terminal) || events.slice(0, -1).some(isTerminal)) return undefined;
  return events;
}
