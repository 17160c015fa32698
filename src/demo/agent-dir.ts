/**
 * Writes a pi agent directory (the thing `PI_CODING_AGENT_DIR` points at) whose only provider is a
 * local OpenAI-compatible server. Used by the offline demo model, the tests and the benchmark.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What the agent dir should contain. */
export interface AgentDirOptions {
  dir: string;
  /** Base URL of the OpenAI-compatible server, e.g. `http://127.0.0.1:1234/v1`. */
  baseUrl: string;
  provider: string;
  model: string;
  /** More models of the same provider (ids), e.g. for tests that switch models. */
  extraModels?: string[];
  /** pi's own retries on LLM errors (default on, pi's defaults); off makes an LLM failure surface at once instead of after ~20 s. */
  retry?: boolean | { maxRetries: number; baseDelayMs: number };
}

/** Creates the directory with models.json and settings.json; returns the pi arguments that select the model. */
export function writeAgentDir(options: AgentDirOptions): string[] {
  mkdirSync(options.dir, { recursive: true });
  const models = {
    providers: {
      [options.provider]: {
        baseUrl: options.baseUrl,
        api: "openai-completions",
        apiKey: "local-no-key",
        // A plain OpenAI-compatible server: no developer role, no reasoning_effort.
        compat: { supportsDeveloperRole: false, supportsReasoningEffort: false },
        // Images allowed, so a photo sent from a chat reaches the model as an image part (pi drops them for text-only models).
        models: [options.model, ...(options.extraModels ?? [])].map((id) => ({
          id,
          name: id,
          reasoning: false,
          input: ["text", "image"],
          contextWindow: 128000,
          maxTokens: 4096,
        })),
      },
    },
  };
  writeFileSync(join(options.dir, "models.json"), JSON.stringify(models, null, 2));
  const retry = options.retry ?? true;
  const settings = {
    defaultProvider: options.provider,
    defaultModel: options.model,
    // The provider SDK's own retries stay off either way, so every failure reaches pi's retry logic.
    retry:
      retry === false
        ? { enabled: false, provider: { maxRetries: 0 } }
        : { enabled: true, ...(retry === true ? {} : retry), provider: { maxRetries: 0 } },
  };
  writeFileSync(join(options.dir, "settings.json"), JSON.stringify(settings, null, 2));
  return ["--provider", options.provider, "--model", options.model];
}
