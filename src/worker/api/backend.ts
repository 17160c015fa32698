/**
 * `GET /api/backend`: can this Worker reach its pi backend, as a turn would (same URL or binding,
 * Access headers and bearer token)? Proxies the server's health and its live pi processes; a
 * failure is 502 with a code saying which link is broken (what `npm run doctor` prints a fix for).
 */
import { Hono } from "hono";
import { backendConfig } from "../config/config";
import type { Env } from "../config/env";
import { ApiError } from "../http/errors";
import { describe } from "../http/openapi/describe";
import { BackendAnswer } from "../http/openapi/responses";
import { BackendError, PiBackendClient } from "../pi-client/client";
import { backendTransport } from "../pi-client/transport";

/** The 200 body. */
export interface BackendStatus {
  reachable: true;
  /** PI_BACKEND_URL, or the binding's URL. */
  url: string;
  via: "url" | "binding";
  /** Live sessions, as the server's /healthz counts them. */
  sessions: number;
  /** pi processes running (sessions past their start), and how many of them are in a turn. */
  processes: number;
  running: number;
  /** Round trip of both calls, from the Worker. */
  ms: number;
}

export const backend = new Hono<{ Bindings: Env }>().get(
  "/backend",
  describe({
    summary: "Can this Worker reach its pi backend? The server's health and live pi processes",
    tags: ["status"],
    answers: { 200: { description: "Reachable", schema: BackendAnswer } },
    errors: [401, 403, 500, 502],
  }),
  async (c) => {
    const { url, token } = backendConfig(c.env);
    const client = new PiBackendClient(url, token, { transport: backendTransport(c.env) });
    const started = Date.now();
    try {
      const health = await client.health();
      const { sessions } = await client.listSessions();
      return c.json({
        reachable: true,
        url,
        via: c.env.PI_BACKEND ? "binding" : "url",
        sessions: health.sessions,
        processes: sessions.filter((s) => s.pid !== null).length,
        running: sessions.filter((s) => s.state === "running").length,
        ms: Date.now() - started,
      } satisfies BackendStatus);
    } catch (err) {
      if (err instanceof BackendError) throw brokenLink(err, url);
      throw err;
    }
  },
);

/** Which link failed, as a 502 the caller can act on. */
function brokenLink(err: BackendError, url: string): ApiError {
  const at = `the pi backend at ${url}`;
  if (err.code === "unreachable") {
    const why = err.message.replace(/^pi backend unreachable: /, "");
    return new ApiError(502, "backend_unreachable", `${at} is unreachable (${why}): nothing answers there`);
  }
  if (err.code === "unauthorized") {
    return new ApiError(502, "backend_unauthorized", `${at} refused PI_BACKEND_TOKEN: the Worker's and the server's tokens differ`);
  }
  if ((err.status >= 300 && err.status < 400) || err.status === 403) {
    return new ApiError(502, "backend_access_denied", `${at} turned the Worker away (${err.message})`);
  }
  if (err.status >= 500 && err.code.startsWith("http_")) {
    // Not the server's own JSON error: the tunnel or proxy in front of it answered (cloudflared: 502 when nothing listens).
    return new ApiError(502, "backend_unreachable", `${at}: the tunnel or proxy answered ${err.status}, so the server behind it is down`);
  }
  return new ApiError(502, "backend_error", `${at} answered ${err.status} ${err.code}: ${err.message}`);
}
