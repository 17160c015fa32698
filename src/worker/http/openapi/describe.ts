/**
 * OpenAPI descriptions of the Worker's routes: each route carries its own `describe({...})` next to
 * its handler, naming the zod schema that validates its body, its answers and every error it can
 * give. At request time it only passes the request on; the document is built from these at build
 * time (`npm run openapi`: openapi/document.ts into public/openapi.json), so the Worker carries no
 * JSON Schema code (docs/decisions/0012-openapi-at-build-time.md).
 */
import type { MiddlewareHandler } from "hono";
import type { core } from "zod/mini";

/** The error statuses a route can document (openapi/document.ts says what each means). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502;

interface Answer {
  description: string;
  /** JSON body schema; absent for a body described elsewhere. */
  schema?: core.$ZodType;
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
  body?: core.$ZodType;
  bodyRequired?: boolean;
  answers: Partial<Record<200 | 202, Answer>>;
  errors: ErrorStatus[];
  /** Errors in OpenAI's shape (the /v1 routes). */
  openAiErrors?: boolean;
}

const ROUTE_DOC = Symbol("routeDoc");

/** The middleware that documents a route: it does nothing at request time. */
export function describe(doc: RouteDoc): MiddlewareHandler {
  const documented: MiddlewareHandler = (_c, next) => next();
  return Object.assign(documented, { [ROUTE_DOC]: doc });
}

/** The description `handler` carries when it is a `describe()` middleware. */
export function routeDocOf(handler: unknown): RouteDoc | undefined {
  return (handler as { [ROUTE_DOC]?: RouteDoc })[ROUTE_DOC];
}
