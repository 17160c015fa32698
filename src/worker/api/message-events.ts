/** Live replies over Server-Sent Events: `GET /api/chats/{chatId}/messages/{messageId}/events`. */
import { Hono } from "hono";
import type { ChatSessionCore } from "../chat/chat-session";
import type { ChatSessions, Env } from "../config/env";
import { ApiError } from "../http/errors";
import { describe } from "../http/openapi/describe";
import { chatKeyOf } from "./chat-id";

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};

export const messageEvents = new Hono<{ Bindings: Env & ChatSessions<ChatSessionCore> }>().get(
  "/chats/:chatId/messages/:messageId/events",
  describe({
    summary: "Live events of a message (Server-Sent Events)",
    description:
      "`state` {state, position?}, `delta` {text}, `tool` {tool, phase: start|end, args?, isError?}, then `done` {reply} or " +
      "`failed` {error}, then the stream closes. Every event has an id; send it back as `Last-Event-ID` to resume without repeats or gaps.",
    tags: ["messages"],
    answers: { 200: { description: "The event stream", sse: "SSE events: state, delta, tool, done, failed" } },
    errors: [400, 401, 403, 404],
  }),
  async (c) => {
    const chat = chatKeyOf(c.req.param("chatId"));
    const messageId = c.req.param("messageId");
    const stream = await c.env.CHAT_SESSION.getByName(chat).subscribeMessage(messageId, c.req.header("last-event-id"));
    if (!stream) throw new ApiError(404, "not_found", `no message ${messageId} in chat ${chat}`);
    return new Response(stream, { headers: SSE_HEADERS });
  },
);
