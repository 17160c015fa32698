/** The backend's configuration, parsed from the environment in one place. */
import { join, resolve } from "node:path";
import { ConfigError } from "../shared/config-error";
import { DEFAULT_HEARTBEAT_SECONDS } from "../shared/protocol";

/** Where the agent works: one directory for every chat, or one per chat under `PI_DATA_DIR/workspaces`. */
export type WorkspaceMode = "shared" | "per-chat";

/** Everything the backend server needs to run. */
export interface BackendConfig {
  token: string;
  port: number;
  host: string;
  dataDir: string;
  /** The agent's working directory when `workspace` is `shared`. */
  piCwd: string;
  workspace: WorkspaceMode;
  piArgs: string[];
  maxSessions: number;
  idleSeconds: number;
  turnTimeoutSeconds: number;
  /** On SIGTERM, how long running turns may go on before pi is stopped (SHUTDOWN_GRACE_SECONDS, default 20). */
  shutdownGraceSeconds: number;
  /** Seconds of silence on an events stream before a heartbeat line (PI_HEARTBEAT_SECONDS). */
  heartbeatSeconds: number;
  /** Days turn logs and archived session histories are kept (MESSAGE_RETENTION_DAYS). */
  retentionDays: number;
  /** Pre-started pi processes kept ready for new sessions (PI_SPARE_PROCESSES, default 1; 0 starts pi per session). */
  spareProcesses: number;
  /** Seconds an extension dialog (a permission prompt) waits for the user before it is cancelled. */
  uiAnswerTimeoutSeconds: number;
}

/** The bearer token guards a shell, so a guessable one is refused. */
export const MIN_TOKEN_CHARS = 16;

const WORKSPACE_MODES: readonly WorkspaceMode[] = ["shared", "per-chat"];

/** Parses `env` (normally `process.env`); throws a ConfigError naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): BackendConfig {
  const token = env.PI_BACKEND_TOKEN;
  if (!token) throw new ConfigError("PI_BACKEND_TOKEN is required (the Worker sends it as a bearer token; see .dev.vars)");
  if (token.length < MIN_TOKEN_CHARS) {
    throw new ConfigError(
      `PI_BACKEND_TOKEN must be at least ${MIN_TOKEN_CHARS} characters, got ${token.length} (it guards a shell: use a random ` +
        `one, e.g. \`openssl rand -hex 24\`)`,
    );
  }
  const dataDir = resolve(cwd, env.PI_DATA_DIR || ".data/backend");
  const workspace = workspaceMode(env);
  if (workspace === "per-chat" && env.PI_CWD) {
    throw new ConfigError(
      "PI_CWD cannot be combined with PI_WORKSPACE=per-chat (each chat then works in PI_DATA_DIR/workspaces/<chat>): unset one of them",
    );
  }
  return {
    token,
    port: integer(env, "PORT", 8788, 0),
    host: env.HOST || "127.0.0.1",
    dataDir,
    // Never the process's own directory: started from the checkout, that is the relay itself (.dev.vars, src/).
    piCwd: env.PI_CWD ? resolve(cwd, env.PI_CWD) : join(dataDir, "workspace"),
    workspace,
    piArgs: splitArgs(env.PI_ARGS ?? ""),
    maxSessions: integer(env, "MAX_SESSIONS", 8, 1),
    idleSeconds: integer(env, "BACKEND_IDLE_SECONDS", 3600, 1),
    turnTimeoutSeconds: integer(env, "TURN_TIMEOUT_SECONDS", 1800, 1),
    shutdownGraceSeconds: integer(env, "SHUTDOWN_GRACE_SECONDS", 20, 0),
    heartbeatSeconds: integer(env, "PI_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS, 1),
    retentionDays: integer(env, "MESSAGE_RETENTION_DAYS", 30, 1),
    spareProcesses: integer(env, "PI_SPARE_PROCESSES", 1, 0),
    uiAnswerTimeoutSeconds: integer(env, "UI_ANSWER_TIMEOUT_SECONDS", 600, 1),
  };
}

function workspaceMode(env: NodeJS.ProcessEnv): WorkspaceMode {
  const raw = env.PI_WORKSPACE;
  if (raw === undefined || raw === "") return "shared";
  if ((WORKSPACE_MODES as readonly string[]).includes(raw)) return raw as WorkspaceMode;
  throw new ConfigError(`PI_WORKSPACE must be "shared" (the default) or "per-chat", got "${raw}"`);
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

/** Splits `PI_ARGS` on whitespace, honouring simple single or double quotes. */
export function splitArgs(raw: string): string[] {
  const args: string[] = [];
  for (const match of raw.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) args.push(match[1] ?? match[2] ?? match[3] ?? "");
  return args;
}
