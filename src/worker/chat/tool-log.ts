/**
 * The tool calls of each message's turn (`message_tools`, chat/schema.ts), for the HTTP record's
 * `tools: [{name, args, ok}]`; `ok` is null while the tool runs.
 */

/** One tool call as the HTTP record shows it. */
export interface ToolRecord {
  name: string;
  /** The tool's arguments as pi sent them (a string when they were too long to keep); `object`, as RPC cannot carry `unknown`. */
  args: object | string;
  ok: boolean | null;
}

/** Stored args beyond this are replaced by a truncated string (a `write` carries a whole file). */
const MAX_ARGS_CHARS = 2000;

interface Row extends Record<string, SqlStorageValue> {
  idx: number;
  name: string;
  args: string;
  ok: number | null;
}

export class ToolLog {
  constructor(private readonly sql: SqlStorage) {}

  /** Records a started tool call. */
  start(messageSeq: number, name: string, args: unknown): void {
    let json = JSON.stringify(args ?? {});
    if (json.length > MAX_ARGS_CHARS) json = JSON.stringify(`${json.slice(0, MAX_ARGS_CHARS)}…`);
    this.sql.exec(
      "INSERT INTO message_tools (message_seq, idx, name, args) " +
        "VALUES (?, (SELECT COUNT(*) FROM message_tools WHERE message_seq = ?), ?, ?)",
      messageSeq,
      messageSeq,
      name,
      json,
    );
  }

  /** Marks the oldest running call of `name` finished. */
  end(messageSeq: number, name: string, ok: boolean): void {
    this.sql.exec(
      `UPDATE message_tools SET ok = ? WHERE message_seq = ? AND idx =
         (SELECT MIN(idx) FROM message_tools WHERE message_seq = ? AND name = ? AND ok IS NULL)`,
      ok ? 1 : 0,
      messageSeq,
      messageSeq,
      name,
    );
  }

  list(messageSeq: number): ToolRecord[] {
    return this.sql
      .exec<Row>("SELECT idx, name, args, ok FROM message_tools WHERE message_seq = ? ORDER BY idx", messageSeq)
      .toArray()
      .map((row) => ({ name: row.name, args: JSON.parse(row.args) as ToolRecord["args"], ok: row.ok === null ? null : row.ok === 1 }));
  }
}

/** The one line a tool call shows in a streamed reply: `🔧 bash: ls -la src`, at most 80 characters. */
export function toolLine(name: string, args: unknown): string {
  const line = `🔧 ${name}${describeArgs(args) ? `: ${describeArgs(args)}` : ""}`.replace(/\s+/g, " ").trim();
  const chars = [...line];
  return chars.length > 80 ? `${chars.slice(0, 79).join("")}…` : line;
}

/** The telling argument of pi's tools (bash's command, a file tool's path), else the first string, else JSON. */
function describeArgs(args: unknown): string {
  if (args === null || typeof args !== "object") return args === undefined || args === null ? "" : String(args);
  const a = args as Record<string, unknown>;
  for (const key of ["command", "path", "file_path", "pattern", "query", "url"]) {
    if (typeof a[key] === "string") return a[key] as string;
  }
  const first = Object.values(a).find((v) => typeof v === "string");
  return typeof first === "string" ? first : Object.keys(a).length ? JSON.stringify(a) : "";
}
