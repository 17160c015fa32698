/** Config parsing: required settings and the numeric ones, read from the bindings. */
import { ConfigError } from "../../shared/config-error";
import { log } from "../../shared/log";
import type { Env } from "./env";

/** Returns the named setting or throws "NAME is required". */
export function required(
  env: Env,
  name:
    | "PI_BACKEND_URL"
    | "PI_BACKEND_TOKEN"
    | "API_TOKEN"
    | "TELEGRAM_BOT_TOKEN"
    | "TELEGRAM_WEBHOOK_SECRET"
    | "SLACK_SIGNING_SECRET"
    | "SLACK_BOT_TOKEN",
): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is required (set it in wrangler.toml [vars] or as a secret in .dev.vars)`);
  return value;
}

/** Shortest secret we accept: anything shorter can be guessed by someone who can reach the route. */
export const MIN_SECRET_LENGTH = 16;

/** Returns the named secret, or throws naming it when it is missing or shorter than MIN_SECRET_LENGTH. */
export function secret(env: Env, name: "PI_BACKEND_TOKEN" | "API_TOKEN" | "TELEGRAM_WEBHOOK_SECRET"): string {
  const value = required(env, name);
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`${name} is too short (${value.length} characters); use at least ${MIN_SECRET_LENGTH} random characters`);
  }
  return value;
}

/** Where the pi backend is and how to authenticate to it. */
export interface BackendConfig {
  url: string;
  token: string;
}

/**
 * The backend's URL and token, refused when they would leak: a short token, or a plain-`http://`
 * URL to another machine (the bearer token and every prompt would cross the network in clear)
 * unless PI_BACKEND_ALLOW_HTTP=1 says that network is trusted.
 */
export function backendConfig(env: Env): BackendConfig {
  const raw = required(env, "PI_BACKEND_URL");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`PI_BACKEND_URL is not a URL: "${raw}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError(`PI_BACKEND_URL must be http:// or https://, got ${url.protocol}`);
  if (url.protocol === "http:" && !isLoopback(url.hostname) && env.PI_BACKEND_ALLOW_HTTP !== "1") {
    throw new ConfigError(
      `PI_BACKEND_URL uses plain http:// to ${url.hostname}, which is not this machine: use https:// (e.g. through a tunnel), or set PI_BACKEND_ALLOW_HTTP=1 if that network is trusted`,
    );
  }
  return { url: raw, token: secret(env, "PI_BACKEND_TOKEN") };
}

/** True for hosts that never leave this machine: 127.0.0.0/8, ::1 and localhost (as the URL parser normalises them). */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
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
  log.error("config.invalid", { setting: name, value: raw, expected: "a positive number of seconds", using: fallback });
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

/**
 * A positive whole number from an optional setting. Unset gives the default; a malformed value is
 * logged, naming the setting, and the default is used.
 */
function count(env: Env, name: "MAX_QUEUED" | "MESSAGE_RETENTION_DAYS", fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (Number.isInteger(value) && value > 0) return value;
  log.error("config.invalid", { setting: name, value: raw, expected: "a positive whole number", using: fallback });
  return fallback;
}

/** Messages one chat may have waiting (not counting the running one) before new ones are refused with `queue_full` (default 20). */
export function maxQueued(env: Env): number {
  return count(env, "MAX_QUEUED", 20);
}

/** Days a finished message (and its delivery row) is kept, and a chat with no activity keeps its storage (default 30). */
export function messageRetentionDays(env: Env): number {
  return count(env, "MESSAGE_RETENTION_DAYS", 30);
}
