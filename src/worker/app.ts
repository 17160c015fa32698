/**
 * The Worker's Hono app, in front of one ChatSession Durable Object per chat and the Registry: the
 * composition root, the only module that sees every layer. Apart from index.ts (which exports the
 * Durable Object classes, and with them `cloudflare:workers`) so that Node can load the routes to
 * build the OpenAPI document (scripts/openapi.ts).
 */
import { Hono } from "hono";
import { adapters } from "./adapters";
import { agent } from "./api/agent";
import { backend } from "./api/backend";
import { chatActions } from "./api/chat-actions";
import { chats } from "./api/chats";
import { messageEvents } from "./api/message-events";
import { messages } from "./api/messages";
import { renderOpenAiError } from "./api/openai/errors";
import { openAi } from "./api/openai/routes";
import { status } from "./api/status";
import type { ChatSession } from "./chat-session";
import type { ChatSessions, Registries, Env as Settings } from "./config/env";
import { limitApiBody } from "./http/body-limits";
import { renderError } from "./http/errors";
import { limitBody, rejectForeignOrigin, requireApiToken, requireJsonPost } from "./http/middleware";
import { describe } from "./http/openapi/describe";
import { Health } from "./http/openapi/responses";
import { serveStaticAsset } from "./http/static-assets";
import "./http/zod-messages";
import { webhookRoute } from "./platforms/webhook";
import type { Registry } from "./registry/registry";

/** The Worker's whole env: its settings and both Durable Object namespaces, with the real classes. */
export type Env = Settings & ChatSessions<ChatSession> & Registries<Registry>;

const api = new Hono<{ Bindings: Env }>()
  // Checked in this order: 403, 401, 415, 413, then 400 in the handlers.
  .use(rejectForeignOrigin)
  .use(requireApiToken)
  .use(requireJsonPost)
  .use(limitApiBody)
  .route("/", messages)
  .route("/", chats)
  .route("/", messageEvents)
  .route("/", chatActions)
  .route("/", agent)
  .route("/", status)
  .route("/", backend);

/** The OpenAI-compatible endpoint: the same checks as /api, errors in OpenAI's shape. */
const v1 = new Hono<{ Bindings: Env }>()
  .use(rejectForeignOrigin)
  .use(requireApiToken)
  .use(requireJsonPost)
  .use(limitBody)
  .route("/", openAi);
v1.onError(renderOpenAiError);

/**
 * Every route. `GET /openapi.json` is not one of them: it is public/openapi.json, built from these
 * routes' `describe()` at build time and served, like the pages, by `serveStaticAsset`.
 */
export const app = new Hono<{ Bindings: Env }>()
  .get(
    "/healthz",
    describe({ summary: "Liveness", tags: ["meta"], auth: false, answers: { 200: { description: "Up", schema: Health } }, errors: [] }),
    (c) => c.json({ ok: true }),
  )
  .route("/api", api)
  .route("/v1", v1)
  // Telegram: verified by the webhook's secret token; Slack: by the v0 request signature.
  .route("/webhooks/telegram", webhookRoute(adapters.telegram))
  .route("/webhooks/slack", webhookRoute(adapters.slack));

app.notFound(serveStaticAsset);
app.onError(renderError);
