/**
 * OpenAPI descriptions of the Worker's routes (hono-openapi): each route carries its own
 * `describe({...})` next to its handler, naming the zod schema that validates its body, its
 * answers and every error it can give. `GET /openapi.json` collects them (openapi/document.ts).
 * Schemas go through Standard Schema and zod's own JSON Schema conversion, so zod/mini works too.
 */
import { describeRoute, resolver } from "hono-openapi";
import { ErrorBody, OpenAiErrorBody } from "./responses";

/** What each error status means on this Worker. */
const ERRORS = {
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
} as const;
export type ErrorStatus = keyof typeof ERRORS;
/** A zod (or any Standard Schema) schema. */
type StandardSchemaV1 = Parameters<typeof resolver>[0];

interface Answer {
  description: string;
  /** JSON body schema; absent for a body described elsewhere. */
  schema?: StandardSchemaV1;
  /** `text/event-stream` instead of JSON. */
  sse?: string;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  tags: string[];
  /** Needs `Authorization: Bearer <API_TOKEN>` (default true). */
  auth?: boolean;
  /** The zod schema the handler validates the JSON body with. */
  body?: StandardSchemaV1;
  bodyRequired?: boolean;
  answers: Partial<Record<200 | 202, Answer>>;
  errors: ErrorStatus[];
  /** Errors in OpenAI's shape (the /v1 routes). */
  openAiErrors?: boolean;
}

/** The middleware that documents a route (it does nothing at request time). */
export function describe(doc: RouteDoc) {
  const errorSchema = doc.openAiErrors ? OpenAiErrorBody : ErrorBody;
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(doc.answers)) {
    responses[status] = {
      description: answer.description,
      ...(answer.sse
        ? { content: { "text/event-stream": { schema: { type: "string", description: answer.sse } } } }
        : answer.schema
          ? { content: { "application/json": { schema: resolver(answer.schema) } } }
          : {}),
    };
  }
  for (const status of doc.errors) {
    responses[status] = { description: ERRORS[status], content: { "application/json": { schema: resolver(errorSchema) } } };
  }
  return describeRoute({
    summary: doc.summary,
    description: doc.description,
    tags: doc.tags,
    ...(doc.auth === false ? { security: [] } : { security: [{ bearer: [] }] }),
    ...(doc.body
      ? { requestBody: { required: doc.bodyRequired ?? true, content: { "application/json": { schema: resolver(doc.body) } } } }
      : {}),
    responses: responses as never,
  });
}
