/** The `pi.exit` log line: how a session's pi process ended, and why. */
import { log } from "../shared/log";
import { describeExit, type PiExit } from "./pi-process";

/**
 * `reason` is `stopped` when the server stopped it (release, idle sweep, eviction, shutdown) and
 * `crashed` otherwise, with pi's last stderr lines; a crash is a warning, a stop is not.
 */
export function logPiExit(session: string, pid: number | undefined, exit: PiExit, stopRequested: boolean): void {
  const fields = { session, pid, code: exit.code, signal: exit.signal };
  if (stopRequested) log.info("pi.exit", { ...fields, reason: "stopped" });
  else log.warn("pi.exit", { ...fields, reason: "crashed", detail: describeExit(exit) });
}
