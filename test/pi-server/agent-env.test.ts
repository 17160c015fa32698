/** The agent's shell does not see the relay's secrets; provider keys still reach pi. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentEnvironment } from "../../src/pi-server/agent-env";
import { type BackendHarness, last, startBackend } from "../fixtures/backend-harness";

const RELAY_SECRETS = {
  PI_BACKEND_TOKEN: "relay-secret-backend-0001",
  PI_BACKEND_URL: "https://relay-secret-url-0002.example",
  API_TOKEN: "relay-secret-api-token-0003",
  TELEGRAM_BOT_TOKEN: "123456:relay-secret-telegram-0004",
  TELEGRAM_WEBHOOK_SECRET: "relay-secret-webhook-0005",
  SLACK_BOT_TOKEN: "xoxb-relay-secret-slack-0006",
  SLACK_SIGNING_SECRET: "relay-secret-signing-0007",
};
const PROVIDER_KEYS = { ANTHROPIC_API_KEY: "sk-test-anthropic-0008", OPENAI_API_KEY: "sk-test-openai-0009" };

describe("agentEnvironment", () => {
  it("drops API_TOKEN and every PI_BACKEND_*, TELEGRAM_* and SLACK_* variable, and keeps the rest", () => {
    const env = {
      ...RELAY_SECRETS,
      ...PROVIDER_KEYS,
      api_token: "lower-case-still-the-relay-s-on-windows",
      PATH: "/usr/bin",
      PI_CODING_AGENT_DIR: "/agent",
      PI_DATA_DIR: "/data",
      GITHUB_API_TOKEN: "not-ours",
    };
    expect(agentEnvironment(env)).toEqual({
      PI_SKIP_VERSION_CHECK: "1",
      ...PROVIDER_KEYS,
      PATH: "/usr/bin",
      PI_CODING_AGENT_DIR: "/agent",
      PI_DATA_DIR: "/data",
      GITHUB_API_TOKEN: "not-ours",
    });
    expect(env.PI_BACKEND_TOKEN).toBe(RELAY_SECRETS.PI_BACKEND_TOKEN); // the backend's own environment is untouched
  });

  it("lets the environment override PI_SKIP_VERSION_CHECK", () => {
    expect(agentEnvironment({ PI_SKIP_VERSION_CHECK: "0" }).PI_SKIP_VERSION_CHECK).toBe("0");
  });
});

describe("a bash tool call through real pi", () => {
  let backend: BackendHarness;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    // The harness gives the manager this process's environment, as `npm run backend` does with its own.
    for (const [name, value] of Object.entries({ ...RELAY_SECRETS, ...PROVIDER_KEYS })) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    backend = await startBackend();
  });

  afterAll(async () => {
    await backend?.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("`env` shows no relay secret, and the provider keys", async () => {
    const end = last(await backend.turn("http:env", "t1", "[tool:env]"));
    expect(end.type).toBe("turn_end");
    const output = end.type === "turn_end" ? end.text : "";
    expect(output).toMatch(/^tool said: /);
    expect(output).toMatch(/^PATH=/m); // the tool really ran `env`
    for (const [name, value] of Object.entries(RELAY_SECRETS)) {
      expect(output).not.toMatch(new RegExp(`^${name}=`, "m"));
      expect(output).not.toContain(value);
    }
    for (const [name, value] of Object.entries(PROVIDER_KEYS)) expect(output).toMatch(new RegExp(`^${name}=${value}$`, "m"));

    // What the model was sent as the tool's result is the same list.
    const toolResult = backend.llm.requests.at(-1)?.messages.findLast((m) => m.role === "tool");
    expect(JSON.stringify(toolResult)).toContain(`ANTHROPIC_API_KEY=${PROVIDER_KEYS.ANTHROPIC_API_KEY}`);
    expect(JSON.stringify(toolResult)).not.toContain(RELAY_SECRETS.PI_BACKEND_TOKEN);
  });
});
