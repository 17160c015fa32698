/** The plain HTTP interface: send a message to a chat, read it back with its reply. */
import { Hono } from "hono";
import { z } from "zod";
import type { ChatSessionCore } from "../chat/chat-session";
import { backendConfig } from "../config/config";
import type { ChatSessions, Env } from "../config/env";
import { ApiError } from "../http/errors";
import { readBody } from "../http/middleware";
import { encodeChatKey, HTTP_CHAT_ID } from "../platforms/chat-key";

const SendMessage = z.object({
  text: z
    .string({ error: "text: must be a string" })
    .min(1, "text: must not be empty")
    .max(32_000, "text: must be at most 32000 characters"),
  id: z.string({ error: "id: must be a string" }).min(1, "id: must not be empty").max(128, "id: must be at most 128 characters").optional(),
});

/** The chat key of an HTTP chat (`http:<chatId>`), after checking the id. */
export function chatKeyOf(chatId: string): string {
  if (!HTTP_CHAT_ID.test(chatId)) throw new ApiError(400, "invalid_chat_id", "chatId: must match [A-Za-z0-9_-]{1,64}");
  return encodeChatKey({ platform: "http", chatId });
}

export const messages = new Hono<{ Bindings: Env & ChatSessions<ChatSessionCore> }>()
  .post("/chats/:chatId/messages", async (c) => {
    const chat = chatKeyOf(c.req.param("chatId"));
    const body = await readBody(c.req, SendMessage);
    // A backend we must not talk to: say so now, rather than store a message whose turn can only fail.
    backendConfig(c.env);
    const { created, record } = await c.env.CHAT_SESSION.getByName(chat).enqueue({
      messageId: body.id,
      text: body.text,
    });
    return c.json(record, created ? 202 : 200);
  })
  .get("/chats/:chatId/messages/:messageId", async (c) => {
    const chat = chatKeyOf(c.req.param("chatId"));
    const record = await c.env.CHAT_SESSION.getByName(chat).getMessage(c.req.param("messageId"));
    if (!record) throw new ApiError(404, "not_found", `no message ${c.req.param("messageId")} in chat ${chat}`);
    const { chat: _chat, position: _position, ...body } = record;
    return c.json(body);
  });
