/**
 * `/model`, `/thinking`, `/stats`, `/compact` and `/verbose`, as the chat core runs them: against the
 * backend's agent settings routes, never behind the turn lock (a running turn is not interrupted; a
 * model or level chosen meanwhile applies to the next turn). Replies are Markdown plus optional
 * choices that platforms show as buttons (`data` comes back when one is pressed).
 */
import { type ModelInfo, THINKING_LEVELS, type ThinkingLevel } from "../../shared/protocol";
import { BackendError, type PiBackendClient } from "../pi-client/client";
import type { ChatSettings } from "./chat-settings";

export const AGENT_COMMANDS = ["model", "thinking", "stats", "compact", "verbose"] as const;
export type AgentCommand = (typeof AGENT_COMMANDS)[number];

/** A button: its label, and the data a press sends back (at most 64 bytes, Telegram's limit). */
export interface Choice {
  label: string;
  data: string;
}

export interface CommandReply {
  text: string;
  /** Rows of buttons. */
  choices?: Choice[][];
  /** The backend's answer, for the HTTP commands route. */
  data?: object;
}

export interface CommandDeps {
  client: PiBackendClient;
  chatKey: string;
  settings: ChatSettings;
}

/** Button data that runs a command again with args: `cmd:<command>:<args>`. */
export const COMMAND_DATA_PREFIX = "cmd:";
const MAX_DATA_BYTES = 64;

/** Runs one command; a backend failure becomes a reply saying what to do. */
export async function runAgentCommand(deps: CommandDeps, command: AgentCommand, args: string): Promise<CommandReply> {
  try {
    switch (command) {
      case "model":
        return args ? await switchModel(deps, args) : await listModels(deps);
      case "thinking":
        return args ? await setThinking(deps, args) : await showThinking(deps);
      case "stats":
        return await stats(deps);
      case "compact":
        return await compact(deps);
      case "verbose":
        return verbose(deps, args);
    }
  } catch (err) {
    if (err instanceof BackendError && err.code === "capacity")
      return { text: "The agent's backend is at capacity; try again in a moment." };
    if (err instanceof BackendError && (err.code === "unreachable" || err.status >= 500))
      return { text: "The agent's backend is not reachable right now; try again in a moment." };
    throw err;
  }
}

async function listModels(deps: CommandDeps): Promise<CommandReply> {
  const { models, current } = await deps.client.models(deps.chatKey);
  const text = `Model: ${current ? describe(current) : "none"}.${models.length ? "\nChoose one:" : "\npi has no models configured."}`;
  const choices = models.map((m, i) => [{ label: `${sameModel(m, current) ? "✓ " : ""}${m.name}`, data: modelData(m, i) }]);
  return { text, choices, data: { models, current } };
}

async function switchModel(deps: CommandDeps, args: string): Promise<CommandReply> {
  const { models } = await deps.client.models(deps.chatKey);
  const model = findModel(models, args.trim());
  if (!model) {
    const known = models.map((m) => `${m.provider}/${m.id}`).join(", ");
    return { text: `No model matches "${args.trim()}". Known: ${known || "none"}.` };
  }
  const result = await deps.client.setModel(deps.chatKey, { provider: model.provider, modelId: model.id });
  const when = result.appliesTo === "next_turn" ? " from the next turn (one is running now)" : "";
  return { text: `Model: ${describe(result.model)}${when}.`, data: result };
}

async function showThinking(deps: CommandDeps): Promise<CommandReply> {
  const { current, thinkingLevel } = await deps.client.models(deps.chatKey);
  const note = current && !current.reasoning ? `\n(${current.name} does not think; levels have no effect with it.)` : "";
  const choices = [THINKING_LEVELS.slice(0, 3), THINKING_LEVELS.slice(3)].map((row) =>
    row.map((level) => ({ label: `${level === thinkingLevel ? "✓ " : ""}${level}`, data: `${COMMAND_DATA_PREFIX}thinking:${level}` })),
  );
  return { text: `Thinking level: ${thinkingLevel}.${note}`, choices, data: { level: thinkingLevel } };
}

