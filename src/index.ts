/** evie-edge Worker: Hono routes in front of one ChatSession Durable Object per chat and one Registry. */
import { Hono } from "hono";
import type { Env } from "./env";
import { renderError } from "./http/errors";
import { limitBody, rejectForeignOrigin, requireApiToken, requireJsonPost } from "./http/middleware";
import { messages } from "./routes/messages";
import { slackWebhook } from "./routes/slack";
import { status } from "./routes/status";
import { telegramWebhook } from "./routes/telegram";

export { ChatSession } from "./chat/chat-session";
export { Registry } from "./registry/registry";

const api = new Hono<{ Bindings: Env }>()
  // Checked in this order: 403, 401, 415, 413, then 400 in the handlers.
  .use(rejectForeignOrigin)
  .use(requireApiToken)
  .use(requireJsonPost)
  .use(limitBody)
  .route("/", messages)
  .route("/", status);

const app = new Hono<{ Bindings: Env }>()
  .get("/healthz", (c) => c.json({ ok: true }))
  .route("/api", api)
  .route("/webhooks/telegram", telegramWebhook)
  .route("/webhooks/slack", slackWebhook);

app.notFound((c) => c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));
app.onError(renderError);

export default app satisfies ExportedHandler<Env>;
