/** The bearer token, required on every route but `GET /healthz`. */
import { createHash, timingSafeEqual } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { BackendError } from "./errors";

/**
 * Default deny: 401 unless the request is `GET /healthz` or carries `Bearer <token>`. Decided on
 * `c.req.path`, the decoded path the router matches, so no spelling of a route (`/%761/sessions`
 * for `/v1/sessions`) can reach it without the token; mount it before every route.
 */
export function requireBearer(token: string) {
  const isAuthorized = bearerAuthorizer(token);
  return createMiddleware(async (c, next) => {
    const isPublic = c.req.method === "GET" && c.req.path === "/healthz";
    if (!isPublic && !isAuthorized(c.req.header("authorization"))) {
      throw new BackendError(401, "unauthorized", "missing or wrong bearer token: send Authorization: Bearer <PI_BACKEND_TOKEN>");
    }
    await next();
  });
}

/**
 * Returns a check that is true when a header is `Bearer <expected>`. Both sides are hashed first
 * so the comparison takes the same time whatever the length or content of the guess; the
 * expected side is hashed once here, not on every request.
 */
function bearerAuthorizer(expected: string): (header: string | undefined) => boolean {
  const expectedDigest = sha256(expected);
  return (header) => {
    const presented = header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
    return timingSafeEqual(sha256(presented), expectedDigest) && presented.length > 0;
  };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
