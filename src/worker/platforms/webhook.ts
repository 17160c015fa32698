/**
 * The webhook pipeline every platform shares: 404 unless configured, read the raw body once,
 * verify it, parse it, then store the message in its ChatSession and acknowledge. The turn
 * never runs here (the ChatSession's alarm runs it), so the ack is fast. Commands take effect
 * before the ack; their replies and notices are sent after the response, through `waitUntil`.
 */
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { log } from "../../shared/log";
import type { CommandReply } from "../chat/agent-commands";
import type { QueueFull } from "../chat/chat-session";
import { backendConfig } from "../config/config";
import { ApiError } from "../http/errors";
import { limitBody } from "../http/middleware";
import { describe } from "../http/openapi/describe";
import { WebhookAnswer } from "../http/openapi/responses";
import {
  type ChatMessage,
  type Inbound,
  MalformedPayloadError,
  type PlatformAdapter,
  type PlatformEnv,
  VerificationError,
} from "./adapter";
import { isAllowed, notAuthorizedText } from "./allowlist";
import { handleButtonPress } from "./button-press";
import { COMMAND_CLAIM_MS } from "./claims";
import { ALREADY_HANDLED, isAgentCommand, runCommand } from "./commands";

const NOTICE_INTERVAL_MS = 60 * 60 * 1000;

/** A Hono app answering `POST /` for one platform's webhook. */
export function webhookRoute(adapter: PlatformAdapter) {
  const requireConfigured = createMiddleware<{ Bindings: PlatformEnv }>(async (c, next) => {
    // Never an open endpoint: without its secrets the platform does not exist here.
    if (!adapter.configured(c.env)) throw new ApiError(404, "not_found", `${adapter.platform} is not configured on this deployment`);
    await next();
  });

  const doc = describe({
    summary: `${adapter.platform} webhook (called by ${adapter.platform}, verified by its secret or signature)`,
    tags: ["webhooks"],
    auth: false,
    answers: { 200: { description: "Accepted (the turn runs later)", schema: WebhookAnswer } },
    errors: [400, 401, 404, 413, 500],
  });
  return new Hono<{ Bindings: PlatformEnv }>().post("/", doc, requireConfigured, limitBody, async (c) => {
    // Read once, verify these exact bytes, then parse them: never verify a re-serialized body.
    const rawBody = new Uint8Array(await c.req.arrayBuffer());
    const inbound = await verifiedInbound(adapter, c.req.raw, rawBody, c.env);
    if (inbound.kind === "answer") return c.json(inbound.body);
    if (inbound.kind === "button") {
      await handleButtonPress(
        c.env,
        adapter,
        inbound,
        deferrer(adapter, inbound.chatKey, (task) => c.executionCtx.waitUntil(task)),
      );
      return c.json({ ok: true });
    }
    if (inbound.kind === "ignore" || (!inbound.command && inbound.text.trim() === "" && !hasMedia(inbound))) {
      log.info("webhook.ignored", {
        platform: adapter.platform,
        ...(inbound.kind === "ignore" ? { reason: inbound.reason } : { messageId: inbound.messageId, reason: "no text" }),
      });
      return c.json({ ok: true });
    }
    const answer = await accept(c.env, adapter, inbound, (task) => c.executionCtx.waitUntil(task));
    return c.json(answer ?? { ok: true });
  });
}

/** Verifies, then parses, the raw body; the adapter's domain errors become 401 and 400. */
async function verifiedInbound(adapter: PlatformAdapter, request: Request, rawBody: Uint8Array, env: PlatformEnv): Promise<Inbound> {
  try {
    await adapter.verify(request, rawBody, env, Date.now());
    return await adapter.parse(request, rawBody, env);
  } catch (err) {
    if (err instanceof VerificationError) throw new ApiError(401, err.code, err.message);
    if (err instanceof MalformedPayloadError) throw new ApiError(400, err.code, err.message);
    throw err;
  }
}

/**
 * Stores a message, or runs a command once, or tells a stranger (once an hour) that they may not.
 * Returns the response body when the platform wants the reply inline (`message.answer`).
 */
