/**
 * `npm run openapi`: writes public/openapi.json, the OpenAPI 3.1 document built from the `describe()`
 * of every route (src/worker/http/openapi/document.ts); the Worker serves it as a static file at
 * `GET /openapi.json`. wrangler.toml's `[build]` runs this before `wrangler dev` and `wrangler deploy`.
 * The file is committed too, so a fresh clone's tests and pages have it; test/worker/http/openapi.test.ts
 * fails when it is not what the routes describe now. Usage: `node --import tsx scripts/openapi.ts`.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { app } from "../src/worker/app";
import { openApiDocument } from "../src/worker/http/openapi/document";

const file = join(dirname(fileURLToPath(import.meta.url)), "..", "public", "openapi.json");
const text = `${JSON.stringify(openApiDocument(app.routes), null, 2)}\n`;

let current: string | undefined;
try {
  current = readFileSync(file, "utf8");
} catch {
  // not written yet
}
if (current === text) {
  console.log("[openapi] public/openapi.json is up to date");
} else {
  // Written whole, then renamed: several `wrangler dev` started at once (the tests) never read half a file.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, text);
  renameSync(partial, file);
  console.log("[openapi] wrote public/openapi.json");
}
