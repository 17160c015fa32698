/** Entry point of `npm run backend`: the pi backend server on Node. */
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { ConfigError } from "../shared/config-error";
import { log } from "../shared/log";
import { createBackendApp } from "./app";
import { type BackendConfig, loadConfig } from "./config";
import { startRetention } from "./retention";
import { SessionManager } from "./session-manager";
import { handleShutdownSignals } from "./shutdown";

function main(): void {
  // Before anything is written or spawned: pi inherits it, so its session histories and whatever
  // the agent creates are private to this user as well (see private-files.ts).
  process.umask(0o077);
  let config: BackendConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      log.error("config.error", { message: error.message });
      process.exit(1);
    }
    throw error;
  }
  const manager = new SessionManager(config);
  manager.startIdleSweep();
  startRetention(config.dataDir, config.retentionDays);
  const app = createBackendApp(manager, config.token, { heartbeatMs: config.heartbeatSeconds * 1000 });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    const args = config.piArgs.length ? ` ${config.piArgs.join(" ")}` : "";
    const workspace =
      config.workspace === "per-chat" ? `${join(config.dataDir, "workspaces")}/<chat> (one directory per chat)` : config.piCwd;
    log.info("server.listening", {
      url: `http://${config.host}:${info.port}`,
      pi: `pi --mode rpc${args}`,
      dataDir: config.dataDir,
      workspace,
    });
  });

  server.on("error", (error: NodeJS.ErrnoException) => {
    const hint = error.code === "EADDRINUSE" ? `port ${config.port} is taken: is another backend running? set PORT to move this one` : "";
    log.error("server.listen_failed", { host: config.host, port: config.port, error, ...(hint ? { hint } : {}) });
    void manager.shutdown().then(() => process.exit(1));
  });

  handleShutdownSignals({ manager, server, graceMs: config.shutdownGraceSeconds * 1000, exit: (code) => process.exit(code) });
}

main();
