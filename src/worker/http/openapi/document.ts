/** `GET /openapi.json`: the OpenAPI 3.1 document, collected from every route's `describe({...})`. */
import type { Hono } from "hono";
import { openAPIRouteHandler } from "hono-openapi";

/** The handler serving the document of `app` (read at request time, so every route mounted by then is in it). */
// biome-ignore lint/suspicious/noExplicitAny: any app, whatever its bindings
export function openApiDocument(app: Hono<any>) {
  return openAPIRouteHandler(app, {
    documentation: {
      openapi: "3.1.0",
      info: {
        title: "evie-edge",
        version: "1",
        description:
          "Relay to a personal pi coding agent. `/api` is the plain HTTP interface, `/v1` speaks OpenAI's chat-completions " +
          'API; both take `Authorization: Bearer <API_TOKEN>`. Every error is JSON (`{"error":{"code","message"}}`, on /v1 in ' +
          "OpenAI's shape).",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "API_TOKEN" } } },
      tags: [
        { name: "messages", description: "Send messages, read them, follow their replies live" },
        { name: "chats", description: "Chat actions" },
        { name: "status", description: "Which chats are busy, queued, idle, and their backend sessions" },
        { name: "openai", description: "OpenAI-compatible endpoint" },
        { name: "webhooks", description: "Called by Telegram and Slack" },
        { name: "meta", description: "Health and this document" },
      ],
    },
    exclude: ["/openapi.json"],
  });
}
