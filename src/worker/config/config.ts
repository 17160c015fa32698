/** Config parsing: required settings and the numeric ones, read from the bindings. */
import type { Env } from "./env";

/** A required setting is missing; the message names it. */
export class ConfigError extends Error {
  readonly code = "config_error";
}

/** Returns the named setting or throws "NAME is required". */
export function required(
  env: Env,
  name: "PI_BACKEND_URL" | "PI_BACKEND_TOKEN" | "API_TOKEN" | "TELEGRAM_BOT_TOKEN" | "TELEGRAM_WEBHOOK_SECRET" | "SLACK_SIGNING_SECRET" | "SLACK_BOT_TOKEN",
): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is required (set it in wrangler.toml [vars] or as a secret in .dev.vars)`);
  return value;
}

/**
 * A positive number of seconds from an optional setting. Unset gives the default; a malformed
 * value is logged, naming the setting, and the default is used, so a typo never stops turns.
 */
function seconds(env: Env, name: "IDLE_TIMEOUT_SECONDS" | "TURN_HANDOVER_SECONDS", fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (Number.isFinite(value) && value > 0) return value;
  console.error(`${name} must be a positive number of seconds, got "${raw}"; using ${fallback}`);
  return fallback;
}

/** Seconds without activity before a chat's backend session is released (default 900). */
export function idleTimeoutSeconds(env: Env): number {
  return seconds(env, "IDLE_TIMEOUT_SECONDS", 900);
}

/** Seconds one alarm invocation drives a turn before handing over; the default stays under the 15-minute limit. */
export function turnHandoverSeconds(env: Env): number {
  return seconds(env, "TURN_HANDOVER_SECONDS", 14 * 60);
}
