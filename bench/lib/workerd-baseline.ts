/**
 * The reference for bench:soak's memory lines: the workerd binary wrangler runs, started bare (no
 * wrangler, no Miniflare, no Durable Objects) with a Worker that answers "ok", and sent `requests`
 * plain requests. Its resident memory grows with requests alone (measured: 7.5 → 229 MB over
 * 160,000), so a soak's workerd growth is read against this, not against zero.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { anonResidentBytes } from "../../test/fixtures/backend-process";
import { freePort } from "../../test/fixtures/wrangler-dev";
import { sleep } from "./stats";

export interface BaselineMemory {
  requests: number;
  /** RssAnon after the first request, and after the last. */
  startBytes: number;
  endBytes: number;
}

/** wrangler's own workerd: the `workerd` package wrangler depends on exports its binary's path. */
function workerdBinary(): string {
  const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
  return (fromWrangler("workerd") as { default: string }).default;
}

export async function workerdBaseline(requests: number, concurrency = 20): Promise<BaselineMemory> {
  const dir = mkdtempSync(join(tmpdir(), "evie-workerd-baseline-"));
  const port = await freePort();
  writeFileSync(join(dir, "worker.js"), 'export default { fetch: () => new Response("ok") };\n');
  writeFileSync(
    join(dir, "config.capnp"),
    [
      'using Workerd = import "/workerd/workerd.capnp";',
      "const config :Workerd.Config = (",
      '  services = [ (name = "main", worker = .w) ],',
      `  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],`,
      ");",
      'const w :Workerd.Worker = ( modules = [ (name = "worker", esModule = embed "worker.js") ], compatibilityDate = "2026-04-20" );',
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(workerdBinary(), ["serve", join(dir, "config.capnp")], { stdio: "ignore" });
  try {
    const url = `http://127.0.0.1:${port}/`;
    const deadline = Date.now() + 30_000;
    for (let ready = false; !ready; ) {
      ready = await fetch(url).then(
        async (res) => (await res.text()) === "ok",
        () => false,
      );
      if (ready) break;
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`bare workerd did not answer on port ${port} (exit ${child.exitCode})`);
      await sleep(100);
    }
    const startBytes = anonResidentBytes(child.pid!);
    let sent = 1;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < requests) {
          sent++;
          await (await fetch(url)).arrayBuffer();
        }
      }),
    );
    return { requests, startBytes, endBytes: anonResidentBytes(child.pid!) };
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}
