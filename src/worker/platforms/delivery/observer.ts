/** Picks how a message's reply is delivered: streamed to its platform when it has a reply target. */

import { log } from "../../../shared/log";
import type { InboxMessage } from "../../chat/inbox";
import { silentObserver, type TurnObserver } from "../../chat/turn-observer";
import type { Env } from "../../config/env";
import type { Platform, PlatformAdapter, ReplyTarget } from "../adapter";
import { DialogPrompts, withDialogs } from "./dialog-prompts";
import type { LiveStreams } from "./live-streams";
import { ReplyStream } from "./reply-stream";
import type { DeliveryStore } from "./store";

/**
 * The observer that delivers `message`'s reply through its platform's adapter, or the silent one
 * for messages nobody pushes to (HTTP).
 */
export function deliveryObserver(
  adapters: Partial<Record<Platform, PlatformAdapter>>,
  env: Env,
  store: DeliveryStore,
  message: InboxMessage,
  live: LiveStreams,
  deliverUntil?: number,
): TurnObserver {
  if (!message.target) return silentObserver;
  try {
    const target = JSON.parse(message.target) as ReplyTarget;
    const adapter = adapters[target.platform];
    if (!adapter) throw new Error(`unknown platform ${target.platform}`);
    const outbound = adapter.outbound(env);
    const stream = new ReplyStream({ outbound, target, store, messageId: message.id, live, deliverUntil });
    return withDialogs(stream, new DialogPrompts(outbound, target));
  } catch (err) {
    // The turn still runs and its reply is stored; only the push is lost, and the log says why.
    log.error("delivery.no_target", { messageId: message.id, error: err });
    return silentObserver;
  }
}
