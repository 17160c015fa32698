/**
 * Graceful shutdown on SIGTERM (systemd's stop, `docker stop`) or SIGINT: new turns are refused with
 * 503 `shutting_down` while running turns get up to SHUTDOWN_GRACE_SECONDS to finish (their event
 * streams stay open meanwhile). A turn still running then ends with `turn_error` `backend_lost_turn`
 * (retryable: the Worker sends it again once the server is back) rather than `aborted`, which a
 * client must not retry; only then is pi stopped. A second signal skips what is left of the grace.
 */
import { log } from "../shared/log";
import { turnError } from "./pi-events";
import type { SessionManager } from "./session-manager";

/** What shutdown stops besides the sessions: the HTTP server (`server.close` of node:http). */
export interface ClosableServer {
  close(callback?: (error?: Error) => void): unknown;
  closeAllConnections?(): void;
}

export interface ShutdownOptions {
  manager: SessionManager;
  server: ClosableServer;
  graceMs: number;
  /** Called once everything is stopped (the entry point exits the process). */
  exit(code: number): void;
  /** How long open connections get to flush their last lines after the sessions are stopped. */
  flushMs?: number;
}

/** Installs the SIGTERM/SIGINT handlers; returns the function they call, for tests. */
export function handleShutdownSignals(options: ShutdownOptions): (signal: string) => Promise<void> {
  let skipGrace: (() => void) | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    if (stopping) {
      log.warn("server.stop_forced", { signal, message: "second signal: ending the running turns now" });
      skipGrace?.();
      return stopping;
    }
    const skipped = new Promise<void>((resolve) => {
      skipGrace = resolve;
    });
    stopping = shutDownGracefully(options, signal, skipped);
    return stopping;
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  return stop;
}

/** Drains, then stops pi and the HTTP server, then calls `exit(0)`. */
export async function shutDownGracefully(options: ShutdownOptions, signal: string, skipGrace: Promise<void>): Promise<void> {
  const { manager, server, graceMs } = options;
  const started = Date.now();
  manager.refuseNewTurns();
  const running = manager.runningTurns();
  log.info("server.stopping", { signal, runningTurns: running.length, graceSeconds: graceMs / 1000 });
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([Promise.all(running.map((turn) => turn.finished())), graceOver, skipGrace]);
  clearTimeout(timer);
  let lost = 0;
  for (const turn of running) {
    const message = "the pi server shut down before this turn finished; send it again once the server is back";
    if (turn.push(turnError("backend_lost_turn", message))) {
      lost++;
      log.warn("turn.lost", { session: turn.sessionId, turnId: turn.turnId, reason: "shutdown" });
    }
  }
  log.info("server.drained", { finished: running.length - lost, lost, ms: Date.now() - started });
  await manager.shutdown();
  await closeServer(server, options.flushMs ?? 2_000);
  log.info("server.stopped", { ms: Date.now() - started });
  options.exit(0);
}

/** Stops accepting connections; open ones (event streams that just got their last line) get `flushMs` to end. */
function closeServer(server: ClosableServer, flushMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections?.();
      resolve();
    }, flushMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
