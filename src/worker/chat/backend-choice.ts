/** Which pi backend a chat talks to when several are configured (PI_BACKEND_URLS). */
import { rendezvousPick } from "../pi-client/rendezvous";
import type { ChatMeta } from "./chat-meta";

/**
 * The backend this chat remembers while it is still configured (its history lives there), else
 * the rendezvous pick among `urls`, remembered from now on. Moving to another backend drops the
 * handle on the old one: that session is gone for this chat, and a new generation starts.
 */
export function chooseBackend(meta: ChatMeta, urls: readonly string[], chatKey: string): string {
  const held = meta.host;
  if (held && urls.includes(held)) return held;
  const url = rendezvousPick(urls, chatKey);
  if (held && meta.backend === "live") meta.dropBackend();
  meta.host = url;
  return url;
}
