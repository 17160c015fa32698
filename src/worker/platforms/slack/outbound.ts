/**
 * Outbound Slack Web API calls (chat.postMessage, chat.update, chat.postEphemeral), with pi's
 * Markdown rendered as Slack mrkdwn. Slack answers errors as 200 `{"ok":false,"error"}` and rate
 * limits as 429 with `Retry-After`.
 */

import type { Choice } from "../../chat/agent-commands";
import { required } from "../../config/config";
import type { Env } from "../../config/env";
import { type Outbound, PlatformError, RateLimitError, type ReplyTarget } from "../adapter";
import { type MarkdownStyle, renderMarkdown } from "../markdown";
import { choiceBlocks, textBlock } from "./blocks";

/** Slack truncates at 40,000 characters and advises staying under 4,000 per message. */
const SLACK_MAX_LENGTH = 3900;

const DEFAULT_API_BASE = "https://slack.com/api";

/** Slack mrkdwn: https://api.slack.com/reference/surfaces/formatting */
export const slackMrkdwn: MarkdownStyle = {
  escape: (t) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"),
  code: (t) => `\`${t}\``,
  pre: (t) => `\`\`\`\n${t}\n\`\`\``,
  bold: (t) => `*${t}*`,
  italic: (t) => `_${t}_`,
  strike: (t) => `~${t}~`,
  link: (label, url) => `<${url.replace(/[<>|]/g, encodeURIComponent)}|${label}>`,
  heading: (t) => `*${t}*`,
  quote: (lines) => lines.map((line) => `> ${line}`).join("\n"),
  bullet: "• ",
};

/** Posts and updates messages in Slack conversations. */
export class SlackOutbound implements Outbound {
  readonly maxLength = SLACK_MAX_LENGTH;
  private readonly base: string;
  constructor(
    private readonly token: string,
    base: string,
  ) {
    this.base = base.replace(/\/+$/, "");
  }

  /** The client for this deployment's Slack app. */
  static fromEnv(env: Env): SlackOutbound {
    return new SlackOutbound(required(env, "SLACK_BOT_TOKEN"), env.SLACK_API_BASE || DEFAULT_API_BASE);
  }

  async send(target: ReplyTarget, markdown: string): Promise<string> {
    const t = slack(target);
    const result = await this.call<{ ts: string }>("chat.postMessage", {
      channel: t.channel,
      text: renderMarkdown(markdown, slackMrkdwn),
      thread_ts: t.threadTs,
      unfurl_links: false,
      unfurl_media: false,
    });
    return result.ts;
  }

  async edit(target: ReplyTarget, messageId: string, markdown: string): Promise<void> {
    const t = slack(target);
    await this.call("chat.update", { channel: t.channel, ts: messageId, text: renderMarkdown(markdown, slackMrkdwn) });
  }

  async sendChoices(target: ReplyTarget, markdown: string, choices: Choice[][]): Promise<string> {
    const t = slack(target);
    const text = renderMarkdown(markdown, slackMrkdwn);
    const result = await this.call<{ ts: string }>("chat.postMessage", {
      channel: t.channel,
      text,
      blocks: [textBlock(text), ...choiceBlocks(choices)],
      thread_ts: t.threadTs,
      unfurl_links: false,
      unfurl_media: false,
    });
    return result.ts;
  }

  async closeChoices(target: ReplyTarget, messageId: string, markdown: string): Promise<void> {
    const t = slack(target);
    const text = renderMarkdown(markdown, slackMrkdwn);
    await this.call("chat.update", { channel: t.channel, ts: messageId, text, blocks: [textBlock(text)] });
  }

  /** Slack's 200 to the interaction request is the acknowledgement; the updated message shows the outcome. */
  async acknowledge(): Promise<void> {}

  /** Slack has no typing indicator for bots outside assistant threads; the streamed message is the sign of life. */
  async typing(): Promise<void> {}

  async notice(target: ReplyTarget, text: string): Promise<void> {
    const t = slack(target);
    const body = { channel: t.channel, text: slackMrkdwn.escape(text), thread_ts: t.threadTs };
    // In a DM the bot's message is private anyway; in a channel only the sender may see it.
    if (t.channel.startsWith("D")) await this.call("chat.postMessage", body);
    else await this.call("chat.postEphemeral", { ...body, user: t.user });
  }

  private async call<T>(method: string, body: Record<string, unknown>): Promise<T> {
    const res = await fetch(`${this.base}/${method}`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(body),
    });
    if (res.status === 429) {
      await res.body?.cancel();
      const seconds = Number(res.headers.get("retry-after")) || 1;
      throw new RateLimitError(seconds * 1000, `slack ${method}: rate limited, retry after ${seconds} s`);
    }
    if (res.status >= 500) throw new Error(`slack ${method}: HTTP ${res.status}`);
    const result = (await res.json()) as { ok: boolean; error?: string } & T;
    if (!result.ok) throw new PlatformError(`slack_${result.error ?? "error"}`, `slack ${method}: ${result.error ?? `HTTP ${res.status}`}`);
    return result;
  }
}

function slack(target: ReplyTarget): Extract<ReplyTarget, { platform: "slack" }> {
  if (target.platform !== "slack") throw new Error(`not a Slack target: ${target.platform}`);
  return target;
}
