/**
 * What every layer may read of the Worker's env: its variables and secrets. The two Durable
 * Object namespaces are added by the layer that calls them, typed by the RPC surface it uses
 * (`Env & ChatSessions<ChatSessionCore>` in the HTTP API, `Env & ChatSessions<ReleasableChat>` in
 * the registry...), so no layer imports a class above it. The Worker entry's `Env` has them all.
 */
export interface Env {
  /** Base URL of the pi backend server (protocol v1). */
  PI_BACKEND_URL?: string;
  /** Several pi backends, comma-separated; each chat sticks to one (rendezvous hashing on its key). Overrides PI_BACKEND_URL. */
  PI_BACKEND_URLS?: string;
  /** `1` lets PI_BACKEND_URL use plain `http://` to a host that is not loopback (the token then crosses the network in clear). */
  PI_BACKEND_ALLOW_HTTP?: string;
  /** Bearer token the backend expects (secret, at least 16 characters). */
  PI_BACKEND_TOKEN?: string;
  /** Cloudflare Access service token id, sent as `CF-Access-Client-Id` on every backend call (secret; with the next). */
  PI_BACKEND_ACCESS_CLIENT_ID?: string;
  /** Cloudflare Access service token secret, sent as `CF-Access-Client-Secret` (secret; with the previous). */
  PI_BACKEND_ACCESS_CLIENT_SECRET?: string;
  /** Workers VPC service binding to the backend's tunnel; when present, backend calls go through it instead of the internet. */
  PI_BACKEND?: Fetcher;
  /** The static pages in public/ (wrangler.toml `[assets]`), served by the Worker for paths no route claims. */
  ASSETS?: Fetcher;
  /** Bearer token for /api/* (secret, at least 16 characters). */
  API_TOKEN?: string;
  /** Seconds without activity before a chat's backend session is released (default 900). */
  IDLE_TIMEOUT_SECONDS?: string;
  /** How long one alarm invocation may drive a turn before handing over to the next (default 840 s, under the 15-minute limit). */
  TURN_HANDOVER_SECONDS?: string;
  /** Seconds a pi-client call may take before it counts as an outage (default 15). */
  PI_CALL_TIMEOUT_SECONDS?: string;
  /** Seconds an open events stream may stay silent (no event, no heartbeat) before the Worker re-attaches (default 45). */
  STREAM_STALL_SECONDS?: string;
  /** Seconds a message is held through a backend outage before it fails `backend_unreachable` (default 3600). */
  BACKEND_OUTAGE_HOLD_SECONDS?: string;
  /** First delay between retries through a backend outage, doubling up to BACKEND_RETRY_MAX_SECONDS (default 1). */
  BACKEND_RETRY_MIN_SECONDS?: string;
  /** Longest delay between retries through a backend outage (default 60). */
  BACKEND_RETRY_MAX_SECONDS?: string;
  /** How many Registry objects share the chats (default 4); a chat reports to shard hash(chatKey) mod N. */
  REGISTRY_SHARDS?: string;
  /** Messages one chat may have waiting before `POST .../messages` answers 429 `queue_full` (default 20). */
  MAX_QUEUED?: string;
  /** Days finished messages, delivery rows and claims are kept; a chat idle that long is deleted (default 30). */
  MESSAGE_RETENTION_DAYS?: string;
  /** Telegram bot token from @BotFather (secret); unset: the Telegram webhook answers 404. */
  TELEGRAM_BOT_TOKEN?: string;
  /** Telegram's `X-Telegram-Bot-Api-Secret-Token`, `A-Za-z0-9_-` only (secret, at least 16 characters). */
  TELEGRAM_WEBHOOK_SECRET?: string;
  /** Telegram Bot API base URL (default https://api.telegram.org). */
  TELEGRAM_API_BASE?: string;
  /** Slack app signing secret (secret); unset: the Slack webhook answers 404. */
  SLACK_SIGNING_SECRET?: string;
  /** Slack bot token, `xoxb-...` (secret). */
  SLACK_BOT_TOKEN?: string;
  /** Slack Web API base URL (default https://slack.com/api). */
  SLACK_API_BASE?: string;
  /** Who may talk to the agent on chat platforms: `telegram:<userId>`, `slack:<userId>` or `*`, comma-separated. */
  ALLOWED_USERS?: string;
}

/** The ChatSession namespace (one object per chat key: `http:a`, `telegram:42`, ...), as a layer calls it. */
export interface ChatSessions<ChatSession extends Rpc.DurableObjectBranded> {
  CHAT_SESSION: DurableObjectNamespace<ChatSession>;
}

/** The Registry namespace (REGISTRY_SHARDS objects: `registry`, `registry-1`, ...), as a layer calls it. */
export interface Registries<Registry extends Rpc.DurableObjectBranded> {
  REGISTRY: DurableObjectNamespace<Registry>;
}
