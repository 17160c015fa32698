/**
 * Slack adapter: request signing (v0 HMAC-SHA256 over the raw body, five-minute window),
 * Events API payloads → chat messages, and the outbound client. Direct messages are one chat
 * per DM; a mention in a channel is one chat per thread, answered in that thread.
 */

import {
  type ChatMessage,
  type Inbound,
  ignore,
  MalformedPayloadError,
  type PlatformAdapter,
  parseJsonBody,
  VerificationError,
} from "../adapter";
import { encodeChatKey } from "../chat-key";
import { parseCommand, parseCommandLine } from "../command-names";
import { helpText } from "../commands";
import { downloadSlackFile, type SlackFile, slackMedia } from "./files";
import { parseInteraction } from "./interactions";
import { SlackOutbound } from "./outbound";

/** Slack's replay window for signed requests. */
const MAX_SIGNATURE_AGE_SECONDS = 5 * 60;

interface SlackEvent {
  type: string;
  subtype?: string;
  bot_id?: string;
  user?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  files?: SlackFile[];
}

interface EventPayload {
  type: string;
  challenge?: string;
  team_id?: string;
  event_id?: string;
  event?: SlackEvent;
}

export const slack: PlatformAdapter = {
  platform: "slack",

  configured: (env) => Boolean(env.SLACK_SIGNING_SECRET && env.SLACK_BOT_TOKEN),

  async verify(request, rawBody, env, now) {
    const timestamp = request.headers.get("x-slack-request-timestamp") ?? "";
    const signature = request.headers.get("x-slack-signature") ?? "";
    if (!/^\d{1,12}$/.test(timestamp)) throw unauthorized("missing or malformed X-Slack-Request-Timestamp");
    // Both directions: an old request may be a replay, a future-dated one was forged ahead of time.
    if (Math.abs(now / 1000 - Number(timestamp)) > MAX_SIGNATURE_AGE_SECONDS)
      throw unauthorized("request timestamp is outside the five-minute window");
    if (!(await slackSignatureValid(env.SLACK_SIGNING_SECRET ?? "", timestamp, rawBody, signature)))
      throw unauthorized("bad X-Slack-Signature");
  },

  async parse(request, rawBody) {
    if (request.headers.get("content-type")?.includes("application/x-www-form-urlencoded")) {
      const form = new URLSearchParams(new TextDecoder().decode(rawBody));
      const interaction = form.get("payload");
      if (interaction !== null) return parseInteraction(interaction);
      return parseSlashCommand(form);
    }
    const payload = parseJsonBody(rawBody) as EventPayload;
    if (payload?.type === "url_verification") return { kind: "answer", body: { challenge: payload.challenge } };
    if (payload?.type !== "event_callback") return ignore(`payload type ${payload?.type}`);
    const event = payload.event;
    if (!event || !payload.event_id || !payload.team_id)
      throw new MalformedPayloadError("invalid_event", "event_callback needs event, event_id and team_id");
    // The bot's own posts arrive with bot_id and no subtype: answering them would loop forever.
    // A message with files (file_share) is a message like any other; other subtypes are edits, joins...
    if (event.bot_id || (event.subtype && event.subtype !== "file_share"))
      return ignore(`event ${payload.event_id}: ${event.subtype ?? "bot message"}`);
    if (!event.user || (event.text === undefined && !event.files?.length)) return ignore(`event ${payload.event_id}: no user or text`);
    const media = slackMedia(event.files);
    const base = {
      kind: "message" as const,
      userId: `slack:${event.user}`,
      messageId: `slack-${payload.event_id}`,
      ...(media.attachments.length ? { attachments: media.attachments } : {}),
      ...(media.unsupported ? { unsupported: media.unsupported } : {}),
    };
    if (event.type === "message" && event.channel_type === "im") {
      const text = (event.text ?? "").trim();
      return {
        ...base,
        chatKey: encodeChatKey({ platform: "slack", team: payload.team_id, channel: event.channel }),
        text,
        ...commandOf(text),
        target: { platform: "slack", channel: event.channel, user: event.user, replyTo: event.ts },
      };
    }
    // A mention inside a DM also arrives as the IM message above; answering both would reply twice.
    if (event.type === "app_mention" && !event.channel.startsWith("D")) {
      const threadTs = event.thread_ts ?? event.ts;
      const text = (event.text ?? "").replace(/^(\s*<@[A-Z0-9]+(\|[^>]*)?>[\s,:]*)+/, "").trim();
      return {
        ...base,
        chatKey: encodeChatKey({ platform: "slack", team: payload.team_id, channel: event.channel, threadTs }),
        text,
        ...commandOf(text),
        target: { platform: "slack", channel: event.channel, user: event.user, threadTs, replyTo: event.ts },
      };
    }
    return ignore(`event ${payload.event_id}: ${event.type} in ${event.channel_type ?? event.channel}`);
  },

  outbound: (env) => SlackOutbound.fromEnv(env),

  download: downloadSlackFile,
};

/**
 * `/evie <command>` (a registered slash command, form-encoded, same signature). Answered in the
 * response, visible only to the sender. It runs in the DM with the bot; in a channel each thread is
 * its own chat, which a slash command cannot name, so there it points to a mention instead.
 */
function parseSlashCommand(form: URLSearchParams): Inbound {
  const [team, channel, user, trigger] = ["team_id", "channel_id", "user_id", "trigger_id"].map((name) => form.get(name));
  if (!team || !channel || !user || !trigger)
    throw new MalformedPayloadError("invalid_command", "slash command needs team_id, channel_id, user_id and trigger_id");
  const ephemeral = (text: string) => ({ response_type: "ephemeral", text });
  const text = (form.get("text") ?? "").trim() || "help";
  const words = text.split(/\s+/);
  const word = words[0]!;
  const command = parseCommand(word);
  if (!command) return { kind: "answer", body: ephemeral(`Unknown command "${word}".\n${helpText("slack")}`) };
  if (!channel.startsWith("D")) {
    return {
      kind: "answer",
      body: ephemeral(`In a channel each thread is its own conversation: mention me in the thread instead, e.g. "@evie ${command}".`),
    };
  }
  return {
    kind: "message",
    chatKey: encodeChatKey({ platform: "slack", team, channel }),
    userId: `slack:${user}`,
    messageId: `slack-command-${trigger}`,
    text,
    command,
    args: words.slice(1).join(" "),
    target: { platform: "slack", channel, user },
    answer: ephemeral,
  };
}

/**
 * Checks `v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{raw body}"))` with crypto.subtle.verify,
 * which compares in constant time.
 */
export async function slackSignatureValid(secret: string, timestamp: string, rawBody: Uint8Array, signature: string): Promise<boolean> {
  const match = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (!match || !secret) return false;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const prefix = new TextEncoder().encode(`v0:${timestamp}:`);
  const signed = new Uint8Array(prefix.length + rawBody.length);
  signed.set(prefix);
  signed.set(rawBody, prefix.length);
  const mac = new Uint8Array(32);
  for (let i = 0; i < 32; i++) mac[i] = Number.parseInt(match[1]!.slice(i * 2, i * 2 + 2), 16);
  return crypto.subtle.verify("HMAC", key, mac, signed);
}

function unauthorized(message: string): VerificationError {
  return new VerificationError(message);
}

/** A message as a command (`stop`, `model fake-2`) or, when it is not one, a prompt. */
function commandOf(text: string): { command: ChatMessage["command"]; args?: string } {
  const line = parseCommandLine(text);
  return line ? { command: line.command, args: line.args } : { command: null };
}