async function setThinking(deps: CommandDeps, args: string): Promise<CommandReply> {
  const level = args.trim().toLowerCase();
  if (!(THINKING_LEVELS as readonly string[]).includes(level)) return { text: `Thinking levels: ${THINKING_LEVELS.join(", ")}.` };
  const result = await deps.client.setThinking(deps.chatKey, level as ThinkingLevel);
  const when = result.appliesTo === "next_turn" ? " from the next turn (one is running now)" : "";
  return { text: `Thinking level: ${result.level}${when}.`, data: result };
}

async function stats(deps: CommandDeps): Promise<CommandReply> {
  const s = await deps.client.stats(deps.chatKey);
  const n = (x: number) => x.toLocaleString("en-US");
  const cache =
    s.tokens.cacheRead || s.tokens.cacheWrite ? ` (cache: ${n(s.tokens.cacheRead)} read, ${n(s.tokens.cacheWrite)} written)` : "";
  const used = (c: NonNullable<typeof s.context>) =>
    c.tokens === null ? "unknown until the next reply" : `${n(c.tokens)} of ${n(c.window)} tokens`;
  const percent = (c: NonNullable<typeof s.context>) => (c.percent === null ? "" : ` (${c.percent.toFixed(1)}%)`);
  const context = s.context ? `Context: ${used(s.context)}${percent(s.context)}` : "Context: unknown";
  const lines = [
    `Tokens: ${n(s.tokens.input)} in, ${n(s.tokens.output)} out${cache}`,
    `Cost: $${s.cost.toFixed(4)}`,
    context,
    `Messages: ${n(s.messages)}`,
  ];
  return { text: lines.join("\n"), data: s };
}

async function compact(deps: CommandDeps): Promise<CommandReply> {
  try {
    const result = await deps.client.compact(deps.chatKey);
    return { text: `Compacted the conversation (it was ${result.tokensBefore.toLocaleString("en-US")} tokens).`, data: result };
  } catch (err) {
    if (err instanceof BackendError && err.code === "busy") return { text: "A turn is running; send /compact again when it has finished." };
    if (err instanceof BackendError && err.code === "pi_refused") return { text: `Nothing compacted: ${err.message}` };
    throw err;
  }
}

function verbose(deps: CommandDeps, args: string): CommandReply {
  const word = args.trim().toLowerCase();
  if (word === "on" || word === "off") deps.settings.verbose = word === "on";
  else if (word) return { text: "Use verbose on or verbose off." };
  const on = deps.settings.verbose;
  return {
    text: on ? "Verbose: on (tool calls show while the agent works)." : "Verbose: off (only the reply shows).",
    data: { verbose: on },
  };
}

/** A model by `provider/id`, id, name, list position (`#2`) or a unique part of one of these. */
export function findModel(models: ModelInfo[], wanted: string): ModelInfo | undefined {
  const w = wanted.toLowerCase();
  const index = /^#(\d+)$/.exec(w);
  if (index) return models[Number(index[1])];
  const exact = models.find((m) => `${m.provider}/${m.id}`.toLowerCase() === w || m.id.toLowerCase() === w || m.name.toLowerCase() === w);
  if (exact) return exact;
  const partial = models.filter((m) => `${m.provider}/${m.id} ${m.name}`.toLowerCase().includes(w));
  return partial.length === 1 ? partial[0] : undefined;
}

function modelData(model: ModelInfo, index: number): string {
  const data = `${COMMAND_DATA_PREFIX}model:${model.provider}/${model.id}`;
  return new TextEncoder().encode(data).length <= MAX_DATA_BYTES ? data : `${COMMAND_DATA_PREFIX}model:#${index}`;
}

function sameModel(a: ModelInfo, b: ModelInfo | null): boolean {
  return b !== null && a.provider === b.provider && a.id === b.id;
}

function describe(model: ModelInfo): string {
  return `${model.name} (${model.provider}/${model.id})`;
}
