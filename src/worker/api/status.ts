/**
 * Status API: reads only the registry shards, so it answers while any number of turns run.
 * `GET /status` asks every shard in parallel and merges one page (`?limit=`, default 100, max 1000;
 * `?cursor=` from the previous page's `nextCursor`); `GET /status/{chat}` asks the chat's shard.
 */
import { Hono } from "hono";
import { log } from "../../shared/log";
import type { ChatSessionCore } from "../chat/chat-session";
import type { StateCounts } from "../chat/ledger";
import { idleTimeoutSeconds } from "../config/config";
import type { ChatSessions, Env, Registries } from "../config/env";
import { ApiError } from "../http/errors";
import { describe } from "../http/openapi/describe";
import { SessionStatus, StatusList } from "../http/openapi/responses";
import { backendStatus } from "../registry/backend-status";
import type { Registry } from "../registry/registry";
import { shardOf } from "../registry/shard-map";
import { allRegistryShards, registryFor } from "../registry/shards";
import { mergeShardPages, newestByAt, toStatus } from "../registry/status-merge";
import { decodeCursor } from "../registry/status-order";
import type { SessionSnapshot, StatusCursor } from "../registry/types";

export const DEFAULT_STATUS_LIMIT = 100;
export const MAX_STATUS_LIMIT = 1000;

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_STATUS_LIMIT;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_STATUS_LIMIT) {
    throw new ApiError(400, "invalid_request", `limit: must be an integer from 1 to ${MAX_STATUS_LIMIT}`);
  }
  return value;
}

function cursorOf(raw: string | undefined): StatusCursor | undefined {
  if (raw === undefined) return undefined;
  const cursor = decodeCursor(raw);
  if (!cursor) throw new ApiError(400, "invalid_request", "cursor: not a cursor this API gave out (use nextCursor from the previous page)");
  return cursor;
}

/** How long `GET /api/status/{chat}` waits for the chat's own ledger counts before answering without them. */
const COUNTS_WAIT_MS = 2_000;

export const status = new Hono<{ Bindings: Env & Registries<Registry> & ChatSessions<ChatSessionCore> }>()
  .get(
    "/status",
    describe({
      summary: "Every chat: busy or idle, queue, last activity, backend session; pages of `limit` with `cursor`",
      tags: ["status"],
      answers: { 200: { description: "Chats, most recently active first, and the backend's reachability", schema: StatusList } },
      errors: [400, 401, 403],
    }),
    async (c) => {
      const limit = limitOf(c.req.query("limit"));
      const after = cursorOf(c.req.query("cursor"));
      const shards = allRegistryShards(c.env);
      const pages = await Promise.all(shards.map((shard) => shard.listStatus({ limit, after })));
      const page = await mergeShardPages(
        pages,
        limit,
        Date.now(),
        (chat) => shardOf(chat, shards.length),
        (i, chats) => shards[i]!.getStatuses(chats),
      );
      const backend = backendStatus(newestByAt(pages.map((p) => p.backend)), Date.now());
      return c.json({ idleTimeoutSeconds: pages[0]?.idleTimeoutSeconds ?? idleTimeoutSeconds(c.env), backend, ...page });
    },
  )
  .get(
    "/status/:chat",
    describe({
      summary: "One chat's status, by chat key (e.g. http:a), with its messages per state",
      tags: ["status"],
      answers: { 200: { description: "The chat", schema: SessionStatus } },
      errors: [401, 403, 404],
    }),
    async (c) => {
      const chat = c.req.param("chat");
      // Its own shard knows it; only a chat it has not heard of (maybe not re-homed yet) is looked for in the others.
      let found: SessionSnapshot | null = await registryFor(c.env, chat).getStatus(chat);
      if (!found) {
        const all = await Promise.all(allRegistryShards(c.env).map((shard) => shard.getStatus(chat)));
        for (const s of all) if (s && (!found || s.version > found.version)) found = s;
      }
      if (!found) throw new ApiError(404, "not_found", `no session for chat ${chat}`);
      return c.json({ ...toStatus(found, Date.now()), counts: await ledgerCounts(c.env.CHAT_SESSION, chat) });
    },
  );

/**
 * The chat's messages per state, asked of its own object (an RPC that never takes the turn lock);
 * null if it does not answer within COUNTS_WAIT_MS, so the status still never waits on a chat.
 */
async function ledgerCounts(namespace: DurableObjectNamespace<ChatSessionCore>, chat: string): Promise<StateCounts | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), COUNTS_WAIT_MS);
  });
  try {
    return await Promise.race([namespace.getByName(chat).messageCounts(), timeout]);
  } catch (err) {
    log.warn("status.counts_failed", { chat, error: err });
    return null;
  } finally {
    clearTimeout(timer);
  }
}
