/**
 * The throughput benches start `wrangler dev` with `inspector: false` (test/fixtures/wrangler-dev.ts): with its DevTools
 * inspector on, wrangler's proxy posts every DevTools message of the Worker to wrangler's Node process and livelocked at
 * 100 % CPU under bench:worker's ack rows, holding every request. wrangler has no flag for it, only its VS Code debug
 * terminal check; this fails if a wrangler upgrade stops honouring it (the inspector port would answer again).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";

let dev: WranglerDev;
beforeAll(async () => {
  dev = await startWranglerDev({
    persistTo: mkdtempSync(join(tmpdir(), "evie-no-inspector-")),
    vars: { API_TOKEN: "no-inspector-api-token-0123" },
    inspector: false,
  });
}, 90_000);
afterAll(async () => {
  await dev?.stop();
});

it("serves the Worker with no DevTools inspector listening", async () => {
  const health = await fetch(`${dev.url}/healthz`);
  expect(health.status).toBe(200);
  await health.arrayBuffer();
  expect(dev.inspector).toBeNull();
  const inspector = await fetch(`http://127.0.0.1:${dev.inspectorPort}/json/version`).then(
    (res) => `answered ${res.status}`,
    (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message,
  );
  expect(inspector).toBe("ECONNREFUSED");
}, 30_000);
