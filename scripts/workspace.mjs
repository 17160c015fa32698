/**
 * Where the backend started by `npm start` lets the agent work: the same defaults as
 * src/pi-server/config.ts (a test holds the two together), for the start script to print.
 */
import { join, resolve } from "node:path";

/** The agent's working directory for `env`, with the backend running in `cwd`. */
export function agentWorkspace(env, cwd) {
  const dataDir = resolve(cwd, env.PI_DATA_DIR || ".data/backend");
  if (env.PI_WORKSPACE === "per-chat") return join(dataDir, "workspaces", "<chat>");
  return env.PI_CWD ? resolve(cwd, env.PI_CWD) : join(dataDir, "workspace");
}
