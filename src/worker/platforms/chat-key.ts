/**
 * The chat key: which conversation a message belongs to. It names the chat's ChatSession
 * (`getByName`) and is its session id at the pi backend, so it is built here and nowhere else:
 * `http:<chatId>`, `telegram:<chatId>`, `slack:<team>:<channel>` (a DM) or
 * `slack:<team>:<channel>:<threadTs>` (a thread in a channel).
 */
import { isValidId } from "../../shared/ids";
import { MalformedPayloadError } from "./adapter";

/** A conversation, by where it happens. */
export type ChatAddress =
  | { platform: "http"; chatId: string }
  | { platform: "telegram"; chatId: number }
  | { platform: "slack"; team: string; channel: string; threadTs?: string }
  /** A chat of the OpenAI-compatible endpoint: the request's `user` or `X-Chat-Id`. */
  | { platform: "openai"; user: string };

/** What the HTTP interface accepts as a chat id. */
export const HTTP_CHAT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** What the OpenAI-compatible endpoint accepts as `user` / `X-Chat-Id`. */
export const OPENAI_CHAT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** Slack team and channel ids (`T0123`, `C0123`, `D0123`). */
const SLACK_ID = /^[A-Za-z0-9]{1,32}$/;
/** Slack message timestamps (`1700000000.000100`). */
const SLACK_TS = /^\d{1,20}\.\d{1,20}$/;

/** A part of a chat address that cannot be encoded: the platform sent something it never sends (the webhook answers 400). */
export class InvalidChatAddressError extends MalformedPayloadError {
  constructor(message: string) {
    super("invalid_chat_address", message);
  }
}

/** The chat key of `address`; throws InvalidChatAddressError when a part is not what its platform uses. */
export function encodeChatKey(address: ChatAddress): string {
  const key = keyOf(address);
  if (!isValidId(key)) throw new InvalidChatAddressError(`chat key ${JSON.stringify(key)} is not a valid backend session id`);
  return key;
}

/** The address a chat key names, or null when it is not one this codec makes. */
export function decodeChatKey(key: string): ChatAddress | null {
  const [platform, ...parts] = key.split(":");
  try {
    if (platform === "http" && parts.length === 1) return checked({ platform, chatId: parts[0]! }, key);
    if (platform === "openai" && parts.length === 1) return checked({ platform, user: parts[0]! }, key);
    if (platform === "telegram" && parts.length === 1 && /^-?\d{1,20}$/.test(parts[0]!)) {
      return checked({ platform, chatId: Number(parts[0]) }, key);
    }
    if (platform === "slack" && (parts.length === 2 || parts.length === 3)) {
      const [team, channel, threadTs] = parts as [string, string, string | undefined];
      return checked({ platform, team, channel, ...(threadTs === undefined ? {} : { threadTs }) }, key);
    }
  } catch (err) {
    if (err instanceof InvalidChatAddressError) return null;
    throw err;
  }
  return null;
}

/** The address, if encoding it gives back exactly `key` (so decode never accepts a key encode would not make). */
function checked(address: ChatAddress, key: string): ChatAddress | null {
  return encodeChatKey(address) === key ? address : null;
}

function keyOf(address: ChatAddress): string {
  switch (address.platform) {
    case "http":
      if (!HTTP_CHAT_ID.test(address.chatId)) throw new InvalidChatAddressError("chatId: must match [A-Za-z0-9_-]{1,64}");
      return `http:${address.chatId}`;
    case "openai":
      if (!OPENAI_CHAT_ID.test(address.user)) throw new InvalidChatAddressError("user: must match [A-Za-z0-9_.-]{1,64}");
      return `openai:${address.user}`;
    case "telegram":
      if (!Number.isSafeInteger(address.chatId)) throw new InvalidChatAddressError(`telegram chat id ${address.chatId} is not an integer`);
      return `telegram:${address.chatId}`;
    case "slack": {
      const { team, channel, threadTs } = address;
      if (!SLACK_ID.test(team) || !SLACK_ID.test(channel))
        throw new InvalidChatAddressError(`slack team/channel ${team}/${channel} are not Slack ids`);
      if (threadTs === undefined) return `slack:${team}:${channel}`;
      if (!SLACK_TS.test(threadTs)) throw new InvalidChatAddressError(`slack thread ${threadTs} is not a message timestamp`);
      return `slack:${team}:${channel}:${threadTs}`;
    }
  }
}
