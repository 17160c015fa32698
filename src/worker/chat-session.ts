/**
 * The ChatSession Durable Object as deployed: the chat core with the chat platforms plugged in.
 * Replies to platform messages stream to their chat; the webhooks get one-time claims.
 */
import { adapters } from "./adapters";
import { ChatSessionCore } from "./chat/chat-session";
import type { InboxMessage } from "./chat/inbox";
import type { TurnObserver } from "./chat/turn-observer";
import type { PlatformChatSession } from "./platforms/adapter";
import { Claims } from "./platforms/claims";
import { deliveryObserver } from "./platforms/delivery/observer";
import { DeliveryStore } from "./platforms/delivery/store";

export class ChatSession extends ChatSessionCore implements PlatformChatSession {
  /** Made on first use: only chats with a platform or commands need their tables. */
  private claims?: Claims;
  private deliveries?: DeliveryStore;

  /** Where this message's reply is delivered: streamed to its chat platform, or nowhere (HTTP clients poll). */
  protected override observerFor(message: InboxMessage): TurnObserver {
    return deliveryObserver(adapters, this.env, () => (this.deliveries ??= new DeliveryStore(this.ctx.storage.sql)), message);
  }

  /** True the first time `key` is claimed until `ttlMs` passes (a resent command, the hourly notice); see platforms/claims.ts. */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    this.claims ??= new Claims(this.ctx.storage.sql);
    return this.claims.claim(key, ttlMs, Date.now());
  }
}
