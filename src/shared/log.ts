/**
 * The one logger of both runtimes: each event is one JSON line, `{"level","event","time",...fields}`,
 * written through `console`, which workerd (tail and `wrangler dev`) and Node (stdout/stderr) both capture.
 * Event names are dotted (`turn.end`, `webhook.ignored`, `pi.exit`); the details go in fields, never in the name.
 */

import { hostConsole } from "./runtime";

/** Extra data of one event. An Error is written as `{name, message}`; a key named like a secret is dropped. */
export type LogFields = Record<string, unknown>;

export type LogLevel = "info" | "warn" | "error";

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `bound` (e.g. `{chat}`) to every line it writes. */
  child(bound: LogFields): Logger;
}

/** Where a finished line goes; tests pass their own. */
export type LogSink = (level: LogLevel, line: string) => void;

/**
 * Keys whose value is a secret, or carries one: a bearer token or signing secret in a log line
 * would outlive its rotation in every log store it reaches. Matched on the key, so a caller
 * cannot forget to redact.
 */
const SECRET_KEY = /token|secret|authorization|password|api[-_]?key|cookie/i;

const consoleSink: LogSink = (level, line) => {
  if (level === "info") hostConsole.log(line);
  else if (level === "warn") hostConsole.warn(line);
  else hostConsole.error(line);
};

/** Creates a logger writing to `sink` (the console by default) with `bound` fields on every line. */
export function createLogger(bound: LogFields = {}, sink: LogSink = consoleSink): Logger {
  const write = (level: LogLevel, event: string, fields?: LogFields) => sink(level, formatLine(level, event, { ...bound, ...fields }));
  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
    child: (more) => createLogger({ ...bound, ...more }, sink),
  };
}

/** The process-wide logger. */
export const log: Logger = createLogger();

/** One JSON line; never throws (a field that cannot be serialized is replaced, not allowed to lose the event). */
export function formatLine(level: LogLevel, event: string, fields: LogFields, now = new Date()): string {
  const line: LogFields = { level, event, time: now.toISOString() };
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEY.test(key) || key in line) continue;
    line[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  try {
    return JSON.stringify(line, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  } catch (err) {
    return JSON.stringify({ level, event, time: line.time, logError: `fields not serializable: ${(err as Error).message}` });
  }
}
