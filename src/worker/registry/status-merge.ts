/**
 * Merging the shards' answers into one status page. Registry state is soft: while REGISTRY_SHARDS
 * changes, a chat can be held by its old and its new shard at once, so each chat is shown once,
 * from the report with the highest version. Entries of other kinds that several shards hold (the
 * backend's reachability, reported with an `at` time) merge the same way: newest `at` wins.
 */
import { encodeCursor, statusOrder } from "./status-order";
import type { SessionSnapshot, SessionStatus, ShardPage } from "./types";

export interface MergedPage {
  idleTimeoutSeconds: number;
  sessions: SessionStatus[];
  /** Pass as `?cursor=` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Asks shard `shard` for its rows of `chats` (the ones it holds). */
export type ShardLookup = (shard: number, chats: string[]) => Promise<SessionSnapshot[]>;

/**
 * One page of at most `limit` chats from every shard's page (`pages[i]` from shard i, each already
 * after the cursor and in order). Rows are merged in their own order and the cursor is the last row
 * taken, so paging never skips a row. A chat held by a shard that is not its home under the current
 * count (left from before REGISTRY_SHARDS changed) is shown from there only while its home does not
 * hold it: once the chat has reported to its home, that row is the one shown (where it falls in the
 * order), so every chat is listed once across all pages.
 */
export async function mergeShardPages(
  pages: ShardPage[],
  limit: number,
  now: number,
  homeOf: (chat: string) => number,
  lookup: ShardLookup,
): Promise<Omit<MergedPage, "idleTimeoutSeconds">> {
  const rows = pages.flatMap((page, shard) => page.sessions.map((s) => ({ s, shard })));
  rows.sort((a, b) => statusOrder(a.s, b.s));
  const candidates = rows.slice(0, limit);
  const more = rows.length > limit || pages.some((p) => p.more);
  const last = candidates.at(-1);

  const strays = new Map<number, string[]>();
  for (const { s, shard } of candidates) {
    const home = homeOf(s.chat);
    if (home !== shard) strays.set(home, [...(strays.get(home) ?? []), s.chat]);
  }
  const heldAtHome = new Set<string>();
  await Promise.all(
    [...strays].map(async ([home, chats]) => {
      for (const h of await lookup(home, chats)) heldAtHome.add(h.chat);
    }),
  );
  const shown = candidates.filter(({ s, shard }) => shard === homeOf(s.chat) || !heldAtHome.has(s.chat));
  return { sessions: shown.map(({ s }) => toStatus(s, now)), nextCursor: more && last ? encodeCursor(last.s) : null };
}

/** Of several shards' entries for the same thing, the one reported last (highest `at`); undefined when there are none. */
export function newestByAt<T extends { at: number }>(entries: Array<T | null | undefined>): T | undefined {
  let best: T | undefined;
  for (const e of entries) if (e && (!best || e.at > best.at)) best = e;
  return best;
}

/** How a snapshot is shown by the status API. */
export function toStatus(s: SessionSnapshot, now: number): SessionStatus {
  const status: SessionStatus = {
    chat: s.chat,
    lastActivity: new Date(s.lastActivity).toISOString(),
    idleSeconds: Math.max(0, Math.floor((now - s.lastActivity) / 1000)),
    busy: s.busy,
    queued: s.queued,
    backend: s.backend,
  };
  if (s.host) status.host = s.host;
  return status;
}
