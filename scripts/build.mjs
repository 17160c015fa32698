#!/usr/bin/env node
/**
 * `npm run build`: bundles the pi server and the offline demo backend into `dist/` with esbuild, so
 * production runs `node dist/pi-server.mjs` with no dev dependency (no tsx, no TypeScript).
 * npm packages stay external: `npm ci --omit=dev` installs them, and pi's CLI is found in
 * node_modules next to dist/ (src/pi-server/paths.ts). Usage: `node scripts/build.mjs [outdir]`.
 */
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = resolve(process.argv[2] ?? join(root, "dist"));

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { "pi-server": "src/pi-server/main.ts", demo: "src/demo/main.ts" },
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
});
console.log(`[build] wrote ${join(outdir, "pi-server.mjs")} and ${join(outdir, "demo.mjs")}`);
