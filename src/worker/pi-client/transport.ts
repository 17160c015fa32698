/**
 * How the pi client reaches the backend, below the protocol: which `fetch` carries the request
 * (the global one, or the `PI_BACKEND` Workers VPC service binding when the Worker has one) and
 * which headers every call carries besides the bearer token (Cloudflare Access service-token
 * headers, a turn's `X-Trace-Id`). The base URL is chosen elsewhere; this only carries requests.
 */
import { ConfigError } from "../../shared/config-error";
import { TRACE_ID_HEADER } from "../../shared/trace-id";
import type { Env } from "../config/env";

/** What the client sends its requests through. */
export interface BackendTransport {
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Added to every request (the client's own headers win on a clash). */
  headers: Readonly<Record<string, string>>;
}

/** The global fetch, no extra headers: a backend reached directly (local, or a reverse proxy). */
export const directTransport: BackendTransport = { fetch: (url, init) => fetch(url, init), headers: {} };

/**
 * The transport `env` asks for: through the `PI_BACKEND` binding if there is one, with the Access
 * service-token headers when `PI_BACKEND_ACCESS_CLIENT_ID`/`_SECRET` are set (both or neither).
 */
export function backendTransport(env: Env): BackendTransport {
  const binding = env.PI_BACKEND;
  return {
    fetch: binding ? (url, init) => binding.fetch(url, init) : directTransport.fetch,
    headers: accessHeaders(env),
  };
}

/** `CF-Access-Client-Id`/`CF-Access-Client-Secret` for a backend behind Cloudflare Access; none when unset. */
export function accessHeaders(env: Env): Record<string, string> {
  const id = env.PI_BACKEND_ACCESS_CLIENT_ID;
  const secret = env.PI_BACKEND_ACCESS_CLIENT_SECRET;
  if (!id && !secret) return {};
  if (!id || !secret) {
    const missing = id ? "PI_BACKEND_ACCESS_CLIENT_SECRET" : "PI_BACKEND_ACCESS_CLIENT_ID";
    throw new ConfigError(`${missing} is required when the other half of the Access service token is set (wrangler secret put ${missing})`);
  }
  return { "cf-access-client-id": id, "cf-access-client-secret": secret };
}

/** The same transport with this turn's trace id on every request. */
export function withTraceId(transport: BackendTransport, traceId: string): BackendTransport {
  return { fetch: transport.fetch, headers: { ...transport.headers, [TRACE_ID_HEADER]: traceId } };
}

/**
 * What a non-protocol answer most likely means: Cloudflare Access turns a request without a valid
 * service token away with a redirect to its login page or a 403 page, before it reaches the backend.
 */
export function accessHint(res: Response): string {
  if (res.status >= 300 && res.status < 400) {
    return (
      ` (a redirect to ${res.headers.get("location") ?? "elsewhere"}: Cloudflare Access wants a service token;` +
      " set PI_BACKEND_ACCESS_CLIENT_ID and PI_BACKEND_ACCESS_CLIENT_SECRET)"
    );
  }
  if (res.status === 403) return " (not a pi backend answer: if Cloudflare Access guards it, check PI_BACKEND_ACCESS_CLIENT_ID/_SECRET)";
  return "";
}
