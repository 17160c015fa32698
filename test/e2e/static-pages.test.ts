/**
 * Regression (found by the bad-input suite): under wrangler dev, a POST with a body to a page's
 * path used to be answered by the assets layer without reading the body, and the dev proxy then
 * failed the *next* request with "Your worker restarted mid-request". The Worker now runs first
 * (src/worker/http/static-assets.ts); every request after such a POST is answered normally.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

let dev: WranglerDev;
beforeAll(async () => {
  dev = await startWranglerDev({
    persistTo: mkdtempSync(join(tmpdir(), "evie-static-")),
    vars: { API_TOKEN: "static-pages-api-token-0123" },
  });
}, 90_000);
afterAll(async () => {
  await dev?.stop();
});

it("answers every request after POSTs with bodies to a page (405 JSON, then the next request as usual)", async () => {
  const post = (path: string, body: string) =>
    fetch(`${dev.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body }).then(async (res) => {
      await res.arrayBuffer();
      return res.status;
    });
  const seen: string[] = [];
  for (let i = 0; i < 15; i++) {
    const page = await post("/", "x".repeat(70_000));
    seen.push(`${page} ${await post("/api/chats/static-check/messages", "{}")}`);
  }
  expect(new Set(seen)).toEqual(new Set(["405 401"]));
}, 60_000);
