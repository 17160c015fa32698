/** The HTTP surface of the pi backend: protocol v1 (docs/pi-backend-protocol.md) as a Hono app. */
import type { HttpBindings } from "@hono/node-server";
import { type Context, Hono } from "hono";
import type { z } from "zod";
import {
  type HealthResponse,
  isValidId,
  type ListSessionsResponse,
  SteerRequest,
  SubmitTurnRequest,
  type SubmitTurnResponse,
} from "../shared/protocol";
import { bearerAuthorizer } from "./auth";
import { BackendError, UnknownTurnError } from "./errors";
import { eventsResponse } from "./events-response";
import type { SessionManager } from "./session-manager";

/** When served by @hono/node-server the raw Node request is available as `c.env.incoming`. */
type BackendEnv = { Bindings: Partial<HttpBindings> };

/** Largest accepted request body; a 100,000-character message escaped as JSON fits comfortably. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Builds the app around a session manager; `token` is PI_BACKEND_TOKEN. */
export function createBackendApp(manager: SessionManager, token: string): Hono<BackendEnv> {
  const app = new Hono<BackendEnv>();
  const isAuthorized = bearerAuthorizer(token);

  app.onError((error, c) => {
    if (error instanceof BackendError) return c.json(error.toBody(), error.status, error.headers);
    console.error("[backend] unexpected error:", error);
    return c.json({ error: { code: "internal", message: "internal error in the pi backend; see its log" } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  app.get("/healthz", (c) => c.json({ ok: true, sessions: manager.size } satisfies HealthResponse));

  app.use("*", async (c, next) => {
    // The URL parser resolves `.`/`..` segments (even encoded ones) before routing, so an id of
    // `..` would silently address another route; look at the path as the client sent it.
    const raw = rawPath(c);
    if (raw.startsWith("/v1/")) {
      if (!isAuthorized(c.req.header("authorization"))) {
        throw new BackendError(401, "unauthorized", "missing or wrong bearer token: send Authorization: Bearer <PI_BACKEND_TOKEN>");
      }
      if (raw.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
        throw new BackendError(400, "invalid_request", 'ids must not be "." or ".."');
      }
    }
    await next();
  });

  app.get("/v1/sessions", (c) => c.json({ sessions: manager.list() } satisfies ListSessionsResponse));

  app.post("/v1/sessions/:sessionId/turns", async (c) => {
    const sessionId = idParam(c.req.param("sessionId"), "sessionId");
    const body = await readBody(c, SubmitTurnRequest);
    const { turn, created } = manager.submitTurn(sessionId, body.turnId, body.message);
    return c.json({ turnId: turn.turnId, state: turn.state } satisfies SubmitTurnResponse, created ? 202 : 200);
  });

  app.get("/v1/sessions/:sessionId/turns/:turnId/events", (c) => {
    const sessionId = idParam(c.req.param("sessionId"), "sessionId");
    const turnId = idParam(c.req.param("turnId"), "turnId");
    const after = afterParam(c.req.query("after"));
    const turn = manager.turns.get(sessionId, turnId);
    if (!turn) throw new UnknownTurnError(sessionId, turnId);
    return eventsResponse(turn, after, c.env?.outgoing);
  });

  app.post("/v1/sessions/:sessionId/steer", async (c) => {
    const sessionId = idParam(c.req.param("sessionId"), "sessionId");
    const body = await readBody(c, SteerRequest);
    if (!(await manager.steer(sessionId, body.message))) {
      throw new BackendError(409, "not_running", `no turn is running in session ${sessionId}; send a new turn instead`);
    }
    return c.json({ steered: true });
  });

  app.post("/v1/sessions/:sessionId/abort", (c) => {
    const sessionId = idParam(c.req.param("sessionId"), "sessionId");
    return c.json({ aborted: manager.abort(sessionId) });
  });

  app.post("/v1/sessions/:sessionId/reset", async (c) => {
    const sessionId = idParam(c.req.param("sessionId"), "sessionId");
    await manager.reset(sessionId);
    return c.json({ reset: true });
  });

  app.delete("/v1/sessions/:sessionId", async (c) => {
    const sessionId = idParam(c.req.param("sessionId"), "sessionId");
    return c.json({ released: await manager.release(sessionId) });
  });

  return app;
}

/** The request path before URL normalisation (node-server exposes the raw request); falls back to the parsed path. */
function rawPath(c: Context<BackendEnv>): string {
  const url = c.env?.incoming?.url;
  return url ? url.split("?")[0]! : c.req.path;
}

/** Validates a path id (Hono hands it over URL-decoded). */
function idParam(value: string | undefined, name: string): string {
  if (value === undefined || !isValidId(value)) {
    throw new BackendError(400, "invalid_request", `${name} must match [A-Za-z0-9._:-]{1,128} and not be "." or ".."`);
  }
  return value;
}

function afterParam(value: string | undefined): number {
  if (value === undefined || value === "") return 0;
  if (!/^\d{1,15}$/.test(value)) throw new BackendError(400, "invalid_request", "after must be a non-negative integer (the last seq you applied)");
  return Number(value);
}

/** Reads the body once as text (bounded), parses JSON, validates with `schema`; errors name the field. */
async function readBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw tooLarge();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackendError(400, "invalid_request", "the body must be JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "body";
    throw new BackendError(400, "invalid_request", `${field}: ${issue?.message ?? "invalid"}`, { field });
  }
  return parsed.data;
}

function tooLarge(): BackendError {
  return new BackendError(413, "too_large", `the body is larger than ${MAX_BODY_BYTES} bytes`);
}
