/** The backend's configuration, parsed from the environment in one place. */
import { resolve } from "node:path";
import { ConfigError } from "./errors";

/** Everything the backend server needs to run. */
export interface BackendConfig {
  token: string;
  port: number;
  host: string;
  dataDir: string;
  piCwd: string;
  piArgs: string[];
  maxSessions: number;
  idleSeconds: number;
  turnTimeoutSeconds: number;
}

/** Parses `env` (normally `process.env`); throws a ConfigError naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): BackendConfig {
  const token = env.PI_BACKEND_TOKEN;
  if (!token) throw new ConfigError("PI_BACKEND_TOKEN is required (the Worker sends it as a bearer token; see .dev.vars)");
  return {
    token,
    port: integer(env, "PORT", 8788, 0),
    host: env.HOST || "127.0.0.1",
    dataDir: resolve(cwd, env.PI_DATA_DIR || ".data/backend"),
    piCwd: resolve(cwd, env.PI_CWD || "."),
    piArgs: splitArgs(env.PI_ARGS ?? ""),
    maxSessions: integer(env, "MAX_SESSIONS", 8, 1),
    idleSeconds: integer(env, "BACKEND_IDLE_SECONDS", 3600, 1),
    turnTimeoutSeconds: integer(env, "TURN_TIMEOUT_SECONDS", 1800, 1),
  };
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
