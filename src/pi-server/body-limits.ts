/**
 * Which body limit a request gets: a turn may carry attachments (PROTOCOL_MAX_TURN_BODY_BYTES), every
 * other route PROTOCOL_MAX_BODY_BYTES. Decided on the path the router matches, like the token check.
 */
import type { Context, Next } from "hono";
import { createMiddleware } from "hono/factory";
import { PROTOCOL_MAX_BODY_BYTES, PROTOCOL_MAX_TURN_BODY_BYTES } from "../shared/protocol";
import { type BackendEnv, limitBody } from "./request-guards";

const TURNS_ROUTE = /^\/v1\/sessions\/[^/]+\/turns$/;

/** True for `POST /v1/sessions/{id}/turns`, the one route whose body may carry attachments. */
export function isTurnSubmit(c: Context<BackendEnv>): boolean {
  return c.req.method === "POST" && TURNS_ROUTE.test(c.req.path);
}

/** 413 `too_large` past the request's limit. */
export function limitBodies() {
  const turns = limitBody(PROTOCOL_MAX_TURN_BODY_BYTES);
  const others = limitBody(PROTOCOL_MAX_BODY_BYTES);
  return createMiddleware<BackendEnv>((c: Context<BackendEnv>, next: Next) => (isTurnSubmit(c) ? turns(c, next) : others(c, next)));
}
