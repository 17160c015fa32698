/** Status API: reads only the registry, so it answers while any number of turns run. */
import { Hono } from "hono";
import { log } from "../../shared/log";
import type { ChatSessionCore } from "../chat/chat-session";
import type { StateCounts } from "../chat/ledger";
import type { ChatSessions, Env, Registries } from "../config/env";
import { ApiError } from "../http/errors";
import type { Registry } from "../registry/registry";
import { registryStub } from "../registry/registry-stub";

/** How long `GET /api/status/{chat}` waits for the chat's own ledger counts before answering without them. */
const COUNTS_WAIT_MS = 2_000;

export const status = new Hono<{ Bindings: Env & Registries<Registry> & ChatSessions<ChatSessionCore> }>()
  .get("/status", async (c) => c.json(await registryStub(c.env).listStatus()))
  .get("/status/:chat", async (c) => {
    const chat = c.req.param("chat");
    const found = await registryStub(c.env).getStatus(chat);
    if (!found) throw new ApiError(404, "not_found", `no session for chat ${chat}`);
    return c.json({ ...found, counts: await ledgerCounts(c.env.CHAT_SESSION, chat) });
  });

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
