/**
 * The agent settings routes' work: pi's `get_available_models`, `set_model`, `set_thinking_level`,
 * `get_session_stats` and `compact`, answered in protocol shapes. A model or thinking level chosen
 * while a turn runs waits in PendingSettings and is applied just before the next prompt, so a
 * running turn never changes model half-way. pi writes `set_*` into the agent dir's settings.json
 * (it becomes the default for new sessions too); the session file keeps each session's own choice.
 */
import type {
  CompactResponse,
  ModelInfo,
  ModelsResponse,
  SetModelRequest,
  SetModelResponse,
  SetThinkingResponse,
  StatsResponse,
  ThinkingLevel,
} from "../shared/protocol";
import { BackendError, BusyError } from "./errors";
import type { PiProcess } from "./pi-process";

/** What the routes need of a session. */
export interface CommandTarget {
  /** pi, once it answers (starting it if it is not running). */
  ready(): Promise<PiProcess>;
  /** The running turn's id, if one runs. */
  readonly runningTurnId: string | undefined;
  readonly pendingSettings: PendingSettings;
  /** Runs `task` holding the turn lock, so no turn starts meanwhile. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
}

/** Settings chosen during a turn, applied before the next prompt. */
export class PendingSettings {
  model: SetModelRequest | undefined;
  thinking: ThinkingLevel | undefined;

  /** Applies what is pending (each once, even if pi refuses it: a refused choice must not block every later prompt). */
  async applyTo(process: PiProcess): Promise<void> {
    const { model, thinking } = this;
    this.model = undefined;
    this.thinking = undefined;
    if (model) await process.request({ type: "set_model", provider: model.provider, modelId: model.modelId }).catch(() => undefined);
    if (thinking) await process.request({ type: "set_thinking_level", level: thinking }).catch(() => undefined);
  }
}

/** Every model pi can use, the current one, and the thinking level. */
export async function listModels(target: CommandTarget): Promise<ModelsResponse> {
  const process = await target.ready();
  const [models, state] = await Promise.all([piData(process, { type: "get_available_models" }), piData(process, { type: "get_state" })]);
  const list = Array.isArray((models as { models?: unknown }).models) ? (models as { models: unknown[] }).models : [];
  const s = state as { model?: unknown; thinkingLevel?: ThinkingLevel };
  return {
    models: list.map(modelInfo),
    current: s.model ? modelInfo(s.model) : null,
    thinkingLevel: target.pendingSettings.thinking ?? s.thinkingLevel ?? "off",
  };
}

/** Switches the model now, or after the running turn. 400 `unknown_model` for a model pi does not have. */
export async function setModel(target: CommandTarget, request: SetModelRequest): Promise<SetModelResponse> {
  const { models } = await listModels(target);
  const model = models.find((m) => m.provider === request.provider && m.id === request.modelId);
  if (!model) {
    const known = models.map((m) => `${m.provider}/${m.id}`).join(", ");
    throw new BackendError(400, "unknown_model", `no model ${request.provider}/${request.modelId}; pi has: ${known || "none"}`);
  }
  if (target.runningTurnId) {
    target.pendingSettings.model = request;
    return { model, appliesTo: "next_turn" };
  }
  const process = await target.ready();
  return { model: modelInfo(await piData(process, { type: "set_model", ...request })), appliesTo: "now" };
}

/** Sets the thinking level now, or after the running turn. */
export async function setThinking(target: CommandTarget, level: ThinkingLevel): Promise<SetThinkingResponse> {
  if (target.runningTurnId) {
    target.pendingSettings.thinking = level;
    return { level, appliesTo: "next_turn" };
  }
  const process = await target.ready();
  await piData(process, { type: "set_thinking_level", level });
  // pi clamps the level to what the model supports: report what it chose.
  const state = (await piData(process, { type: "get_state" })) as { thinkingLevel?: ThinkingLevel };
  return { level: state.thinkingLevel ?? level, appliesTo: "now" };
}

/** Token use, cost and context use of the session. */
export async function sessionStats(target: CommandTarget): Promise<StatsResponse> {
  const data = (await piData(await target.ready(), { type: "get_session_stats" })) as {
    tokens?: Partial<StatsResponse["tokens"]>;
    cost?: number;
    totalMessages?: number;
    contextUsage?: { tokens: number | null; contextWindow: number; percent: number | null };
  };
  const t = data.tokens ?? {};
  const usage = data.contextUsage;
  return {
    tokens: { input: t.input ?? 0, output: t.output ?? 0, cacheRead: t.cacheRead ?? 0, cacheWrite: t.cacheWrite ?? 0, total: t.total ?? 0 },
    cost: data.cost ?? 0,
    context: usage ? { tokens: usage.tokens ?? null, window: usage.contextWindow, percent: usage.percent ?? null } : null,
    messages: data.totalMessages ?? 0,
  };
}

/** Compacts the conversation; 409 `busy` while a turn runs (compaction rewrites the context the turn uses). */
export async function compact(target: CommandTarget): Promise<CompactResponse> {
  const busy = target.runningTurnId;
  if (busy) throw new BusyError(busy);
  return target.exclusive(async () => {
    const data = (await piData(await target.ready(), { type: "compact" }, 10 * 60_000)) as { tokensBefore?: number };
    return { compacted: true, tokensBefore: data.tokensBefore ?? 0 };
  });
}

/** Sends a command; pi's refusal becomes 409 `pi_refused` with pi's reason. */
async function piData(process: PiProcess, command: Record<string, unknown>, timeoutMs?: number): Promise<unknown> {
  const response = await process.request(command, timeoutMs);
  if (!response.success)
    throw new BackendError(409, "pi_refused", `pi refused ${String(command.type)}: ${response.error ?? "no reason given"}`);
  return response.data ?? {};
}

function modelInfo(raw: unknown): ModelInfo {
  const m = raw as { provider?: unknown; id?: unknown; name?: unknown; reasoning?: unknown };
  return {
    provider: String(m.provider ?? ""),
    id: String(m.id ?? ""),
    name: String(m.name ?? m.id ?? ""),
    reasoning: m.reasoning === true,
  };
}
