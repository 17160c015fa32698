/** The environment pi (and so the agent's shell) runs with: the backend's own, minus the relay's secrets. */

/**
 * Variables the relay reads as secrets: the backend's token and settings, the Worker's API token and
 * every Telegram and Slack credential (`.dev.vars` holds them all, and a shell that sourced it passes
 * them on). Matched without regard to case because Windows' environment ignores case.
 */
const RELAY_SECRET = /^(?:API_TOKEN$|PI_BACKEND_|TELEGRAM_|SLACK_)/i;

/**
 * Returns a copy of `env` without the relay's secrets, for spawning pi. Everything else passes,
 * provider keys (`ANTHROPIC_API_KEY`, ...) included: pi needs them to reach its model. Sets
 * `PI_SKIP_VERSION_CHECK=1` (pi would otherwise ask the network for updates) unless `env` sets it.
 */
export function agentEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const agent: NodeJS.ProcessEnv = { PI_SKIP_VERSION_CHECK: "1" };
  for (const [name, value] of Object.entries(env)) {
    if (!RELAY_SECRET.test(name)) agent[name] = value;
  }
  return agent;
}
