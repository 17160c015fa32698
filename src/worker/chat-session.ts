/**
 * The ChatSession Durable Object as deployed: the chat core with the chat platforms plugged in.
 * Replies to platform messages stream to their chat; the webhooks get one-time claims.
 */
import { adapters } from "./adapters";
import { type ChatEnv, ChatSessionCore } from "./chat/chat-session";
import type { InboxMessage } from "./chat/inbox";
import type { AttachmentDownloader } from "./chat/turn-attachments";
import type { TurnObserver } from "./chat/turn-observer";
import type { PlatformChatSession } from "./platforms/adapter";
import { platformDownloader } from "./platforms/attachment-download";
import { Claims } from "./platforms/claims";
import { LiveStreams } from "./platforms/delivery/live-streams";
import { deliveryObserver } from "./platforms/delivery/observer";
import { DeliveryStore } from "./platforms/delivery/store";
import { platformSchema } from "./platforms/schema";
import type { Schema } from "./storage/migrations";

export class ChatSession extends ChatSessionCore implements PlatformChatSession {
  private readonly claims: Claims;
  private readonly deliveries: DeliveryStore;
  /** This instance's reply streams: a reset object starts with none (see live-streams.ts). */
  private readonly liveStreams = new LiveStreams();

  constructor(ctx: DurableObjectState, env: ChatEnv) {
    super(ctx, env);
    this.claims = new Claims(ctx.storage.sql);
    this.deliveries = new DeliveryStore(ctx.storage.sql);
  }

  /** The core's tables and the platforms' (claims, deliveries). */
  protected override storageSchemas(): Schema[] {
    return [...super.storageSchemas(), platformSchema];
  }

  /** Retention for the platforms' tables: delivery rows older than `cutoff`, expired claims. */
  protected override pruneFinishedBefore(cutoff: number, now: number): number {
    return this.deliveries.prune(cutoff) + this.claims.prune(now);
  }

  /** Where this message's reply is delivered: streamed to its chat platform, or nowhere (HTTP clients poll). */
  protected override observerFor(message: InboxMessage, deliverUntil: number): TurnObserver {
    return deliveryObserver(adapters, this.env, this.deliveries, message, this.liveStreams, deliverUntil);
  }

  /** Platform attachments are downloaded through the adapter of the platform the message came from. */
  protected override attachmentDownloader(message: InboxMessage): AttachmentDownloader | undefined {
    return platformDownloader(adapters, this.env, message);
  }

  /** True the first time `key` is claimed until `ttlMs` passes (a resent command, the hourly notice); see platforms/claims.ts. */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    const won = this.claims.claim(key, ttlMs, Date.now());
    // An object holding only claims (the per-user notices) is deleted by retention like any idle chat.
    await this.armRetentionCheck();
    return won;
  }
}
