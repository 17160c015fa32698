/**
 * Markdown tables made readable in chats that have none (Telegram, Slack): the rows are laid out
 * as aligned monospace columns, which the caller puts in a code block (`<pre>`, ```).
 */

/** `|---|:---:|`: the line under a table's header. */
const SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

/** The table starting at line `i` as aligned plain text, and the index of the line after it; null when no table starts there. */
export function readTable(lines: string[], i: number): { text: string; next: number } | null {
  const header = lines[i];
  const separator = lines[i + 1];
  if (header === undefined || separator === undefined || !header.includes("|") || !SEPARATOR.test(separator)) return null;
  const alignments = cells(separator).map((c) => (c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : "left"));
  const rows = [cells(header)];
  let next = i + 2;
  for (; next < lines.length && lines[next]!.includes("|") && lines[next]!.trim() !== ""; next++) rows.push(cells(lines[next]!));
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(1, ...rows.map((r) => width(r[c] ?? ""))));
  const line = (row: string[]) =>
    widths
      .map((w, c) => pad(row[c] ?? "", w, alignments[c] ?? "left"))
      .join("  ")
      .trimEnd();
  const text = [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
  return { text, next };
}

/** A row's cells, with inline markup (`**`, `` ` ``, `~~`) removed: it would show literally in a code block. */
function cells(row: string): string[] {
  const trimmed = row
    .trim()
    .replace(/^\|/, "")
    .replace(/(?<!\\)\|$/, "");
  return trimmed.split(/(?<!\\)\|/).map((cell) =>
    cell
      .trim()
      .replace(/\\\|/g, "|")
      .replace(/\*\*(.+?)\*\*|__(.+?)__|~~(.+?)~~|`([^`]+)`/g, (_m, a, b, c, d) => a ?? b ?? c ?? d),
  );
}

/** Characters as shown (code points, so an emoji counts once). */
function width(text: string): number {
  return [...text].length;
}

function pad(text: string, w: number, align: string): string {
  const gap = w - width(text);
  if (align === "right") return " ".repeat(gap) + text;
  if (align === "center") return " ".repeat(Math.floor(gap / 2)) + text + " ".repeat(Math.ceil(gap / 2));
  return text + " ".repeat(gap);
}
