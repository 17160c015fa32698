/** The plain HTTP interface: send a message to a chat, read it back with its reply. */
import { Hono } from "hono";
import { maxLength, minLength, object, optional, refine, string } from "zod/mini";
import type { ChatSessionCore } from "../chat/chat-session";
import { backendConfig } from "../config/config";
import type { ChatSessions, Env } from "../config/env";
import { ApiError } from "../http/errors";
import { readBody } from "../http/middleware";
import { describe } from "../http/openapi/describe";
import { MessageRecord, StoredMessage } from "../http/openapi/responses";
import { chatKeyOf } from "./chat-id";
import { queueFullError } from "./chats";
import { ApiAttachments, decodeAttachments } from "./message-attachments";

// zod/mini imported by name, not zod: the Worker bundles only the checks it uses (docs/decisions/0009-scale.md).
const SendMessage = object({
  text: string({ error: "text: must be a string" }).check(maxLength(32_000, "text: must be at most 32000 characters")),
  id: optional(
    string({ error: "id: must be a string" }).check(
      minLength(1, "id: must not be empty"),
      maxLength(128, "id: must be at most 128 characters"),
    ),
  ),
  attachments: optional(ApiAttachments),
}).check(
  refine((body) => body.text.length > 0 || (body.attachments?.length ?? 0) > 0, {
    path: ["text"],
    message: "text: must not be empty (unless the message has attachments)",
  }),
);

export const messages = new Hono<{ Bindings: Env & ChatSessions<ChatSessionCore> }>()
  .post(
    "/chats/:chatId/messages",
    describe({
      summary: "Send a message to a chat",
      description: "Stored before the answer; its turn runs later, in arrival order. Re-sending an `id` never starts a second turn.",
      tags: ["messages"],
      body: SendMessage,
      answers: {
        202: { description: "Accepted and queued", schema: MessageRecord },
        200: { description: "This `id` was already accepted: its record", schema: MessageRecord },
      },
      errors: [400, 401, 403, 413, 415, 429, 500],
    }),
    async (c) => {
      const chat = chatKeyOf(c.req.param("chatId"));
      const body = await readBody(c.req, SendMessage);
      const attachments = body.attachments?.length ? decodeAttachments(body.attachments) : undefined;
      // A backend we must not talk to: say so now, rather than store a message whose turn can only fail.
      backendConfig(c.env);
      const { created, record, refused } = await c.env.CHAT_SESSION.getByName(chat).enqueue({
        messageId: body.id,
        text: body.text,
        attachments,
      });
      if (refused) throw queueFullError(chat, refused);
      return c.json(record, created ? 202 : 200);
    },
  )
  .get(
    "/chats/:chatId/messages/:messageId",
    describe({
      summary: "Read a message, its state and its reply",
      tags: ["messages"],
      answers: { 200: { description: "The message", schema: StoredMessage } },
      errors: [400, 401, 403, 404],
    }),
    async (c) => {
      const chat = chatKeyOf(c.req.param("chatId"));
      const record = await c.env.CHAT_SESSION.getByName(chat).getMessage(c.req.param("messageId"));
      if (!record) throw new ApiError(404, "not_found", `no message ${c.req.param("messageId")} in chat ${chat}`);
      // `position` only while it waits: 0 once it runs says nothing a state of "running" does not.
      const { chat: _chat, position, ...body } = record;
      if (record.state === "queued" && position !== undefined) return c.json({ ...body, position });
      return c.json(body);
    },
  );
