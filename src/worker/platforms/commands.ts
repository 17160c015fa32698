/**
 * The chat commands (`/new`, `/stop`, `/status`, `/help`, and the agent's `/model`, `/thinking`,
 * `/stats`, `/compact`, `/verbose`), run against the chat's ChatSession. None of them waits for the
 * turn lock: `/stop` aborts the running turn at once, the agent commands run beside it.
 */
import { AGENT_COMMANDS, type AgentCommand, type CommandReply } from "../chat/agent-commands";
import type { SessionSnapshot } from "../registry/types";
import type { ChatMessage, Command, Platform, PlatformEnv } from "./adapter";
import { commandArgs } from "./command-names";

/** Runs a command and returns the reply for the chat (with buttons for some agent commands). */
export async function runCommand(env: PlatformEnv, message: ChatMessage & { command: Command }, now = Date.now()): Promise<CommandReply> {
  const session = env.CHAT_SESSION.getByName(message.chatKey);
  if ((AGENT_COMMANDS as readonly string[]).includes(message.command)) {
    return session.agentCommand(message.command as AgentCommand, message.args ?? commandArgs(message.text));
  }
  return { text: await runChatCommand(env, message, now) };
}

async function runChatCommand(env: PlatformEnv, message: ChatMessage & { command: Command }, now: number): Promise<string> {
  const session = env.CHAT_SESSION.getByName(message.chatKey);
  switch (message.command) {
    case "stop": {
      const { aborted, queued } = await session.abortTurn();
      return `${aborted ? "Stopped the running turn." : "Nothing was running."}${queuedNote(queued)}`;
    }
    case "new": {
      const { aborted, queued } = await session.startNewConversation({ messageId: message.messageId });
      const first = aborted ? "Stopped the running turn; the" : "The";
      return `${first} next message starts a fresh conversation.${queuedNote(queued, " go to the old conversation first")}`;
    }
    case "status":
      return describeStatus(await session.snapshot(), now);
    default:
      return helpText(message.target.platform);
  }
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
    `${p}model: show the model and switch (${p}model <name>); a switch during a turn applies to the next`,
    `${p}thinking: show or set the thinking level (${p}thinking high)`,
    `${p}stats: tokens in and out, cost, context use`,
    `${p}compact: compact the conversation (between turns)`,
    `${p}verbose on|off: show tool calls while the agent works (default on)`,
    `${p}help: this text`,
  ].join("\n");
}
