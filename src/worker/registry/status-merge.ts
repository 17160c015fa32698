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
 * after the cursor and in order). A chat held by a shard that is not its home under the current
 * count (left from before REGISTRY_SHARDS changed) is checked with its home shard, and dropped
 * when the home holds a newer report: that one is shown where it falls in the order, so every chat
 * is listed once across all pages. The cursor is taken before that drop, so no chat is skipped.
 */
export async function mergeShardPages(
  pages: ShardPage[],
  limit: number,
  now: number,
  homeOf: (chat: string) => number,
  lookup: ShardLookup,
): Promise<Omit<MergedPage, "idleTimeoutSeconds">> {
  const newest = new Map<string, { s: SessionSnapshot; shard: number }>();
  for (const [shard, page] of pages.entries()) {
    for (const s of page.sessions) {
      const held = newest.get(s.chat);
      if (!held || s.version > held.s.version) newest.set(s.chat, { s, shard });
    }
  }
  const ordered = [...newest.values()].sort((a, b) => statusOrder(a.s, b.s));
  const candidates = ordered.slice(0, limit);
  const more = ordered.length > limit || pages.some((p) => p.more);
  const last = candidates.at(-1);

  const strays = new Map<number, string[]>();
  for (const { s, shard } of candidates) {
    const home = homeOf(s.chat);
    if (home !== shard && !pages[home]?.sessions.some((h) => h.chat === s.chat)) strays.set(home, [...(strays.get(home) ?? []), s.chat]);
  }
  const homeVersion = new Map<string, number>();
  await Promise.all(
    [...strays].map(async ([home, chats]) => {
      for (const h of await lookup(home, chats)) homeVersion.set(h.chat, h.version);
    }),
  );
  const shown = candidates.filter(({ s }) => !((homeVersion.get(s.chat) ?? -1) > s.version));
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
