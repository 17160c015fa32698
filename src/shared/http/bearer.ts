/** The bearer check of both servers: `Authorization: Bearer <secret>`, compared in constant time. */
import type { Context, Env, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { sha256 } from "../runtime";
import { digestsEqual } from "./timing-safe";

/** The token of an `Authorization: Bearer <token>` header (scheme in any case, RFC 7235), or null. */
export function bearerToken(header: string | undefined): string | null {
  const token = /^Bearer\s+(.*)$/i.exec(header ?? "")?.[1]?.trim();
  return token ? token : null;
}

export interface BearerOptions<E extends Env> {
  /** The secret, read per request (it may throw a ConfigError naming a missing setting). */
  expected: (c: Context<E>) => string;
  /** Requests that need no token (decide on `c.req.path`, the path the router matches). */
  isPublic?: (c: Context<E>) => boolean;
  /** The error a request without the right token is answered with. */
  reject: () => Error;
}

/** Middleware: `reject()` unless the request is public or carries `Bearer <expected>`. */
export function requireBearer<E extends Env>(options: BearerOptions<E>): MiddlewareHandler<E> {
  // The expected side is hashed once per value, not on every request.
  let cached: { secret: string; digest: Promise<Uint8Array> } | undefined;
  const expectedDigest = (secret: string) => {
    if (cached?.secret !== secret) cached = { secret, digest: sha256(secret) };
    return cached.digest;
  };
  return createMiddleware<E>(async (c, next) => {
    if (options.isPublic?.(c)) return next();
    const expected = expectedDigest(options.expected(c));
    const token = bearerToken(c.req.header("authorization"));
    const presented = await sha256(token ?? "");
    if (!digestsEqual(presented, await expected) || token === null) throw options.reject();
    await next();
  });
}
