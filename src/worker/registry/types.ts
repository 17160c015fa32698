/**
 * What the registry and the chats say to each other: a chat reports snapshots, the registry asks
 * an idle chat to release its backend session. Chats import these types; the registry never
 * imports a chat.
 */
import type { HeldReachability } from "./backend-status";

/** A chat's state as its ChatSession reports it (at enqueue, turn start and turn end). */
export interface SessionSnapshot {
  chat: string;
  /** Epoch ms. */
  lastActivity: number;
  busy: boolean;
  /** Messages waiting, not counting the running one. */
  queued: number;
  backend: "live" | "released";
  generation: number;
  /** Monotonic per chat; an older report never overwrites a newer one. */
  version: number;
  /** The pi backend host this chat sticks to (PI_BACKEND_URLS); absent from older reports. */
  host?: string;
}

/** One entry of `GET /api/status`. */
export interface SessionStatus {
  chat: string;
  lastActivity: string;
  idleSeconds: number;
  busy: boolean;
  queued: number;
  backend: "live" | "released";
  /** The pi backend host this chat sticks to, when the registry has heard it. */
  host?: string;
}

/** Where a page of the status list starts: after this entry in (lastActivity desc, chat asc) order. */
export interface StatusCursor {
  lastActivity: number;
  chat: string;
}

/** One shard's part of a status page: its first `limit` chats after the cursor, in status order. */
export interface ShardPage {
  idleTimeoutSeconds: number;
  sessions: SessionSnapshot[];
  /** Whether the shard has more chats after these. */
  more: boolean;
  /** How many chats the shard holds in all. */
  total: number;
  /** The newest backend reachability report this shard had (null before any). */
  backend: HeldReachability | null;
}

export interface ReleaseRequest {
  /** The generation the registry saw; a release for an older generation is stale and ignored. */
  generation: number;
  /** The last activity the registry saw; newer activity means the chat is no longer idle. */
  lastActivity: number;
}

export interface ReleaseResult {
  released: boolean;
  /** `release_failed`: the DELETE did not go through (a blip); the session stays live and the registry asks again. */
  reason: "released" | "busy" | "stale_generation" | "active" | "not_live" | "release_failed";
  snapshot: SessionSnapshot | null;
}

/** What the registry's idle eviction needs of a chat's Durable Object. */
export interface ReleasableChat extends Rpc.DurableObjectBranded {
  releaseBackendSession(request: ReleaseRequest): Promise<ReleaseResult>;
}
