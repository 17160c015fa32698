/**
 * Parses one line of pi's stdout. pi's `message_update` events repeat the whole partial message
 * (twice: `message` and `assistantMessageEvent.partial`), so for a long reply each line grows and
 * parsing them all is quadratic: 2,000 deltas are ~30 MB of JSON. Only the delta is needed, so
 * those lines take a fast path that reads just `assistantMessageEvent.type` and `.delta`.
 */

/** A record pi writes on stdout: a command response or an agent event. */
export interface PiRecord {
  type: string;
  [key: string]: unknown;
}

const UPDATE_PREFIX = '{"type":"message_update"';
const EVENT_KEY = '"assistantMessageEvent":{"type":"';
const DELTA_KEY = ',"delta":"';

/** The record on `line`, or undefined when it is not JSON. */
export function parsePiLine(line: string): PiRecord | undefined {
  if (line.startsWith(UPDATE_PREFIX)) {
    const update = fastMessageUpdate(line);
    if (update) return update;
  }
  try {
    return JSON.parse(line) as PiRecord;
  } catch {
    return undefined;
  }
}

/**
 * `{type:"message_update", assistantMessageEvent:{type, delta?}}` read without parsing the rest, or
 * undefined when the line does not have the expected shape (the caller then parses it fully).
 * Inside JSON strings every `"` is escaped, so the unescaped key patterns can only be real keys.
 */
export function fastMessageUpdate(line: string): PiRecord | undefined {
  const eventAt = line.indexOf(EVENT_KEY);
  if (eventAt === -1) return undefined;
  const typeStart = eventAt + EVENT_KEY.length;
  const typeEnd = line.indexOf('"', typeStart);
  if (typeEnd === -1) return undefined;
  const type = line.slice(typeStart, typeEnd);
  if (!/^[a-z_]+$/.test(type)) return undefined;
  if (type !== "text_delta") return { type: "message_update", assistantMessageEvent: { type } };
  // `"type":"text_delta","contentIndex":N,"delta":"..."`: the delta follows within a few characters.
  const deltaAt = line.indexOf(DELTA_KEY, typeEnd);
  if (deltaAt === -1 || deltaAt - typeEnd > 40) return undefined;
  const stringStart = deltaAt + DELTA_KEY.length - 1;
  const stringEnd = endOfJsonString(line, stringStart);
  if (stringEnd === -1) return undefined;
  try {
    const delta = JSON.parse(line.slice(stringStart, stringEnd + 1)) as string;
    return { type: "message_update", assistantMessageEvent: { type, delta } };
  } catch {
    return undefined;
  }
}

/** Index of the closing quote of the JSON string whose opening quote is at `start`, or -1. */
function endOfJsonString(line: string, start: number): number {
  for (let i = start + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 92 /* backslash */) i++;
    else if (c === 34 /* quote */) return i;
  }
  return -1;
}
