/** Chat actions over HTTP: stop the running turn, start a new conversation. */
import { Hono } from "hono";
// zod/mini imported by name, not zod: the Worker bundles only the checks it uses (docs/decisions/0009-scale.md).
import { maxLength, minLength, object, optional, string } from "zod/mini";
import type { ChatSessionCore } from "../chat/chat-session";
import type { ChatSessions, Env } from "../config/env";
import { readBody } from "../http/middleware";
import { describe } from "../http/openapi/describe";
import { ResetAnswer, StopAnswer } from "../http/openapi/responses";
import { chatKeyOf } from "./chat-id";

/** `POST /reset` body; all optional, `{}` or an empty body will do. */
export const ResetRequest = object({
  id: optional(
    string({ error: "id: must be a string" }).check(
      minLength(1, "id: must not be empty"),
      maxLength(128, "id: must be at most 128 characters"),
    ),
  ),
});

export const chatActions = new Hono<{ Bindings: Env & ChatSessions<ChatSessionCore> }>()
  .post(
    "/chats/:chatId/stop",
    describe({
      summary: "Stop the running turn at once",
      description: "The stopped message ends `failed` (`aborted`); queued messages stay queued. Send `{}` as the body.",
      tags: ["chats"],
      answers: { 200: { description: "What was stopped and how many wait", schema: StopAnswer } },
      errors: [400, 401, 403, 413, 415],
    }),
    async (c) => {
      const chat = chatKeyOf(c.req.param("chatId"));
      const { queued, messageId } = await c.env.CHAT_SESSION.getByName(chat).abortTurn();
      return c.json({ chat, stopped: messageId ?? null, queued });
    },
  )
  .post(
    "/chats/:chatId/reset",
    describe({
      summary: "Start a new conversation after what is already queued",
      description: "Messages sent before it still go to the old conversation; the running turn is not stopped.",
      tags: ["chats"],
      body: ResetRequest,
      bodyRequired: false,
      answers: { 202: { description: "The reset, queued", schema: ResetAnswer } },
      errors: [400, 401, 403, 413, 415],
    }),
    async (c) => {
      const chat = chatKeyOf(c.req.param("chatId"));
      const raw = await c.req.text();
      const body = raw.trim() === "" ? {} : await readBody({ text: async () => raw }, ResetRequest);
      const { record, queued } = await c.env.CHAT_SESSION.getByName(chat).startNewConversation({ messageId: body.id, abortRunning: false });
      return c.json({ ...record, queued }, 202);
    },
  );
