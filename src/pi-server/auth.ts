/** The bearer token, required on every route but `GET /healthz`. */
import { requireBearer as bearerCheck } from "../shared/http/bearer";
import { BackendError } from "./errors";
import type { BackendEnv } from "./request-guards";

/**
 * Default deny: 401 unless the request is `GET /healthz` or carries `Bearer <token>` (compared in
 * constant time by the shared toolkit). Decided on `c.req.path`, the decoded path the router
 * matches, so no spelling of a route (`/%761/sessions` for `/v1/sessions`) can reach it without
 * the token; mount it before every route.
 */
export function requireBearer(token: string) {
  return bearerCheck<BackendEnv>({
    expected: () => token,
    isPublic: (c) => c.req.method === "GET" && c.req.path === "/healthz",
    reject: () => new BackendError(401, "unauthorized", "missing or wrong bearer token: send Authorization: Bearer <PI_BACKEND_TOKEN>"),
  });
}