async function accept(
  env: PlatformEnv,
  adapter: PlatformAdapter,
  message: ChatMessage,
  defer: (task: Promise<unknown>) => void,
): Promise<unknown> {
  const session = env.CHAT_SESSION.getByName(message.chatKey);
  const later = deferrer(adapter, message.chatKey, defer);

  if (!isAllowed(env, message.userId)) {
    log.warn("webhook.not_allowed", {
      platform: adapter.platform,
      user: message.userId,
      chat: message.chatKey,
      reason: "not in ALLOWED_USERS; no turn started",
    });
    // Asked interactively (a slash command): the answer goes only to them, so it needs no rate limit.
    if (message.answer) return message.answer(notAuthorizedText(message.userId));
    // Claimed per user, not per chat: in Slack every mention in a channel opens a new chat (its thread).
    const notices = env.CHAT_SESSION.getByName(`notices:${message.userId}`);
    if (await notices.claim("not-authorized", NOTICE_INTERVAL_MS)) {
      later("not-authorized notice", () => adapter.outbound(env).notice(message.target, notAuthorizedText(message.userId)));
    }
    return;
  }
  if (message.command) {
    const command = { ...message, command: message.command };
    if (isAgentCommand(command.command)) {
      // The agent's commands call pi (a /compact takes a while): claimed first, run after the ack.
      if (!(await session.claim(`command:${message.messageId}`, COMMAND_CLAIM_MS))) return message.answer?.(ALREADY_HANDLED);
      if (message.answer) return message.answer(inlineText(await runCommand(env, command)));
      later(`/${message.command}`, async () => {
        const reply = await runCommand(env, command);
        const outbound = adapter.outbound(env);
        if (reply.choices?.length) await outbound.sendChoices(message.target, reply.text, reply.choices);
        else await outbound.send(message.target, reply.text, { quote: true });
      });
      return;
    }
    // The command takes effect before the ack (never in waitUntil): a message delivered after /new is then
    // stored after its reset, and a redelivery after a failure here runs it again. /stop and /new are
    // idempotent on the message id, so a redelivery of one that took effect does nothing.
    const reply = await runCommand(env, command);
    // The claim covers the answer only: a redelivered command is not answered twice.
    if (!(await session.claim(`command:${message.messageId}`, COMMAND_CLAIM_MS))) return message.answer?.(ALREADY_HANDLED);
    if (message.answer) return message.answer(inlineText(reply));
    later(`/${message.command} answer`, () => adapter.outbound(env).send(message.target, reply.text, { quote: true }));
    return;
  }
  if (message.unsupported) {
    // Never silence: one line saying what cannot be taken, once however often the platform redelivers.
    if (await session.claim(`unsupported:${message.messageId}`, COMMAND_CLAIM_MS)) {
      const text = message.unsupported;
      later("unsupported notice", () => adapter.outbound(env).send(message.target, text, { quote: true }));
    }
    return;
  }
  // Checked before storing: the platform gets a 500 and redelivers once the configuration is fixed.
  backendConfig(env);
  const { refused } = await session.enqueue({
    messageId: message.messageId,
    text: message.text,
    target: JSON.stringify(message.target),
    ...(message.attachments?.length ? { attachments: message.attachments } : {}),
  });
  // Never a silent drop: the sender hears that this message was not queued (once, however often it is redelivered).
  if (refused && (await session.claim(`queue-full:${message.messageId}`, COMMAND_CLAIM_MS))) {
    later("queue-full notice", () => adapter.outbound(env).send(message.target, queueFullText(refused), { quote: true }));
  }
}

/** What a sender is told when their message was refused because the chat's queue is full. */
export function queueFullText(refused: QueueFull): string {
  return (
    `⚠️ Not queued: ${refused.queued} messages are already waiting for the agent (the limit is ${refused.maxQueued}). ` +
    "This message was dropped; send it again once the agent has caught up."
  );
}

/** A message without text that still asks for something: attachments, or an answer that they cannot be taken. */
function hasMedia(message: ChatMessage): boolean {
  return Boolean(message.attachments?.length || message.unsupported);
}

/** Runs work after the response, logging (never throwing) what fails. */
function deferrer(adapter: PlatformAdapter, chatKey: string, defer: (task: Promise<unknown>) => void) {
  return (what: string, task: () => Promise<unknown>) =>
    defer(
      task().catch((err) => log.error("webhook.deferred_failed", { platform: adapter.platform, chat: chatKey, task: what, error: err })),
    );
}

/** A command reply where no buttons can go (a Slack slash command's ephemeral answer): the choices as text. */
function inlineText(reply: CommandReply): string {
  const choices = reply.choices?.flat() ?? [];
  if (choices.length === 0) return reply.text;
  const lines = choices.map((c) => `• ${c.label.replace(/^✓ /, "")}${c.label.startsWith("✓ ") ? " (current)" : ""}`);
  return `${reply.text}\n${lines.join("\n")}`;
}
