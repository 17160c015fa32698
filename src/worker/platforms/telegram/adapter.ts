/**
 * Telegram adapter: the webhook's secret-token check, Update → chat message, and the
 * outbound client. In private chats every text or caption is for the agent; in groups only
 * commands, mentions of the bot and replies to it are.
 */
import type { CallbackQuery, Message, MessageEntity, Update } from "@grammyjs/types";
import { secretsEqual } from "../../../shared/http/timing-safe";
import { secret } from "../../config/config";
import type { Env } from "../../config/env";
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
import { parseCommand } from "../command-names";
import { downloadTelegramFile, telegramMedia } from "./files";
import { botIdOf, TelegramOutbound, telegramApi } from "./outbound";

const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** Bot usernames by token, looked up once per isolate with getMe when a group message needs it. */
const usernames = new Map<string, Promise<string>>();

export const telegram: PlatformAdapter = {
  platform: "telegram",

  configured: (env) => Boolean(env.TELEGRAM_BOT_TOKEN && env.TELEGRAM_WEBHOOK_SECRET),

  async verify(request, _rawBody, env) {
    const given = request.headers.get(SECRET_HEADER);
    const expected = secret(env, "TELEGRAM_WEBHOOK_SECRET");
    if (given === null || !(await secretsEqual(given, expected))) {
      throw new VerificationError(`missing or wrong ${SECRET_HEADER} header`);
    }
  },

  async parse(_request, rawBody, env) {
    const update = parseJsonBody(rawBody) as Update;
    if (typeof update?.update_id !== "number") throw new MalformedPayloadError("invalid_update", "update_id: must be a number");
    if (update.callback_query) return buttonPress(update.update_id, update.callback_query);
    const message = update.message;
    if (!message) return ignore(`update ${update.update_id} carries no new message (${Object.keys(update).join(",")})`);
    if (!message.from || message.from.is_bot) return ignore(`update ${update.update_id}: not from a person`);
    const text = message.text ?? message.caption ?? "";
    const media = telegramMedia(message);
    if (!text && !media.attachments.length && !media.unsupported) return ignore(`update ${update.update_id}: no text, caption or media`);
    const entities = message.entities ?? message.caption_entities ?? [];
    const chat: Omit<ChatMessage, "text" | "command"> = {
      kind: "message",
      chatKey: encodeChatKey({ platform: "telegram", chatId: message.chat.id }),
      userId: `telegram:${message.from.id}`,
      messageId: `tg-${update.update_id}`,
      target: {
        platform: "telegram",
        chatId: message.chat.id,
        replyTo: message.message_id,
        ...(message.is_topic_message && message.message_thread_id ? { threadId: message.message_thread_id } : {}),
      },
      ...(media.attachments.length ? { attachments: media.attachments } : {}),
      ...(media.unsupported ? { unsupported: media.unsupported } : {}),
    };
    const isPrivate = message.chat.type === "private";
    const commandEntity = entities.find((e) => e.type === "bot_command" && e.offset === 0);
    if (commandEntity) {
      const [name, addressee] = text.slice(1, commandEntity.length).split("@") as [string, string | undefined];
      const forUs = addressee === undefined || isPrivate || addressee.toLowerCase() === (await botUsername(env)).toLowerCase();
      if (!forUs) return ignore(`update ${update.update_id}: command for @${addressee}`);
      const command = parseCommand(name);
      if (command) return { ...chat, text, command };
      // An unknown command goes to the agent as text, unless it may be meant for another bot in the group.
      if (!isPrivate && addressee === undefined) return ignore(`update ${update.update_id}: unknown command /${name}`);
      return { ...chat, text, command: null };
    }
    if (isPrivate) return { ...chat, text, command: null };
    const mention = await mentionOfBot(text, entities, env);
    if (mention) return { ...chat, text: stripMention(text, mention), command: null };
    if (isReplyToBot(message, env)) return { ...chat, text, command: null };
    return ignore(`update ${update.update_id}: group message not addressed to the bot`);
  },

  outbound: (env) => new TelegramOutbound(telegramApi(env)),

  download: downloadTelegramFile,
};

/** The entity that mentions this bot (by @username, or by id for users without one), if any. */
async function mentionOfBot(text: string, entities: MessageEntity[], env: Env): Promise<MessageEntity | null> {
  const botId = botIdOf(env.TELEGRAM_BOT_TOKEN ?? "");
  const byId = entities.find((e) => e.type === "text_mention" && e.user.id === botId);
  if (byId) return byId;
  const mentions = entities.filter((e) => e.type === "mention");
  if (mentions.length === 0) return null;
  const username = `@${(await botUsername(env)).toLowerCase()}`;
  return mentions.find((e) => text.slice(e.offset, e.offset + e.length).toLowerCase() === username) ?? null;
}

function stripMention(text: string, entity: MessageEntity): string {
  const stripped = `${text.slice(0, entity.offset)}${text.slice(entity.offset + entity.length)}`.replace(/^[\s,:]+/, "").trim();
  return stripped || text;
}

function isReplyToBot(message: Message, env: Env): boolean {
  return message.reply_to_message?.from?.id === botIdOf(env.TELEGRAM_BOT_TOKEN ?? "");
}

function botUsername(env: Env): Promise<string> {
  const token = env.TELEGRAM_BOT_TOKEN ?? "";
  let found = usernames.get(token);
  if (!found) {
    found = telegramApi(env)
      .getMe()
      .then((me) => me.username);
    // A failed lookup is not cached, so the next group message tries again.
    found.catch(() => usernames.delete(token));
    usernames.set(token, found);
  }
  return found;
}

/** A press of an inline-keyboard button under one of our messages. */
function buttonPress(updateId: number, query: CallbackQuery): Inbound {
  const message = query.message;
  if (!message || typeof query.data !== "string") return ignore(`update ${updateId}: callback query without message or data`);
  if (query.from.is_bot) return ignore(`update ${updateId}: callback query from a bot`);
  return {
    kind: "button",
    chatKey: encodeChatKey({ platform: "telegram", chatId: message.chat.id }),
    userId: `telegram:${query.from.id}`,
    pressId: query.id,
    data: query.data,
    buttonsMessageId: String(message.message_id),
    target: {
      platform: "telegram",
      chatId: message.chat.id,
      replyTo: message.message_id,
      ...("message_thread_id" in message && message.message_thread_id ? { threadId: message.message_thread_id } : {}),
    },
  };
}
