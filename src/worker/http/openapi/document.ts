/**
 * The OpenAPI 3.1 document of the Worker, built from the `describe({...})` each route carries.
 * Not part of the Worker: `npm run openapi` (scripts/openapi.ts, also wrangler's build step) writes
 * it to public/openapi.json, served as a static file, and test/worker/http/openapi.test.ts checks
 * that file is what this builds now. Schemas are converted by zod's own `toJSONSchema`.
 */
import type { RouterRoute } from "hono/types";
import { findTargetHandler } from "hono/utils/handler";
import { type core, toJSONSchema } from "zod/mini";
import { type ErrorStatus, type RouteDoc, routeDocOf } from "./describe";
import { ErrorBody, OpenAiErrorBody } from "./responses";

/** What each error status means on this Worker. */
const ERRORS: Record<ErrorStatus, string> = {
  400: "Bad input: malformed JSON, a field that fails validation (named in `message` and `field`), or a malformed id",
  401: "Missing or wrong bearer token",
  403: "Sent from a web page of another origin (`forbidden_origin`)",
  404: "No such message, chat, route, or platform not configured",
  409: "The message waits on no dialog, or its dialog was already answered (`no_open_request`, `already_answered`)",
  413: "Request body too large: over 64 KiB (27.7 MiB for a message, which may carry attachments)",
  415: "A POST without `Content-Type: application/json`",
  429: "The chat already has MAX_QUEUED messages waiting (`queue_full`, with `Retry-After`): nothing was stored",
  500: "The deployment is misconfigured (`config_error`, naming the setting)",
  502: "The turn failed (the code is the turn's failure code, such as `llm_error` or `aborted`)",
};

const INFO = {
  title: "evie-edge",
  description:
    "Relay to a personal pi coding agent. `/api` is the plain HTTP interface, `/v1` speaks OpenAI's chat-completions " +
    'API; both take `Authorization: Bearer <API_TOKEN>`. Every error is JSON (`{"error":{"code","message"}}`, on /v1 in ' +
    "OpenAI's shape).",
  version: "1",
};

const TAGS = [
  { name: "messages", description: "Send messages, read them, follow their replies live" },
  { name: "chats", description: "Chat actions" },
  { name: "status", description: "Which chats are busy, queued, idle, and their backend sessions" },
  { name: "openai", description: "OpenAI-compatible endpoint" },
  { name: "webhooks", description: "Called by Telegram and Slack" },
  { name: "meta", description: "Health and this document" },
];

/** The document for an app's routes (`app.routes`): every route with a `describe()`, in mounting order. */
export function openApiDocument(routes: readonly RouterRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const doc = routeDocOf(findTargetHandler(route.handler));
    if (!doc) continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route, doc) };
  }
  return {
    openapi: "3.1.0",
    info: INFO,
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "API_TOKEN" } } },
    tags: TAGS,
    paths,
  };
}

function operation(route: RouterRoute, doc: RouteDoc): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(doc.answers)) {
    responses[status] = {
      description: answer.description,
      ...(answer.sse
        ? { content: { "text/event-stream": { schema: { type: "string", description: answer.sse } } } }
        : answer.schema
          ? { content: { "application/json": { schema: jsonSchema(answer.schema) } } }
          : {}),
    };
  }
  const errorBody = jsonSchema(doc.openAiErrors ? OpenAiErrorBody : ErrorBody);
  for (const status of doc.errors) {
    responses[status] = { description: ERRORS[status], content: { "application/json": { schema: errorBody } } };
  }
  const params = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map(([, name]) => ({
    schema: { type: "string" },
    in: "path",
    name,
    required: true,
  }));
  return {
    operationId: operationId(route),
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: doc.tags,
    security: doc.auth === false ? [] : [{ bearer: [] }],
    ...(doc.body
      ? { requestBody: { required: doc.bodyRequired ?? true, content: { "application/json": { schema: jsonSchema(doc.body) } } } }
      : {}),
    responses,
    ...(params.length ? { parameters: params } : {}),
  };
}

/** `postApiChatsByChatIdMessages`: the method, then each path segment in PascalCase, a parameter as `By<Name>`. */
function operationId(route: RouterRoute): string {
  const pascal = (text: string) =>
    text
      .split(/[\W_]+/)
      .filter(Boolean)
      .map((word) => word[0]!.toUpperCase() + word.slice(1))
      .join("");
  const segments = route.path.split("/").map((s) => (s.startsWith(":") ? `By${pascal(s.slice(1))}` : pascal(s)));
  return route.method.toLowerCase() + segments.join("");
}

/** The JSON Schema of what a client sends (zod's "input" side), without `$schema`: OpenAPI 3.1 takes it inline. */
function jsonSchema(schema: core.$ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = toJSONSchema(schema, { io: "input" }) as Record<string, unknown>;
  // Shared definitions would need components: none of ours has any, and a new one must not go out broken.
  if ("$defs" in rest) throw new Error("openapi: a schema with $defs (a zod id or a recursive schema) is not supported here");
  return rest;
}
