/** The one order of the status list: most recently active first, then by chat key; and cursors into it. */
import type { SessionSnapshot, StatusCursor } from "./types";

/** Negative when `a` is listed before `b`. */
export function statusOrder(a: StatusCursor, b: StatusCursor): number {
  return b.lastActivity - a.lastActivity || (a.chat < b.chat ? -1 : a.chat > b.chat ? 1 : 0);
}

/** Whether `s` comes after the cursor (every entry does when there is none). */
export function isAfter(s: StatusCursor, cursor: StatusCursor | undefined): boolean {
  return !cursor || statusOrder(cursor, s) < 0;
}

/** The opaque `cursor` of the page that starts after `s`. */
export function encodeCursor(s: Pick<SessionSnapshot, "lastActivity" | "chat">): string {
  const bytes = new TextEncoder().encode(JSON.stringify([s.lastActivity, s.chat]));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The cursor a client sent back, or null when it is not one we made. */
export function decodeCursor(text: string): StatusCursor | null {
  try {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const value: unknown = JSON.parse(json);
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [lastActivity, chat] = value;
    if (!Number.isSafeInteger(lastActivity) || typeof chat !== "string") return null;
    return { lastActivity, chat };
  } catch {
    return null;
  }
}
