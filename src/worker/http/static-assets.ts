/**
 * The static pages (web chat, dashboard, API reference) behind the Worker: wrangler.toml runs the
 * Worker first (`run_worker_first`), and every path no route claims ends here.
 *
 * Why not let the assets layer answer first: under `wrangler dev` (which `npm start` and the
 * end-to-end tests run) a POST with a body to an asset path got the assets layer's bare 405
 * without its body being read, and that broke the dev proxy's connection for the *next* request,
 * which failed with "Your worker restarted mid-request" (workers-sdk#15203; the bad-input suite
 * found it). Answering here reads no unread body either, but the Worker's own responses keep the
 * connection usable, and the user gets our JSON error instead of an empty one.
 */
import type { Context } from "hono";
import { HttpError } from "../../shared/http/http-error";
import type { Env } from "../config/env";
import { ApiError } from "./errors";

/** GET/HEAD: the file, or our JSON 404; other methods: 405 on a file's path, else 404. */
export async function serveStaticAsset<E extends { Bindings: Env }>(c: Context<E>): Promise<Response> {
  const { method } = c.req;
  const path = new URL(c.req.url).pathname;
  const assets = c.env.ASSETS;
  const notFound = new ApiError(404, "not_found", `no route for ${method} ${path}`);
  if (!assets) throw notFound;
  const readOnly = method === "GET" || method === "HEAD";
  // A fresh request without the body: a GET may carry one, and the file does not depend on it.
  const file = await assets.fetch(new Request(c.req.url, { method: readOnly ? method : "HEAD", headers: c.req.raw.headers }));
  if (file.status === 404) throw notFound;
  if (readOnly) return file;
  await file.body?.cancel();
  if (!file.ok) throw notFound;
  throw new HttpError(405, "method_not_allowed", `${path} is a static page: only GET and HEAD are allowed`, {}, { Allow: "GET, HEAD" });
}
