/**
 * Outbound Telegram calls through grammY's `Api` (its web build runs on workerd), with pi's
 * Markdown rendered as Telegram HTML. If Telegram rejects the formatting the same text is sent
 * plain, so a reply is never lost to formatting.
 */
import { Api, GrammyError } from "grammy/web";
import { log } from "../../../shared/log";
import type { Choice } from "../../chat/agent-commands";
import { required } from "../../config/config";
import type { Env } from "../../config/env";
import { type Outbound, PlatformError, RateLimitError, type ReplyTarget } from "../adapter";
import { type MarkdownStyle, renderMarkdown } from "../markdown";
import { inlineKeyboard, NO_KEYBOARD } from "./buttons";

/** Telegram's limit for one message's text (after entity parsing). */
const TELEGRAM_MAX_LENGTH = 4096;

const DEFAULT_API_BASE = "https://api.telegram.org";

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Telegram's HTML parse mode: https://core.telegram.org/bots/api#html-style */
export const telegramHtml: MarkdownStyle = {
  escape: escapeHtml,
  code: (t) => `<code>${t}</code>`,
  pre: (t, lang) => (lang ? `<pre><code class="language-${escapeHtml(lang)}">${t}</code></pre>` : `<pre>${t}</pre>`),
  bold: (t) => `<b>${t}</b>`,
  italic: (t) => `<i>${t}</i>`,
  strike: (t) => `<s>${t}</s>`,
  link: (label, url) => `<a href="${escapeHtml(url).replace(/"/g, "&quot;")}">${label}</a>`,
  heading: (t) => `<b>${t}</b>`,
  quote: (lines) => `<blockquote>${lines.join("\n")}</blockquote>`,
  bullet: "• ",
};

/** The grammY client for this deployment's bot. */
export function telegramApi(env: Env): Api {
  return new Api(required(env, "TELEGRAM_BOT_TOKEN"), { apiRoot: telegramApiRoot(env), timeoutSeconds: 30 });
}

/** The Bot API's base URL (TELEGRAM_API_BASE), without a trailing slash. */
export function telegramApiRoot(env: Env): string {
  return (env.TELEGRAM_API_BASE || DEFAULT_API_BASE).replace(/\/+$/, "");
}

/** The bot's numeric id: the part of the token before the colon. */
export function botIdOf(token: string): number {
  return Number(token.split(":", 1)[0]);
}

type ChatId = Parameters<Api["sendMessage"]>[0];
type SendOther = NonNullable<Parameters<Api["sendMessage"]>[2]>;
type EditOther = NonNullable<Parameters<Api["editMessageText"]>[3]>;

/** Sends, edits and shows typing in Telegram chats. */
export class TelegramOutbound implements Outbound {
  readonly maxLength = TELEGRAM_MAX_LENGTH;
  constructor(private readonly api: Api) {}

  async send(target: ReplyTarget, markdown: string, options: { quote?: boolean } = {}): Promise<string> {
    const t = telegram(target);
    const other = {
      message_thread_id: t.threadId,
      reply_parameters: options.quote ? { message_id: t.replyTo, allow_sending_without_reply: true } : undefined,
      link_preview_options: { is_disabled: true },
    };
    return this.sendRendered(t.chatId, markdown, other);
  }

  async edit(target: ReplyTarget, messageId: string, markdown: string): Promise<void> {
    const t = telegram(target);
    const other = { link_preview_options: { is_disabled: true } };
    await this.editRendered(t.chatId, messageId, markdown, other);
  }

  async typing(target: ReplyTarget): Promise<void> {
    const t = telegram(target);
    await this.call("sendChatAction", () => this.api.sendChatAction(t.chatId, "typing", { message_thread_id: t.threadId }));
  }

  async notice(target: ReplyTarget, text: string): Promise<void> {
    const t = telegram(target);
    await this.call("sendMessage", () =>
      this.api.sendMessage(t.chatId, text, {
        message_thread_id: t.threadId,
        reply_parameters: { message_id: t.replyTo, allow_sending_without_reply: true },
      }),
    );
  }

  async sendChoices(target: ReplyTarget, markdown: string, choices: Choice[][]): Promise<string> {
    const t = telegram(target);
    const other = { message_thread_id: t.threadId, reply_markup: inlineKeyboard(choices), link_preview_options: { is_disabled: true } };
    return this.sendRendered(t.chatId, markdown, other);
  }

  async closeChoices(target: ReplyTarget, messageId: string, markdown: string): Promise<void> {
    const t = telegram(target);
    const other = { reply_markup: NO_KEYBOARD, link_preview_options: { is_disabled: true } };
    await this.editRendered(t.chatId, messageId, markdown, other);
  }

  /** sendMessage as HTML rendered from `markdown` (plain text where Telegram refuses the HTML); returns the message id. */
  private async sendRendered(chatId: ChatId, markdown: string, other: SendOther): Promise<string> {
    const sent = await this.withFallback("sendMessage", (formatted) =>
      formatted
        ? this.api.sendMessage(chatId, renderMarkdown(markdown, telegramHtml), { ...other, parse_mode: "HTML" })
        : this.api.sendMessage(chatId, markdown, other),
    );
    return String(sent.message_id);
  }

  /** editMessageText the same way. */
  private async editRendered(chatId: ChatId, messageId: string, markdown: string, other: EditOther): Promise<void> {
    try {
      await this.withFallback("editMessageText", (formatted) =>
        formatted
          ? this.api.editMessageText(chatId, Number(messageId), renderMarkdown(markdown, telegramHtml), { ...other, parse_mode: "HTML" })
          : this.api.editMessageText(chatId, Number(messageId), markdown, other),
      );
    } catch (err) {
      // The message already shows this text (e.g. an edit repeated after a restart): nothing to do.
      if (err instanceof PlatformError && /message is not modified/i.test(err.message)) return;
      throw err;
    }
  }

  /** Answers the callback query, so the button stops spinning; `text` shows as a short toast. */
  async acknowledge(pressId: string, text: string): Promise<void> {
    await this.call("answerCallbackQuery", () => this.api.answerCallbackQuery(pressId, { text: text.slice(0, 200) }));
  }

  /** Tries the formatted call; if Telegram cannot parse the entities, makes the plain one. */
  private async withFallback<T>(method: string, attempt: (formatted: boolean) => Promise<T>): Promise<T> {
    try {
      return await this.call(method, () => attempt(true));
    } catch (err) {
      if (!(err instanceof PlatformError && /can't parse entities/i.test(err.message))) throw err;
      log.warn("telegram.formatting_rejected", { method, error: err, fallback: "plain text" });
      return this.call(method, () => attempt(false));
    }
  }

  /** Maps grammY's errors onto ours: 429 → RateLimitError, other 4xx → PlatformError; network errors pass through. */
  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof GrammyError)) throw err;
      if (err.error_code === 429) {
        const seconds = err.parameters.retry_after ?? 1;
        throw new RateLimitError(seconds * 1000, `telegram ${method}: too many requests, retry after ${seconds} s`);
      }
      if (err.error_code >= 500) throw err;
      throw new PlatformError(`telegram_${err.error_code}`, `telegram ${method}: ${err.description}`);
    }
  }
}

function telegram(target: ReplyTarget): Extract<ReplyTarget, { platform: "telegram" }> {
  if (target.platform !== "telegram") throw new Error(`not a Telegram target: ${target.platform}`);
  return target;
}
