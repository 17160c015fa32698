/**
 * Splits a long reply into messages a platform accepts, at paragraph or line boundaries
 * where it can. A code fence cut in two is closed at the end of one part and reopened at
 * the start of the next, so both render as code.
 */
import { FENCE } from "../markdown";

/** Splits `text` into parts of at most `max` characters (greedy, so a longer text keeps the same first parts). */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let rest = text;
  let reopen = "";
  // Room for reopening and closing a fence around a cut.
  const room = max - 32;
  while (reopen.length + rest.length > max) {
    const cut = cutPoint(rest, room - reopen.length);
    let part = reopen + rest.slice(0, cut).replace(/\s+$/, "");
    rest = rest.slice(cut).replace(/^\n+/, "");
    const open = openFence(part);
    reopen = "";
    if (open) {
      part += `\n${open.marker}`;
      reopen = `${open.marker}${open.language}\n`;
    }
    parts.push(part);
  }
  if (rest.trim() !== "") parts.push(reopen + rest);
  return parts;
}

/** Where to cut a text longer than `limit`: a paragraph break, else a line break, else a space, else the limit. */
function cutPoint(text: string, limit: number): number {
  const window = text.slice(0, limit);
  for (const [separator, minimum] of [
    ["\n\n", 0.5],
    ["\n", 0.3],
    [" ", 0.3],
  ] as const) {
    const at = window.lastIndexOf(separator);
    if (at > limit * minimum) return at + separator.length;
  }
  // No boundary: cut hard, but never between the two halves of a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/** The fence left open at the end of `text`, if any. */
function openFence(text: string): { marker: string; language: string } | null {
  let open: { marker: string; language: string } | null = null;
  for (const line of text.split("\n")) {
    const fence = FENCE.exec(line);
    if (!fence) continue;
    if (!open) open = { marker: fence[1]!, language: fence[2] ?? "" };
    else if (fence[1] === open.marker) open = null;
  }
  return open;
}

/** What a message streaming a reply shows: the reply, or its latest part after "…" once it outgrows one message. */
export function previewOf(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = text.slice(text.length - (max - 2));
  const lineStart = tail.indexOf("\n");
  return `…\n${lineStart >= 0 && lineStart < tail.length / 2 ? tail.slice(lineStart + 1) : tail}`;
}
