/**
 * A chat over HTTP as a whole: its settings (`PATCH`), its settings and ledger counts (`GET`), and
 * its ledger, newest first (`GET .../messages?state=&limit=&cursor=`).
 */
import { Hono } from "hono";
import { strictObject, enum as zEnum } from "zod/mini";
import { HttpError } from "../../shared/http/http-error";
import type { ChatSessionCore, QueueFull } from "../chat/chat-session";
import type { MessageState } from "../chat/inbox";
import { BadCursorError, decodeCursor, type LedgerQuery, MAX_PAGE_SIZE, MESSAGE_STATES } from "../chat/ledger";
import { QUEUE_MODES } from "../chat/queue-mode";
import type { ChatSessions, Env } from "../config/env";
import { readBody } from "../http/middleware";
import { describe } from "../http/openapi/describe";
import { ChatOverview, MessagePage, QueueModeAnswer } from "../http/openapi/responses";
import { chatKeyOf } from "./chat-id";

// zod/mini carries no English messages: the unknown-field error names the field itself.
const ChatPatch = strictObject(
  { queueMode: zEnum(QUEUE_MODES, { error: `queueMode: must be one of ${QUEUE_MODES.join(", ")}` }) },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `${issue.keys.join(", ")}: not a setting of a chat` : undefined) },
);

export const chats = new Hono<{ Bindings: Env & ChatSessions<ChatSessionCore> }>()
  .patch(
    "/chats/:chatId",
    describe({
      summary: "Set the chat's queue mode (what a message sent during a turn does)",
      tags: ["chats"],
      body: ChatPatch,
      answers: { 200: { description: "The mode now in force", schema: QueueModeAnswer } },
      errors: [400, 401, 403],
    }),
    async (c) => {
      const chat = chatKeyOf(c.req.param("chatId"));
      const body = await readBody(c.req, ChatPatch);
      return c.json(await c.env.CHAT_SESSION.getByName(chat).setQueueMode(body.queueMode));
    },
  )
  .get(
    "/chats/:chatId",
    describe({
      summary: "The chat's settings and its messages per state",
      tags: ["chats"],
      answers: { 200: { description: "Settings and counts", schema: ChatOverview } },
      errors: [400, 401, 403],
    }),
    async (c) => {
      const chat = chatKeyOf(c.req.param("chatId"));
      return c.json(await c.env.CHAT_SESSION.getByName(chat).overview());
    },
  )
  .get(
    "/chats/:chatId/messages",
    describe({
      summary: "The chat's ledger, newest first, paginated (`state`, `limit`, `cursor`)",
      tags: ["chats"],
      answers: { 200: { description: "One page of messages", schema: MessagePage } },
      errors: [400, 401, 403],
    }),
    async (c) => {
      const chat = chatKeyOf(c.req.param("chatId"));
      const query = ledgerQuery(c.req.query("state"), c.req.query("limit"), c.req.query("cursor"));
      return c.json(await c.env.CHAT_SESSION.getByName(chat).listMessages(query));
    },
  );

/** Checks the list's query before any chat is asked: 400 `invalid_field` naming the parameter. */
function ledgerQuery(state: string | undefined, limit: string | undefined, cursor: string | undefined): LedgerQuery {
  const bad = (field: string, message: string) => new HttpError(400, "invalid_field", `${field}: ${message}`, { field });
  const query: LedgerQuery = {};
  if (state !== undefined) {
    if (!(MESSAGE_STATES as readonly string[]).includes(state)) throw bad("state", `must be one of ${MESSAGE_STATES.join(", ")}`);
    query.state = state as MessageState;
  }
  if (limit !== undefined) {
    const n = /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(n >= 1 && n <= MAX_PAGE_SIZE)) throw bad("limit", `must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    query.limit = n;
  }
  if (cursor !== undefined) {
    try {
      decodeCursor(cursor);
    } catch (err) {
      if (err instanceof BadCursorError) throw bad("cursor", "not a cursor this API handed out (use nextCursor from the page before)");
      throw err;
    }
    query.cursor = cursor;
  }
  return query;
}

/** 429 `queue_full` with Retry-After: the message was not stored. */
export function queueFullError(chat: string, refused: QueueFull): HttpError {
  return new HttpError(
    429,
    "queue_full",
    `chat ${chat} already has ${refused.queued} messages waiting (MAX_QUEUED is ${refused.maxQueued}); ` +
      "this message was not stored: send it again later",
    { queued: refused.queued, maxQueued: refused.maxQueued },
    { "retry-after": String(refused.retryAfterSeconds) },
  );
}
