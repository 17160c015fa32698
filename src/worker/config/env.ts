/**
 * What every layer may read of the Worker's env: its variables and secrets. The two Durable
 * Object namespaces are added by the layer that calls them, typed by the RPC surface it uses
 * (`Env & ChatSessions<ChatSessionCore>` in the HTTP API, `Env & ChatSessions<ReleasableChat>` in
 * the registry...), so no layer imports a class above it. The Worker entry's `Env` has them all.
 */
export interface Env {
  /** Base URL of the pi backend server (protocol v1). */
  PI_BACKEND_URL?: string;
  /** `1` lets PI_BACKEND_URL use plain `http://` to a host that is not loopback (the token then crosses the network in clear). */
  PI_BACKEND_ALLOW_HTTP?: string;
  /** Bearer token the backend expects (secret, at least 16 characters). */
  PI_BACKEND_TOKEN?: string;
  /** Bearer token for /api/* (secret, at least 16 characters). */
  API_TOKEN?: string;
  /** Seconds without activity before a chat's backend session is released (default 900). */
  IDLE_TIMEOUT_SECONDS?: string;
  /** How long one alarm invocation may drive a turn before handing over to the next (default 840 s, under the 15-minute limit). */
  TURN_HANDOVER_SECONDS?: string;
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

/** The Registry namespace (one object, `registry`), as a layer calls it. */
export interface Registries<Registry extends Rpc.DurableObjectBranded> {
  REGISTRY: DurableObjectNamespace<Registry>;
}
