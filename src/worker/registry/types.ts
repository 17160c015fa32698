/**
 * What the registry and the chats say to each other: a chat reports snapshots, the registry asks
 * an idle chat to release its backend session. Chats import these types; the registry never
 * imports a chat.
 */

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
}

/** One entry of `GET /api/status`. */
export interface SessionStatus {
  chat: string;
  lastActivity: string;
  idleSeconds: number;
  busy: boolean;
  queued: number;
  backend: "live" | "released";
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
