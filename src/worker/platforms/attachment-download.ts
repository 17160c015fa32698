/**
 * Downloading a platform's attachments when the turn runs: picks the message's platform adapter, and
 * reads a download with a byte cap so a file larger than it said is cut off, not held whole.
 */

import { formatBytes } from "../../shared/attachments";
import type { InboxMessage } from "../chat/inbox";
import { type AttachmentDownloader, AttachmentError } from "../chat/turn-attachments";
import type { Env } from "../config/env";
import type { Platform, PlatformAdapter, ReplyTarget } from "./adapter";

/** The downloader for `message`'s platform, or undefined for messages from no platform (HTTP). */
export function platformDownloader(
  adapters: Partial<Record<Platform, PlatformAdapter>>,
  env: Env,
  message: InboxMessage,
): AttachmentDownloader | undefined {
  if (!message.target) return undefined;
  let platform: Platform;
  try {
    platform = (JSON.parse(message.target) as ReplyTarget).platform;
  } catch {
    return undefined;
  }
  const adapter = adapters[platform];
  if (!adapter?.download) return undefined;
  return (ref, maxBytes) => adapter.download!(env, ref, maxBytes);
}

/** GETs `url` and reads at most `maxBytes` of it; `what` names the platform in errors. */
export async function downloadCapped(
  url: string,
  init: RequestInit,
  maxBytes: number,
  what: string,
): Promise<{ bytes: Uint8Array; contentType: string | null }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    // The URL may hold a secret (Telegram puts the bot token in file links): never repeat it.
    const reason = (err as Error).message.replaceAll(url, "<url>");
    throw new AttachmentError("attachment_unavailable", `${what} could not be reached: ${reason}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new AttachmentError("attachment_unavailable", `${what} answered ${res.status} to the download`);
  }
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new AttachmentError("attachment_too_large", `the file is ${formatBytes(declared)}; at most ${formatBytes(maxBytes)} is accepted`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new AttachmentError("attachment_too_large", `the file is over ${formatBytes(maxBytes)}, the most accepted`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { bytes, contentType: res.headers.get("content-type") };
}
