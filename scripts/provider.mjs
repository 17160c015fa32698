/** Decides whether pi has a real LLM provider, or `npm start` should fall back to the demo model. */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Environment variables pi reads provider keys from (GH_TOKEN/GITHUB_TOKEN are left out: they are common and rarely mean Copilot). */
export const PROVIDER_KEY_VARS = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_OAUTH_TOKEN",
  "OPENAI_API_KEY",
  "AZURE_OPENAI_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_CLOUD_API_KEY",
  "DEEPSEEK_API_KEY",
  "GROQ_API_KEY",
  "CEREBRAS_API_KEY",
  "XAI_API_KEY",
  "OPENROUTER_API_KEY",
  "AI_GATEWAY_API_KEY",
  "ZAI_API_KEY",
  "MISTRAL_API_KEY",
  "MINIMAX_API_KEY",
  "MOONSHOT_API_KEY",
  "HF_TOKEN",
  "FIREWORKS_API_KEY",
  "OPENCODE_API_KEY",
  "KIMI_API_KEY",
  "COPILOT_GITHUB_TOKEN",
  "AWS_BEARER_TOKEN_BEDROCK",
];

/**
 * Returns a short description of the configured provider, or null when there is none: no key in
 * the environment, no `pi /login` in the agent dir's auth.json, no custom models.json, no PI_ARGS.
 */
export function detectProvider(env = process.env) {
  if (env.EVIE_DEMO === "1") return null;
  const key = PROVIDER_KEY_VARS.find((name) => env[name]);
  if (key) return `${key} is set`;
  if (env.PI_ARGS?.includes("--provider") || env.PI_ARGS?.includes("--model")) return `PI_ARGS="${env.PI_ARGS}"`;
  const agentDir = env.PI_CODING_AGENT_DIR || join(homedir(), ".pi", "agent");
  const auth = join(agentDir, "auth.json");
  if (existsSync(auth)) {
    try {
      if (Object.keys(JSON.parse(readFileSync(auth, "utf8"))).length > 0) return `pi login in ${auth}`;
    } catch {
      // unreadable auth.json: treat as not logged in
    }
  }
  if (existsSync(join(agentDir, "models.json"))) return `custom models in ${join(agentDir, "models.json")}`;
  return null;
}
