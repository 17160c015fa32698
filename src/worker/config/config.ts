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

/** The URL requests through the `PI_BACKEND` binding use when PI_BACKEND_URL is unset (the VPC service fixes host and port). */
export const VPC_BACKEND_URL = "http://pi-backend";

/** Where the pi backend is and how to authenticate to it. */
export interface BackendConfig {
  /** The first backend (the only one unless PI_BACKEND_URLS names several). */
  url: string;
  /** Every backend, in the order configured (PI_BACKEND_URLS, else PI_BACKEND_URL). */
  urls: string[];
  token: string;
}

/**
 * The backends' URLs and token, refused when they would leak: a short token, or a plain-`http://`
 * URL to another machine (the bearer token and every prompt would cross the network in clear)
 * unless PI_BACKEND_ALLOW_HTTP=1 says that network is trusted. PI_BACKEND_URLS (comma-separated)
 * takes precedence over PI_BACKEND_URL.
 */
export function backendConfig(env: Env): BackendConfig {
  // Through the PI_BACKEND binding the URL only names the origin inside the tunnel, and the traffic is encrypted to it.
  if (env.PI_BACKEND) {
    const url = env.PI_BACKEND_URL || VPC_BACKEND_URL;
    return { url, urls: [url], token: secret(env, "PI_BACKEND_TOKEN") };
  }
  const list = (env.PI_BACKEND_URLS ?? "")
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  const urls = list.length > 0 ? list.map((u) => checkBackendUrl(env, "PI_BACKEND_URLS", u)) : [checkBackendUrl(env, "PI_BACKEND_URL")];
  return { url: urls[0]!, urls, token: secret(env, "PI_BACKEND_TOKEN") };
}

/**
 * URLs that passed `checkBackendUrl`, by what was checked: the settings are read on every request and
 * several times per turn, and a URL parse each time is CPU the answer never changes. Failures are not kept.
 */
const checkedUrls = new Map<string, string>();
const CHECKED_URLS_KEPT = 16;

function checkBackendUrl(env: Env, name: "PI_BACKEND_URL" | "PI_BACKEND_URLS", raw = required(env, "PI_BACKEND_URL")): string {
  const key = `${name}\n${env.PI_BACKEND_ALLOW_HTTP === "1"}\n${raw}`;
  if (checkedUrls.has(key)) return checkedUrls.get(key)!;
  const checked = parseBackendUrl(env, name, raw);
  if (checkedUrls.size >= CHECKED_URLS_KEPT) checkedUrls.clear();
  checkedUrls.set(key, checked);
  return checked;
}

function parseBackendUrl(env: Env, name: "PI_BACKEND_URL" | "PI_BACKEND_URLS", raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL: "${raw}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError(`${name} must be http:// or https://, got ${url.protocol}`);
  if (url.protocol === "http:" && !isLoopback(url.hostname) && env.PI_BACKEND_ALLOW_HTTP !== "1") {
    throw new ConfigError(
      `${name} uses plain http:// to ${url.hostname}, which is not this machine: use https:// (e.g. through a tunnel), ` +
        `or set PI_BACKEND_ALLOW_HTTP=1 if that network is trusted`,
    );
  }
  return raw;
}

/** True for hosts that never leave this machine: 127.0.0.0/8, ::1 and localhost (as the URL parser normalises them). */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * A positive number of seconds from an optional setting. Unset gives the default; a malformed
 * value is logged, naming the setting, and the default is used, so a typo never stops turns.
 */
function seconds(
  env: Env,
  name:
    | "IDLE_TIMEOUT_SECONDS"
    | "TURN_HANDOVER_SECONDS"
    | "PI_CALL_TIMEOUT_SECONDS"
    | "STREAM_STALL_SECONDS"
    | "BACKEND_OUTAGE_HOLD_SECONDS"
    | "BACKEND_RETRY_MIN_SECONDS"
    | "BACKEND_RETRY_MAX_SECONDS",
  fallback: number,
): number {
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
 * Seconds a pi-client call (submit, reset, abort, DELETE, an events stream's headers) may take before it
 * counts as an outage (default 15).
 */
export function piCallTimeoutSeconds(env: Env): number {
  return seconds(env, "PI_CALL_TIMEOUT_SECONDS", 15);
}

/** Seconds an open events stream may stay silent (no event, no heartbeat) before the Worker re-attaches (default 45). */
export function streamStallSeconds(env: Env): number {
  return seconds(env, "STREAM_STALL_SECONDS", 45);
}

/** Seconds a message is held through a backend outage before it fails `backend_unreachable` (default 3600). */
export function backendOutageHoldSeconds(env: Env): number {
  return seconds(env, "BACKEND_OUTAGE_HOLD_SECONDS", 3600);
}

/** The outage retry backoff: first delay and cap, in seconds (defaults 1 and 60). */
export function backendRetrySeconds(env: Env): { min: number; max: number } {
  const min = seconds(env, "BACKEND_RETRY_MIN_SECONDS", 1);
  return { min, max: Math.max(min, seconds(env, "BACKEND_RETRY_MAX_SECONDS", 60)) };
}

/** Most registry shards we accept: status asks every one of them in parallel. */
export const MAX_REGISTRY_SHARDS = 64;

/**
 * How many registry shards there are (default 4, 1..64). A malformed value is logged and the
 * default used: every Worker must agree on N, and a typo would otherwise re-home every chat.
 */
export function registryShards(env: Env): number {
  const raw = env.REGISTRY_SHARDS;
  if (raw === undefined || raw === "") return 4;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= 1 && value <= MAX_REGISTRY_SHARDS) return value;
  log.error("config.invalid", {
    setting: "REGISTRY_SHARDS",
    value: raw,
    expected: `an integer from 1 to ${MAX_REGISTRY_SHARDS}`,
    using: 4,
  });
  return 4;
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
