/** The HTTP surface of the pi backend: protocol v1 (docs/pi-backend-protocol.md) as a Hono app. */
import { Hono } from "hono";
import { HttpError } from "../shared/http/http-error";
import { log } from "../shared/log";
import { type HealthResponse, type ListSessionsResponse, type SubmitTurnResponse, TRACE_ID_HEADER } from "../shared/protocol";
import { attachmentsTooLarge, SteerRequest, SubmitTurnWithAttachments } from "../shared/protocol-schemas";
import { agentRoutes } from "./agent-routes";
import { requireBearer } from "./auth";
import { limitBodies } from "./body-limits";
import { BackendError, UnknownTurnError } from "./errors";
import { eventsResponse } from "./events-response";
import { type BackendEnv, checkRequestTarget, refuseBrowsers, requireJsonPosts } from "./request-guards";
import { idParam, readBody } from "./route-params";
import type { SessionManager } from "./session-manager";
import { logTurn, traceIdOf } from "./turn-logging";

/** Settings of the HTTP surface itself. */
export interface BackendAppOptions {
  /** Silence on an events stream before a heartbeat line (PI_HEARTBEAT_SECONDS; default 15 s). */
  heartbeatMs?: number;
}

/** Builds the app around a session manager; `token` is PI_BACKEND_TOKEN. */
export function createBackendApp(manager: SessionManager, token: string, options: BackendAppOptions = {}): Hono<BackendEnv> {
  const app = new Hono<BackendEnv>();

  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json(error.toBody(), error.status, error.headers);
    log.error("request.unhandled", { method: c.req.method, path: c.req.path, error });
    return c.json({ error: { code: "internal", message: "internal error in the pi backend; see its log" } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  // Before every route, in the order the protocol fixes: path shape 400, Origin 403, token 401,
  // content type 415, size 413; body validation (400) is left to each route.
  app.use("*", checkRequestTarget, refuseBrowsers, requireBearer(token), requireJsonPosts, limitBodies());

  app.get("/healthz", (c) => c.json({ ok: true, sessions: manager.size } satisfies HealthResponse));

  app.get("/v1/sessions", (c) => c.json({ sessions: manager.list() } satisfies ListSessionsResponse));

  app.post("/v1/sessions/:sessionId/turns", async (c) => {
    const sessionId = idParam(c.req.param("sessionId"), "sessionId");
    const body = await readBody(c.req, SubmitTurnWithAttachments);
    const tooLarge = body.attachments && attachmentsTooLarge(body.attachments);
    if (tooLarge) throw new BackendError(413, "too_large", tooLarge);
    const { turn, created } = manager.submitTurn(sessionId, body.turnId, body.message, body.attachments);
    if (created) logTurn(turn, traceIdOf(c.req.header(TRACE_ID_HEADER)));
    return c.json({ turnId: turn.turnId, state: turn.state } satisfies SubmitTurnResponse, created ? 202 : 200);
  });

  app.get("/v1/sessions/:sessionId/turns/:turnId/events", (c) => {
    const sessionId = idParam(c.req.param("sessionId"), "sessionId");
    const turnId = idParam(c.req.param("turnId"), "turnId");
    const after = afterParam(c.req.query("after"));
    const turn = manager.findTurn(sessionId, turnId);
    if (!turn) throw new UnknownTurnError(sessionId, turnId);
    return eventsResponse(turn, after, c.env?.outgoing, options.heartbeatMs);
  });

  app.post("/v1/sessions/:sessionId/steer", async (c) => {
    const sessionId = idParam(c.req.param("sessionId"), "sessionId");
    const body = await readBody(c.req, SteerRequest);
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

  app.route("/v1/sessions", agentRoutes(manager));

  return app;
}

function afterParam(value: string | undefined): number {
  if (value === undefined || value === "") return 0;
  if (!/^\d{1,15}$/.test(value))
    throw new BackendError(400, "invalid_request", "after must be a non-negative integer (the last seq you applied)");
  return Number(value);
}
