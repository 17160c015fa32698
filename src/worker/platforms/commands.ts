/**
 * The chat commands (`/new`, `/stop`, `/status`, `/help`, and the agent's `/model`, `/thinking`,
 * `/stats`, `/compact`, `/verbose`), run against the chat's ChatSession. None of them waits for the
 * turn lock: `/stop` aborts the running turn at once, the agent commands run beside it.
 */
import { AGENT_COMMANDS, type AgentCommand, type CommandReply } from "../chat/agent-commands";
import { parseQueueMode, QUEUE_MODE_HELP, QUEUE_MODES } from "../chat/queue-mode";
import type { SessionSnapshot } from "../registry/types";
import type { ChatMessage, Command, Platform, PlatformChatSession, PlatformEnv } from "./adapter";
import { commandArgs, commandArguments } from "./command-names";

/** The answer to a redelivered command that already took effect. */
export const ALREADY_HANDLED = "That command was already handled.";

/**
 * Runs a command and returns the reply for the chat (with buttons for some agent commands). `/stop` and
 * `/new` take effect here, idempotently on the message id: the webhook runs them before its ack (see
 * webhook.ts); the agent commands (`/model`, `/compact`…) call the backend beside a running turn.
 */
export async function runCommand(env: PlatformEnv, message: ChatMessage & { command: Command }, now = Date.now()): Promise<CommandReply> {
  const session = env.CHAT_SESSION.getByName(message.chatKey);
  if (isAgentCommand(message.command)) return session.agentCommand(message.command, message.args ?? commandArgs(message.text));
  return { text: await runChatCommand(env, message, now) };
}

/** The commands that talk to the agent (issue 10): they call pi, so the webhook runs them after its ack. */
export function isAgentCommand(command: Command): command is AgentCommand {
  return (AGENT_COMMANDS as readonly string[]).includes(command);
}

async function runChatCommand(env: PlatformEnv, message: ChatMessage & { command: Command }, now: number): Promise<string> {
  const session = env.CHAT_SESSION.getByName(message.chatKey);
  switch (message.command) {
    case "stop": {
      const { aborted, queued, duplicate } = await session.stopTurn({ messageId: message.messageId });
      if (duplicate) return ALREADY_HANDLED;
      return `${aborted ? "Stopped the running turn." : "Nothing was running."}${queuedNote(queued)}`;
    }
    case "new": {
      const { aborted, queued, duplicate } = await session.startNewConversation({ messageId: message.messageId });
      if (duplicate) return ALREADY_HANDLED;
      const first = aborted ? "Stopped the running turn; the" : "The";
      return `${first} next message starts a fresh conversation.${queuedNote(queued, " go to the old conversation first")}`;
    }
    case "status":
      return describeStatus(await session.snapshot(), now);
    case "queue":
      return setQueueMode(session, commandArguments(message.text)[0], message.target.platform);
    default:
      return helpText(message.target.platform);
  }
}

/** `/queue` shows the chat's queue mode; `/queue <mode>` sets it. */
async function setQueueMode(
  session: DurableObjectStub<PlatformChatSession>,
  word: string | undefined,
  platform: Platform,
): Promise<string> {
  const p = platform === "slack" ? "" : "/";
  const choices = QUEUE_MODES.map((m) => `${p}queue ${m}: ${QUEUE_MODE_HELP[m]}`).join("\n");
  if (word === undefined) {
    const { queueMode } = await session.overview();
    return `Queue mode: ${queueMode} (${QUEUE_MODE_HELP[queueMode]}).\n${choices}`;
  }
  const mode = parseQueueMode(word);
  if (!mode) return `There is no queue mode "${word}". Choose one of:\n${choices}`;
  await session.setQueueMode(mode);
  return `Queue mode set to ${mode}: ${QUEUE_MODE_HELP[mode]}.`;
}

function queuedNote(queued: number, suffix?: string): string {
  if (queued === 0) return "";
  const one = queued === 1;
  return ` ${queued} queued message${one ? "" : "s"}${suffix ?? (one ? " stays queued" : " stay queued")}.`;
}

/** `/status` for one chat: busy or idle, queue, idle time, backend. */
function describeStatus(snapshot: SessionSnapshot | null, now: number): string {
  if (!snapshot) return "Status: idle (no messages yet in this chat).\nQueued messages: 0.\nBackend session: released.";
  const idle = snapshot.busy ? "working on a reply" : `idle for ${duration(now - snapshot.lastActivity)}`;
  return [
    `Status: ${snapshot.busy ? "busy" : "idle"} (${idle}).`,
    `Queued messages: ${snapshot.queued}.`,
    `Backend session: ${snapshot.backend}.`,
  ].join("\n");
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** `/help`; Slack's client swallows a leading slash, so there the commands are plain words. */
export function helpText(platform: Platform): string {
  const p = platform === "slack" ? "" : "/";
  return [
    "Send a message and the agent answers here.",
    `${p}new: start a fresh conversation (stops a running turn first)`,
    `${p}stop: stop the running turn; queued messages stay queued`,
    `${p}status: is the agent busy, how many messages wait, is its session live`,
    `${p}queue [followup|collect|steer|interrupt]: what happens to messages sent while the agent works`,
    `${p}model: show the model and switch (${p}model <name>); a switch during a turn applies to the next`,
    `${p}thinking: show or set the thinking level (${p}thinking high)`,
    `${p}stats: tokens in and out, cost, context use`,
    `${p}compact: compact the conversation (between turns)`,
    `${p}verbose on|off: show tool calls while the agent works (default on)`,
    `${p}help: this text`,
  ].join("\n");
}
